"""Causal streaming signal-processing stages; each carries its own state between blocks."""
