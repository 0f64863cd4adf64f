"""Monster walk counter: one rep per step of either leg, and the strides of the banded leg.

Physics. In a monster walk (half squat, wide stance, alternating diagonal
steps) the banded thigh flexes forward during its own step (extends when
walking backward) and swings back while the body passes over its planted
foot during the other leg's step. Its inclination therefore oscillates once
per stride (two steps). The direction of gravity in the band's frame,
``u = lowpass(acc) / |lowpass(acc)|``, turns with that inclination whatever
the band's rotation about the thigh; its deviation from a slow running mean
is projected on its principal direction (the leading eigenvector of a running
covariance, sign kept continuous), giving a swing angle in degrees. Turning
points of that angle are found with a hysteresis that scales with the
running swing amplitude (a running median first removes foot-strike shocks,
which a low-pass alone turns into spurious turns); the interval from one peak
to the next is one stride.

A stride counts only inside a bout of regular strides, in a squat: the stride
period must lie in ``min_period_s``..``max_period_s``, its peak-to-peak
swing in ``min_swing_deg``..``max_swing_deg``, and the thigh must be
inclined (see ``max_upright``). Ordinary walking is upright and has a shorter
stride (cadence above ~100 steps/min); shuffles and band adjustments are
mostly upright or give single irregular swings that never make a bout.

Convention. For each counted stride two reps are emitted: the banded thigh's
swing (``leg="banded"``: the quicker half of the stride, peak to valley or
valley to peak of the swing angle) and the
other leg's step, inferred right after it (``leg="other"``, ``start_s`` = end
of the banded swing, same duration). So ``count = 2 × strides``, kept in
:attr:`MonsterWalkCounter.strides`. ``direction`` is not used. The
accelerometer alone suffices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensor.dsp.filters import StreamingSOS
from sensor.dsp.resample import GridBlock
from sensor.exercises.base import Rep
from sensor.types import FloatArray


@dataclass(frozen=True, kw_only=True, slots=True)
class MonsterWalkParams:
    """Parameters of :class:`MonsterWalkCounter`.

    Attributes
    ----------
    median_s : float
        Running-median window applied before the low-pass, s (rounded to an
        odd number of grid samples).
    gravity_hz : float
        Low-pass cut-off giving the gravity direction, Hz.
    mean_hz : float
        Cut-off of the slow running mean the swing is measured from, Hz.
    axis_hz : float
        Cut-off of the running covariance that gives the swing direction, Hz.
    amplitude_hz : float
        Cut-off of the running mean absolute swing angle, Hz.
    hysteresis : float
        Turning-point hysteresis as a share of the running mean absolute swing.
    min_hysteresis_deg : float
        Floor of that hysteresis, deg.
    min_period_s, max_period_s : float
        Stride (two steps) period range, s.
    period_ratio : float
        Largest ratio between consecutive stride periods within a bout.
    min_swing_deg, max_swing_deg : float
        Peak-to-peak swing range of a stride, deg.
    confirm_strides : int
        Regular strides, after the one that opens a bout, that confirm it;
        they are reported together.
    max_upright : float
        Largest cosine between the slow gravity direction and the nearest
        band axis that still counts as a squat (see ``_swing_angle``).
    wiggle : float
        Inside a bout, a peak sooner than ``min_period_s`` whose swing is
        below this share of the last stride's is a wiggle of that stride.
    """

    median_s: float = 0.28
    gravity_hz: float = 1.0
    mean_hz: float = 0.25
    axis_hz: float = 0.15
    amplitude_hz: float = 0.2
    hysteresis: float = 1.2
    min_hysteresis_deg: float = 2.0
    min_period_s: float = 1.3
    max_period_s: float = 3.6
    period_ratio: float = 1.6
    min_swing_deg: float = 5.0
    max_swing_deg: float = 70.0
    confirm_strides: int = 2
    max_upright: float = 0.95
    wiggle: float = 0.6


class MonsterWalkCounter:
    """Streaming monster-walk step counter on the uniform grid.

    Parameters
    ----------
    rate_hz : float
        Grid rate, Hz.
    params : MonsterWalkParams
        Thresholds; see :class:`MonsterWalkParams`.
    leg : str
        ``right`` or ``left``: the thigh wearing the band (kept for the
        report; detection does not depend on it).

    Attributes
    ----------
    strides : int
        Banded-leg swings counted so far (count = 2 × strides).

    Notes
    -----
    Data requirements: accelerometer (a gyroscope is not used). The first
    strides of a walk are reported once ``confirm_strides`` more confirm the
    bout; later ones when the angle has turned back by the hysteresis after
    their peak. The banded leg's own swing (its flexion walking forward, its
    extension walking backward) is taken to be the quicker half of the
    stride; where both halves last alike its boundaries may be those of the
    other leg's step.
    """

    exercise = "monster-walk"

    def __init__(self, rate_hz: float, params: MonsterWalkParams | None = None, *, leg: str = "right") -> None:
        self.params = p = params or MonsterWalkParams()
        self.rate_hz = rate_hz
        self.leg = leg
        self.strides = 0
        self._gravity = StreamingSOS.lowpass(p.gravity_hz, rate_hz, 3)
        self._mean = StreamingSOS.lowpass(p.mean_hz, rate_hz, 3)
        self._cov = StreamingSOS.lowpass(p.axis_hz, rate_hz, 6)
        self._amplitude = StreamingSOS.lowpass(p.amplitude_hz, rate_hz, 1)
        self._median_n = 2 * round(p.median_s * rate_hz / 2) + 1
        self._restart()

    def _restart(self) -> None:
        for f in (self._gravity, self._mean, self._cov, self._amplitude):
            f.reset()
        self._axis: FloatArray | None = None
        self._held = np.empty((0, 3))  # last samples of the running-median window
        # Turning-point search: +1 looking for a peak, -1 for a valley.
        self._mode = 1
        self._extreme = (0.0, -np.inf)  # (time s, signed angle deg) of the running extreme
        self._turns: list[tuple[float, float]] = []  # last two turning points (time s, angle deg)
        self._bout: list[tuple[float, float]] = []  # strides (start s, end s) not yet reported
        self._in_bout = False
        self._period = 0.0  # period of the last stride of the bout being opened, s
        self._peak_s = -np.inf  # peak that ended the last stride, s
        self._swing = 0.0  # peak-to-peak swing of the last stride, deg
        self._now = -np.inf

    # -- signal ----------------------------------------------------------------

    def _swing_angle(self, acc: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Swing angle (deg) of the gravity direction along its principal direction, and the squat measure.

        The squat measure is the largest cosine between the slow gravity
        direction and a band axis: the thigh lies along one of them, so it is
        near 1 standing or walking upright and at most ~0.94 in a half squat.
        """
        # A foot strike is a shock of a few tens of ms that a low-pass filter
        # alone turns into a spurious swing: a running median removes it first.
        held = np.vstack((self._held, acc))
        self._held = held[max(0, len(held) - (self._median_n - 1)):]
        if len(held) < self._median_n:
            return np.empty(0), np.empty(0)
        windows = np.lib.stride_tricks.sliding_window_view(held, self._median_n, axis=0)
        g = self._gravity.push(np.median(windows, axis=2))
        u = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-9)
        mean = self._mean.push(u)
        d = u - mean
        iu = np.triu_indices(3)
        cov6 = self._cov.push(d[:, iu[0]] * d[:, iu[1]])
        cov = np.empty((len(d), 3, 3))
        cov[:, iu[0], iu[1]] = cov6
        cov[:, iu[1], iu[0]] = cov6
        axes = np.linalg.eigh(cov)[1][:, :, -1]
        # eigh returns each eigenvector with an arbitrary sign: keep it continuous.
        prev = np.vstack((axes[:1] if self._axis is None else self._axis[None], axes[:-1]))
        flips = np.cumprod(np.where(np.einsum("ij,ij->i", axes, prev) < 0.0, -1.0, 1.0))
        axes = axes * flips[:, None]
        self._axis = axes[-1]
        upright = np.max(np.abs(mean), axis=1) / np.maximum(np.linalg.norm(mean, axis=1), 1e-9)
        return np.degrees(np.einsum("ij,ij->i", d, axes)), upright

    def _turning_points(self, t: FloatArray, s: FloatArray, h: FloatArray) -> list[tuple[float, float, int, int]]:
        """Confirmed turning points in this block: (time s, angle deg, +1 peak / -1 valley, index confirmed).

        A peak is confirmed once the angle falls ``h`` below the running
        maximum (a valley symmetrically); the loop runs once per turning
        point, each step vectorised over the rest of the block.
        """
        out = []
        i = 0
        while i < len(s):
            signed = self._mode * s[i:]
            run = np.maximum.accumulate(np.maximum(signed, self._extreme[1]))
            back = np.flatnonzero(signed < run - h[i:])
            if back.size == 0:
                k = int(np.argmax(signed))
                if signed[k] > self._extreme[1]:
                    self._extreme = (float(t[i + k]), float(signed[k]))
                break
            j = i + int(back[0])
            k = int(np.argmax(signed[: j - i])) if j > i else -1
            if k >= 0 and signed[k] > self._extreme[1]:
                self._extreme = (float(t[i + k]), float(signed[k]))
            out.append((self._extreme[0], self._mode * self._extreme[1], self._mode, j))
            self._mode = -self._mode
            self._extreme = (float(t[j]), float(self._mode * s[j]))
            i = j + 1
        return out

    # -- strides ---------------------------------------------------------------

    def _stride(self, t_s: float, angle: float) -> list[tuple[float, float]]:
        """Handle a confirmed peak; return the strides now certain (start s, end s).

        A stride is the interval from the last stride's peak to this one.
        Inside a bout every stride of plausible period and swing counts, and
        a smaller peak sooner than ``min_period_s`` is a wiggle within the
        stride (see ``wiggle``); opening a bout takes ``confirm_strides``
        strides of regular period after the opening peak.
        """
        p = self.params
        t_valley, a_valley = self._turns[-2] if len(self._turns) > 1 else (t_s, angle)
        period, swing = t_s - self._peak_s, angle - a_valley
        if period < p.min_period_s and self._in_bout and swing < p.wiggle * self._swing:
            return []
        # The banded leg's own step is the quicker half of the stride (the
        # other half also holds the other leg's step and the pauses).
        stride = (self._peak_s, t_valley) if t_valley - self._peak_s < t_s - t_valley else (t_valley, t_s)
        self._peak_s, self._swing = t_s, swing
        if not (p.min_period_s <= period <= p.max_period_s and p.min_swing_deg <= swing <= p.max_swing_deg):
            return self._close_bout()
        if self._in_bout:
            return [stride]
        if self._bout and not 1.0 / p.period_ratio <= period / self._period <= p.period_ratio:
            self._bout = []
        if not self._bout:
            # The peak that opens a bout ends a stride too: its swing grew out of getting into the squat.
            self._bout = [(stride[0] - period, stride[1] - period)]
        self._period = period
        self._bout.append(stride)
        if len(self._bout) <= p.confirm_strides:
            return []
        self._in_bout = True
        done, self._bout = self._bout, []
        return done

    def _close_bout(self) -> list[tuple[float, float]]:
        self._bout = []
        self._in_bout = False
        return []

    def _reps(self, strides: list[tuple[float, float]]) -> list[Rep]:
        out: list[Rep] = []
        for start, end in strides:
            self.strides += 1
            out.append(Rep(self.exercise, start, end, peak_s=end, leg="banded", emitted_at_s=self._now))
            out.append(Rep(self.exercise, end, end + (end - start), leg="other", emitted_at_s=self._now))
        return out

    # -- streaming API ---------------------------------------------------------

    def push(self, block: GridBlock) -> list[Rep]:
        """Process one grid block and return the steps that became certain."""
        if len(block) == 0:
            return []
        if block.gap_before:
            self._restart()
        p = self.params
        s, upright = self._swing_angle(block.acc)
        t = block.t[len(block) - len(s):] - (self._median_n // 2) / self.rate_hz
        h = np.maximum(p.min_hysteresis_deg, p.hysteresis * self._amplitude.push(np.abs(s)[:, None])[:, 0])
        self._now = float(block.t[-1])
        strides: list[tuple[float, float]] = []
        for t_s, angle, kind, j in self._turning_points(t, s, h):
            self._turns = [*self._turns[-1:], (t_s, angle)]
            if upright[j] > p.max_upright:
                strides += self._close_bout()
            elif kind > 0:
                strides += self._stride(t_s, angle)
        return self._reps(strides)

    def finish(self) -> list[Rep]:
        """End of stream: nothing is pending that could still be certain."""
        return []
