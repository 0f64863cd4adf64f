"""Thigh axis and standing posture from gravity directions."""

from __future__ import annotations

import numpy as np

from sensor.exercises.posture import ThighPosture, angle_deg

RATE_HZ = 25.0


def _tilted(deg: float) -> np.ndarray:
    """Gravity direction inclined ``deg`` from the band's +x axis towards +y."""
    a = np.radians(deg)
    return np.array([np.cos(a), np.sin(a), 0.0])


def _hold(posture: ThighPosture, start_s: float, seconds: float, direction: np.ndarray) -> float:
    n = int(seconds * RATE_HZ)
    t = start_s + np.arange(n) / RATE_HZ
    u = np.repeat(direction[None], n, axis=0)
    posture.axis_codes(u)
    posture.observe(t, u)
    return float(t[-1]) + 1 / RATE_HZ


def _move(posture: ThighPosture, start_s: float, frm: np.ndarray, to: np.ndarray, seconds: float = 1.0) -> float:
    n = int(seconds * RATE_HZ)
    t = start_s + np.arange(n) / RATE_HZ
    w = np.linspace(0.0, 1.0, n)[:, None]
    u = (1 - w) * frm + w * to
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    posture.axis_codes(u)
    posture.observe(t, u)
    return float(t[-1]) + 1 / RATE_HZ


def test_the_stand_is_the_still_posture_nearest_the_thigh_axis_even_after_a_pause_in_the_squat() -> None:
    posture = ThighPosture(RATE_HZ)
    stand, squat = _tilted(8.0), _tilted(35.0)
    t = _hold(posture, 0.0, 3.0, stand)
    t = _move(posture, t, stand, squat)
    t = _hold(posture, t, 2.0, squat)  # a pause in the squat is a still posture too
    t = _move(posture, t, squat, _tilted(30.0))
    reference = posture.standing(t, 1.0)
    assert reference is not None and angle_deg(reference, stand) < 0.5


def test_sitting_never_serves_as_the_stand() -> None:
    posture = ThighPosture(RATE_HZ)
    sitting = _tilted(85.0)
    t = _hold(posture, 0.0, 3.0, np.array([1.0, 0.0, 0.0]))  # the axis is learnt standing
    t = _move(posture, t, np.array([1.0, 0.0, 0.0]), sitting)
    t = _hold(posture, t, 3.0, sitting)
    assert angle_deg(posture.standing(t, 1.0), np.array([1.0, 0.0, 0.0])) < 0.5  # type: ignore[arg-type]
    assert posture.standing(t + 200.0, 1.0) is None  # forgotten after the look-back


def test_the_thigh_axis_is_held_while_the_thigh_is_inclined() -> None:
    posture = ThighPosture(RATE_HZ)
    u = np.array([_tilted(d) for d in (5.0, 20.0, 50.0, 60.0)])
    # Beyond 45 deg +y is nearer than +x, but the thigh axis stays +x.
    assert posture.axis_codes(u).tolist() == [1.0, 1.0, 1.0, 1.0]


def test_a_moment_keeps_its_stand_however_many_still_spells_were_seen_after_it() -> None:
    # A counter observes a whole block before asking about moments inside it: the stand must not
    # be pushed out by the block's later still spells, or results would depend on the block size.
    posture = ThighPosture(RATE_HZ)
    stand, squat, deeper = _tilted(5.0), _tilted(30.0), _tilted(40.0)
    t = _hold(posture, 0.0, 3.0, stand)
    asked_s = t
    t = _move(posture, t, stand, squat)
    for _ in range(20):
        t = _hold(posture, t, 1.0, squat)
        t = _move(posture, t, squat, deeper, 0.5)
        t = _hold(posture, t, 1.0, deeper)
        t = _move(posture, t, deeper, squat, 0.5)
    reference = posture.standing(asked_s, 1.0)
    assert reference is not None and angle_deg(reference, stand) < 0.5
