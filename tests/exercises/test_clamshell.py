"""Clamshell counter against the synthetic generator's ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor.dsp.resample import UniformResampler
from sensor.exercises.base import Rep
from sensor.exercises.clamshell import ClamshellCounter
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


_SESSION = simulate(SimulationConfig(exercise="clamshell", reps=5, seed=4, rate_hz=52)).samples


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 80), min_size=1, max_size=4))
def test_reps_do_not_depend_on_how_the_stream_is_cut(sizes: list[int]) -> None:
    reference = [(r.start_s, r.end_s, r.rom_deg) for r in count(_SESSION, [len(_SESSION)])]
    assert reference
    got = [(r.start_s, r.end_s, r.rom_deg) for r in count(_SESSION, sizes)]
    np.testing.assert_allclose(got, reference, atol=1e-9)


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


def test_walking_swings_of_the_thigh_are_not_reps() -> None:
    for seed in (1, 2):
        rec = simulate(SimulationConfig(exercise="walk-forward", seed=seed, duration_s=60))
        assert count(rec.samples) == []


def test_a_gap_restarts_the_counter_and_later_reps_still_count() -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=8, seed=7, noise_scale=0, drop_rate=0))
    samples = rec.samples
    cut = 0.5 * (rec.truth.reps[3].end_s + rec.truth.reps[4].start_s)
    before, after = samples.between(0.0, cut), samples.between(cut + 1.0, samples.end_s + 1.0)
    resampler, counter = UniformResampler(GRID_HZ), ClamshellCounter(GRID_HZ)
    reps: list[Rep] = []
    for block in [*before.split([25]), *after.split([25])]:
        for grid in resampler.push(block):
            reps += counter.push(grid)
    assert resampler.gaps == 1
    # Reps cut by the gap cannot count, nor the first one after it if it starts
    # before the thigh has been still long enough to take a new reference.
    whole = [t for t in rec.truth.reps if t.end_s < cut or t.start_s > cut + 1.0]
    assert len(whole) - 1 <= len(reps) <= len(whole)
    assert all(r.end_s < cut for r in reps[:4]) and all(r.start_s > cut for r in reps[4:])
