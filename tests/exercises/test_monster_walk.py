"""Monster walk counter against the synthetic generator's ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor.dsp.resample import UniformResampler
from sensor.evaluation import match_one_to_one
from sensor.exercises.monster_walk import MonsterWalkCounter, MonsterWalkParams
from sensor.pipeline import PipelineConfig, analyze_samples
from sensor.synth import SimulationConfig, simulate
from tests.exercises.walk_helpers import CLEAN_GRID, GRID_HZ, clean_set, clean_set_errors, count


def monster():
    return MonsterWalkCounter(GRID_HZ)


def test_count_is_twice_the_strides_and_banded_reps_are_marked() -> None:
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=5, noise_scale=0, drop_rate=0))
    counter = MonsterWalkCounter(GRID_HZ)
    reps = count(lambda: counter, rec.samples)
    banded = [r for r in reps if r.leg == "banded"]
    assert banded and len(reps) == 2 * len(banded) == 2 * counter.strides
    assert [r.leg for r in reps] == ["banded", "other"] * len(banded)
    assert {r.direction for r in reps} == {rec.truth.sets[0].direction}


@pytest.mark.parametrize("scenario", ["still", "lying", "fidget"])
def test_no_steps_when_there_is_no_walk(scenario: str) -> None:
    for seed in (0, 1):
        rec = simulate(SimulationConfig(exercise=scenario, seed=seed, has_gyro=seed == 0, duration_s=40.0))
        assert count(monster, rec.samples) == []


def test_ordinary_walking_is_not_counted() -> None:
    # The thigh stays within a few degrees of its standing inclination.
    for seed in (0, 1):
        rec = simulate(SimulationConfig(exercise="walk-forward", seed=seed, has_gyro=seed == 0, duration_s=40.0))
        assert count(monster, rec.samples) == []


_CLEAN_ERRORS = clean_set_errors("monster-walk", lambda leg: MonsterWalkCounter(GRID_HZ, leg=leg))


def test_clean_sets_are_counted_exactly() -> None:
    # Measured: all 16 (15 before the squat gate's hysteresis: a person squatting
    # 15-16 deg dipped below 14 deg at the last valley, which ended the bout a stride early).
    assert _CLEAN_ERRORS == [0] * len(_CLEAN_ERRORS)


@pytest.mark.parametrize("seed, rate_hz, tempo_s", [(717, 25.0, 0.54), (728, 100.0, 0.56), (742, 52.0, 0.54)])
def test_a_first_stride_hidden_in_sinking_into_the_squat_is_counted(seed: int, rate_hz: float,
                                                                   tempo_s: float) -> None:
    # Its peak does not stand out of the descent, but the band already moves as in the strides
    # after it (10 of 12 steps counted without the power test).
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=seed, tempo_s=tempo_s, rate_hz=rate_hz,
                                    drop_rate=0.0))
    assert len(count(monster, rec.samples)) == rec.truth.count == 12
    quiet = MonsterWalkParams(opening_power_share=0.0)
    assert len(count(lambda: MonsterWalkCounter(GRID_HZ, quiet), rec.samples)) == 10


@pytest.mark.parametrize("seed, rate_hz, tempo_s", [(707, 100.0, 0.54), (759, 25.0, 0.58)])
def test_no_stride_is_found_before_a_walk_that_starts_at_the_bottom_of_the_squat(seed: int, rate_hz: float,
                                                                                 tempo_s: float) -> None:
    # The first step begins just before the peak that opens the bout, so the half stride before
    # that peak is as lively as a swing; but no foot landed before it (14 of 12 steps counted
    # when the power alone decided).
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=seed, tempo_s=tempo_s, rate_hz=rate_hz,
                                    drop_rate=0.0))
    assert len(count(monster, rec.samples)) == rec.truth.count == 12


def test_a_bout_that_opens_again_never_counts_a_stride_twice() -> None:
    # Without the squat gate's hysteresis this set's bout ends at its last valley and opens again at the
    # peak that ended a stride already counted; that stride must not come back as its opening one.
    seed, (rate_hz, leg, has_gyro, rotation_deg) = CLEAN_GRID[2]
    rec = clean_set("monster-walk", seed, rate_hz, leg, has_gyro, rotation_deg)
    strict = MonsterWalkParams(squat_hysteresis_deg=0.0)
    reps = count(lambda: MonsterWalkCounter(GRID_HZ, strict, leg=leg), rec.samples)
    starts = [r.start_s for r in reps]
    assert starts == sorted(starts) and len(reps) <= rec.truth.count



@pytest.mark.parametrize("seed, rate_hz, tempo_s", [(68, 52.0, 0.5), (158, 25.0, 0.52)])
def test_a_stride_that_ends_early_in_a_brisk_set_is_still_counted(seed: int, rate_hz: float, tempo_s: float) -> None:
    # Strides of about 1 s whose inclination peaks wander: one period measured under 0.8 s used to
    # end the bout (10 and 8 of 12 steps counted); it now waits for the next peak, and the two
    # periods together make two strides.
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=seed, tempo_s=tempo_s, rate_hz=rate_hz,
                                    drop_rate=0.0))
    assert analyze_samples(rec.samples, PipelineConfig(exercise="monster-walk")).count == rec.truth.count == 12

def test_a_first_stride_that_ends_early_still_counts() -> None:
    # The same wander right after the peak that opens a bout, before it has a period: the early
    # peak used to start the bout afresh, and the first stride (two steps) was lost.
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=24, tempo_s=0.54, rate_hz=25.0,
                                    drop_rate=0.0))
    assert analyze_samples(rec.samples, PipelineConfig(exercise="monster-walk")).count == rec.truth.count == 12


@pytest.mark.parametrize("seed, rate_hz, tempo_s", [(602, 100.0, 0.56), (612, 25.0, 0.52)])
def test_the_first_brisk_strides_after_sinking_into_the_squat_are_seen(seed: int, rate_hz: float,
                                                                     tempo_s: float) -> None:
    # Brisk strides swing the thigh 8-9 deg; sinking into the squat had raised the turning-point
    # hysteresis to 6 deg, which hid the first of them (10 and 8 of 12 steps counted).
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=seed, tempo_s=tempo_s, rate_hz=rate_hz,
                                    drop_rate=0.0))
    assert analyze_samples(rec.samples, PipelineConfig(exercise="monster-walk")).count == rec.truth.count == 12


def test_brisk_monster_walk_is_counted() -> None:
    # 0.6 s per step (100 steps a minute, strides of 1.2 s): measured 5 of 8 exact, the rest one
    # stride under (the first swings of a brisk set are small).
    errors = []
    for seed in range(8):
        rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=seed, tempo_s=0.6,
                                        noise_scale=0, drop_rate=0))
        errors.append(len(count(monster, rec.samples)) - rec.truth.count)
    assert sum(e == 0 for e in errors) >= 5
    assert all(-2 <= e <= 0 for e in errors)



def test_the_other_legs_step_is_never_reported_before_it_ends() -> None:
    # It is inferred half a stride after the banded leg's swing, which is confirmed first: walking
    # forward, that confirmation came up to 0.8 s before the other leg's step ended.
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=0, direction="forward", noise_scale=0,
                                    drop_rate=0))
    resampler, counter = UniformResampler(GRID_HZ), monster()
    live = [rep for block in rec.samples.split([10]) for grid in resampler.push(block) for rep in counter.push(grid)]
    reps = live + counter.finish()
    assert len(reps) == 2 * counter.strides == rec.truth.count
    others = [r for r in live if r.leg == "other"]
    assert len(others) >= counter.strides - 1
    assert all(r.emitted_at_s >= r.end_s for r in others)

def _walk_scores(direction: str) -> tuple[list[float], np.ndarray, float]:
    """Per set, the share of steps given ``direction``; per matched step, |start| and |end| error (s); leg agreement."""
    shares, errors, legs = [], [], []
    for k, seed in enumerate(range(600, 608)):
        leg = ("right", "left")[k % 2]
        rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=seed, direction=direction,
                                        rate_hz=(25.0, 52.0, 100.0)[k % 3], leg=leg, has_gyro=k % 4 < 2))
        reps = count(lambda: MonsterWalkCounter(GRID_HZ, leg=leg), rec.samples)
        shares.append(sum(r.direction == direction for r in reps) / max(1, len(reps)))
        for i, j in match_one_to_one(list(rec.truth.reps), reps):
            true, got = rec.truth.reps[i], reps[j]
            errors.append((abs(got.start_s - true.start_s), abs(got.end_s - true.end_s)))
            legs.append(true.leg == got.leg)
    return shares, np.array(errors), float(np.mean(legs))


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_direction_legs_and_step_boundaries_follow_the_swing(direction: str) -> None:
    # The banded swing is the half of the stride in which the band accelerates more: the rising
    # half walking forward, the falling half backward. Measured (noisy sets, 25-100 Hz, both
    # legs): every set told right (one backward set only from its third stride); boundaries
    # 0.06 / 0.04 s off at the median forward, 0.10 / 0.10 s backward; legs 100 % and 89 % right.
    # Taking the quicker half instead, as before, swapped the legs of most backward steps and put
    # their ends 0.2-0.4 s late.
    shares, errors, legs = _walk_scores(direction)
    assert min(shares) > 0.5 and np.mean(shares) >= 0.9
    assert np.all(np.median(errors, axis=0) <= (0.08 if direction == "forward" else 0.12))
    assert legs >= 0.85


def test_backward_monster_walk_is_counted() -> None:
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=12, seed=3, direction="backward",
                                    noise_scale=0, drop_rate=0))
    assert len(count(monster, rec.samples)) == rec.truth.count


def _delays(seed: int, direction: str | None = None) -> np.ndarray:
    """Emission minus end of each banded swing, s, fed in BLE-sized blocks."""
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=16, seed=seed, direction=direction, noise_scale=0,
                                    drop_rate=0))
    return np.array([r.emitted_at_s - r.end_s for r in count(monster, rec.samples, [10]) if r.leg == "banded"])


def test_strides_inside_a_walk_are_reported_within_about_a_second() -> None:
    # Walking forward, the stride that opens a bout waits for the next to confirm it (2.7-3.5 s);
    # later ones wait for the inclination to turn back after their peak (measured 0.5-1.2 s).
    for seed in (1, 2, 8):
        delays = _delays(seed, "forward")
        assert delays.size > 4 and np.all(delays[1:] <= 1.4)


def test_backward_strides_wait_for_the_stride_to_close() -> None:
    # Walking backward the banded swing opens the stride (the thigh extends in the air right
    # after the peak), and the stride is judged at its closing peak: measured 1.8-3.1 s after
    # the swing ended, later than forward but never before the swing.
    for seed in (1, 2, 8):
        delays = _delays(seed, "backward")
        assert delays.size > 4 and np.all(delays > 0.0) and np.all(delays[1:] <= 3.5)


@pytest.mark.xfail(reason="measured limitation: the stride opening a bout is reported 2.7-5.0 s late and "
                          "later ones 0.5-1.2 s (forward) or 1.8-3.1 s (backward) after the swing ends", strict=True)
def test_steps_are_reported_within_half_a_second() -> None:
    assert np.percentile(_delays(8), 95) <= 0.5


_SESSION = simulate(SimulationConfig(exercise="monster-walk", reps=8, sets=2, seed=11, rate_hz=52.0)).samples


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=1, max_size=4))
def test_steps_do_not_depend_on_how_the_stream_is_cut(sizes: list[int]) -> None:
    reference = [(r.start_s, r.end_s) for r in count(monster, _SESSION, [len(_SESSION)])]
    assert reference
    got = [(r.start_s, r.end_s) for r in count(monster, _SESSION, sizes)]
    np.testing.assert_allclose(got, reference, atol=1e-9)


def test_the_shorter_last_stride_of_a_set_is_counted() -> None:
    # The person stops: the first set's last stride swings the thigh only 4.2 deg before they rise.
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=7, sets=3, rate_hz=200.0, seed=1215, leg="left",
                                    mount_rotation_deg=16.4, mount_tilt_deg=3.9, noise_scale=0.75, drop_rate=0.15))
    result = analyze_samples(rec.samples, PipelineConfig(exercise="monster-walk", leg="left"))
    assert [s.count for s in result.sets] == [s.count for s in rec.truth.sets]


def test_a_brisk_stride_measured_short_does_not_break_the_walk() -> None:
    # Strides of 1.1 s from the sweep: the low-passed turning points put one of them at 0.88 s,
    # which broke the second set's opening bout when 0.9 s was the shortest stride.
    rec = simulate(SimulationConfig(exercise="monster-walk", reps=10, sets=3, rate_hz=25.0, seed=1264, leg="right",
                                    mount_rotation_deg=55.2, mount_tilt_deg=4.7, noise_scale=1.5, tempo_s=0.55,
                                    lead_in=True, fidget=False, drop_rate=0.02))
    result = analyze_samples(rec.samples, PipelineConfig(exercise="monster-walk", leg="right"))
    assert [s.count for s in result.sets] == [s.count for s in rec.truth.sets]
