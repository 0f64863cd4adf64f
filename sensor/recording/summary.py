"""A short description of a recording: what a user wants to know before analysing it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sensor.dsp.resample import holes
from sensor.recording.v1 import Recording
from sensor.synth.truth import read_truth, truth_path_for


@dataclass(frozen=True)
class RecordingSummary:
    """Facts about one recording.

    Attributes
    ----------
    file : str
        Path of the recording.
    band, exercise, leg : str or None
        From the metadata line (None for a plain CSV).
    samples : int
        Number of samples.
    duration_s : float
        Time from first to last sample, s.
    rate_hz : float
        Median sample rate, Hz.
    has_gyro : bool
        Whether gyroscope columns are present.
    gaps : int
        Sample intervals longer than three nominal steps (dropped packets).
    missing_s : float
        Time inside those gaps beyond one nominal step each, s.
    acc_norm_median_ms2 : float
        Median norm of the accelerometer, m/s² (about 9.81 for a sane band).
    events : dict
        Count of recorded events by kind.
    truth_count : int or None
        Count from the ``NAME.truth.json`` sidecar, when there is one.
    """

    file: str
    band: str | None
    exercise: str | None
    leg: str | None
    samples: int
    duration_s: float
    rate_hz: float
    has_gyro: bool
    gaps: int
    missing_s: float
    acc_norm_median_ms2: float
    events: dict[str, int]
    truth_count: int | None

    def to_json_dict(self) -> dict[str, Any]:
        """Return the summary as a JSON-serialisable dict (keys that do not apply left out)."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def summarize_recording(recording: Recording) -> RecordingSummary:
    """Describe a recording read by :func:`sensor.recording.read_recording`."""
    samples = recording.samples
    steps = np.diff(samples.t)
    rate_hz = recording.rate_hz
    gaps, missing_s = holes(steps, np.ones(len(steps)), 1.0 / rate_hz) if len(steps) else (0, 0.0)
    events: dict[str, int] = {}
    for event in recording.events:
        events[event.kind] = events.get(event.kind, 0) + 1
    sidecar = truth_path_for(recording.path)
    truth_count = read_truth(sidecar).count if sidecar.exists() else None
    meta = recording.metadata
    return RecordingSummary(
        file=str(recording.path),
        band=meta.get("band"),
        exercise=meta.get("exercise"),
        leg=meta.get("leg"),
        samples=len(samples),
        duration_s=round(recording.duration_s, 3),
        rate_hz=round(rate_hz, 2) if len(samples) > 1 else 0.0,
        has_gyro=samples.has_gyro,
        gaps=gaps,
        missing_s=round(missing_s, 3),
        acc_norm_median_ms2=round(float(np.median(np.linalg.norm(samples.acc, axis=1))), 3)
        if len(samples)
        else 0.0,
        events=events,
        truth_count=truth_count,
    )
