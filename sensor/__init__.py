"""Repband: count rehab and glute-activation exercises from a thigh-worn IMU band.

The library behind the ``repband`` command; see the README for the architecture.
Typical use::

    from sensor import PipelineConfig, analyze_recording, read_recording
    result = analyze_recording(read_recording("recordings/clamshell-demo.csv"), PipelineConfig(exercise="auto"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from sensor.pipeline import Pipeline, PipelineConfig, analyze_recording, analyze_samples  # noqa: E402
from sensor.recording import read_recording  # noqa: E402
from sensor.session import SessionResult  # noqa: E402
from sensor.types import Event, SampleBlock  # noqa: E402

__all__ = [
    "Event",
    "Pipeline",
    "PipelineConfig",
    "SampleBlock",
    "SessionResult",
    "__version__",
    "analyze_recording",
    "analyze_samples",
    "read_recording",
]
