"""The seams hold: counting code never pulls in the radio, the terminal UI or plotting."""

from __future__ import annotations

import subprocess
import sys


def test_the_pipeline_imports_no_presentation_or_radio_library() -> None:
    code = (
        "import sys, sensor.pipeline, sensor.replay, sensor.session, sensor.recording; "
        "print(sorted(m for m in ('bleak', 'bumble', 'rich', 'typer', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
