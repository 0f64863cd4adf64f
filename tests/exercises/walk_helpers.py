"""Feeding synthetic recordings through the grid to a walk counter (shared by the walk tests)."""

from __future__ import annotations

import itertools
from typing import Callable

from sensor.dsp.resample import UniformResampler
from sensor.exercises.base import Counter, Rep
from sensor.synth import SimulationConfig, SyntheticRecording, simulate
from sensor.types import SampleBlock

GRID_HZ = 25.0

#: Clean single sets across band rates, legs, gyro or not and two mount rotations: (seed, config).
CLEAN_GRID: list[tuple[int, tuple[float, str, bool, float]]] = list(
    enumerate(itertools.product([25.0, 52.0], ["right", "left"], [True, False], [0.0, 135.0]))
)


def count(make: Callable[[], Counter], samples: SampleBlock, sizes: list[int] | None = None) -> list[Rep]:
    """All reps of ``samples`` cut into blocks of ``sizes`` (cycled)."""
    resampler, counter = UniformResampler(GRID_HZ), make()
    reps: list[Rep] = []
    for block in samples.split(sizes or [20]):
        for grid in resampler.push(block):
            reps += counter.push(grid)
    return reps + counter.finish()


def clean_set(exercise: str, seed: int, rate_hz: float, leg: str, has_gyro: bool,
              rotation_deg: float | None = None) -> SyntheticRecording:
    """One noise-free, gap-free set of 10 reps (steps or cycles)."""
    return simulate(SimulationConfig(exercise=exercise, reps=10, seed=seed, rate_hz=rate_hz, leg=leg,
                                     has_gyro=has_gyro, mount_rotation_deg=rotation_deg, noise_scale=0, drop_rate=0))


def clean_set_errors(exercise: str, make: Callable[[str], Counter]) -> list[int]:
    """Counted minus true reps for each set of :data:`CLEAN_GRID` (``make(leg)`` builds the counter)."""
    errors = []
    for seed, (rate_hz, leg, has_gyro, rotation_deg) in CLEAN_GRID:
        rec = clean_set(exercise, seed, rate_hz, leg, has_gyro, rotation_deg)
        errors.append(len(count(lambda: make(leg), rec.samples)) - rec.truth.count)
    return errors
