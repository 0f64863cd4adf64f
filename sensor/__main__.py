"""The ``repband`` command (also ``python -m sensor``): the command line of :mod:`cli`.

Loading the command line's libraries takes about a tenth of a second, and a
Ctrl-C in it would end in a traceback from inside some import. Until a
command starts (:func:`cli.friendly_errors` takes Ctrl-C over from there),
a Ctrl-C prints one line and exits with 130 at once: nothing is open yet.
This module is kept free of imports beyond the standard library's smallest,
so that the handler is in place within moments of the interpreter starting.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

#: What a Ctrl-C that no command handles itself prints.
STOPPED_LINE = "repband: stopped (Ctrl-C)"


def stop_while_starting(signum: int, frame: FrameType | None) -> None:
    """SIGINT handler before a command runs: say so on stderr and exit with 130 (nothing to save yet)."""
    os.write(2, f"{STOPPED_LINE}\n".encode())
    os._exit(130)


def main() -> None:
    """Console-script entry point: Ctrl-C ends start-up cleanly, then :func:`cli.main` runs."""
    signal.signal(signal.SIGINT, stop_while_starting)
    from cli import main as run_command_line

    run_command_line()


if __name__ == "__main__":
    main()
