"""Keyframe trajectories are smooth and hit their knots."""

from __future__ import annotations

import numpy as np
import pytest

from sensor.synth.trajectory import MIN_JERK_TAU90, MotionScript, min_jerk_fraction


def test_min_jerk_tau90_is_where_90_percent_is_covered() -> None:
    assert min_jerk_fraction(MIN_JERK_TAU90) == pytest.approx(0.9, abs=1e-6)
    np.testing.assert_allclose(min_jerk_fraction([0.0, 0.5, 1.0]), [0.0, 0.5, 1.0])


def test_script_hits_knots_holds_between_moves_and_is_twice_differentiable() -> None:
    script = MotionScript({"x": 0.0, "y": 1.0})
    script.move(1.0, 2.0, x=3.0)
    script.move(2.0, 3.0, velocity={"x": 2.0}, x=4.0)
    script.move(3.0, 4.0, x=6.0)
    script.move(6.0, 7.0, x=0.0, y=2.0)
    motion = script.freeze()
    t = np.array([0.5, 1.0, 2.0, 3.0, 4.0, 5.5, 7.0, 9.0])
    np.testing.assert_allclose(motion.channels["x"](t), [0, 0, 3, 4, 6, 6, 0, 0], atol=1e-12)
    # y holds until its move starts rather than drifting from t = 0.
    assert motion.channels["y"](np.array([5.9]))[0] == 1.0
    h = 1e-4
    fine = np.arange(0.0, 8.0, h)
    x = motion.channels["x"](fine)
    v = np.gradient(x, h)
    a = np.gradient(v, h)
    # Velocity at the knot at t = 3 s is the requested 2 /s; no jumps in velocity or acceleration.
    assert v[int(round(3.0 / h))] == pytest.approx(2.0, abs=1e-3)
    assert np.abs(np.diff(v)).max() < 1e-2
    assert np.abs(np.diff(a)).max() < 1.0
    assert motion.end_s == 7.0


def test_overlapping_moves_of_one_channel_are_refused() -> None:
    script = MotionScript({"x": 0.0})
    script.move(0.0, 2.0, x=1.0)
    with pytest.raises(ValueError, match="overlaps"):
        script.move(1.0, 3.0, x=2.0)
    with pytest.raises(ValueError, match="unknown channel"):
        script.move(3.0, 4.0, z=1.0)
    with pytest.raises(ValueError, match="end after"):
        script.move(3.0, 3.0, x=1.0)
