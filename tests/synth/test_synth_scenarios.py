"""Sessions: determinism, options respected, truth consistent with itself and with the data."""

from __future__ import annotations

import numpy as np
import pytest

from sensor.errors import UsageError
from sensor.synth import DISTRACTORS, EXERCISES, SimulationConfig, simulate, simulate_session
from sensor.synth.truth import Truth


def _check_truth(truth: Truth, end_s: float) -> None:
    """Invariants every truth must satisfy."""
    assert truth.count == len(truth.reps) == sum(s.count for s in truth.sets)
    assert [s.index for s in truth.sets] == list(range(1, len(truth.sets) + 1))
    assert [r.index for r in truth.reps] == list(range(1, len(truth.reps) + 1))
    for s in truth.sets:
        members = truth.reps_of_set(s.index)
        assert len(members) == s.count
        assert members[0].start_s == s.start_s and members[-1].end_s == s.end_s
        assert all(s.start_s <= r.start_s < r.end_s <= s.end_s for r in members)
    starts = [r.start_s for r in truth.reps]
    assert starts == sorted(starts)
    # Sets are told apart by more than the 10 s set gap.
    for a, b in zip(truth.sets, truth.sets[1:]):
        assert b.start_s - a.end_s > 10.0
    assert 0.0 < truth.reps[0].start_s if truth.reps else True
    assert all(r.end_s < end_s for r in truth.reps)


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize("seed", [11, 12])
def test_truth_is_consistent(exercise: str, seed: int) -> None:
    rec = simulate(SimulationConfig(exercise=exercise, reps=5, sets=2, seed=seed))
    truth = rec.truth
    _check_truth(truth, rec.samples.end_s)
    assert len(truth.sets) == 2 and all(s.exercise == exercise for s in truth.sets)
    if exercise == "clamshell":
        assert truth.count == 10 and truth.strides is None
        for s in truth.sets:
            roms = [r.rom_deg for r in truth.reps_of_set(s.index)]
            median = np.median(roms)
            for r in truth.reps_of_set(s.index):
                assert r.partial == (r.rom_deg < 0.7 * median)
                assert r.start_s < r.peak_s < r.end_s
                assert r.open_s + r.close_s < r.end_s - r.start_s
    elif exercise == "lateral-walk":
        assert truth.count == 10
        assert all(r.direction in ("right", "left") for r in truth.reps)
        for s in truth.sets:
            runs = [r.direction for r in truth.reps_of_set(s.index)]
            assert s.direction == "+".join(d for i, d in enumerate(runs) if i == 0 or d != runs[i - 1])
    else:
        # 5 steps per set round up to 6.
        assert truth.count == 12 == 2 * truth.strides
        assert truth.strides == sum(r.leg == "banded" for r in truth.reps)
        for s in truth.sets:
            legs = [r.leg for r in truth.reps_of_set(s.index)]
            assert all(a != b for a, b in zip(legs, legs[1:]))
            assert s.strides == s.count // 2


@pytest.mark.parametrize("exercise", DISTRACTORS)
def test_distractors_count_zero_and_say_what_happened(exercise: str) -> None:
    rec = simulate(SimulationConfig(exercise=exercise, seed=3, duration_s=30.0))
    assert rec.truth.count == 0 and rec.truth.reps == () and rec.truth.sets == ()
    assert rec.truth.exercise == exercise and rec.metadata["exercise"] == "auto"
    kinds = {d.kind for d in rec.truth.distractors}
    expected = {"still": {"still"}, "lying": {"lie-down", "get-up"}, "walk-forward": {"walk", "turn"},
                "fidget": {"shuffle", "weight-shift", "band-adjust"}}[exercise]
    assert expected & kinds
    assert rec.samples.end_s >= 30.0


def test_same_seed_same_recording_other_seed_other_recording() -> None:
    config = SimulationConfig(exercise="lateral-walk", reps=4, seed=21)
    a, b = simulate(config), simulate(config)
    np.testing.assert_array_equal(a.samples.t, b.samples.t)
    np.testing.assert_array_equal(a.samples.acc, b.samples.acc)
    np.testing.assert_array_equal(a.samples.gyro, b.samples.gyro)
    assert a.truth == b.truth
    c = simulate(config.with_(seed=22))
    assert c.truth != a.truth


def test_fixing_one_knob_keeps_the_rest_of_the_person() -> None:
    base = SimulationConfig(exercise="clamshell", reps=4, seed=5)
    a, b = simulate(base), simulate(base.with_(mount_rotation_deg=90.0))
    assert b.truth.mount["rotation_deg"] == 90.0
    assert [r.start_s for r in a.truth.reps] == [r.start_s for r in b.truth.reps]


@pytest.mark.parametrize("rate", [25.0, 52.0, 200.0])
def test_sample_rate_is_respected(rate: float) -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=2, rate_hz=rate, seed=1, drop_rate=0.0, lead_in=False))
    t = rec.samples.t
    # The band's clock may run up to 0.5 % off nominal.
    assert (t[-1] - t[0]) / (len(t) - 1) == pytest.approx(1.0 / rate, rel=0.006)
    assert np.diff(t).min() > 0.0 and t[0] == 0.0
    assert rec.metadata["rate_hz"] == rate == rec.truth.rate_hz


def test_without_gyro_there_are_no_gyro_samples() -> None:
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=4, seed=2, has_gyro=False))
    assert rec.samples.gyro is None
    assert rec.truth.has_gyro is False and rec.metadata["has_gyro"] is False


def test_dropped_packets_leave_gaps() -> None:
    config = SimulationConfig(exercise="clamshell", reps=4, seed=4, drop_rate=0.2, lead_in=False)
    lossy, clean = simulate(config), simulate(config.with_(drop_rate=0.0))
    assert len(lossy.samples) < 0.9 * len(clean.samples)
    assert np.diff(lossy.samples.t).max() > 5.0 / config.rate_hz
    # The samples that arrived are the same samples.
    kept = np.isin(np.round(clean.samples.t, 6), np.round(lossy.samples.t, 6))
    assert kept.sum() == len(lossy.samples)


def test_left_leg_is_recorded_as_such() -> None:
    rec = simulate(SimulationConfig(exercise="lateral-walk", reps=3, seed=2, leg="left", direction="left"))
    assert rec.truth.leg == "left" == rec.metadata["leg"]
    assert {r.direction for r in rec.truth.reps} == {"left"}


def test_mixed_session_keeps_set_order_and_numbering() -> None:
    segments = [
        SimulationConfig(exercise="lateral-walk", reps=4, sets=2),
        SimulationConfig(exercise="fidget", duration_s=15.0),
        SimulationConfig(exercise="clamshell", reps=3),
        SimulationConfig(exercise="monster-walk", reps=4),
    ]
    rec = simulate_session(segments, seed=8)
    truth = rec.truth
    _check_truth(truth, rec.samples.end_s)
    assert truth.exercise == "mixed" and rec.metadata["exercise"] == "auto"
    assert [s.exercise for s in truth.sets] == ["lateral-walk", "lateral-walk", "clamshell", "monster-walk"]
    assert truth.count == 4 + 4 + 3 + 4 and truth.strides == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"rate_hz": 300.0}, "rate"),
        ({"rate_hz": 20.0}, "rate"),
        ({"reps": 0}, "reps"),
        ({"sets": 5}, "sets"),
        ({"leg": "middle"}, "leg"),
        ({"exercise": "squat"}, "unknown exercise"),
        ({"direction": "forward"}, "direction"),
        ({"rest_s": 5.0}, "rest_s"),
    ],
)
def test_bad_settings_are_usage_errors(changes: dict, message: str) -> None:
    settings = {"exercise": "clamshell", **changes}
    with pytest.raises(UsageError, match=message):
        SimulationConfig(**settings)


def test_a_negative_seed_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="seed must be a whole number from 0 up, got -1"):
        simulate(SimulationConfig(exercise="clamshell", reps=2, seed=-1))
    with pytest.raises(UsageError, match="seed"):
        simulate_session([SimulationConfig(exercise="clamshell", reps=2)], seed=-3)
