"""Lateral band walk counter against the synthetic generator's ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor.dsp.resample import UniformResampler
from sensor.evaluation import match_one_to_one
from sensor.exercises.lateral_walk import LateralWalkCounter, LateralWalkParams
from sensor.exercises.thigh_swing import SwingDetector
from sensor.synth import SimulationConfig, simulate, simulate_session
from sensor.types import SampleBlock
from tests.exercises.walk_helpers import GRID_HZ, clean_set, clean_set_errors, count


def lateral(leg: str = "right"):
    return lambda: LateralWalkCounter(GRID_HZ, leg=leg)


_CLEAN_ERRORS = clean_set_errors("lateral-walk", lambda leg: LateralWalkCounter(GRID_HZ, leg=leg))


def test_most_clean_sets_are_counted_exactly() -> None:
    # Measured: 11 of the 16 clean sets exact; the misses are people whose loops are small or mixed.
    assert sum(e == 0 for e in _CLEAN_ERRORS) >= 11


def test_every_clean_set_is_within_one_step() -> None:
    assert all(abs(e) <= 1 for e in _CLEAN_ERRORS)


@pytest.mark.parametrize("seed, rate_hz, leg, has_gyro", [(16, 100, "right", True), (30, 200, "left", False)])
def test_clean_set_is_counted_exactly_at_other_band_rates(seed: int, rate_hz: float, leg: str, has_gyro: bool) -> None:
    rec = clean_set("lateral-walk", seed, rate_hz, leg, has_gyro)
    assert len(count(lateral(leg), rec.samples)) == rec.truth.count


@pytest.mark.parametrize("has_gyro", [True, False])
def test_direction_of_counted_steps_matches_truth(has_gyro: bool) -> None:
    # With a gyroscope the direction comes from the thigh's fast turn about the forward axis,
    # without one from the sense of its loop; both legs, both travel directions, random mounts.
    right = wrong = 0
    travelled: set[str] = set()
    for seed, leg in ((0, "right"), (1, "left"), (2, "right"), (3, "left")):
        rec = simulate(SimulationConfig(exercise="lateral-walk", reps=10, seed=seed, leg=leg, has_gyro=has_gyro,
                                        noise_scale=0, drop_rate=0))
        for rep in count(lateral(leg), rec.samples):
            truth = min(rec.truth.reps, key=lambda r: abs(r.start_s - rep.start_s))
            if abs(truth.start_s - rep.start_s) < 0.5:
                travelled.add(str(truth.direction))
                right += rep.direction == truth.direction
                wrong += rep.direction != truth.direction
    assert travelled == {"right", "left"}
    assert right >= 20 and wrong == 0


def _side_steps_by_hand(travel: str, lift_while: str, rate_hz: float = 100.0) -> SampleBlock:
    """Standing, a squat, then side-step cycles of the banded thigh, built by hand (not by the generator).

    Band frame: +z up the thigh, +y forward, +x to the person's right. Each
    1.2 s cycle moves the knee 15 deg towards ``travel`` in 0.35 s and back
    over the rest; the hip flexes 5 deg more while the knee moves ``fast``
    or ``slow`` (which sets the sense of the loop), and the foot lands
    (a 40 ms shock of 6 m/s²) when the fast move ends.
    """
    t = np.arange(0.0, 16.0, 1 / rate_hz)
    period, fast = 1.2, 0.35
    walking = t >= 4.0
    phase = np.where(walking, (t - 4.0) % period, 0.0)
    out = 0.5 - 0.5 * np.cos(np.pi * np.clip(phase / fast, 0.0, 1.0))
    back = 0.5 + 0.5 * np.cos(np.pi * np.clip((phase - fast) / (period - fast), 0.0, 1.0))
    sign = 1.0 if travel == "right" else -1.0
    knee_right = sign * np.radians(15.0) * np.where(phase < fast, out, back) * walking
    moving = phase < fast if lift_while == "fast" else phase >= fast
    span = (0.0, fast) if lift_while == "fast" else (fast, period)
    lift = np.sin(np.pi * np.clip((phase - span[0]) / (span[1] - span[0]), 0.0, 1.0)) * moving * walking
    flexion = np.radians(20.0) * np.clip(t - 2.0, 0.0, 1.0) + np.radians(5.0) * lift
    # The knee moving forward inclines gravity towards +y, moving right towards +x.
    up = np.column_stack((np.sin(knee_right) * np.cos(flexion), np.sin(flexion), np.cos(knee_right) * np.cos(flexion)))
    acc = 9.81 * up
    acc[walking & (phase >= fast) & (phase < fast + 0.04), 2] += 6.0
    # Knee right is a negative turn about the forward axis (+y), knee forward a positive one about +x.
    gyro = np.column_stack((np.gradient(flexion, t), -np.gradient(knee_right, t), np.zeros_like(t)))
    return SampleBlock(t=t, acc=acc, gyro=np.degrees(gyro))


@pytest.mark.parametrize("lift_while", ["fast", "slow"])
@pytest.mark.parametrize("travel", ["right", "left"])
def test_with_a_gyroscope_the_direction_is_where_the_knee_moves_fast(travel: str, lift_while: str) -> None:
    # A side step's free leg moves fast in the travel direction and the thigh tilts back slowly as
    # the pelvis follows, whichever way the loop turns.
    counted = count(lateral(), _side_steps_by_hand(travel, lift_while))
    assert len(counted) >= 6
    assert {rep.direction for rep in counted} == {travel}

def test_step_boundaries_are_within_a_tenth_of_a_second_of_the_thighs_swing() -> None:
    starts: list[float] = []
    ends: list[float] = []
    cases = ((40, 25.0, "right", True), (41, 52.0, "left", False), (42, 100.0, "right", False))
    for seed, rate_hz, leg, has_gyro in cases:
        rec = clean_set("lateral-walk", seed, rate_hz, leg, has_gyro)
        for rep in count(lateral(leg), rec.samples):
            truth = min(rec.truth.reps, key=lambda r: abs(r.start_s + r.end_s - rep.start_s - rep.end_s))
            starts.append(rep.start_s - truth.start_s)
            ends.append(rep.end_s - truth.end_s)
    assert len(starts) >= 27
    # Measured on the accuracy sweep: median |error| 0.06 s (start) and 0.08 s (end); the burst
    # edges without the filters' delay taken off were 0.30 s late at the end.
    assert np.median(np.abs(starts)) <= 0.1 and np.median(np.abs(ends)) <= 0.1
    assert abs(np.median(ends)) <= 0.1


@pytest.mark.parametrize("scenario", ["still", "lying"])
def test_no_steps_when_there_is_no_walk(scenario: str) -> None:
    # Lying down swings the thigh through a posture far from a step's; 16 people lying down.
    for seed in range(16 if scenario == "lying" else 2):
        rec = simulate(SimulationConfig(exercise=scenario, seed=seed, has_gyro=seed == 0, duration_s=40.0))
        assert count(lateral(), rec.samples) == []


@pytest.mark.parametrize("has_gyro", [False, True])
def test_no_steps_when_fidgeting(has_gyro: bool) -> None:
    # Before the swings opening a walk had to land a foot, these gave 2-4 steps in 8 of 12
    # recordings (bending down to the band).
    for seed in range(6):
        rec = simulate(SimulationConfig(exercise="fidget", seed=seed, duration_s=40.0, has_gyro=has_gyro))
        assert count(lateral(), rec.samples) == []


@pytest.mark.xfail(reason="measured limitation: without a gyroscope the counter alone gives 19-35 steps in "
                          "40 s of forward walking (under auto the pipeline's whole-set test rejects such walks)",
                   strict=False)
def test_no_steps_when_walking_forward_without_a_gyroscope() -> None:
    rec = simulate(SimulationConfig(exercise="walk-forward", seed=0, duration_s=40.0, has_gyro=False))
    assert count(lateral(), rec.samples) == []


@pytest.mark.parametrize("seed", range(6))
def test_with_a_gyroscope_forward_strides_are_not_steps(seed: int) -> None:
    # Strides turn the thigh twice as fast as side steps do. Turning round on the spot between the
    # walks (small shuffling steps) still gives 0-8 steps in these recordings: a known limitation.
    rec = simulate(SimulationConfig(exercise="walk-forward", seed=seed, duration_s=40.0, has_gyro=True))
    walking = [(d.start_s, d.end_s) for d in rec.truth.distractors if d.kind == "walk"]
    steps = count(lateral(), rec.samples)
    assert walking and not [r for r in steps if any(a < (r.start_s + r.end_s) / 2 < b for a, b in walking)]


def test_bending_down_to_the_band_between_sets_is_not_counted() -> None:
    # Measured with the counter alone: in these 9 sessions (6 with band adjustments) 8 steps fell
    # in band adjustments before swings opening a walk had to land a foot; over seeds 0-59, 34 → 6.
    counted = 0
    for seed in range(50, 59):
        rec = simulate(SimulationConfig(exercise="lateral-walk", reps=8, sets=3, seed=seed, fidget=True, drop_rate=0))
        adjusting = [(d.start_s - 0.3, d.end_s + 0.3) for d in rec.truth.distractors if d.kind == "band-adjust"]
        steps = count(lateral(), rec.samples)
        counted += sum(any(a < (r.start_s + r.end_s) / 2 < b for a, b in adjusting) for r in steps)
    assert counted == 0


def test_a_gap_invents_no_steps() -> None:
    s = simulate(SimulationConfig(exercise="still", seed=3, duration_s=30.0)).samples
    holed = SampleBlock.concat([s.between(0.0, 10.0), s.between(12.0, 30.0)])
    assert count(lateral(), holed) == []


def test_steps_of_a_walk_in_rhythm_are_reported_within_half_a_second() -> None:
    settled, opening = [], []
    for seed in range(3):
        rec = simulate(SimulationConfig(exercise="lateral-walk", reps=12, seed=seed, noise_scale=0, drop_rate=0))
        reps = count(lateral(), rec.samples, [10])
        for t, c in match_one_to_one(rec.truth.reps, reps):
            (settled if t >= 4 else opening).append(reps[c].emitted_at_s - rec.truth.reps[t].end_s)
    # Measured from the true end of each step: from the fifth step on (three periods settle the rhythm)
    # 0.18-0.60 s, median 0.36; the first step waits for the second (1.8-2.1 s).
    assert len(settled) == 24
    assert np.median(settled) <= 0.5 and max(settled) <= 0.8
    assert max(opening) <= 2.5


_SESSIONS = {
    "one set": simulate(SimulationConfig(exercise="lateral-walk", reps=6, seed=4, rate_hz=52, lead_in=False)).samples,
    # Long enough that one push holds many bursts, some still rising when the next one peaks.
    "two sets": simulate(SimulationConfig(exercise="lateral-walk", reps=10, sets=2, seed=0, rate_hz=52)).samples,
    # Brisk cycles: two bursts within the refractory gap are kept apart at a dip between them.
    "a brisk set": simulate(SimulationConfig(exercise="lateral-walk", reps=12, seed=2, rate_hz=52, tempo_s=0.72)).samples,
    # 15 % of packets lost: a step is inferred inside a hole, from the bridged samples before a swing.
    "packet loss": simulate(SimulationConfig(exercise="lateral-walk", reps=11, seed=716, rate_hz=25.0,
                                             has_gyro=False, drop_rate=0.15, mount_rotation_deg=252.0,
                                             noise_scale=1.45, lead_in=False, fidget=False)).samples,
    # Walking strides (not steps, with a gyroscope) before a set: the bouts used up unreported.
    "walk, then a set": simulate_session(
        [SimulationConfig(exercise="walk-forward", duration_s=20.0, rate_hz=52, has_gyro=True),
         SimulationConfig(exercise="lateral-walk", reps=8)], seed=3
    ).samples,
}


@pytest.mark.parametrize("session", list(_SESSIONS))
@settings(max_examples=12, deadline=None)
@given(sizes=st.lists(st.integers(1, 60), min_size=1, max_size=4))
def test_steps_do_not_depend_on_how_the_stream_is_cut(session: str, sizes: list[int]) -> None:
    samples = _SESSIONS[session]
    reference = [(r.start_s, r.end_s, r.direction) for r in count(lateral(), samples, [len(samples)])]
    assert reference
    got = [(r.start_s, r.end_s, r.direction) for r in count(lateral(), samples, sizes)]
    assert [g[2] for g in got] == [r[2] for r in reference]
    np.testing.assert_allclose([g[:2] for g in got], [r[:2] for r in reference], atol=1e-9)


@pytest.mark.parametrize("seed, leg", [(9, "right"), (11, "right"), (26, "left")])
def test_the_opening_cycle_of_a_walk_is_counted(seed: int, leg: str) -> None:
    # These sets open with a swing much larger than the next ones (or followed by a small loop), which
    # restarted the unconfirmed bout and lost the first cycle; the look-back recovers it.
    rec = simulate(SimulationConfig(exercise="lateral-walk", reps=10, seed=seed, leg=leg, noise_scale=0, drop_rate=0))
    first = rec.truth.reps[0]
    opening = [r for r in count(lateral(leg), rec.samples) if r.start_s < first.end_s and r.end_s > first.start_s]
    assert [r.direction for r in opening] == [first.direction]


@pytest.mark.parametrize("seed, leg", [(0, "left"), (5, "left"), (10, "right")])
def test_sets_whose_opening_swings_broke_the_rhythm_are_counted_exactly(seed: int, leg: str) -> None:
    # Measured without the look-back: -2, -1 and -1 (the opening swings of the walk were dropped).
    rec = simulate(SimulationConfig(exercise="lateral-walk", reps=10, seed=seed, leg=leg, noise_scale=0, drop_rate=0))
    assert len(count(lateral(leg), rec.samples)) == rec.truth.count


def _swing_loops(periods_s: list[float], rate_hz: float = 25.0, swing_s: float = 0.35) -> SampleBlock:
    """Still standing, then one swing per period: the gravity direction traces a loop out and back.

    Each loop is an ellipse through the standing direction, 0.3 rad out and
    0.2 rad across (a swing sweeps a loop; the module notes), taking ``swing_s``.
    """
    starts = 3.0 + np.concatenate(([0.0], np.cumsum(periods_s[:-1])))
    t = np.arange(0.0, starts[-1] + periods_s[-1] + 3.0, 1.0 / rate_hz)
    out, across = np.zeros_like(t), np.zeros_like(t)
    for t0 in starts:
        inside = (t >= t0) & (t < t0 + swing_s)
        phase = 2.0 * np.pi * (t[inside] - t0) / swing_s
        out[inside] = 0.3 * (1.0 - np.cos(phase)) / 2.0
        across[inside] = 0.2 * np.sin(phase) / 2.0
    direction = np.column_stack((out, across, np.ones_like(t)))
    return SampleBlock(t=t, acc=9.81 * direction / np.linalg.norm(direction, axis=1, keepdims=True), gyro=None)


def test_a_brisk_walk_with_uneven_cycles_is_not_halved() -> None:
    # Cycles of 0.66 and 0.78 s in turn: before a bout has a period, the 0.7 s refractory gap
    # merged every short cycle with the next (6 of 12 counted); the signal's own rhythm keeps them apart.
    reps = count(lateral(), _swing_loops([0.66, 0.78] * 6))
    assert 10 <= len(reps) <= 12


@pytest.mark.parametrize("period_s", [0.6, 0.65])
def test_brisk_swings_apart_within_the_refractory_gap_are_two_steps(period_s: float) -> None:
    # Cycles shorter than the 0.7 s refractory gap whose rhythm the signal's autocorrelation does not
    # catch: the thigh stops between swings, and that dip keeps them apart (6 of 12 counted without it).
    reps = count(lateral(), _swing_loops([period_s] * 12))
    assert 11 <= len(reps) <= 12


def test_steps_never_overlap() -> None:
    # Two bursts that do not die down to half height between their peaks are split at the lowest
    # point between them; seed 0 once gave a step that began before the one it followed.
    for seed in range(4):
        rec = simulate(SimulationConfig(exercise="lateral-walk", reps=8, sets=2, seed=seed))
        reps = sorted(count(lateral(), rec.samples), key=lambda r: r.start_s)
        assert len(reps) >= 12
        assert all(a.end_s <= b.start_s for a, b in zip(reps, reps[1:])), [(r.start_s, r.end_s) for r in reps]


@pytest.mark.parametrize("seed, has_gyro", [(2, False), (11, True)])
def test_a_walk_with_packet_loss_goes_on_past_its_holes(seed: int, has_gyro: bool) -> None:
    # Brisk side steps with 15 % of packets lost. A straight line across a hole holds one instant of the
    # swing's acceleration, which used to tilt the gravity direction past the 35 deg that marks lying
    # down and end the walk: these two sets counted 18 and 10 of their 32 steps, now 27 and 22 (the
    # rest are swings inside holes, or merged at this tempo).
    rec = simulate(SimulationConfig(exercise="lateral-walk", reps=16, sets=2, seed=seed, rate_hz=100.0,
                                    has_gyro=has_gyro, noise_scale=1.0, drop_rate=0.15, tempo_s=0.72,
                                    lead_in=True, fidget=True))
    assert rec.truth.count == 32
    assert len(count(lateral(), rec.samples)) >= 20


@pytest.mark.parametrize("config", [
    SimulationConfig(exercise="lateral-walk", seed=517, rate_hz=52.0, leg="left", has_gyro=True, reps=13,
                     drop_rate=0.05, mount_rotation_deg=84.0, noise_scale=0.72, lead_in=False, fidget=True),
    SimulationConfig(exercise="lateral-walk", seed=716, rate_hz=25.0, leg="right", has_gyro=False, reps=11,
                     drop_rate=0.15, mount_rotation_deg=252.0, noise_scale=1.45, lead_in=False, fidget=False),
    SimulationConfig(exercise="lateral-walk", seed=754, rate_hz=100.0, leg="right", has_gyro=True, reps=11,
                     drop_rate=0.05, mount_rotation_deg=343.0, noise_scale=0.81, lead_in=False, fidget=True),
], ids=["52Hz-gyro", "25Hz", "100Hz-gyro"])
def test_a_step_whose_data_a_lost_packet_took_is_counted(config: SimulationConfig) -> None:
    # In each of these sets a swing fell into a hole of the data (one in the first and last, two in the
    # second): the steps either side are two cycles apart and the hole covers over half of where the
    # rhythm puts the missed swing. Without that inference the sets count 12, 9 and 10.
    rec = simulate(config)
    resampler, counter = UniformResampler(GRID_HZ, max_gap_s=1.5), LateralWalkCounter(GRID_HZ, leg=config.leg)
    steps = [r for block in rec.samples.split([20]) for grid in resampler.push(block) for r in counter.push(grid)]
    assert len(steps + counter.finish()) == rec.truth.count


def test_lying_down_with_packet_loss_is_still_no_walk() -> None:
    # Samples bridged across holes do not count towards a swing's excursion, but lying down still
    # tilts the samples between the holes far past a step's.
    for seed in (0, 3, 7):
        rec = simulate(SimulationConfig(exercise="lying", seed=seed, has_gyro=seed % 2 == 0, duration_s=60.0,
                                        drop_rate=0.15))
        assert count(lateral(), rec.samples) == []


@pytest.mark.parametrize("has_gyro", [True, False])
def test_a_side_step_turns_the_thigh_little_about_the_vertical(has_gyro: bool) -> None:
    # The turn is measured from the gyroscope about gravity: side steps stay far below the 45 deg
    # that marks turning round; without a gyroscope it is not measured at all.
    rec = simulate(SimulationConfig(exercise="lateral-walk", reps=10, seed=2, has_gyro=has_gyro, noise_scale=0,
                                    drop_rate=0))
    detector, resampler = SwingDetector(GRID_HZ, LateralWalkParams().swing), UniformResampler(GRID_HZ)
    seen = [swing for block in rec.samples.split([20]) for grid in resampler.push(block) for swing in detector.push(grid)]
    seen += detector.finish()
    assert len(seen) >= 9
    turns = np.array([s.turn_deg for s in seen])
    # Nor do they turn it as fast as walking strides (about 100 deg/s; 70 marks ordinary walking).
    rates = np.array([s.rate_dps for s in seen])
    if has_gyro:
        assert np.all(turns > 0.0) and np.all(turns < 20.0)
        assert np.all(rates > 5.0) and np.median(rates) < 50.0
    else:
        assert np.all(turns == 0.0) and np.all(rates == 0.0)
