"""Repband: count rehab and glute-activation exercises from a thigh-worn IMU band.

The library behind the ``repband`` command; see the README for the architecture.
Typical use::

    from sensor import PipelineConfig, analyze_recording, read_recording
    result = analyze_recording(read_recording("recordings/clamshell-demo.csv"), PipelineConfig(exercise="auto"))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sensor.pipeline import Pipeline, PipelineConfig, analyze_recording, analyze_samples
    from sensor.recording import read_recording
    from sensor.session import SessionResult
    from sensor.types import Event, SampleBlock

# The public names, imported on first use: the pipeline pulls in scipy.signal (about a second),
# which `repband --version`, `--help`, `scan` and `bands` never need.
_HOMES = {
    "Pipeline": "sensor.pipeline",
    "PipelineConfig": "sensor.pipeline",
    "analyze_recording": "sensor.pipeline",
    "analyze_samples": "sensor.pipeline",
    "read_recording": "sensor.recording",
    "SessionResult": "sensor.session",
    "Event": "sensor.types",
    "SampleBlock": "sensor.types",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name from the module that defines it (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sensor' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the public ones not yet imported included."""
    return sorted(set(globals()) | set(__all__))
