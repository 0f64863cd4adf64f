"""Deterministic sample blocks for the recording tests (also imported by the crash-test child)."""

from __future__ import annotations

import numpy as np

from sensor.types import SampleBlock

#: Samples per block in :func:`stream_block`.
BLOCK_SIZE = 25
#: Sample period of :func:`stream_block`, s (100 Hz).
PERIOD_S = 0.01


def random_block(rng: np.random.Generator, n: int, t0_s: float, has_gyro: bool) -> SampleBlock:
    """Return ``n`` samples at about 100 Hz with jittered times from ``t0_s`` (s).

    Acceleration is gravity plus motion and noise in m/s², angular rate in deg/s,
    at full float64 precision so that the stored rounding is exercised.
    """
    t = t0_s + np.cumsum(rng.uniform(0.005, 0.015, n))
    acc = np.array([0.3, -9.81, 1.2]) + rng.normal(0.0, 4.0, (n, 3))
    gyro = rng.normal(0.0, 120.0, (n, 3)) if has_gyro else None
    return SampleBlock(t, acc, gyro)


def stream_block(index: int) -> SampleBlock:
    """Return block number ``index`` of an endless 100 Hz six-axis stream (depends only on ``index``)."""
    rng = np.random.default_rng(index)
    t = (index * BLOCK_SIZE + np.arange(BLOCK_SIZE)) * PERIOD_S
    return SampleBlock(t, rng.normal(0.0, 5.0, (BLOCK_SIZE, 3)), rng.normal(0.0, 90.0, (BLOCK_SIZE, 3)))
