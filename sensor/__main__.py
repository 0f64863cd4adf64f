"""``python -m sensor`` runs the same command line as ``repband``."""

from cli import main

main()
