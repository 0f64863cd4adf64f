"""Clamshell counter: the top thigh opens by at least ``min_rom_deg`` and closes again.

Orientation-agnostic: the counter never asks which way the band is turned. It
tracks the direction of gravity in the band's frame; while the person lies on
the side with the knee closed that direction is steady (the *closed
reference*), and opening the knee turns the thigh, so gravity swings away from
the reference by the opening angle. One rep is a swing away by at least
``min_rom_deg`` that comes back to the reference.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from sensor.dsp.filters import StreamingSOS
from sensor.dsp.resample import GridBlock
from sensor.exercises.base import Rep
from sensor.units import DEG_PER_RAD


@dataclass(frozen=True, kw_only=True)
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
        Swing from the reference that arms a rep candidate, deg.
    return_fraction : float
        A rep closes once the angle is back below this share of its peak.
    onset_speed_fraction : float
        Start and end are where the swing's angular speed falls below this
        share of the rep's fastest speed (speed-based, so slow and fast reps
        get equally tight boundaries).
    max_hold_s : float
        Longer stays away from the reference are a new posture, not a hold, s.
    min_phase_s : float
        Opening and closing each take at least this long, s (rejects knee bounces).
    max_impact_ms2 : float
        A rep containing a shock larger than this (foot strike, bump), m/s²,
        is not a clamshell.
    reference_tau_s : float
        Time constant with which the closed reference follows the posture
        while the thigh is still, s.
    still_speed_dps : float
        Below this angular speed the thigh counts as still, deg/s.
    settle_s : float
        After a posture change the closed reference is taken once the thigh
        has been still this long, s.
    """

    min_rom_deg: float = 10.0
    max_rom_deg: float = 70.0
    gravity_cutoff_hz: float = 1.5
    start_deg: float = 4.0
    return_fraction: float = 0.3
    onset_speed_fraction: float = 0.08
    max_hold_s: float = 12.0
    min_phase_s: float = 0.25
    max_impact_ms2: float = 4.0
    reference_tau_s: float = 0.25
    still_speed_dps: float = 6.0
    settle_s: float = 0.2


@dataclass
class _Sample:
    t: float
    angle_deg: float
    speed_dps: float
    impact_ms2: float


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
    Data requirements: accelerometer; a gyroscope, when present, sharpens the
    rep boundaries (angular speed from the gyro instead of from the
    differentiated gravity direction).
    """

    exercise = "clamshell"

    def __init__(self, rate_hz: float, params: ClamshellParams | None = None) -> None:
        self.rate_hz = rate_hz
        self.params = params or ClamshellParams()
        p = self.params
        self._gravity = StreamingSOS.smooth_lowpass(p.gravity_cutoff_hz, rate_hz, 3)
        self._speed = StreamingSOS.lowpass(2.0, rate_hz, 1)
        self._delay_s = self._gravity.group_delay_s(rate_hz)
        self._ref: np.ndarray | None = None
        self._prev_u: np.ndarray | None = None
        self._history: deque[_Sample] = deque(maxlen=int(3 * rate_hz))
        self._rep: list[_Sample] | None = None
        self._peak = 0.0
        self._alpha = 1.0 / (p.reference_tau_s * rate_hz)
        self._still_s = 0.0
        self._now_s = float("nan")

    # --- streaming interface -------------------------------------------------

    def push(self, block: GridBlock) -> list[Rep]:
        """Consume grid samples; return reps completed in them."""
        if len(block) == 0:
            return []
        if block.gap_before:
            self._restart()
        g = self._gravity.push(block.acc)
        norm = np.linalg.norm(g, axis=1, keepdims=True)
        u = g / np.where(norm > 0, norm, 1.0)
        impact = np.abs(np.linalg.norm(block.acc, axis=1) - norm[:, 0])
        speed = self._angular_speed(u, block)
        self._now_s = float(block.t[-1])
        reps: list[Rep] = []
        t_list = (block.t - self._delay_s).tolist()
        for i, t in enumerate(t_list):
            rep = self._step(t, u[i], float(speed[i]), float(impact[i]))
            if rep is not None:
                reps.append(rep)
        return reps

    def finish(self) -> list[Rep]:
        """End of stream: a rep still open is incomplete and is dropped."""
        self._rep = None
        return []

    # --- internals -------------------------------------------------------------

    def _restart(self) -> None:
        self._gravity.reset()
        self._speed.reset()
        self._ref = None
        self._prev_u = None
        self._rep = None
        self._history.clear()
        self._still_s = 0.0

    def _angular_speed(self, u: np.ndarray, block: GridBlock) -> np.ndarray:
        """Angular speed of the thigh, deg/s (gyro norm, or rate of change of gravity direction)."""
        if block.gyro is not None:
            raw = np.linalg.norm(block.gyro, axis=1)
        else:
            prev = u[0] if self._prev_u is None else self._prev_u
            stacked = np.vstack((prev, u))
            cos = np.clip(np.einsum("ij,ij->i", stacked[1:], stacked[:-1]), -1.0, 1.0)
            raw = np.arccos(cos) * DEG_PER_RAD * self.rate_hz
        self._prev_u = u[-1].copy()
        return self._speed.push(raw[:, None])[:, 0]

    def _step(self, t: float, u: np.ndarray, speed: float, impact: float) -> Rep | None:
        p = self.params
        if self._ref is None:
            # Unsettled (start, after a gap or a posture change): wait for stillness first.
            self._still_s = self._still_s + 1.0 / self.rate_hz if speed <= p.still_speed_dps else 0.0
            if self._still_s < p.settle_s:
                return None
            self._ref = u.copy()
        cos = float(u @ self._ref)
        angle = math.degrees(math.acos(max(-1.0, min(1.0, cos))))
        sample = _Sample(t, angle, speed, impact)
        if self._rep is None:
            self._history.append(sample)
            if angle >= p.start_deg:
                self._rep = list(self._history)
                self._peak = angle
            elif speed <= p.still_speed_dps:
                ref = self._ref + self._alpha * (u - self._ref)
                self._ref = ref / np.linalg.norm(ref)
            return None
        self._rep.append(sample)
        self._peak = max(self._peak, angle)
        if self._peak > p.max_rom_deg or t - self._rep[0].t > p.max_hold_s + 10.0:
            self._abandon()
            return None
        if angle > p.return_fraction * self._peak:
            if self._time_above(0.9 * self._peak) > p.max_hold_s:
                self._abandon()
            return None
        if self._peak < p.min_rom_deg:
            self._abandon(keep_reference=True)
            return None
        # Closing: wait until the thigh has (nearly) stopped or is back near the reference.
        fastest = max(s.speed_dps for s in self._rep)
        if speed > p.onset_speed_fraction * fastest:
            return None
        rep = self._build_rep(self._rep)
        self._rep = None
        self._history.clear()
        self._history.append(sample)
        # The closed posture may have shifted a little during the rep: start the next one from here.
        self._ref = u.copy()
        return rep

    def _time_above(self, level: float) -> float:
        assert self._rep is not None
        first = next((s.t for s in self._rep if s.angle_deg >= level), None)
        return 0.0 if first is None else self._rep[-1].t - first

    def _abandon(self, keep_reference: bool = False) -> None:
        self._rep = None
        self._history.clear()
        if not keep_reference:
            self._ref = None
            self._still_s = 0.0

    def _build_rep(self, samples: list[_Sample]) -> Rep | None:
        p = self.params
        t = np.array([s.t for s in samples])
        angle = np.array([s.angle_deg for s in samples])
        speed = np.array([s.speed_dps for s in samples])
        impact = np.array([s.impact_ms2 for s in samples])
        i_peak = int(np.argmax(angle))
        peak = float(angle[i_peak])
        slow = speed <= p.onset_speed_fraction * float(speed.max())
        # 1. start: last slow moment before the angle first reached 20 % of the peak.
        i_rise = int(np.argmax(angle >= 0.2 * peak))
        before = np.flatnonzero(slow[: i_rise + 1] | (angle[: i_rise + 1] <= 0.05 * peak))
        i_start = int(before[-1]) if len(before) else 0
        # 2. end: first slow moment after the angle fell back below 20 % of the peak.
        falling = np.flatnonzero(angle[i_peak:] < 0.2 * peak)
        i_fall = i_peak + (int(falling[0]) if len(falling) else len(angle) - 1 - i_peak)
        after = np.flatnonzero(slow[i_fall:] | (angle[i_fall:] <= 0.05 * peak))
        i_end = i_fall + (int(after[0]) if len(after) else len(angle) - 1 - i_fall)
        top = np.flatnonzero(angle >= 0.9 * peak)
        t_open = float(t[top[0]])
        t_close = float(t[top[-1]])
        start, end = float(t[i_start]), float(t[i_end])
        if (
            impact[i_start : i_end + 1].max(initial=0.0) > p.max_impact_ms2
            or t_open - start < p.min_phase_s
            or end - t_close < p.min_phase_s
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
            rom_deg=peak,
            emitted_at_s=self._now_s,
        )
