"""The `repband` entry point: a Ctrl-C while the command line is still loading is one line, not a traceback."""

from __future__ import annotations

import subprocess
import sys

# Runs the entry point with the import of the command line's first library interrupted, as a
# Ctrl-C pressed right after Enter would (loading takes about a tenth of a second).
_INTERRUPTED_WHILE_LOADING = """
import builtins, os, signal, sys
real_import = builtins.__import__
def import_then_interrupted(name, *args, **kwargs):
    if name == "typer":
        os.kill(os.getpid(), signal.SIGINT)
    return real_import(name, *args, **kwargs)
builtins.__import__ = import_then_interrupted
sys.argv = ["repband", "bands"]
from sensor.__main__ import main
main()
"""


def test_ctrl_c_while_the_command_line_loads_is_one_line_and_exit_130() -> None:
    done = subprocess.run([sys.executable, "-c", _INTERRUPTED_WHILE_LOADING], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "repband: stopped (Ctrl-C)\n")


def test_the_entry_point_runs_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "sensor", "bands"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "polar" in done.stdout.lower()
