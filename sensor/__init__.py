"""Repband: count rehab and glute-activation exercises from a thigh-worn IMU band.

The library behind the ``repband`` command. Public entry points are re-exported
here as they land; see the README for the architecture.
"""

from __future__ import annotations

from sensor.types import Event, SampleBlock

__version__ = "0.1.0"

__all__ = ["Event", "SampleBlock", "__version__"]
