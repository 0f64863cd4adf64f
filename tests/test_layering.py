"""The seams hold: counting code never pulls in the radio, the terminal UI or plotting."""

from __future__ import annotations

import subprocess
import sys


def _printed_by(code: str) -> str:
    """What ``code`` prints when run in a fresh interpreter (so nothing is imported yet)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_the_pipeline_imports_no_presentation_or_radio_library() -> None:
    code = (
        "import sys, sensor.pipeline, sensor.replay, sensor.session, sensor.recording; "
        "print(sorted(m for m in ('bleak', 'bumble', 'rich', 'typer', 'matplotlib') if m in sys.modules))"
    )
    assert _printed_by(code) == "[]"


def test_the_command_line_starts_without_the_signal_processing_stack() -> None:
    # `repband --version`, `--help`, `scan` and `bands` need no counting code: scipy.signal alone
    # takes about a second to import, which every command used to pay before parsing its options.
    code = "import sys, cli; print(sorted(m for m in ('scipy.signal', 'sensor.pipeline') if m in sys.modules))"
    assert _printed_by(code) == "[]"


def test_the_package_still_offers_its_public_names() -> None:
    code = (
        "import sensor; print(all(getattr(sensor, n) is not None for n in sensor.__all__), "
        "set(sensor.__all__) <= set(dir(sensor)))"
    )
    assert _printed_by(code) == "True True"
