"""Clamshell counter against the synthetic generator's ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor.dsp.resample import UniformResampler
from sensor.exercises.base import Rep
from sensor.exercises.clamshell import ClamshellCounter, ClamshellParams
from sensor.pipeline import PipelineConfig, analyze_samples
from sensor.synth import SimulationConfig, simulate
from sensor.types import SampleBlock

GRID_HZ = 25.0


def count(samples: SampleBlock, sizes: list[int] | None = None) -> list[Rep]:
    resampler, counter = UniformResampler(GRID_HZ), ClamshellCounter(GRID_HZ)
    reps: list[Rep] = []
    for block in samples.split(sizes or [20]):
        for grid in resampler.push(block):
            reps += counter.push(grid)
    return reps + counter.finish()


@pytest.mark.parametrize(
    "seed, rate_hz, has_gyro, leg",
    [(0, 25, True, "right"), (1, 52, False, "left"), (2, 100, True, "left"), (3, 200, False, "right")],
)
def test_clean_set_is_counted_exactly_with_rom_close_to_truth(seed, rate_hz, has_gyro, leg) -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=8, seed=seed, rate_hz=rate_hz,
                                    has_gyro=has_gyro, leg=leg, noise_scale=0, drop_rate=0))
    reps = count(rec.samples)
    assert len(reps) == rec.truth.count
    rom_error = [abs(r.rom_deg - t.rom_deg) for r, t in zip(reps, rec.truth.reps)]
    assert np.median(rom_error) <= 5.0
    for rep, truth in zip(reps, rec.truth.reps):
        assert truth.start_s - 0.5 <= rep.peak_s <= truth.end_s + 0.5
        assert rep.open_s > 0 and rep.close_s > 0 and rep.hold_s >= 0


@pytest.mark.parametrize("seed", [2, 3])
def test_realistic_two_set_session_is_counted_exactly(seed: int) -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=10, sets=2, seed=seed))
    assert len(count(rec.samples)) == rec.truth.count


@pytest.mark.parametrize("seed", [0, 5, 11])
def test_every_set_of_a_session_with_fidgeting_rests_is_counted_exactly(seed: int) -> None:
    # The rests hold shifts of position, so each set may start from a new closed
    # posture; 4096-sample blocks are what batch analysis pushes.
    rec = simulate(SimulationConfig(exercise="clamshell", reps=6, sets=3, seed=seed, fidget=True,
                                    has_gyro=seed % 2 == 0))
    reps = count(rec.samples, [4096])
    per_set = [sum(s.start_s - 0.5 <= r.peak_s <= s.end_s + 0.5 for r in reps) for s in rec.truth.sets]
    assert per_set == [s.count for s in rec.truth.sets]
    assert sum(per_set) == len(reps)


@pytest.mark.parametrize("scenario", ["still", "lying", "monster-walk", "lateral-walk"])
def test_no_reps_where_there_is_no_clamshell(scenario: str) -> None:
    for seed in (0, 1):
        rec = simulate(SimulationConfig(exercise=scenario, seed=seed, has_gyro=seed == 0))
        assert count(rec.samples) == []


def test_reps_are_emitted_soon_after_they_end() -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=8, seed=0, noise_scale=0, drop_rate=0))
    reps = count(rec.samples, [10])
    assert reps and max(r.emitted_at_s - r.end_s for r in reps) <= 0.5


def _min_jerk(t: np.ndarray, start_s: float, duration_s: float) -> np.ndarray:
    """Minimum-jerk progress 0..1 of a movement starting at ``start_s`` (s) and lasting ``duration_s`` (s)."""
    tau = np.clip((t - start_s) / duration_s, 0.0, 1.0)
    return tau**3 * (10.0 - 15.0 * tau + 6.0 * tau**2)


def _lie_down_in_stages_then_open(reps: int, rom_deg: float = 25.0, rate_hz: float = 50.0) -> SampleBlock:
    """A still thigh's specific force (m/s²) as it lies down in two stages, then opens ``reps`` times.

    Standing, gravity is along the band's z axis. The thigh turns 75° about x,
    stays still for 1 s, turns on to 90° (lying on the side) and rests 2 s;
    then each rep turns it ``rom_deg`` about z and back (1 s open, 1 s hold,
    1 s close, 1.5 s rest).
    """
    rep_s, first_rep_s = 4.5, 5.5
    t = np.arange(0.0, first_rep_s + reps * rep_s + 2.0, 1.0 / rate_hz)
    lying = np.radians(75.0 * _min_jerk(t, 0.5, 1.0) + 15.0 * _min_jerk(t, 2.5, 1.0))
    opening = np.zeros_like(t)
    for k in range(reps):
        start = first_rep_s + k * rep_s
        opening += _min_jerk(t, start, 1.0) - _min_jerk(t, start + 2.0, 1.0)
    opening = np.radians(rom_deg) * opening
    # Turn (0, 0, 1) by `lying` about x, then by `opening` about z.
    u = np.column_stack((-np.sin(opening) * np.sin(lying), np.cos(opening) * np.sin(lying), np.cos(lying)))
    noise = np.random.default_rng(0).normal(0.0, 0.02, u.shape)
    return SampleBlock(t=t, acc=9.81 * u + noise, gyro=None)


def _sit_up_between_two_sets(rate_hz: float = 50.0) -> tuple[SampleBlock, list[float]]:
    """Two sets of 4 reps lying on the side with a sit-up in between, and the sets' rep starts (s).

    Lying, gravity in the band's frame is along y and each rep turns it 25°
    about z. Between the sets the thigh rolls 80° about x (sitting up) and,
    seated, the knee falls out and back twice, turning the thigh 20° about the
    axis then across gravity; then it rolls back. No pause is as long as the
    10 s set gap.
    """
    t = np.arange(0.0, 56.0, 1.0 / rate_hz)
    first = [2.0 + 4.5 * k for k in range(4)]
    seated = [24.5, 29.0]
    second = [36.0 + 4.5 * k for k in range(4)]
    roll = np.radians(80.0) * (_min_jerk(t, 20.0, 1.5) - _min_jerk(t, 32.5, 1.5))
    opening = np.zeros_like(t)
    for start, rom in [(s, 25.0) for s in first + second] + [(s, 20.0) for s in seated]:
        opening += np.radians(rom) * (_min_jerk(t, start, 1.0) - _min_jerk(t, start + 2.0, 1.0))
    # Open about z from y, then roll about x.
    x, y = -np.sin(opening), np.cos(opening)
    u = np.column_stack((x, y * np.cos(roll), y * np.sin(roll)))
    noise = np.random.default_rng(1).normal(0.0, 0.02, u.shape)
    return SampleBlock(t=t, acc=9.81 * u + noise, gyro=None), first + second


def test_reps_made_from_another_position_get_another_position_number() -> None:
    samples, _ = _sit_up_between_two_sets()
    reps = count(samples)
    assert [r.position for r in reps] == [0] * 4 + [1] * 2 + [2] * 4


def test_movements_while_sitting_up_between_sets_are_not_counted() -> None:
    # A knee falling out while seated turns the thigh as a clamshell does; only the change of the
    # closed position tells it apart, and those two movements are too few to be a set.
    samples, starts = _sit_up_between_two_sets()
    result = analyze_samples(samples, PipelineConfig(exercise="clamshell"))
    assert [s.count for s in result.sets] == [4, 4]
    counted = [r.start_s for s in result.sets for r in s.reps]
    np.testing.assert_allclose(counted, starts, atol=0.3)
    assert any("fewer than 3 reps" in w for w in result.quality.warnings)


def _warnings_after(samples: SampleBlock) -> list[str]:
    resampler, counter = UniformResampler(GRID_HZ), ClamshellCounter(GRID_HZ)
    for block in samples.split([20]):
        for grid in resampler.push(block):
            counter.push(grid)
    counter.finish()
    return counter.warnings()


@pytest.mark.parametrize("seed", [0, 1])
def test_lying_still_without_a_rep_hints_that_the_band_is_on_the_bottom_thigh(seed: int) -> None:
    # On the bottom thigh the band lies still while the other knee opens: lying down and staying
    # still is what it records.
    rec = simulate(SimulationConfig(exercise="lying", seed=seed, duration_s=60.0, fidget=False))
    (hint,) = _warnings_after(rec.samples)
    assert "bottom thigh" in hint


def test_no_hint_when_reps_were_found() -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=10, seed=3, lead_in=False))
    assert _warnings_after(rec.samples) == []


def test_a_thigh_that_kept_moving_was_not_the_bottom_one() -> None:
    # Side steps swing the thigh by a few degrees again and again: too little for a rep, and what
    # the counter says of them is that they were short of one, not that the thigh lay still.
    rec = simulate(SimulationConfig(exercise="lateral-walk", reps=10, seed=3, lead_in=False))
    (hint,) = _warnings_after(rec.samples)
    assert "bottom thigh" not in hint and "--min-rom" in hint


def _with_gap_in_a_hold() -> SampleBlock:
    """Slow reps with 2 s of data lost in the middle of the third rep's hold."""
    rec = simulate(SimulationConfig(exercise="clamshell", reps=5, seed=4, rate_hz=52, hold_s=3.0))
    rep = rec.truth.reps[2]
    middle = rep.start_s + rep.open_s + 0.5 * rep.hold_s
    samples = rec.samples
    return SampleBlock.concat([samples.between(0.0, middle - 1.0), samples.between(middle + 1.0, samples.end_s + 1.0)])


_SESSIONS = {
    "set": simulate(SimulationConfig(exercise="clamshell", reps=5, seed=4, rate_hz=52)).samples,
    "gap in a hold": _with_gap_in_a_hold(),
    "lying down in stages": _lie_down_in_stages_then_open(3),
}


@pytest.mark.parametrize("session", list(_SESSIONS))
@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 80), min_size=1, max_size=4))
def test_reps_do_not_depend_on_how_the_stream_is_cut(session: str, sizes: list[int]) -> None:
    samples = _SESSIONS[session]
    reference = [(r.start_s, r.end_s, r.rom_deg) for r in count(samples, [len(samples)])]
    assert reference
    got = [(r.start_s, r.end_s, r.rom_deg) for r in count(samples, sizes)]
    np.testing.assert_allclose(got, reference, atol=1e-9)


def test_reps_right_after_lying_down_in_stages_count() -> None:
    # The pause most of the way down passes for settling; the rest of the movement then looks
    # like an opening that never closes. Waiting for it to time out lost the first reps.
    reps = count(_lie_down_in_stages_then_open(4))
    assert len(reps) == 4
    for k, rep in enumerate(reps):
        assert abs(rep.start_s - (5.5 + 4.5 * k)) <= 0.2
        assert abs(rep.rom_deg - 25.0) <= 2.0


@pytest.mark.parametrize("seed", range(12))
def test_noisy_band_without_gyroscope_at_25_hz_finds_the_closed_position(seed: int) -> None:
    # Heavy noise differentiated into an angular speed must still read as still when the thigh is.
    rec = simulate(SimulationConfig(exercise="clamshell", reps=8, seed=seed, rate_hz=25, has_gyro=False,
                                    noise_scale=2.0, drop_rate=0))
    assert abs(len(count(rec.samples)) - rec.truth.count) <= 1


def _boundary_errors(seed: int, **config: object) -> tuple[list[float], list[float], int, int]:
    rec = simulate(SimulationConfig(exercise="clamshell", seed=seed, **config))
    reps = count(rec.samples)
    starts = [abs(r.start_s - t.start_s) for r, t in zip(reps, rec.truth.reps)]
    ends = [abs(r.end_s - t.end_s) for r, t in zip(reps, rec.truth.reps)]
    return starts, ends, len(reps), rec.truth.count


def test_rep_boundaries_are_within_a_tenth_of_a_second_of_truth() -> None:
    starts: list[float] = []
    ends: list[float] = []
    for seed, has_gyro in ((5, True), (6, False)):
        s, e, n, expected = _boundary_errors(seed, reps=8, has_gyro=has_gyro)
        assert n == expected
        starts += s
        ends += e
    assert np.median(starts) <= 0.1
    assert np.median(ends) <= 0.1


@pytest.mark.parametrize("has_gyro", [True, False])
def test_slow_reps_with_three_second_holds_are_counted_once_each(has_gyro: bool) -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=6, seed=1, hold_s=3.0, has_gyro=has_gyro))
    reps = count(rec.samples)
    assert len(reps) == rec.truth.count
    holds = [r.hold_s for r in reps]
    true_holds = [t.hold_s for t in rec.truth.reps]
    assert np.median(np.abs(np.subtract(holds, true_holds))) <= 0.5


def test_partial_reps_are_counted_with_their_smaller_range_of_motion() -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=10, seed=3, partial_share=0.4, has_gyro=False))
    reps = count(rec.samples)
    assert len(reps) == rec.truth.count
    partial = [t.partial for t in rec.truth.reps]
    assert any(partial) and not all(partial)
    median = np.median([r.rom_deg for r in reps])
    flagged = [r.rom_deg < 0.7 * median for r in reps]
    assert flagged == partial


def test_a_leg_set_down_briskly_still_counts() -> None:
    # Real side-lying leg lifts jolt the band when the leg lands (single shocks up to 8 m/s²
    # at 25 Hz); one such shock must not cost the rep, as a walk's steady shaking does.
    rec = simulate(SimulationConfig(exercise="clamshell", reps=8, seed=5, rate_hz=52, noise_scale=0, drop_rate=0))
    t, acc = rec.samples.t, rec.samples.acc.copy()
    for truth in rec.truth.reps:
        landing = int(np.searchsorted(t, truth.end_s - 0.2))
        down = acc[landing] / np.linalg.norm(acc[landing])
        acc[landing : landing + 3] += 8.0 * down
    jolted = SampleBlock(t, acc, rec.samples.gyro)
    assert len(count(jolted)) == rec.truth.count


def _reps_wandering_at_the_top(reps: int, wander_share: float, rom_deg: float = 25.0, rate_hz: float = 50.0) -> SampleBlock:
    """A thigh lying on the side (gravity along the band's y) opening ``reps`` times ``rom_deg`` about z.

    At the top of each rep the thigh also turns about x by ``wander_share`` of
    the ROM (1 s open, 1 s hold while it turns, 1 s close of both, 1.5 s rest).
    """
    rep_s, first_rep_s = 4.5, 2.0
    t = np.arange(0.0, first_rep_s + reps * rep_s + 2.0, 1.0 / rate_hz)
    opening, wander = np.zeros_like(t), np.zeros_like(t)
    for k in range(reps):
        start = first_rep_s + k * rep_s
        closing = _min_jerk(t, start + 2.0, 1.0)
        opening += _min_jerk(t, start, 1.0) - closing
        wander += _min_jerk(t, start + 1.0, 1.0) - closing
    opening, wander = np.radians(rom_deg) * opening, np.radians(wander_share * rom_deg) * wander
    # Open about z from y, then turn about x.
    x, y = -np.sin(opening), np.cos(opening)
    u = np.column_stack((x, y * np.cos(wander), y * np.sin(wander)))
    noise = np.random.default_rng(2).normal(0.0, 0.02, u.shape)
    return SampleBlock(t=t, acc=9.81 * u + noise, gyro=None)


def test_a_hip_that_is_no_perfect_hinge_still_counts() -> None:
    # Real side-lying leg lifts turn sideways at the top by up to a fifth of their opening.
    assert len(count(_reps_wandering_at_the_top(6, wander_share=0.2))) == 6


def test_a_thigh_turning_far_off_the_opening_path_is_no_rep() -> None:
    # Turning sideways by half the opening is a turned thigh or a band tugged round it.
    assert count(_reps_wandering_at_the_top(6, wander_share=0.5)) == []


def test_walking_swings_of_the_thigh_are_not_reps() -> None:
    for seed in (1, 2):
        rec = simulate(SimulationConfig(exercise="walk-forward", seed=seed, duration_s=60))
        assert count(rec.samples) == []


def _count_with_gap(samples: SampleBlock, gap_from_s: float, gap_to_s: float) -> tuple[list[Rep], int]:
    """Count ``samples`` with the data between the two times (s) lost; also the gaps seen."""
    before, after = samples.between(0.0, gap_from_s), samples.between(gap_to_s, samples.end_s + 1.0)
    resampler, counter = UniformResampler(GRID_HZ), ClamshellCounter(GRID_HZ)
    reps: list[Rep] = []
    for block in [*before.split([25]), *after.split([25])]:
        for grid in resampler.push(block):
            reps += counter.push(grid)
    return reps + counter.finish(), resampler.gaps


def test_after_a_short_gap_between_reps_every_later_rep_still_counts() -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=8, seed=7, noise_scale=0, drop_rate=0))
    cut = 0.5 * (rec.truth.reps[3].end_s + rec.truth.reps[4].start_s)
    reps, gaps = _count_with_gap(rec.samples, cut, cut + 1.0)
    assert gaps == 1
    # The person is still in position after a short gap: the closed reference carries
    # over, and only a rep the gap cut into is lost.
    whole = [t for t in rec.truth.reps if t.end_s < cut or t.start_s > cut + 1.0]
    assert len(reps) == len(whole)
    for rep, truth in zip(reps, whole):
        assert abs(rep.start_s - truth.start_s) <= 0.3 and abs(rep.end_s - truth.end_s) <= 0.3


@pytest.mark.parametrize("has_gyro", [True, False])
def test_a_gap_during_a_hold_at_the_top_loses_only_the_rep_it_cut(has_gyro: bool) -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=8, seed=4, hold_s=3.0, has_gyro=has_gyro,
                                    noise_scale=0, drop_rate=0))
    cut_rep = rec.truth.reps[3]
    middle = cut_rep.start_s + cut_rep.open_s + 0.5 * cut_rep.hold_s
    reps, gaps = _count_with_gap(rec.samples, middle - 1.0, middle + 1.0)
    assert gaps == 1
    whole = [t for t in rec.truth.reps if t is not cut_rep]
    # Taking the open position as the new reference would count every later rep
    # out of phase (closing, then opening): their boundaries would be seconds off.
    assert len(reps) == len(whole)
    for rep, truth in zip(reps, whole):
        assert abs(rep.start_s - truth.start_s) <= 0.3 and abs(rep.end_s - truth.end_s) <= 0.3


def test_after_a_long_gap_the_counter_starts_afresh_and_later_reps_still_count() -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=8, seed=7, noise_scale=0, drop_rate=0))
    cut, resumed = rec.truth.reps[3].end_s + 0.1, rec.truth.reps[6].start_s - 0.5
    assert resumed - cut > ClamshellParams().resume_gap_s
    reps, gaps = _count_with_gap(rec.samples, cut, resumed)
    assert gaps == 1
    # Long gaps drop the reference: the reps after it count once the thigh has been still.
    whole = [t for t in rec.truth.reps if t.end_s < cut or t.start_s > resumed]
    assert len(whole) - 1 <= len(reps) <= len(whole)
