"""Lateral band walk counter: one rep per step cycle, with the travel direction.

In a lateral band walk the banded thigh swings once per step cycle, whether
its leg leads (steps out first) or trails (follows). Each cycle makes the
thigh trace a small loop: when the banded leg leads, it abducts while lifted
and comes back as the pelvis travels over it; when it trails, the order is
reversed. The direction of gravity in the band's frame follows the loop, and
the rate of the area it sweeps round its slow mean, seen along gravity, is
one burst per cycle, independent of how the band is turned on the thigh
(:class:`~sensor.exercises.thigh_swing.SwingDetector` with
``loop_signal=True``). The accelerometer alone suffices.

Direction. With a gyroscope it comes from how the thigh turns about the
person's forward axis (``Swing.sideways_skew``): the free foot, and the
knee with it, moves fast in the travel direction, and the thigh tilts back
slowly as the pelvis travels over the planted foot, whether the banded leg
leads or trails and whichever thigh wears the band. The sum of the cubed
rate over the swing weighs the fast turn over the slow one. Forward is
where a squat inclines the thigh from standing (from the thigh axis when
no stand was seen). On the accuracy benchmark this is right for 97.2 % of
our generator's steps and 98.6 % of an independent simulator's, whose
people step differently (see ``benchmarks/RESULTS.md``).

Without a gyroscope the accelerometer cannot tell the thigh tilting from
the leg accelerating sideways (the two pull opposite ways at a step's
fast turn), so the sense of the loop serves. It flips between leading and
trailing; mirroring the body swaps both the thigh (right/left) and the
sense of the loop, and a leading right thigh mirrors a trailing left one,
so for either thigh a clockwise loop seen from above (negative area over
the swing) is a step to the right. That holds where leading and trailing
swings differ in shape the way our generator's do (the banded leg lifts
during its own swing, then the pelvis travels over it): 97.7 % of its
steps without a gyroscope, but 45 % of the independent simulator's, where
some people are consistently reversed and others at chance. Treat
``direction`` without a gyroscope as unproven.

Counting. Once a set is over, :meth:`LateralWalkCounter.revise` recounts it
by its rhythm (:mod:`sensor.exercises.rhythm_recount`), adding the weak
steps the live count missed. On the accuracy benchmark
(``benchmarks/RESULTS.md``) 75.0 % of synthetic sets are then counted
exactly and 92.6 % within one (81.0 % and all on an independent simulator).
Misses: people whose loop is small (trailing steps of some people sweep a
loop a tenth the size of leading ones) or splits into two bursts of a size,
brisk cycles (0.7 s) whose bursts merge, the step that brings the feet
together after the last cycle, cycles lost after a turn, and swings lost to
packet gaps.

Walking forward. With a gyroscope, strides are told apart by how fast they
turn the thigh: a recording's counted swings turn it at a median RMS rate
of 15-52 deg/s in banded side steps (26-51 deg/s on the independent
simulator) and 81-150 deg/s in forward walking, so a bout whose recent
swings turn it faster than 70 deg/s is not reported. Shuffling round on the
spot is slower and is still counted; without a gyroscope forward strides
are counted too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sensor.exercises.base import Rep
from sensor.exercises.rhythm_recount import PeakLog, RhythmRecount, RhythmRecountParams
from sensor.exercises.thigh_swing import Swing, SwingCounter, SwingParams


def _lateral_swing() -> SwingParams:
    return SwingParams(
        loop_signal=True,
        min_speed_dps=60.0,
        refractory_s=0.7,
        period_refractory=0.6,
        # Cycles shorter than 1.2 s are where the 0.7 s refractory gap merges swings.
        rhythm_max_period_s=1.2,
        # Brisk cycles whose bursts come sooner than the gap: on 40 generator sets of 0.72 s cycles
        # (2 x 16 steps) 102 of 1,280 steps were missed, with this split 75 (6 extra either way).
        split_dip_fraction=0.25,
        bout_swings=2,
        # Steps reported 0.5 s after they end instead of 0.8 s (median); counts barely change.
        settle_in_bout=True,
        # A swing missed between two of a walk, where the input lost at least half of the span the
        # rhythm puts it in: of such swings on our sweep and 120 held-out sets, 10 of 10 over half
        # lost were true steps, 7 of 11 below half were not.
        lost_cover=0.5,
        small_restarts=True,
        min_opening_excursion_deg=6.0,
        # Bending down to the band lands no foot. Of the swings counted on our sweep before this
        # test, 14 of the 16 made while adjusting the band have a landing shock under 1.5 m/s²,
        # against 47 of 2,376 true steps (1 of the independent simulator's 319), and only a bout's
        # opening swings are asked. 1.0 m/s² removed half as many; 2.0 began to lose sets.
        min_opening_shock_ms2=1.5,
        # Lying down in stages moved one person's thigh twice, 0.7 s apart, 0.2 s after a movement
        # past the excursion limit; the split of brisk bursts made them a bout of two.
        posture_settle_s=0.5,
        # Rising after the last cycle moved the thigh 1.6-2.5x the bout's median excursion on the
        # independent simulator; 2 % of our synthetic steps exceed 1.5x.
        rise_excursion_ratio=1.5,
        # The pelvis lobe left alone after a last leading cycle: of such bursts on our sweep, 8 of 27
        # are this weak on both counts, and 2 of 203 true last steps (none of the simulator's 29).
        lone_lobe_size_fraction=0.6,
        lone_lobe_area_fraction=0.3,
        # The same tail, weak and early: of the after-set bursts the rule above leaves, 12-17 of 35
        # are below 0.6-0.7 of the bout's peak and sooner than 0.85 of its period, against 0-1 of 179
        # true last steps.
        early_lobe_size_fraction=0.65,
        early_lobe_period_fraction=0.85,
        # The same tail seen with a gyroscope turns the thigh slowly; 0.65 held 2 more tails on our
        # sweep and 0.7 began to hold true last steps.
        slow_lobe_rate_fraction=0.6,
        # The rhythm after large opening swings: a slow step (or a trailing one) sweeps a fifth of
        # their loop; fidgeting sweeps less.
        takeover_fraction=0.2,
        # Long side steps take the gravity direction up to about 35 deg from its slow mean (the
        # leg's own acceleration included); lying down takes it further (37 deg and more measured).
        max_excursion_deg=35.0,
        # Side steps turn the thigh about the vertical by at most 12 deg on the independent simulator
        # (10 deg on ours); its people turning round to walk on turn it by 120-176 deg.
        max_turn_deg=45.0,
        # With a gyroscope: forward walking swings the thigh at twice the rate of the fastest side steps.
        max_walk_rate_dps=70.0,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class LateralWalkParams:
    """Parameters of :class:`LateralWalkCounter`.

    Attributes
    ----------
    swing : SwingParams
        Burst detection on the loop-area rate (thresholds in deg²/s); a
        small burst restarts an unconfirmed bout, two regular swings confirm
        one, and the swings just before it that fit its rhythm are added.
    recount : RhythmRecountParams
        How a finished set is recounted by its rhythm
        (:mod:`sensor.exercises.rhythm_recount`).
    """

    swing: SwingParams = field(default_factory=_lateral_swing)
    recount: RhythmRecountParams = field(default_factory=RhythmRecountParams)


class LateralWalkCounter(SwingCounter):
    """Streaming lateral band walk counter on the uniform grid.

    Parameters
    ----------
    rate_hz : float
        Grid rate, Hz.
    params : LateralWalkParams
        Thresholds; see :class:`LateralWalkParams`.
    leg : str
        ``right`` or ``left``: the thigh wearing the band.

    Notes
    -----
    Data requirements: accelerometer (a gyroscope is not needed). One
    :class:`~sensor.exercises.base.Rep` per step cycle, with
    ``start_s``/``end_s`` bounding the banded thigh's swing and ``direction``
    ``right`` or ``left`` in the person's frame. The opening cycles of a bout
    are held back until two regular swings confirm it; later ones are emitted
    once their burst has died down. Every burst of the last half hour or so
    (``recount.retain_s``) is kept for :meth:`revise`.
    """

    exercise = "lateral-walk"

    def __init__(self, rate_hz: float, params: LateralWalkParams | None = None, *, leg: str = "right") -> None:
        self.params = params or LateralWalkParams()
        log = PeakLog(self.params.recount.floor, self.params.recount.retain_s)
        super().__init__(rate_hz, self.params.swing, leg, log)
        self._recount = RhythmRecount(log, self.params.recount)

    @staticmethod
    def direction(swing: Swing) -> str:
        """Travel direction (``right``/``left``, person's frame) of one cycle.

        From the fast turn of the thigh about the forward axis where a
        gyroscope shows it (``Swing.sideways_skew``), else from the sense of
        the loop.
        """
        if swing.sideways_skew:
            return "right" if swing.sideways_skew > 0 else "left"
        return "right" if swing.area < 0 else "left"

    def revise(self, reps: tuple[Rep, ...]) -> tuple[Rep, ...]:
        """A finished set's steps recounted by its rhythm (see :mod:`sensor.exercises.rhythm_recount`)."""
        return self._recount.revise(reps, self._detector.now_s)

    def _reps(self, swings: list[Swing]) -> list[Rep]:
        now = self._detector.now_s
        return [Rep(self.exercise, s.start_s, s.end_s, direction=self.direction(s), emitted_at_s=now) for s in swings]
