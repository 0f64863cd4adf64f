"""Presentation: terminal tables, the live view and plots (the only code that imports rich or matplotlib)."""
