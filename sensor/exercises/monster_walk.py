"""Monster walk counter: one rep per step of either leg, and the strides of the banded leg.

Physics. In a monster walk (half squat, wide stance, alternating diagonal
steps) the banded thigh flexes forward during its own step (extends when
walking backward) and swings back while the body passes over its planted
foot during the other leg's step. Its inclination from vertical therefore
oscillates once per stride (two steps) about the squat's depth. The band is
strapped with one of its axes along the thigh, so the inclination is the
angle between the gravity direction ``u = lowpass(median(acc))`` and the band
axis nearest it while standing, whatever the band's rotation about the
thigh (a running median first removes foot-strike shocks, which a low-pass
alone turns into spurious turns). Its peaks are found with a hysteresis that
scales with the running swing amplitude, bounded so that getting into the
squat does not inflate it; the interval from one peak to the next is one
stride.

A stride counts only inside a bout of regular strides, in a squat:
- the stride period lies in ``min_period_s``..``max_period_s`` (inside a
  bout, a stride that ends early waits for the next: together they must
  make two of the bout's periods; so does the first stride after the peak
  that opens a bout, and the two must make two plausible strides) and its
  swing in ``min_swing_deg``..``max_swing_deg``;
- the thigh is inclined ``min_squat_deg``..``max_squat_deg`` from the
  still standing posture (ordinary walking stays within ~11 deg of it,
  sitting and lying are further than the range);
- a foot landed during it (a shock of at least ``min_shock``): moving the leg
  while lying or sitting lands none;
- the squat kept its depth since the last stride (``max_drift_deg``): lying
  down or getting up passes through a squat's inclination.
The peak that opens a bout also ends a stride when it rises like the strides
after it (the banded leg stepped first while sinking into the squat).

Direction and the banded swing. Walking forward the banded thigh flexes
while its foot is in the air (the inclination rises, valley to peak) and
extends while the body passes over the planted foot; walking backward it
extends in the air (the inclination falls) and flexes in stance. Either
way the band, strapped near the knee, travels a step's length in the air
and hardly moves in stance, so the half of the stride in which the
acceleration (band-passed ``swing_band_hz``) has more power is the swing.
Each stride's log ratio of that power, rising half to falling half, is
summed over the bout's strides so far: positive is ``forward``. On the
accuracy benchmark this tells 187 of 193 synthetic sets and 20 of 21 of an
independent simulator's right. The half's duration does not tell it: in
both simulations the rising half is the shorter one walking either way.

Convention. For each counted stride two reps are emitted, both with the
bout's ``direction``: the banded thigh's swing (``leg="banded"``) and the
other leg's step, inferred half a stride later (``leg="other"``: the legs
alternate evenly) and reported once the stream has passed its end, never
ahead of it. Walking forward the swing is the rising half, its turning
points (corrected for the low-pass's group delay) shifted by
``forward_shift_s``; walking backward the thigh goes on extending after the
foot lands, so the swing starts ``backward_shift_s`` after the peak and
lasts ``backward_swing_share`` of the stride (the foot is in the air for
about 60 % of each step in both simulations). So ``count = 2 × strides``,
kept in :attr:`MonsterWalkCounter.strides`. The accelerometer alone
suffices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from sensor.dsp.filters import RunningMedian, StreamingSOS
from sensor.dsp.resample import GridBlock
from sensor.dsp.vectors import row_norms
from sensor.exercises.base import Rep
from sensor.exercises.posture import PostureParams, ThighPosture, angle_deg, axis_vector
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
    amplitude_hz : float
        Cut-off of the running mean absolute swing angle, Hz.
    hysteresis : float
        Turning-point hysteresis as a share of the running mean absolute swing.
    min_hysteresis_deg, max_hysteresis_deg : float
        Bounds of that hysteresis, deg (the swing of getting into the squat
        would otherwise inflate it past the first strides' swings). Brisk
        strides swing the thigh 8–9 deg peak to peak, which a 6 deg bound
        let pass unseen for the first seconds of a set; below 5 deg the
        secondary wiggle of one of the independent simulator's people
        (4.7–8 deg within each stride) splits its strides in two.
    min_period_s, max_period_s : float
        Stride (two steps) period range, s. Brisk strides take 1.0–1.2 s,
        and a turning point of the low-passed angle may come 0.2 s early or
        late, so one period of a brisk walk can measure 0.8 s.
    period_ratio : float
        Largest ratio between consecutive stride periods within a bout.
    min_swing_deg, max_swing_deg : float
        Peak-to-peak swing range of a stride, deg (the last stride of a set,
        as the person stops, may swing the thigh only 4 deg).
    min_shock : float
        Smallest foot-strike shock within a stride, m/s²: stepping lands a
        foot; moving the leg lying or sitting does not.
    max_drift_deg : float
        Largest turn of the slow gravity direction from one stride's peak to
        the next, deg: the squat holds its depth; lying down or getting up
        passes through it.
    confirm_strides : int
        Regular strides, after the one that opens a bout, that confirm it;
        they are reported together.
    opening_share : float
        The peak that opens a bout ends a stride of the banded leg when it
        rises at least this share of the next stride's swing above the
        valley that follows it.
    opening_power_share : float
        It does too when, in the stride period before it, a foot lands
        (a shock of at least ``min_shock``) in the first half and the
        swing-band acceleration power over the second half is at least this
        share of the power over the stride after it: the legs were already
        stepping (the band travels with the foot in the air), where sinking
        into the squat is quieter and lands no foot. A peak that ended a
        stride already counted never opens a bout with one (0 disables).
    min_squat_deg, max_squat_deg : float
        Range of the thigh's slow inclination from the standing posture that
        counts as a squat, deg (see :meth:`MonsterWalkCounter._squat_deg`):
        walking upright stays below, sitting and lying above.
    squat_hysteresis_deg : float
        Once a bout is under way, a turning point ends it only this far below
        ``min_squat_deg``, deg. People squatting 14-16 deg deep dip below 14
        deg now and then (13.6 deg at a peak of a brisk generated set, 13.9
        deg at the last valley of a clean one), which ended the bout mid-set;
        ordinary walking stays below 12.2 deg at 99 % of its turning points.
    posture : PostureParams
        The thigh axis and the standing posture (see :mod:`sensor.exercises.posture`).
    wiggle : float
        Inside a bout, a peak sooner than ``min_period_s`` whose swing is
        below this share of the last stride's is a wiggle of that stride.
    early_share : float
        Inside a bout, any other peak sooner than ``min_period_s`` but at
        least this share of the bout's last period waits for the next peak:
        the turning points of a brisk walk wander, so one stride may measure
        0.7 s and the next 1.4 s. Both count when the two periods together
        make about two of the bout's (within ``period_ratio``); otherwise
        the bout ends (0 disables the wait). The first stride after the peak
        that opens a bout waits the same way when it is at least this share
        of ``min_period_s``: both count when their mean period is a
        stride's and the early one at least this share of it.
    swing_band_hz : tuple of float
        Band-pass (Hz) of the acceleration whose power tells the banded
        leg's swing from its stance (see the module notes on direction).
    forward_shift_s : float
        Walking forward, the swing's start and end lag the low-passed
        inclination's valley and peak by this, s (0.10–0.14 s measured in
        both simulations).
    backward_shift_s : float
        Walking backward, the swing starts this long after the peak, s.
    backward_swing_share : float
        Walking backward, the swing lasts this share of the stride period
        (0.29 and 0.31 measured in the two simulations).
    """

    median_s: float = 0.28
    gravity_hz: float = 1.0
    mean_hz: float = 0.25
    amplitude_hz: float = 0.2
    hysteresis: float = 0.8
    min_hysteresis_deg: float = 2.0
    max_hysteresis_deg: float = 5.0
    min_period_s: float = 0.8
    max_period_s: float = 3.6
    period_ratio: float = 1.6
    min_swing_deg: float = 3.5
    max_swing_deg: float = 70.0
    min_shock: float = 1.5
    max_drift_deg: float = 15.0
    confirm_strides: int = 1
    opening_share: float = 0.8
    opening_power_share: float = 0.5
    min_squat_deg: float = 14.0
    squat_hysteresis_deg: float = 2.0
    max_squat_deg: float = 75.0
    posture: PostureParams = field(default_factory=PostureParams)
    wiggle: float = 0.6
    early_share: float = 0.5
    swing_band_hz: tuple[float, float] = (1.0, 6.0)
    forward_shift_s: float = 0.12
    backward_shift_s: float = 0.06
    backward_swing_share: float = 0.3


#: Samples examined per step of the turning-point search.
_WINDOW = 256

#: A stride of the banded leg: the peak that opened it, its valley, the peak that ended it and
#: its period (s), and the log ratio of the acceleration power while the inclination rose to
#: that while it fell.
_Stride = tuple[float, float, float, float, float]
#: A step of the banded leg: start and end, the time until the banded leg's next swing (s), and the
#: walking direction.
_Step = tuple[float, float, float, str]
#: Acceleration history kept for the swing/stance power (s): a stride's two halves.
_POWER_HISTORY_S = 8.0


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
    their peak; the other leg's step once its inferred end has passed (the
    last ones at :meth:`finish`). The banded leg's own swing (its flexion
    walking forward, its extension walking backward) is the half of the
    stride with more acceleration power; the first strides of a bout are
    judged on their own, later ones on all the bout's strides so far.
    """

    exercise = "monster-walk"

    def __init__(self, rate_hz: float, params: MonsterWalkParams | None = None, *, leg: str = "right") -> None:
        self.params = p = params or MonsterWalkParams()
        self.rate_hz = rate_hz
        self.leg = leg
        self.strides = 0
        self._gravity = StreamingSOS.lowpass(p.gravity_hz, rate_hz, 3)
        self._mean = StreamingSOS.lowpass(p.mean_hz, rate_hz, 3)
        self._amplitude = StreamingSOS.lowpass(p.amplitude_hz, rate_hz, 1)
        self._median = RunningMedian(p.median_s, rate_hz, 3)
        self._posture = ThighPosture(rate_hz, p.posture)
        # Turning points of the low-passed angle lag the thigh by the filter's group delay.
        self._lag_s = self._gravity.group_delay_s(rate_hz)
        low, high = p.swing_band_hz
        self._swing_power = StreamingSOS(signal.butter(2, (low, high), btype="band", fs=rate_hz, output="sos"), 3)
        self._power_lag_s = self._swing_power.group_delay_s(rate_hz, math.sqrt(low * high))
        self._power_keep = round(_POWER_HISTORY_S * rate_hz)
        # Other-leg steps (start s, end s, direction) inferred before they end; a gap does not cancel them.
        self._ahead: list[tuple[float, float, str]] = []
        # Peak that ended the last stride reported, s; kept across gaps, as those strides stay counted.
        self._counted_until_s = -np.inf
        self._restart()

    def _restart(self) -> None:
        for f in (self._gravity, self._mean, self._amplitude, self._swing_power):
            f.reset()
        # Running integral of the swing-band acceleration power ((m/s²)² s) and its recent history.
        self._power_total = 0.0
        self._power_t = np.empty(0)
        self._power_cum = np.empty(0)
        # Recent shocks (m/s²) and their times (s), as far back as the power history.
        self._shock_t = np.empty(0)
        self._shock_v = np.empty(0)
        self._evidence = 0.0  # sum of the bout's reported strides' power log ratios: > 0 walking forward
        self._posture.reset()
        self._median.reset()
        # Turning-point search: +1 looking for a peak, -1 for a valley.
        self._mode = 1
        self._extreme = (0.0, -np.inf)  # (time s, signed angle deg) of the running extreme
        self._turns: list[tuple[float, float]] = []  # last two turning points (time s, angle deg)
        self._bout: list[_Stride] = []  # strides not yet reported
        self._in_bout = False
        self._period = 0.0  # period of the bout's last stride, s
        self._early: _Stride | None = None  # a stride of the bout that ended early, until the next peak
        self._early_opens = False  # whether the peak before that early stride opened the bout with a stride
        self._peak_s = -np.inf  # peak that ended the last stride, s
        self._peak_deg = 0.0  # its inclination, deg
        self._shock = 0.0  # largest shock since that peak, m/s²
        self._peak_direction = np.zeros(3)  # slow gravity direction at that peak (unit)
        self._swing = 0.0  # peak-to-peak swing of the last stride, deg
        self._now = -np.inf

    # -- signal ----------------------------------------------------------------

    def _gravity_direction(self, acc: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Unit gravity direction in the band frame and the shock (m/s²), both delayed by half the running median.

        The shock is how far each sample lies from the running median: foot
        strikes stand out, slow movement does not.
        """
        # A foot strike is a shock of a few tens of ms that a low-pass filter
        # alone turns into a spurious swing: a running median removes it first.
        median, centre = self._median.push(acc)
        if len(median) == 0:
            return np.empty((0, 3)), np.empty(0)
        shock = row_norms(centre - median)
        g = self._gravity.push(median)
        return g / np.maximum(row_norms(g), 1e-9)[:, None], shock

    def _inclination(self, u: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Thigh inclination, its deviation from its slow mean (deg), slow gravity direction (unit), thigh axis.

        The thigh axis is coded +-1, +-2, +-3 for the band's +-x, +-y, +-z
        (see :class:`~sensor.exercises.posture.ThighPosture`). The
        inclination is the angle between gravity and that axis: rotation
        about the thigh does not change it; a tilted mount adds a little, in
        quadrature, which the squat gate corrects with the standing posture
        (see :meth:`_squat_deg`).
        """
        mean = self._mean.push(u)
        mean /= np.maximum(row_norms(mean), 1e-9)[:, None]
        rows = np.arange(len(u))
        code = self._posture.axis_codes(mean)
        axis = np.abs(code).astype(int) - 1
        # Both angles in one pass: per-call costs outweigh the maths on BLE-sized blocks.
        cosines = np.sign(code) * np.stack((u[rows, axis], mean[rows, axis]))
        theta, slow = np.degrees(np.arccos(np.minimum(np.maximum(cosines, -1.0), 1.0)))
        return theta, theta - slow, mean, code

    def _squat_deg(self, t_s: float, mean: FloatArray, axis_code: float) -> float:
        """Inclination of the slow gravity direction ``mean`` from the standing posture, deg.

        With no standing posture seen yet, the inclination from the thigh axis serves.
        """
        reference = self._posture.standing(t_s, axis_code)
        return angle_deg(mean, axis_vector(axis_code) if reference is None else reference)

    def _turning_points(self, t: FloatArray, s: FloatArray, h: FloatArray) -> list[tuple[float, float, int, int]]:
        """Confirmed turning points in this block: (time s, angle deg, +1 peak / -1 valley, index confirmed).

        A peak is confirmed once the angle falls ``h`` below the running
        maximum (a valley symmetrically); the loop runs once per turning
        point, each step vectorised over at most ``_WINDOW`` samples.
        """
        out = []
        i = 0
        while i < len(s):
            # Bounded look-ahead: each turning point costs O(window), not O(block), in long batch
            # blocks; the running extreme carries the search across windows.
            stop = i + _WINDOW
            signed = self._mode * s[i:stop]
            run = np.maximum.accumulate(np.maximum(signed, self._extreme[1]))
            back = np.flatnonzero(signed < run - h[i:stop])
            if back.size == 0:
                k = int(np.argmax(signed))
                if signed[k] > self._extreme[1]:
                    self._extreme = (float(t[i + k]), float(signed[k]))
                i = stop
                continue
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

    def _stride(self, t_s: float, angle: float, shock: float, posture: FloatArray) -> list[_Step]:
        """Handle a confirmed peak; return the banded leg's steps now certain.

        A stride is the interval from the last stride's peak to this one.
        Inside a bout every stride of plausible period and swing counts, a
        smaller peak sooner than ``min_period_s`` is a wiggle within the
        stride (see ``wiggle``) and a larger one waits for the next peak
        (see ``early_share``); opening a bout takes ``confirm_strides``
        strides of regular period after the opening peak.
        """
        p = self.params
        t_valley, a_valley = self._turns[-2] if len(self._turns) > 1 else (t_s, angle)
        period, swing = t_s - self._peak_s, angle - a_valley
        if period < p.min_period_s and self._in_bout and swing < p.wiggle * self._swing:
            return []
        rising, falling = self._mean_power(t_valley, t_s), self._mean_power(self._peak_s, t_valley)
        stride = (self._peak_s, t_valley, t_s, period, math.log((rising + 1e-9) / (falling + 1e-9)))
        opening_deg, drift = self._peak_deg, angle_deg(posture, self._peak_direction)
        self._peak_s, self._peak_deg, self._swing, self._peak_direction = t_s, angle, swing, posture
        early, self._early = self._early, None
        shape_ok = (p.min_swing_deg <= swing <= p.max_swing_deg and shock >= p.min_shock
                    and drift <= p.max_drift_deg)
        opening = not self._in_bout and not self._bout
        # The peak before this stride ends a stride too if the bout opens at it (see _opening_stride).
        # Never a stride already counted: a bout that ended at this peak may open again at it.
        opens_with_stride = stride[0] > self._counted_until_s + 0.5 * period and (
            opening_deg >= a_valley + p.opening_share * swing or self._stepping_before(stride[0], period, t_s))
        # The first stride after the opening peak may end early too, before there is a period to
        # measure it by: the shortest stride's share stands in for the bout's.
        reference = self._period if self._in_bout else p.min_period_s
        if ((self._in_bout or opening) and early is None and shape_ok and p.early_share > 0.0
                and p.early_share * reference <= period < p.min_period_s):
            self._early = stride
            self._early_opens = opening and opens_with_stride
            return []
        if early is not None and self._in_bout:
            pair = early[3] + period
            if shape_ok and 2.0 / p.period_ratio <= pair / self._period <= 2.0 * p.period_ratio:
                self._period = period
                return self._steps([early, stride])
            return self._close_bout()
        if early is not None:
            # Opening: when the two periods together make two strides of a walk, the early one
            # at least ``early_share`` of one, both count; otherwise the early peak may open a bout.
            half = 0.5 * (early[3] + period)
            if shape_ok and p.min_period_s <= half <= p.max_period_s and early[3] >= p.early_share * half:
                self._bout = [self._opening_stride(early, half)] if self._early_opens else []
                self._bout.append(early)
                self._period = half
        if not (p.min_period_s <= period <= p.max_period_s and shape_ok):
            return self._close_bout()
        if self._in_bout:
            self._period = period
            return self._steps([stride])
        if self._bout and not 1.0 / p.period_ratio <= period / self._period <= p.period_ratio:
            self._bout = []
        if not self._bout and opens_with_stride:
            self._bout = [self._opening_stride(stride, period)]
        self._period = period
        self._bout.append(stride)
        if len(self._bout) <= p.confirm_strides:
            return []
        self._in_bout = True
        done, self._bout = self._bout, []
        return self._steps(done)

    @staticmethod
    def _opening_stride(first: _Stride, period_s: float) -> _Stride:
        """The stride that ends at the peak opening a bout, one ``period_s`` (s) before ``first``.

        The peak that opens a bout ends a stride too when it flexes the
        thigh like the strides after it: the banded leg stepped first, its
        swing merged with getting into the squat. A lower shoulder is the end
        of the descent while the other leg stepped first.
        """
        return (first[0] - period_s, first[1] - period_s, first[0], period_s, 0.0)

    def _close_bout(self) -> list[_Step]:
        self._bout = []
        self._in_bout = False
        self._evidence = 0.0
        return []

    def _steps(self, strides: list[_Stride]) -> list[_Step]:
        """The banded leg's steps of strides now certain, in the direction the bout's strides so far tell.

        Its swing is the half of the stride in which the band accelerates
        more: walking forward the inclination rises, backward it falls.
        """
        self._evidence += sum(stride[4] for stride in strides)
        self._counted_until_s = strides[-1][2]
        p = self.params
        if self._evidence >= 0.0:
            # The swing closes the stride, so the other leg steps in the next one: where the next
            # is already known (a bout's opening strides), its period places that step.
            until_next = [stride[3] for stride in strides[1:]] + [strides[-1][3]]
            return [(valley + p.forward_shift_s, peak + p.forward_shift_s, ahead, "forward")
                    for (_, valley, peak, _, _), ahead in zip(strides, until_next)]
        # Walking backward the thigh goes on extending after the foot lands, so the valley is no
        # edge: the swing takes a fixed share of the stride from the peak that opens it.
        return [(opened + p.backward_shift_s, opened + p.backward_shift_s + p.backward_swing_share * period, period,
                 "backward") for opened, _, _, period, _ in strides]

    def _stepping_before(self, peak_s: float, period_s: float, next_peak_s: float) -> bool:
        """Whether the stride before the peak at ``peak_s`` (s) looks walked: a foot strike, then a swing.

        The stride after the peak lasts ``period_s`` (s), up to
        ``next_peak_s`` (s); see ``opening_power_share``.
        """
        p = self.params
        after = self._mean_power(peak_s, next_peak_s)
        if not (p.opening_power_share > 0.0 and after > 0.0):
            return False
        landed = self._largest_shock(peak_s - period_s, peak_s - 0.5 * period_s) >= p.min_shock
        return landed and self._mean_power(peak_s - 0.5 * period_s, peak_s) >= p.opening_power_share * after

    def _largest_shock(self, start_s: float, end_s: float) -> float:
        """Largest shock from ``start_s`` to ``end_s`` (s) in the recent history, m/s² (0 if none)."""
        begin, end = np.searchsorted(self._shock_t, (start_s, end_s), side="left")
        return float(self._shock_v[begin:end].max(initial=0.0))

    def _mean_power(self, start_s: float, end_s: float) -> float:
        """Mean power of the swing-band acceleration from ``start_s`` to ``end_s`` (s), (m/s²)²."""
        if not end_s > start_s or len(self._power_t) == 0:
            return 0.0
        begin, end = np.interp((start_s, end_s), self._power_t, self._power_cum)
        return float(end - begin) / (end_s - start_s)

    def _note_power(self, block: GridBlock) -> None:
        """Add a block to the running integral of the swing-band acceleration power.

        The history keeps the whole block, however long, after the last
        ``_POWER_HISTORY_S`` before it: a stride's halves reach back that far
        from a peak in the block.
        """
        x = self._swing_power.push(block.acc)
        cum = self._power_total + np.cumsum((x * x).sum(axis=1)) / self.rate_hz
        self._power_total = float(cum[-1])
        self._power_t = np.concatenate((self._power_t[-self._power_keep :], block.t - self._power_lag_s))
        self._power_cum = np.concatenate((self._power_cum[-self._power_keep :], cum))

    def _reps(self, steps: list[_Step]) -> list[Rep]:
        """The banded leg's ``steps``, and the other leg's steps whose end has passed.

        The other leg's step is inferred half a stride after the banded one
        (the legs alternate evenly), so it may still lie ahead: it is held
        until the stream reaches its end, never counted before it happens.
        """
        out: list[Rep] = []
        for start, end, period, direction in steps:
            self.strides += 1
            out.append(Rep(self.exercise, start, end, peak_s=end, direction=direction, leg="banded",
                           emitted_at_s=self._now))
            self._ahead.append((start + 0.5 * period, end + 0.5 * period, direction))
        return sorted(out + self._other_steps(until_s=self._now), key=lambda r: r.start_s)

    def _other_steps(self, until_s: float) -> list[Rep]:
        """Release the held other-leg steps that end by ``until_s`` (s)."""
        due = [step for step in self._ahead if step[1] <= until_s]
        self._ahead = [step for step in self._ahead if step[1] > until_s]
        return [Rep(self.exercise, start, end, direction=direction, leg="other", emitted_at_s=self._now)
                for start, end, direction in due]

    # -- streaming API ---------------------------------------------------------

    def push(self, block: GridBlock) -> list[Rep]:
        """Process one grid block and return the steps that became certain."""
        if len(block) == 0:
            return []
        if block.gap_before:
            self._restart()
        p = self.params
        self._note_power(block)
        u, shock = self._gravity_direction(block.acc)
        if len(u) == 0:
            return []
        centre = block.t[len(block) - len(u):] - self._median.delay / self.rate_hz
        # Shocks are kept as far back as the power: the stride before a bout's opening peak.
        self._shock_t = np.concatenate((self._shock_t[-self._power_keep :], centre))
        self._shock_v = np.concatenate((self._shock_v[-self._power_keep :], shock))
        t = centre - self._lag_s
        s, dev, mean, axis_code = self._inclination(u)
        self._posture.observe(t, u)
        amplitude = self._amplitude.push(np.abs(dev)[:, None])[:, 0]
        h = np.minimum(np.maximum(p.hysteresis * amplitude, p.min_hysteresis_deg), p.max_hysteresis_deg)
        self._now = float(block.t[-1])
        steps: list[_Step] = []
        done = 0
        for t_s, angle, kind, j in self._turning_points(t, s, h):
            self._shock = max(self._shock, float(shock[done:j + 1].max(initial=0.0)))
            done = j + 1
            self._turns = [*self._turns[-1:], (t_s, angle)]
            least_deg = p.min_squat_deg - (p.squat_hysteresis_deg if self._in_bout else 0.0)
            if not least_deg <= self._squat_deg(t_s, mean[j], axis_code[j]) <= p.max_squat_deg:
                steps += self._close_bout()
            elif kind > 0:
                steps += self._stride(t_s, angle, self._shock, mean[j])
            if kind > 0:
                self._shock = 0.0
        self._shock = max(self._shock, float(shock[done:].max(initial=0.0)))
        return self._reps(steps)

    def finish(self) -> list[Rep]:
        """End of stream: the other leg's last steps, inferred from the strides counted."""
        return self._other_steps(until_s=np.inf)

    def warnings(self) -> list[str]:
        """None: a walk shows nothing about the band's placement that the counter checks."""
        return []

    def revise(self, reps: tuple[Rep, ...]) -> tuple[Rep, ...]:
        """A finished set's steps as counted: nothing to revise."""
        return reps

