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


@pytest.mark.parametrize("scenario", ["still", "lying", "monster-walk"])
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
