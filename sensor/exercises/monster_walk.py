"""Monster walk counter: one rep per step of either leg, and the strides of the banded leg.

The banded thigh swings once per two steps: its own step (foot lifted, the
thigh flexes or extends and abducts a little: a diagonal step) and then the
other leg's step, which the band sees only as the pelvis travelling over the
planted banded foot. Over a stride the direction of gravity in the band's
frame traces a loop; the rate of the area it sweeps, seen along gravity, is
one burst per stride whatever the band's rotation
(:class:`~sensor.exercises.thigh_swing.SwingDetector` with
``loop_signal=True``), and a refractory time of 1.1 s (the shortest stride
is two 0.55 s steps) merges the smaller lobes of the same stride. The
accelerometer alone suffices.

Convention. For each banded swing two reps are emitted: the banded swing
itself (``leg="banded"``, ``peak_s`` the moment of its fastest movement) and
the other leg's step, inferred right after it (``leg="other"``, ``start_s`` =
end of the banded swing, same duration). So ``count = 2 × strides``, and
``strides`` (the banded leg's steps) is the number of ``banded`` reps, also
kept in :attr:`MonsterWalkCounter.strides`. ``direction`` is not used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sensor.exercises.base import Rep
from sensor.exercises.thigh_swing import Swing, SwingCounter, SwingParams


def _monster_swing() -> SwingParams:
    return SwingParams(loop_signal=True, min_speed_dps=60.0, refractory_s=1.1, min_period_s=1.0, max_period_s=3.5,
                       period_ratio=2.0)


@dataclass(frozen=True, kw_only=True, slots=True)
class MonsterWalkParams:
    """Parameters of :class:`MonsterWalkCounter`.

    Attributes
    ----------
    swing : SwingParams
        Swing detection on the loop-area rate (deg²/s); a stride of two
        steps lasts ``min_period_s`` to ``max_period_s``.
    """

    swing: SwingParams = field(default_factory=_monster_swing)


class MonsterWalkCounter(SwingCounter):
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
    Data requirements: accelerometer (a gyroscope is not needed). The first
    stride of a walk is reported once two more confirm the bout.
    """

    exercise = "monster-walk"

    def __init__(self, rate_hz: float, params: MonsterWalkParams | None = None, *, leg: str = "right") -> None:
        self.params = params or MonsterWalkParams()
        self.strides = 0
        super().__init__(rate_hz, self.params.swing, leg)

    def _reps(self, swings: list[Swing]) -> list[Rep]:
        now = self._detector.now_s
        out: list[Rep] = []
        for s in swings:
            self.strides += 1
            duration = s.end_s - s.start_s
            out.append(Rep(self.exercise, s.start_s, s.end_s, peak_s=s.peak_s, leg="banded", emitted_at_s=now))
            out.append(Rep(self.exercise, s.end_s, s.end_s + duration, leg="other", emitted_at_s=now))
        return out
