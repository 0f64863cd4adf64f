"""The shipped demo recordings read back and agree with their truth sidecars."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from sensor.recording.v1 import read_recording
from sensor.synth.truth import read_truth

DEMOS = pathlib.Path(__file__).resolve().parents[2] / "recordings"


@pytest.mark.parametrize("exercise", ["clamshell", "lateral-walk", "monster-walk"])
def test_demo_recording_matches_its_sidecar(exercise: str) -> None:
    path = DEMOS / f"{exercise}-demo.csv"
    assert path.stat().st_size < 1_000_000
    rec = read_recording(path)
    truth = read_truth(path)
    assert rec.metadata["exercise"] == truth.exercise == exercise
    assert truth.rate_hz == 52.0 and abs(rec.rate_hz - 52.0) < 0.5
    assert rec.samples.gyro is not None and truth.has_gyro
    assert len(truth.sets) == 2 and truth.count == len(truth.reps) > 0
    assert truth.reps[-1].end_s < rec.duration_s
    # Still at the start: the accelerometer reads 1 g.
    assert np.median(np.linalg.norm(rec.samples.acc[:50], axis=1)) == pytest.approx(9.81, abs=0.4)
