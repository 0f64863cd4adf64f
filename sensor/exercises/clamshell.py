"""Clamshell counter: the top thigh opens by at least ``min_rom_deg`` and closes again.

Orientation-agnostic: the counter never asks which way the band is turned. It
tracks the direction of gravity in the band's frame; while the person lies on
the side with the knee closed that direction is steady (the *closed
reference*), and opening the knee turns the thigh, so gravity swings away from
the reference by the opening angle. One rep is a swing away by at least
``min_rom_deg`` that comes back.

The stream is processed a block at a time with numpy; Python-level state
changes happen only at events (a swing starts, returns, ends, or the posture
changes), so quiet stretches cost a few array operations per block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
from scipy import signal

from sensor.dsp.filters import StreamingSOS
from sensor.dsp.resample import GridBlock
from sensor.dsp.vectors import cross3, first_true, row_norms, row_steps
from sensor.exercises.base import Rep
from sensor.types import FloatArray
from sensor.units import DEG_PER_RAD

#: Minimum-jerk movement (Flash and Hogan 1985): duration = this x amplitude / peak speed.
_MIN_JERK_SPAN = 1.875


@dataclass(frozen=True, kw_only=True, slots=True)
class ClamshellParams:
    """Parameters of :class:`ClamshellCounter` (units in the names).

    Attributes
    ----------
    min_rom_deg : float
        Smallest opening counted as a rep, deg.
    max_rom_deg : float
        Larger swings are posture changes (rolling over, getting up), deg.
    gravity_cutoff_hz : float
        Low-pass cut-off separating gravity from movement acceleration, Hz.
    start_deg : float
        Swing above the lowest angle since the last rep that arms a rep
        candidate, deg.
    return_fraction : float
        A swing has come back once its angle is below this share of its
        opening.
    end_speed_fraction : float
        After coming back, the rep is emitted once the angular speed is below
        this share of the rep's fastest speed (the thigh has stopped).
    end_wait_s : float
        ... or at the latest this long after coming back, s.
    max_rep_s : float
        Longer stays away from the reference are a new posture, not a rep, s.
    min_phase_s : float
        Opening and closing each take at least this long, s (rejects knee bounces).
    min_rep_s : float
        A rep takes at least this long, s (a walking step swings the thigh as
        far, but in well under a second).
    max_sideways_deg : float
        A clamshell opens and closes about one axis, so the thigh comes back
        the way it went; a top position that wanders sideways off that path
        by more than this (a turned thigh, a band tugged round it), deg, is
        not a clamshell.
    max_sideways_share : float
        ... or by more than this share of the ROM, when that is larger: a real
        hip is no perfect hinge, and its wander grows with the opening (real
        side-lying leg lifts wander by up to 0.22 of their ROM, the
        generator's noisiest reps by 0.18; fidgeting that passes every other
        test wanders by 0.34 at the median).
    max_shock_rms_ms2 : float
        A rep whose shocks (specific force off its low-passed value) have an
        RMS above this, m/s², was made on a leg bearing weight: every foot
        strike of a walk shakes the thigh (RMS 4.5 m/s² and more on walking
        steps that pass every other test), while a leg lifted lying down
        shakes it only when set down briskly (at most 1.4 m/s² on real
        side-lying and prone leg lifts, whose single largest shock reaches
        8 m/s²).
    min_turn_ratio : float
        With a gyroscope, the angle the thigh turns through during a rep
        (integrated angular speed, deg) is at least this share of twice the
        ROM. Less, and gravity seemed to swing further than the thigh turned:
        the swing was sideways acceleration of the body (side steps). There is
        no upper bound: real thighs twist as they open, and gyroscope bias
        adds turn during long holds.
    reference_tau_s : float
        Time constant with which the closed reference follows the posture
        while the thigh is still, s.
    still_speed_dps : float
        Below this angular speed the thigh counts as still, deg/s.
    settle_s : float
        After a posture change the closed reference is taken once the thigh
        has been still this long, s.
    lookback_s : float
        How far before the moment a swing is armed its start is searched, s.
    resume_gap_s : float
        After a gap in the data no longer than this, s, the person is taken to
        be still in position: the closed reference is kept (a rep the gap cut
        into is dropped). After a longer gap the reference is found afresh.
    new_position_deg : float
        A rep whose closed position lies further than this from the previous
        rep's, deg, was made from another position (the person sat up, rolled
        over or lay down again): it gets a new ``Rep.position``, and reps from
        different positions are never one set. Within a set the closed position
        drifts by a few degrees.
    bottom_thigh_s : float
        With no rep found at all, this long still in position (a closed
        reference held, no swing), s, says the band may be on the bottom
        thigh: lying on it, the thigh never opens while the other knee does.
    small_openings : int
        With no rep found at all, this many openings that came back short of
        ``min_rom_deg`` say the reps may have been smaller than it (a
        low-amplitude rehab exercise): the counter suggests a smaller one
        instead of the bottom-thigh hint.
    """

    min_rom_deg: float = 10.0
    max_rom_deg: float = 70.0
    gravity_cutoff_hz: float = 1.5
    start_deg: float = 4.0
    return_fraction: float = 0.3
    end_speed_fraction: float = 0.08
    end_wait_s: float = 0.5
    max_rep_s: float = 10.0
    min_phase_s: float = 0.3
    min_rep_s: float = 1.0
    max_sideways_deg: float = 4.0
    max_sideways_share: float = 0.25
    max_shock_rms_ms2: float = 2.0
    min_turn_ratio: float = 0.75
    reference_tau_s: float = 0.25
    still_speed_dps: float = 6.0
    settle_s: float = 0.2
    lookback_s: float = 2.0
    resume_gap_s: float = 5.0
    new_position_deg: float = 30.0
    bottom_thigh_s: float = 30.0
    small_openings: int = 3


class _Mode(Enum):
    SETTLING = 0  # no closed reference: wait until the thigh is still
    IDLE = 1  # reference known, waiting for a swing
    OPEN = 2  # swing armed, waiting for it to come back
    CLOSING = 3  # swing came back, waiting for the thigh to stop
    RESUMING = 4  # after a short gap: reference kept, waiting for the thigh to be back at it


#: Samples examined per state-machine step.
_WINDOW = 256

# Columns of the sample history.
_T, _U, _SPEED, _IMPACT = 0, slice(1, 4), 4, 5


def _angle_deg(u: FloatArray, ref: FloatArray) -> FloatArray:
    """Angle between unit rows of ``u`` and the direction ``ref`` (rows or one vector), deg."""
    # Called once per state-machine step: plain products avoid np.linalg's per-call overhead.
    if ref.ndim == 1:
        cos = (u @ ref) / np.sqrt(ref @ ref)
    else:
        cos = np.einsum("ij,ij->i", u, ref) / np.sqrt(np.einsum("ij,ij->i", ref, ref))
    return np.arccos(np.minimum(np.maximum(cos, -1.0), 1.0)) * DEG_PER_RAD


def _sideways_deg(base: FloatArray, out: FloatArray, back: FloatArray) -> float:
    """How far ``back`` lies off the great circle through ``base`` and ``out`` (unit vectors), deg."""
    normal = cross3(base, out)
    sine = min(max(float(back @ normal / np.sqrt(normal @ normal)), -1.0), 1.0)  # np.clip costs more on one value
    return float(abs(np.arcsin(sine)) * DEG_PER_RAD)


class ClamshellCounter:
    """Streaming clamshell rep counter on the uniform grid.

    Parameters
    ----------
    rate_hz : float
        Rate of the grid the counter is fed, Hz.
    params : ClamshellParams
        Thresholds; see :class:`ClamshellParams`.

    Notes
    -----
    Data requirements: accelerometer; a gyroscope, when present, gives the
    angular speed used to find when the thigh is still (otherwise it comes
    from the differentiated gravity direction).

    Rep start and end are extrapolated from the swing's half-way time and
    peak speed with the minimum-jerk profile of smooth human movement
    (T. Flash and N. Hogan, "The coordination of arm movements", J. Neurosci.
    5(7):1688-1703, 1985), so they do not depend on a speed threshold that
    would cut the slow tails of every rep.
    """

    exercise = "clamshell"
    _history: FloatArray  # rows (t s, gravity direction xyz, angular speed deg/s, shock m/s²), see _restart
    _n_seen: int  # rows pushed since the last restart

    def __init__(self, rate_hz: float, params: ClamshellParams | None = None) -> None:
        self.rate_hz = rate_hz
        self.params = p = params or ClamshellParams()
        self._gravity = StreamingSOS.smooth_lowpass(p.gravity_cutoff_hz, rate_hz, 3)
        self._speed = StreamingSOS.lowpass(2.0, rate_hz, 3)
        self._delay_s = self._gravity.group_delay_s(rate_hz)
        alpha = 1.0 / (p.reference_tau_s * rate_hz)
        self._ema = (np.array([alpha]), np.array([1.0, alpha - 1.0]))
        self._settle_n = max(1, round(p.settle_s * rate_hz))
        self._lookback_n = round(p.lookback_s * rate_hz)
        self._keep_n = round((p.max_rep_s + p.lookback_s + p.end_wait_s) * rate_hz) + 2
        self._prev_u: FloatArray | None = None
        # Closed position of the last rep and its number; kept across restarts, as the band stays on.
        self._position_base: FloatArray | None = None
        self._position = 0
        # Session totals, kept across restarts: samples still in position, reps found, and
        # openings that came back short of min_rom_deg with the smallest and largest of them (deg).
        self._still_in_position_n = 0
        self._reps_found = 0
        self._small_openings = 0
        self._small_range_deg = (math.inf, 0.0)
        # Without a gyroscope the speed comes from gravity itself, so the turn check says nothing.
        self._has_gyro = False
        self._steps = {
            _Mode.SETTLING: self._settle,
            _Mode.IDLE: self._idle,
            _Mode.OPEN: self._open,
            _Mode.CLOSING: self._closing,
            _Mode.RESUMING: self._resume,
        }
        self._restart()

    # --- streaming interface -------------------------------------------------

    def push(self, block: GridBlock) -> list[Rep]:
        """Consume grid samples; return reps completed in them.

        Parameters
        ----------
        block : GridBlock
            Samples on the grid (acc m/s², gyro deg/s, t s).

        Returns
        -------
        list of Rep
            Reps that ended and became certain in this block.
        """
        if len(block) == 0:
            return []
        if block.gap_before:
            self._gravity.reset()
            self._speed.reset()
            self._prev_u = None
            self._after_gap(float(block.t[0]))
        self._has_gyro = block.gyro is not None
        # 1. Gravity direction, angular speed and shocks for the whole block.
        g = self._gravity.push(block.acc)
        norm = row_norms(g)
        u = g / np.where(norm > 0, norm, 1.0)[:, None]
        impact = np.abs(row_norms(block.acc) - norm)
        speed = self._angular_speed(u, block.gyro)
        rows = np.column_stack((block.t - self._delay_s, u, speed, impact))
        base = self._n_seen
        self._history = np.concatenate((self._history, rows))
        self._n_seen += len(rows)
        self._now_s = float(block.t[-1])
        # 2. The state machine, advanced from event to event.
        reps: list[Rep] = []
        i = base
        while i < self._n_seen:
            # Bounded look-ahead: each event costs O(window), not O(block). A step may also
            # rewind into the kept history (see _open).
            i, rep = self._steps[self._mode](self._rows(i, i + _WINDOW), i)
            if rep is not None:
                reps.append(rep)
        self._reps_found += len(reps)
        # Bounded memory: the longest swing still needs at most this much of the past.
        self._history = self._history[-self._keep_n :]
        return reps

    def finish(self) -> list[Rep]:
        """End of stream: a swing still open is incomplete and is dropped.

        Returns
        -------
        list of Rep
            Always empty.
        """
        self._restart()
        return []

    def warnings(self) -> list[str]:
        """Hints when no rep was found: the reps were smaller than ``min_rom_deg``, or the band is on the bottom thigh.

        Several openings that came back short of ``min_rom_deg`` suggest a
        smaller one. Otherwise ``bottom_thigh_s`` still in position suggests
        the bottom thigh: lying on the band's thigh, the person opens the
        other knee and this thigh only lies still. Nothing in a still signal
        tells which thigh is on top, so that hint is worded as a question.
        """
        p = self.params
        if self._reps_found:
            return []
        if self._small_openings >= p.small_openings:
            smallest, largest = self._small_range_deg
            return [
                f"the thigh opened {self._small_openings} times by {smallest:.1f} to {largest:.1f} deg, short of "
                f"the {p.min_rom_deg:g} deg a rep needs: if those were reps, give --min-rom {math.floor(smallest):d}"
            ]
        still_s = self._still_in_position_n / self.rate_hz
        if still_s < p.bottom_thigh_s:
            return []
        return [
            f"the thigh stayed still for {still_s:.0f} s in all and never opened: if you were doing clamshells, "
            "the band may be on the bottom thigh (it must go on the top one)"
        ]

    def revise(self, reps: tuple[Rep, ...]) -> tuple[Rep, ...]:
        """A finished set's reps as counted: each rep is judged whole when it is reported."""
        return reps

    # --- internals -------------------------------------------------------------

    def _restart(self) -> None:
        self._mode = _Mode.SETTLING
        self._still_n = 0
        self._ref = np.zeros(3)
        self._floor_deg = 0.0
        self._floor_at = 0
        self._rep_from = 0
        self._armed_at = 0
        self._peak_deg = 0.0
        self._returned_at_s = 0.0
        self._resumed_s = 0.0
        self._history = np.empty((0, 6))
        self._n_seen = 0
        self._now_s = float("nan")

    def _after_gap(self, resumed_s: float) -> None:
        """Keep the closed reference across a short gap; restart from scratch after a long one."""
        if self._mode is _Mode.SETTLING or not resumed_s - self._now_s <= self.params.resume_gap_s:
            self._restart()
            return
        # Without this, a gap during a long hold at the top made the open position the new
        # reference, and every rep after it was counted out of phase (close-then-open).
        self._mode = _Mode.RESUMING
        self._resumed_s = resumed_s

    def _angular_speed(self, u: FloatArray, gyro: FloatArray | None) -> FloatArray:
        """Angular speed of the thigh, deg/s.

        The length of the smoothed gyroscope rate or, without a gyroscope, of
        the smoothed turn rate of the gravity direction.
        """
        if gyro is not None:
            rate = gyro
        else:
            prev = u[:1] if self._prev_u is None else self._prev_u[None, :]
            # For small steps |du| is the turn angle in rad.
            rate = row_steps(u, prev) * (DEG_PER_RAD * self.rate_hz)
        self._prev_u = u[-1].copy()
        # Smooth the rate vector before taking its length: the length of noise never averages
        # out, and a still thigh must read as still however noisy the band.
        return row_norms(self._speed.push(rate))

    def _rows(self, start: int, stop: int) -> FloatArray:
        """History rows with absolute sample indices ``start`` to ``stop`` (clipped to what is kept)."""
        first = self._n_seen - len(self._history)
        return self._history[max(start, first) - first : stop - first]

    def _settle(self, rows: FloatArray, at: int) -> tuple[int, None]:
        still = rows[:, _SPEED] <= self.params.still_speed_dps
        # Length of the still run ending at each sample, carried over from earlier blocks.
        idx = np.arange(len(rows))
        last_moving = np.maximum.accumulate(np.where(~still, idx, -1))
        run = np.where(last_moving >= 0, idx - last_moving, idx + 1 + self._still_n)
        k = first_true(run >= self._settle_n)
        if k is None:
            self._still_n = int(run[-1])
            return at + len(rows), None
        self._ref = rows[k, _U].copy()
        self._enter_idle(0.0, at + k)
        return at + k, None

    def _enter_idle(self, floor_deg: float, floor_at: int) -> None:
        self._mode = _Mode.IDLE
        self._floor_deg, self._floor_at = floor_deg, floor_at

    def _idle(self, rows: FloatArray, at: int) -> tuple[int, None]:
        p = self.params
        u = rows[:, _U]
        # The reference follows the posture (exponential average) on still samples only;
        # each sample is compared with the reference as it stood before it.
        still = rows[:, _SPEED] <= p.still_speed_dps
        b, a = self._ema
        followed, _ = signal.lfilter(b, a, u[still], axis=0, zi=-a[1] * self._ref[None, :])
        before = np.concatenate((self._ref[None, :], followed))[np.cumsum(still) - still]
        theta = _angle_deg(u, before)
        floor = np.minimum.accumulate(np.minimum(theta, self._floor_deg))
        k = first_true(theta >= floor + p.start_deg)
        self._still_in_position_n += int(np.count_nonzero(still if k is None else still[:k]))
        if k is None:
            self._ref = followed[-1] if still[-1] else before[-1]
            self._lower_floor(theta, at)
            return at + len(rows), None
        self._ref = before[k]
        self._lower_floor(theta[: k + 1], at)
        self._mode = _Mode.OPEN
        self._rep_from = max(at + k - self._lookback_n, self._floor_at)
        self._armed_at = at + k
        self._peak_deg = float(theta[k])
        return at + k + 1, None

    def _lower_floor(self, theta: FloatArray, at: int) -> None:
        """Track the lowest angle (deg) since the last rep and where it was (absolute index ``at`` + i)."""
        i = int(np.argmin(theta))
        if theta[i] < self._floor_deg:
            self._floor_deg, self._floor_at = float(theta[i]), at + i

    def _open(self, rows: FloatArray, at: int) -> tuple[int, None]:
        p = self.params
        theta = _angle_deg(rows[:, _U], self._ref)
        peak = np.maximum.accumulate(np.maximum(theta, self._peak_deg))
        armed_s = float(self._rows(self._armed_at, self._armed_at + 1)[0, _T])
        posture = (peak - self._floor_deg > p.max_rom_deg) | (rows[:, _T] - armed_s > p.max_rep_s)
        back = theta - self._floor_deg <= p.return_fraction * (peak - self._floor_deg)
        k = first_true(posture | back)
        if k is None:
            self._peak_deg = float(peak[-1])
            return at + len(rows), None
        if posture[k]:
            self._restart_reference()
            if peak[k] - self._floor_deg <= p.max_rom_deg:
                # Away too long: the "swing" was a new posture reached after a pause that passed
                # for settling (lying down in stages). Settle again from where it began, so the
                # reps made since are still counted.
                return self._armed_at + 1, None
        elif peak[k] - self._floor_deg < p.min_rom_deg:
            # A small wiggle: keep the reference, look for the next swing from here.
            self._note_small_opening(float(peak[k] - self._floor_deg))
            self._enter_idle(float(theta[k]), at + k)
        else:
            self._mode = _Mode.CLOSING
            self._peak_deg = float(peak[k])
            self._floor_deg, self._floor_at = float(theta[k]), at + k
            self._returned_at_s = float(rows[k, _T])
        return at + k + 1, None

    def _note_small_opening(self, rom_deg: float) -> None:
        self._small_openings += 1
        smallest, largest = self._small_range_deg
        self._small_range_deg = (min(smallest, rom_deg), max(largest, rom_deg))

    def _resume(self, rows: FloatArray, at: int) -> tuple[int, None]:
        p = self.params
        theta = _angle_deg(rows[:, _U], self._ref)
        back = theta <= p.start_deg
        lost = rows[:, _T] - self._resumed_s > p.max_rep_s
        k = first_true(back | lost)
        if k is None:
            return at + len(rows), None
        if back[k]:
            self._enter_idle(float(theta[k]), at + k)
        else:
            self._restart_reference()
        return at + k, None

    def _restart_reference(self) -> None:
        self._mode = _Mode.SETTLING
        self._still_n = 0

    def _closing(self, rows: FloatArray, at: int) -> tuple[int, Rep | None]:
        p = self.params
        theta = _angle_deg(rows[:, _U], self._ref)
        low = np.minimum.accumulate(np.minimum(theta, self._floor_deg))
        fastest = float(self._rows(self._rep_from, at)[:, _SPEED].max())
        done = (
            (rows[:, _SPEED] <= p.end_speed_fraction * fastest)
            | (theta >= low + 0.5 * p.start_deg)
            | (rows[:, _T] - self._returned_at_s >= p.end_wait_s)
        )
        k = first_true(done)
        self._lower_floor(theta if k is None else theta[: k + 1], at)
        if k is None:
            return at + len(rows), None
        rep = self._build_rep(self._rows(self._rep_from, at + k + 1))
        self._enter_idle(self._floor_deg, self._floor_at)
        return at + k + 1, rep

    def _build_rep(self, rows: FloatArray) -> Rep | None:
        """Measure a swing that came back; None when it is not a clamshell."""
        p = self.params
        t, u = rows[:, _T], rows[:, _U]
        # 1. Closed position before the swing, and the angle from it.
        i_base = int(np.argmin(_angle_deg(u, self._ref)[: self._armed_at - self._rep_from + 1]))
        phi = _angle_deg(u, u[i_base])
        phi[:i_base] = phi[i_base]
        i_peak = int(np.argmax(phi))
        rom = float(phi[i_peak])
        i_low = i_peak + int(np.argmin(phi[i_peak:]))
        if not p.min_rom_deg <= rom <= p.max_rom_deg or i_low == i_peak:
            return None
        # 2. Start and end: minimum-jerk extrapolation from the half-way time and peak speed.
        # Speed over +-2 samples: a one-sample difference lets noise inflate the peak speed.
        rate = np.zeros_like(phi)
        rate[2:-2] = (phi[4:] - phi[:-4]) * (self.rate_hz / 4.0)
        up, down = rate[i_base : i_peak + 1].max(), -rate[i_peak : i_low + 1].min()
        if up <= 0.0 or down <= 0.0:
            return None
        start = self._half_time(t, phi, i_base, i_peak) - 0.5 * _MIN_JERK_SPAN * rom / up
        drop = rom - float(phi[i_low])
        end = self._half_time(t, rom - phi, i_peak, i_low) + 0.5 * _MIN_JERK_SPAN * drop / down
        # 3. Phases (design.md §2: 90 % of the peak angle splits them).
        top = np.flatnonzero(phi >= 0.9 * rom)
        t_open, t_close = float(t[top[0]]), float(t[top[-1]])
        inside = (t >= start) & (t <= end)
        shocks = rows[inside, _IMPACT]
        shock_rms = float(np.sqrt(shocks @ shocks / len(shocks))) if len(shocks) else 0.0
        turn = rows[inside, _SPEED].sum() / self.rate_hz / (2.0 * rom)
        sideways = _sideways_deg(u[i_base], u[top[0]], u[top[-1]])
        if (
            shock_rms > p.max_shock_rms_ms2
            or (self._has_gyro and turn < p.min_turn_ratio)
            or t_open - start < p.min_phase_s
            or end - t_close < p.min_phase_s
            or end - start < p.min_rep_s
            or sideways > max(p.max_sideways_deg, p.max_sideways_share * rom)
        ):
            return None
        return Rep(
            exercise=self.exercise,
            start_s=start,
            end_s=end,
            peak_s=float(t[i_peak]),
            open_s=t_open - start,
            hold_s=t_close - t_open,
            close_s=end - t_close,
            rom_deg=rom,
            position=self._position_of(u[i_base]),
            emitted_at_s=self._now_s,
        )

    def _position_of(self, base: FloatArray) -> int:
        """Number of the position whose closed gravity direction ``base`` (unit vector) is."""
        moved = self._position_base is not None and _angle_deg(base, self._position_base) > self.params.new_position_deg
        self._position += int(moved)
        self._position_base = base.copy()
        return self._position

    @staticmethod
    def _half_time(t: FloatArray, x: FloatArray, i0: int, i1: int) -> float:
        """Time at which ``x`` last rises through half of its range between samples i0 and i1, s."""
        seg = x[i0 : i1 + 1]
        half = 0.5 * (seg[0] + seg[-1])
        below = np.flatnonzero(seg < half)
        j = int(below[-1]) if len(below) else 0
        if j + 1 >= len(seg):
            return float(t[i0 + j])
        frac = (half - seg[j]) / (seg[j + 1] - seg[j])
        return float(t[i0 + j] + frac * (t[i0 + j + 1] - t[i0 + j]))
