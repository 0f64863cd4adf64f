"""The thigh's axis in the band frame and its still postures, shared by the walk counters.

The band is strapped round the thigh, so one of its axes runs along the
thigh (give or take a tilted mount); which one, and which way up, is not
known. While the thigh is near vertical the slow gravity direction lies
near that axis: :class:`ThighPosture` takes the band axis nearest it and
holds it while the thigh is inclined further (deep in a squat another axis
may come nearer). Still spells of the gravity direction are remembered as
postures; the one nearest the thigh axis is the person standing, the
reference a squat's depth is measured from. Sitting and lying are further
from the thigh axis than ``max_standing_deg`` and never serve.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from sensor.dsp.vectors import norm3, row_norms, row_steps
from sensor.types import FloatArray


@dataclass(frozen=True, kw_only=True, slots=True)
class PostureParams:
    """Parameters of :class:`ThighPosture`.

    Attributes
    ----------
    axis_switch_deg : float
        The thigh axis is re-chosen only while the slow gravity direction is
        within this angle of a band axis, deg.
    still_rate_dps : float
        Gravity direction turning slower than this is still, deg/s.
    min_still_s : float
        Shortest still spell remembered as a posture, s.
    max_standing_deg : float
        Largest angle between a still posture and the thigh axis for it to
        serve as the standing reference, deg.
    lookback_s : float
        Still postures older than this are forgotten, s (a band moved on the
        thigh makes older ones meaningless).
    """

    axis_switch_deg: float = 30.0
    still_rate_dps: float = 5.0
    min_still_s: float = 0.8
    max_standing_deg: float = 35.0
    lookback_s: float = 120.0


class ThighPosture:
    """Streaming thigh axis and still postures on the uniform grid.

    Parameters
    ----------
    rate_hz : float
        Grid rate, Hz.
    params : PostureParams
        Thresholds; see :class:`PostureParams`.
    """

    def __init__(self, rate_hz: float, params: PostureParams | None = None) -> None:
        self.params = params or PostureParams()
        self.rate_hz = rate_hz
        self._switch_cos = np.cos(np.radians(self.params.axis_switch_deg))
        self._standing_cos = np.cos(np.radians(self.params.max_standing_deg))
        self.reset()

    def reset(self) -> None:
        """Forget everything (after a gap)."""
        self._axis_code = 0.0
        self._last_u: FloatArray | None = None
        self._spell_sum = np.zeros(3)  # still spell in progress: sum of directions, samples, end s
        self._spell_n = 0
        self._spell_end_s = 0.0
        self._postures: deque[tuple[float, FloatArray]] = deque()  # (end s, unit direction)

    def axis_codes(self, mean: FloatArray) -> FloatArray:
        """Thigh axis per sample, coded +-1, +-2, +-3 for the band's +-x, +-y, +-z.

        Parameters
        ----------
        mean : array (n, 3)
            Slow gravity direction (unit vectors, band frame).
        """
        rows = np.arange(len(mean))
        nearest = np.argmax(np.abs(mean), axis=1)
        along = mean[rows, nearest]
        candidate = (nearest + 1) * np.sign(along)
        valid = np.abs(along) >= self._switch_cos
        last = np.maximum.accumulate(np.where(valid, rows, -1))
        code = np.where(last >= 0, candidate[np.maximum(last, 0)], self._axis_code or candidate[0])
        self._axis_code = float(code[-1])
        return code

    def observe(self, t: FloatArray, u: FloatArray) -> None:
        """Remember each still spell of at least ``min_still_s`` as a posture.

        Parameters
        ----------
        t : array (n,)
            Sample times, s.
        u : array (n, 3)
            Gravity direction (unit vectors, band frame).
        """
        p = self.params
        prev = u[:1] if self._last_u is None else self._last_u[None]
        rate = np.degrees(row_norms(row_steps(u, prev))) * self.rate_hz
        self._last_u = u[-1]
        still = rate < p.still_rate_dps
        change = np.flatnonzero(still[1:] != still[:-1]) + 1
        for a, b in zip(np.concatenate(([0], change)), np.concatenate((change, [len(u)])), strict=True):
            if not still[a]:
                self._end_spell()
                continue
            self._spell_sum += u[a:b].sum(axis=0)
            self._spell_n += b - a
            self._spell_end_s = float(t[b - 1])
            if b < len(u):
                self._end_spell()

    def standing(self, t_s: float, axis_code: float) -> FloatArray | None:
        """Gravity direction of the standing posture at ``t_s`` (s), or None if none was seen.

        The still posture nearest the thigh axis among those that ended in
        the ``lookback_s`` before ``t_s``, if within ``max_standing_deg`` of
        it: a pause in a squat is further from the axis than the stand
        before it.
        """
        p = self.params
        # The axis is a signed unit vector, so a posture's cosine to it is that one component, signed
        # (exactly the dot product, without a numpy call per posture).
        k, sign = int(abs(axis_code)) - 1, float(np.sign(axis_code))
        near = [(sign * float(d[k]), d) for end, d in self._postures if t_s - p.lookback_s <= end <= t_s]
        if not near:
            return None
        cosine, direction = max(near, key=lambda c: c[0])
        return direction if cosine >= self._standing_cos else None

    def _end_spell(self) -> None:
        if self._spell_n >= self.params.min_still_s * self.rate_hz:
            self._postures.append((self._spell_end_s, self._spell_sum / norm3(self._spell_sum)))
            # Forgotten by age, not by number: a counter observes a whole block before it asks about
            # moments inside it, and a limit on the number would let the block's later spells push
            # out those an earlier moment needs, so results would depend on how the stream was cut.
            # Twice the lookback serves blocks up to a lookback long, and bounds the memory (one
            # posture per ``min_still_s`` at most).
            while self._postures[0][0] < self._spell_end_s - 2.0 * self.params.lookback_s:
                self._postures.popleft()
        self._spell_sum = np.zeros(3)
        self._spell_n = 0


def axis_vector(code: float) -> FloatArray:
    """Unit vector of a signed axis code (+-1, +-2, +-3 for +-x, +-y, +-z)."""
    axis = np.zeros(3)
    axis[int(abs(code)) - 1] = np.sign(code)
    return axis


def angle_deg(a: FloatArray, b: FloatArray) -> float:
    """Angle between unit vectors ``a`` and ``b``, deg."""
    # Python's min and max: np.clip costs more than the rest on a single value.
    return float(np.degrees(np.arccos(min(max(float(a @ b), -1.0), 1.0))))
