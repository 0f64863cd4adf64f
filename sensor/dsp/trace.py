"""The thigh-angle trace drawn under counted reps: what a person can read off a plot.

Counters keep no sample history (streaming memory stays bounded), so a plot
recomputes the quantity they watch: the angle between the direction of
gravity in the band's frame and the thigh's resting direction before each set.
It is independent of how the band is turned, like the counters themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sensor.dsp.filters import StreamingSOS
from sensor.types import FloatArray, SampleBlock
from sensor.units import DEG_PER_RAD

#: Gravity low-pass cut-off, Hz (the clamshell counter's own).
GRAVITY_CUTOFF_HZ = 1.5
#: Stretch before a set whose mean gravity direction is the resting reference, s.
REFERENCE_WINDOW_S = 2.0


def thigh_angle_trace(
    samples: SampleBlock, set_starts_s: Sequence[float], rate_hz: float = 25.0
) -> tuple[FloatArray, FloatArray]:
    """Angle of the thigh from its resting direction, deg, on a uniform grid.

    Parameters
    ----------
    samples : SampleBlock
        The recording (acc in m/s²).
    set_starts_s : sequence of float
        Start of each set, s; each set's reference is the mean gravity
        direction over the ``REFERENCE_WINDOW_S`` before it (before the first
        set for time before it).
    rate_hz : float, optional
        Rate of the returned trace, Hz.

    Returns
    -------
    t : array (M,)
        Times, s.
    angle_deg : array (M,)
        Angle from the reference in force at each time, deg.
    """
    if len(samples) < 2:
        return np.zeros(0), np.zeros(0)
    t = np.arange(np.ceil(samples.start_s * rate_hz), np.floor(samples.end_s * rate_hz) + 1) / rate_hz
    acc = np.column_stack([np.interp(t, samples.t, samples.acc[:, k]) for k in range(3)])
    gravity = StreamingSOS.smooth_lowpass(GRAVITY_CUTOFF_HZ, rate_hz, 3).push(acc)
    unit = gravity / np.maximum(np.linalg.norm(gravity, axis=1, keepdims=True), 1e-9)
    starts = sorted(set_starts_s) or [float(t[0])]
    references = []
    for start in starts:
        window = (t >= start - REFERENCE_WINDOW_S) & (t <= start)
        mean = unit[window].mean(axis=0) if window.any() else unit[np.searchsorted(t, start) - 1]
        references.append(mean / np.linalg.norm(mean))
    which = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(starts) - 1)
    cosine = np.clip(np.einsum("ij,ij->i", unit, np.asarray(references)[which]), -1.0, 1.0)
    return t, np.arccos(cosine) * DEG_PER_RAD
