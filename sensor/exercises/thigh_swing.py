"""Swing detection of the banded thigh for the lateral walk counter.

The band may be turned any way on the thigh, so nothing here uses the band's
axes: only rotation-invariant quantities are measured.

1. *Burst signal*: the angular speed of the thigh (deg/s), from the
   low-passed gyroscope or, without one, from the rate at which the direction
   of gravity turns in the band's frame (low-passed specific force,
   normalised); or, with ``loop_signal``, the rate of the area the gravity
   direction sweeps round its slow mean, seen along gravity (deg²/s). It is
   smoothed so one swing makes a single burst.
2. *Bursts.* Each local maximum of the smoothed signal is a candidate; the
   largest candidate within ``refractory_s`` wins (within a bout, at most
   ``period_refractory`` of its period, so brisk cycles are not merged; before
   a bout has a period, the same share of the signal's own rhythm when its
   autocorrelation shows a brisk one; and never across a deep dip of the
   signal, with ``split_dip_fraction``).
   It spans the samples above ``edge_fraction`` of the peak; the swing's
   start and end are the half-height points, less the smoothing's delay.
   Neither reaches past a neighbouring burst's peak: two bursts whose signal
   stays that high between them are split at its lowest point, so swings
   never overlap.
3. *Swing side.* In a walk cycle the thigh moves twice: its own swing (foot
   lifted, fast) and the pelvis travelling over the planted foot (slower). A
   burst below ``small_fraction`` of the bout's typical swing is that second
   movement and is skipped.
4. *Posture.* A swing that takes the gravity direction further than
   ``max_excursion_deg`` from its slow mean is not a banded step (lying
   down, getting up or turning over move the thigh by much more) and ends
   the bout (and a swing in the next ``posture_settle_s`` cannot open
   one). The excursion is read only off samples clear of data bridged
   across a hole: a straight line across a lost packet holds the
   acceleration of one instant of the swing for the whole hole, which the
   low-pass turns into a tilt of up to 45 deg. A swing that turns the thigh
   further than ``max_turn_deg`` about the vertical (turning round, seen
   with a gyroscope) is skipped. The swings that open a bout must reach
   ``min_opening_excursion_deg``: shuffling the feet moves the thigh less.
   They must also land a foot (a shock of ``min_opening_shock_ms2``: the
   specific force's distance from its running median), even where smaller
   steps take over a walk under way (below): bending down to the band or
   rising from the squat after a set swings the thigh like a step but lands
   none.
   With a gyroscope, a bout whose recent swings turn the thigh faster than
   ``max_walk_rate_dps`` is ordinary walking: its swings are used up
   unreported, and the look-back never takes such a swing.
5. *Bouts* (:class:`SwingBouts`). Swings are reported only once
   ``bout_swings`` of them follow each other at a regular period
   (``min_period_s`` to ``max_period_s``, each within ``period_ratio`` of the
   bout's median period), so that getting into position, adjusting the band
   or shuffling round are not counted.
   Later swings of the bout are reported as soon as they are settled. A
   period of about two is one missed swing (a packet gap cut it short): the
   bout goes on, and a burst skipped in between that fits the rhythm is
   taken as that swing; with none, the swing is inferred when data bridged
   across holes in the input covers at least ``lost_cover`` of the span the
   rhythm puts it in (the thigh swung there unseen), and never where data
   was received. A period of about three whose two missing swings both lie
   in holes is inferred the same way. A bout's first period, with nothing to compare it
   with, is likewise two when a burst of a swing's size that could not open
   the bout splits it into two fitting halves. A burst far too early for
   the next cycle of a settled bout is ignored rather than breaking it.
   When a bout's swings stop but bursts it judged small go on at a regular
   period, those start a new bout (a few large opening swings had set the
   bout's size), which needs no opening excursion: the walk is under way.
   A swing that moves the thigh far further than the bout's steps is held
   until movement goes on after it: rising from the squat after the last
   cycle looks like that, and is not a step. So is a swing both weaker and
   sweeping a far smaller loop than the bout's, or weaker and early in the
   bout's rhythm: the pelvis travelling over the banded leg after its last
   leading step.
   *Look-back.* The swings that open a bout often fail the tests above (the
   first step from standstill is larger, the next one's partner movement is
   mistaken for it, a missed burst breaks the rhythm), so when a bout is
   confirmed the unreported swings just before it are searched backwards:
   one is taken when its period to the next fits the bout's rhythm and it is
   at least ``lookback_fraction`` of the bout's typical swing and reaches
   the opening excursion (the largest such one, since the pelvis movement
   sits in between).
6. *Loop sense.* For each swing the signed area swept by the gravity
   direction round its slow mean, seen along gravity, is kept (a proper
   rotation of the band does not change it); the lateral-walk counter reads
   the travel direction from it.

Per-sample maths runs vectorised on grid-aligned micro-batches of
``batch_s``: each push processes the samples up to the last complete batch
and keeps the rest pending, and the decisions (offering a peak, settling a
burst) are replayed micro-batch by micro-batch however many batches a push
holds, so results never depend on how the stream was cut, no sample waits
longer than one batch, and Python-level code runs only at candidate bursts.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

import numpy as np

from sensor.dsp.filters import RunningMedian, StreamingSOS
from sensor.dsp.resample import GridBlock
from sensor.dsp.vectors import cross_rows, first_true, row_norms, row_steps
from sensor.exercises.base import Rep
from sensor.exercises.posture import PostureParams, ThighPosture, axis_vector
from sensor.exercises.rhythm_recount import PeakLog
from sensor.types import FloatArray
from sensor.units import DEG_PER_RAD

# Columns of the signal history: time (s), smoothed burst signal, running loop area,
# angle of the gravity direction from its slow mean (deg), running turn about gravity (deg),
# running integral of the squared angular rate ((deg/s)² s), running count of bridged samples,
# shock of the sample the running median's delay earlier (m/s²), thigh axis code (see
# ThighPosture.axis_codes), slow mean gravity direction (3, unit), angular rate (3, deg/s; 0 without
# a gyroscope).
_T, _SIGNAL, _AREA, _DEV, _YAW, _RATE2, _BRIDGED, _SHOCK, _AXIS = range(9)
_MEAN = slice(9, 12)
_GYRO = slice(12, 15)
_COLUMNS = 15

#: How long before a burst its angular rate is measured from, s.
_RATE_LEAD_S = 0.5

#: How long samples bridged across a hole sway the low-passed gravity direction after them, s.
_BRIDGED_MEMORY_S = 0.25

#: Swings of a bout the size, rhythm and rate tests look at, and that are kept once reported.
_RECENT_SWINGS = 5

#: Periods a reported bout needs before its rhythm is trusted to skip bursts that come too soon.
_SETTLED_PERIODS = 3

#: Rate the burst signal is thinned to for its rhythm, Hz.
_RHYTHM_RATE_HZ = 25.0

#: A swing's foot landing is looked for from this long before its start to this long after its
#: end, s. The set-down of the swinging foot ends it, but its boundaries are estimates: on the
#: accuracy sweep the generator's landing of the banded foot lies 0.39 s before to 0.35 s after
#: the counted step's end (1st to 99th percentile).
_LANDING_REACH_S = (0.1, 0.45)


@dataclass(frozen=True, kw_only=True, slots=True)
class SwingParams:
    """Parameters of :class:`SwingDetector` (units in the names).

    Attributes
    ----------
    gravity_cutoff_hz : float
        Low-pass cut-off of the accelerometer for the gravity direction, Hz.
    gyro_cutoff_hz : float
        Low-pass cut-off of the gyroscope, Hz.
    speed_cutoff_hz : float
        Low-pass cut-off of the burst signal, Hz (merges lift and set-down).
    mean_tau_s : float
        Time constant of the slow mean of the gravity direction, s.
    min_speed_dps : float
        Smallest burst peak, deg/s (deg²/s with ``loop_signal``).
    edge_fraction : float
        A burst spans the samples where the signal is above this share of its
        peak (its excursion and loop area are measured over them).
    boundary_fraction : float
        The swing's reported start and end are where the signal crosses this
        share of its peak ...
    boundary_delay_s : float
        ... moved this much earlier, s: the low-pass filters delay the burst
        (0.3 s at DC for the loop signal), and its half-height points, so
        moved, match the foot's lift-off and set-down (measured on the
        synthetic generator: median error 0.06 s at the start, 0.08 s at the
        end; the 0.3 edges without the shift were 0.07 s late and 0.30 s).
    refractory_s : float
        Of two candidate bursts closer than this, s, only the larger counts.
    period_refractory : float
        Within a bout, the refractory gap is at most this share of the
        bout's median period (0 disables the shortening).
    min_refractory_s : float
        Floor of the shortened refractory gap, s.
    split_dip_fraction : float
        Two bursts within the refractory gap are kept apart when they lie at
        least ``min_period_s`` apart and the signal between them falls
        below this share of the smaller peak (0 disables the split).
    small_fraction : float
        Bursts below this share of the bout's median burst are the pelvis
        moving, not a swing.
    min_period_s, max_period_s : float
        Range of periods between swings of a bout, s.
    period_ratio : float
        Largest ratio between a period and the bout's median period.
    miss_tolerance : float
        A period within this of twice the bout's median period is one
        missed swing, not a broken rhythm.
    takeover_fraction : float
        Small bursts of at least this share of the bout's median burst that
        go on at a regular period after the bout's swings stopped start a
        new bout (the bout was judged by a few large opening swings).
    bout_swings : int
        Regular swings needed before a bout is reported.
    max_excursion_deg : float
        Largest angle of the gravity direction from its slow mean during a
        swing, deg: banded walks stay within it, lying down does not.
    max_walk_rate_dps : float
        With a gyroscope, a bout whose swings turn the thigh at a median RMS
        rate above this, deg/s, is ordinary walking and is not reported
        while it lasts (0 disables): measured per recording, strides turn it
        at 81-150 deg/s, banded side steps at 15-52 deg/s.
    max_turn_deg : float
        Largest turn of the thigh about the vertical during a swing, deg,
        when there is a gyroscope (0 disables): a side step turns it little,
        turning round to walk on turns it by half a circle and is not a
        step: such a swing is skipped, and the look-back never takes it.
    posture_settle_s : float
        A swing starting within this of the end of one beyond
        ``max_excursion_deg`` cannot open a bout, s: the thigh is still
        settling into the posture it was moved to (0 disables the wait).
    min_opening_excursion_deg : float
        Smallest excursion of the swings that open a bout, deg, those the
        look-back adds included: shuffling the feet or adjusting the band
        moves the thigh less than a step does (a swing of a bout already
        going may be smaller).
    min_opening_shock_ms2 : float
        Smallest landing shock of the swings that open a bout, m/s² (see
        ``Swing.shock_ms2``; 0 disables): bending down to tug the band round
        the thigh swings it like a step but lands no foot. Asked of every
        swing that opens a bout, smaller steps taking over included; not of
        the swings of a bout already going, nor of one the look-back takes.
    shock_median_s : float
        Running-median window the shock is measured against, s.
    lookback_fraction : float
        Unreported swings before a newly confirmed bout are added to it when
        they fit its rhythm and are at least this share of its median burst.
    small_restarts : bool
        A small burst restarts a bout not yet confirmed (when the pelvis
        movement is much smaller than the swing, a large first burst is
        getting into position, not a swing).
    rise_excursion_ratio : float
        A swing of a reported bout whose excursion exceeds this multiple of
        the bout's median excursion is held back until the bout's next swing
        (or an immediate one) follows it, and dropped if the movement stops:
        it is the person rising from the squat (0 disables the hold).
    lone_lobe_size_fraction, lone_lobe_area_fraction : float
        A swing of a reported bout whose burst peak is below the first share
        of the bout's median and whose loop area is below the second share
        of the bout's median is held the same way: after the last cycle of a
        walk led by the banded leg, the pelvis travelling over it is left as
        a burst of its own, weak on both counts, while a true last step is
        weak on one at most (0 disables the hold).
    early_lobe_size_fraction, early_lobe_period_fraction : float
        A swing of a reported bout whose burst peaks below the first share of
        the bout's median and that comes sooner than the second share of its
        median period is held the same way: the tail of a last cycle, which
        in a walk merges with the next swing (0 disables the hold).
    slow_lobe_rate_fraction : float
        With a gyroscope, a swing of a reported bout that turns the thigh at
        an RMS rate below this share of the bout's median is held the same
        way: the pelvis travelling over the planted leg turns the thigh
        slowly (0 disables the hold).
    settle_in_bout : bool
        Within a bout whose rhythm is settled (three periods), a burst is
        final as soon as it has died down, without waiting out the
        refractory gap, which only delayed the step's event: a later burst
        within the gap is then skipped as the same movement going on (the
        first of the two counts, where the gap kept the larger).
    rhythm_max_period_s : float
        The refractory gap also follows the burst signal's own rhythm when
        its autocorrelation over the ``max_period_s`` before a burst peaks
        at a period up to this, s (0 disables): a brisk walk's swings must
        not merge before a bout has found its period.
    rhythm_min_autocorr : float
        Smallest autocorrelation (0–1) of that peak for the rhythm to count.
    batch_s : float
        Length of the grid-aligned micro-batches the signal maths runs on, s.
    lost_cover : float
        The swings a bout missed between two swings two or three cycles
        apart are inferred when data bridged across holes in the input
        covers at least this share of where the rhythm puts each (see
        :meth:`SwingBouts._lost_swings`; 0 disables).
    loop_signal : bool
        Detect bursts on the rate of the loop area (deg²/s, thresholds in
        the same units) instead of the angular speed.
    posture : PostureParams
        The thigh axis and the standing posture, from which a squat shows
        which way the person faces (see :mod:`sensor.exercises.posture`).
    min_facing_squat_deg : float
        Least inclination of the slow gravity direction from the standing
        posture (or the thigh axis) for it to show which way is forward, deg.
    sideways_reach_s : float
        ``Swing.sideways_skew`` is summed from this long before the swing to
        this long after it, s (at most ``boundary_delay_s``: no later than
        the history holds when the swing settles).
    """

    gravity_cutoff_hz: float = 1.5
    gyro_cutoff_hz: float = 3.0
    speed_cutoff_hz: float = 1.5
    mean_tau_s: float = 1.5
    min_speed_dps: float = 20.0
    edge_fraction: float = 0.3
    boundary_fraction: float = 0.5
    boundary_delay_s: float = 0.2
    refractory_s: float = 0.45
    small_fraction: float = 0.45
    min_period_s: float = 0.55
    max_period_s: float = 3.2
    period_ratio: float = 1.7
    bout_swings: int = 3
    max_excursion_deg: float = 30.0
    max_turn_deg: float = 0.0
    max_walk_rate_dps: float = 0.0
    min_opening_excursion_deg: float = 0.0
    min_opening_shock_ms2: float = 0.0
    shock_median_s: float = 0.28
    posture_settle_s: float = 0.0
    lookback_fraction: float = 0.3
    miss_tolerance: float = 0.3
    takeover_fraction: float = 0.25
    small_restarts: bool = False
    rise_excursion_ratio: float = 0.0
    lone_lobe_size_fraction: float = 0.0
    lone_lobe_area_fraction: float = 0.0
    early_lobe_size_fraction: float = 0.0
    early_lobe_period_fraction: float = 0.0
    slow_lobe_rate_fraction: float = 0.0
    settle_in_bout: bool = False
    rhythm_max_period_s: float = 0.0
    rhythm_min_autocorr: float = 0.6
    batch_s: float = 0.2
    loop_signal: bool = False
    period_refractory: float = 0.0
    min_refractory_s: float = 0.3
    split_dip_fraction: float = 0.0
    lost_cover: float = 0.0
    posture: PostureParams = field(default_factory=PostureParams)
    min_facing_squat_deg: float = 3.0
    # With a gyroscope, side steps' travel direction is right for 97.4 % of our sweep's steps, 98.0 % of
    # an independent simulator's and 97.1 % of held-out generator sessions' at 0.1 s (steps paired by
    # overlap); 96.3, 98.3 and 95.6 % at 0.2 s, where brisk cycles reach into the next swing; 97.3,
    # 97.3 and 97.0 % at 0.
    sideways_reach_s: float = 0.1


@dataclass(frozen=True, slots=True)
class Swing:
    """One swing of the banded thigh.

    Attributes
    ----------
    start_s, end_s : float
        Start and end of the thigh's swing, s: where the burst signal rises
        above / falls below ``boundary_fraction`` of its peak, less the
        filters' delay ``boundary_delay_s``.
    peak_s : float
        Moment of the burst's peak, s.
    peak_speed_dps : float
        Burst peak, deg/s (deg²/s with ``loop_signal``).
    area : float
        Signed area swept by the gravity direction round its slow mean over
        the swing, seen along gravity (rad², negative for a clockwise loop
        seen from above).
    excursion_deg : float
        Largest angle of the gravity direction from its slow mean during the
        swing, deg, over the samples that data bridged across a hole in the
        input (see :class:`~sensor.dsp.resample.GridBlock`) did not sway in
        the quarter second before them (over all of them when none is
        clear).
    turn_deg : float
        How far the thigh turned about the vertical during the swing, deg
        (range of the gyroscope's integral about gravity; 0 without one).
    rate_dps : float
        RMS angular rate of the thigh over the swing, deg/s (0 without a
        gyroscope).
    lost : tuple of (float, float)
        Stretches of the ``max_period_s`` before the peak that data bridged
        across holes in the input filled, (first, last bridged grid sample) s.
    shock_ms2 : float
        Largest shock from just before the swing to just after it (a foot
        landing), m/s²: how far the specific force lies from its running
        median.
    sideways_skew : float or None
        Sum of the cubed angular rate of the thigh about the person's
        forward axis over the swing and ``sideways_reach_s`` either side,
        positive for turns that move the knee to the person's right,
        deg³/s²; None without a gyroscope, or when no squat shows which way
        the person faces. Cubing weighs the fast part of a to-and-fro turn
        over the slow part: see :meth:`SwingDetector._sideways_skew`.
    """

    start_s: float
    end_s: float
    peak_s: float
    peak_speed_dps: float
    area: float
    excursion_deg: float
    turn_deg: float = 0.0
    rate_dps: float = 0.0
    lost: tuple[tuple[float, float], ...] = ()
    shock_ms2: float = 0.0
    sideways_skew: float | None = None


def _refractory_for(params: SwingParams, period_s: float | None) -> float:
    """Refractory gap (s) for a walk of cycle ``period_s`` (s; None when unknown): see :class:`SwingParams`."""
    if params.period_refractory <= 0.0 or period_s is None:
        return params.refractory_s
    return max(min(params.refractory_s, params.period_refractory * period_s), params.min_refractory_s)


def _ew_sos(tau_s: float, rate_hz: float) -> FloatArray:
    """First-order exponential smoother with time constant ``tau_s`` (s) as one SOS row."""
    a = 1.0 - math.exp(-1.0 / (tau_s * rate_hz))
    return np.array([[a, 0.0, 0.0, 1.0, a - 1.0, 0.0]])


class SwingBouts:
    """Which settled swings are a walk: bouts of swings at a regular rhythm (step 5 of the module notes).

    Parameters
    ----------
    params : SwingParams
        Rhythm and size thresholds; see :class:`SwingParams`.

    Notes
    -----
    Fed one :class:`Swing` at a time in order of their peaks, by
    :class:`SwingDetector` or by hand. Memory is bounded: the bout's last
    five swings and the few swings since the last report.
    """

    def __init__(self, params: SwingParams) -> None:
        self.params = params
        self.reset()

    def reset(self) -> None:
        """Forget everything (a gap in the data): nothing before is joined to what follows."""
        self._new_bout([])
        self._unreported: list[Swing] = []  # settled since the last report, for the look-back
        self._posture_change_s = -math.inf  # end of the last swing far from the mean posture, s

    def end(self) -> None:
        """The bout is over (the stream ends or pauses); what it reported stays reported."""
        self._new_bout([])

    def settled(self) -> bool:
        """Whether the bout is reported and its rhythm settled: a burst sooner than its next cycle is skipped."""
        return self._reported > 0 and len(self._periods) >= _SETTLED_PERIODS

    def refractory_s(self) -> float:
        """Shortest gap between two swings, s.

        ``refractory_s`` merges a swing with the pelvis movement that follows it, but at a brisk
        tempo (cycles of 0.7–0.85 s) it also merges consecutive swings, so once a bout has a
        period it is shortened to ``period_refractory`` of the bout's median period.
        """
        return _refractory_for(self.params, self._median_period() if self._periods else None)

    def add(self, swing: Swing) -> list[Swing]:
        """Take the next settled swing; return the swings that became certain, oldest first."""
        p = self.params
        if swing.excursion_deg > p.max_excursion_deg:
            # Thigh turning far from its mean posture: lying down, getting up, turning over;
            # the look-back never reaches across it.
            self.reset()
            self._posture_change_s = swing.end_s
            return []
        if 0.0 < p.max_turn_deg < swing.turn_deg:
            return []  # turning round: not a step, and never one the look-back may take
        # Bounded: a bout confirms within a few swings of its opening ones.
        self._unreported = self._unreported[-(2 * p.bout_swings + 4) :] + [swing]
        return self._join(swing)

    def _new_bout(self, swings: list[Swing]) -> None:
        self._bout: list[Swing] = swings
        self._periods: list[float] = []  # the bout's recent periods, s (a missed swing's halved)
        self._reported = 0  # how many of the bout's swings were reported
        self._smalls: list[Swing] = []  # bursts skipped as small since the bout's last swing

    def _join(self, swing: Swing, from_rest: bool = True) -> list[Swing]:
        """Add a swing to the bout (or start one with it); return the swings now certain.

        ``from_rest`` False: the swing goes on a walk already under way, so
        the excursion a walk from standstill must open with does not apply.
        """
        p = self.params
        if from_rest and self._reported == 0 and swing.excursion_deg < p.min_opening_excursion_deg:
            return []  # too slight to open a walk: shuffling the feet, adjusting the band
        if self._reported == 0 and swing.shock_ms2 < p.min_opening_shock_ms2:
            return []  # no foot landed: bending down to the band or rising from the squat, not a step
        if self._reported == 0 and swing.start_s - self._posture_change_s < p.posture_settle_s:
            return []  # the thigh still settling after lying down or getting up: not a walk's opening
        bout = self._bout
        period = math.inf  # from the bout's last swing, s
        if bout:
            typical = self._typical_size()
            if swing.peak_speed_dps < p.small_fraction * typical:
                # Only a burst of a swing's size could take over (fidgeting is much smaller).
                if swing.peak_speed_dps >= p.takeover_fraction * typical:
                    self._smalls = self._smalls[-p.bout_swings :] + [swing]
                if self._outgrown():
                    # The bout's swings stopped coming and a smaller rhythm went on: a large
                    # opening swing must not judge every later one small. Start over with it: a
                    # band walk goes on, so its smaller steps need not open it as from standstill
                    # (after ordinary walking they must, and its last strides are none of them),
                    # but they land a foot as every step does.
                    smalls, from_rest = self._slower_than_walking(self._smalls), self._ordinary_walking()
                    self._new_bout([])
                    return [s for small in smalls for s in self._join(small, from_rest)]
                if p.small_restarts and len(bout) < p.bout_swings:
                    # An unconfirmed bout led by one large movement (getting into position) starts afresh.
                    self._new_bout([swing])
                return []  # otherwise the pelvis travelling over the planted foot
            self._smalls = []
            period = swing.peak_s - bout[-1].peak_s
            cycles = self._cycles(period)
            missed: list[Swing] = []
            if cycles == 2:
                seen = self._missed_swing(bout[-1], swing, p.lookback_fraction)
                missed = [seen] if seen is not None else self._lost_swings(bout[-1], swing, 2)
            elif cycles == 0 and self._periods and abs(period / self._median_period() - 3.0) <= p.miss_tolerance:
                # Two swings in a row lost to holes of the data.
                missed = self._lost_swings(bout[-1], swing, 3)
                cycles = 3 if missed else 0
            elif not self._periods and period >= 2 * p.min_period_s:
                # A bout's first period has nothing to compare with. When it holds a swing the bout
                # would count but that could not open one (just short of the opening excursion),
                # it is two cycles: taken as one, it sets a rhythm twice the walk's that breaks at
                # the next swing, losing the bout.
                seen = self._missed_swing(bout[-1], swing, p.small_fraction)
                missed = [] if seen is None else [seen]
                cycles = 2 if missed else 1
            regular = (
                cycles > 0
                and p.min_period_s <= period / cycles <= p.max_period_s
                and swing.peak_speed_dps * p.small_fraction <= typical
            )
            settled_rhythm = len(self._periods) >= _SETTLED_PERIODS
            if not regular and settled_rhythm and cycles == 0 and period < self._median_period():
                return []  # an extra movement within a confirmed bout's cycle
            if p.settle_in_bout and self.settled() and period < self.refractory_s():
                # Settled without waiting out the refractory gap: a burst within it is the same
                # movement going on, as the gap would have merged it.
                return []
            if not regular:
                # Swings held as a possible rise still count when movement goes straight on;
                # after a rest they were the person standing up, and as fast as ordinary walking
                # they were its first stride.
                going_on = self._reported > 0 and period <= p.max_period_s
                held = self._slower_than_walking(bout[self._reported :]) if going_on else []
                self._new_bout([swing])
                return held
            bout.extend(missed)
            self._periods = self._periods[-4:] + [period / cycles]
        doubtful = self._maybe_rising(swing) or self._maybe_cycle_tail(swing, period)
        bout.append(swing)
        if len(bout) < p.bout_swings or doubtful:
            return []  # held until the bout's next swing vouches for it
        if self._ordinary_walking():
            # Strides of ordinary walking are used up unreported, so no step after them takes them along.
            self._reported = len(bout)
            self._unreported = []
            self._keep_recent()
            return []
        out = (self._look_back() if self._reported == 0 else []) + bout[self._reported :]
        self._reported = len(bout)
        self._unreported = []
        self._keep_recent()
        return out

    def _keep_recent(self) -> None:
        """Forget all but the bout's last ``_RECENT_SWINGS`` swings (bounded memory however long it goes on)."""
        excess = len(self._bout) - _RECENT_SWINGS
        if excess > 0:
            del self._bout[:excess]
            self._reported = max(self._reported - excess, 0)

    def _ordinary_walking(self) -> bool:
        """Whether the bout's recent swings turn the thigh as fast as ordinary walking does (seen with a gyroscope).

        On the accuracy benchmark's recordings with a gyroscope, the median
        RMS rate of a recording's counted swings is 15-52 deg/s in banded
        side steps (26-51 deg/s on an independent simulator) and 81-150 deg/s
        in forward walking.
        """
        return statistics.median(s.rate_dps for s in self._bout[-_RECENT_SWINGS:]) > self._walk_rate_limit()

    def _walk_rate_limit(self) -> float:
        """Angular rate (deg/s) above which swings are ordinary walking; infinite when the check is off."""
        limit = self.params.max_walk_rate_dps
        return limit if limit > 0.0 else math.inf

    def _slower_than_walking(self, swings: list[Swing]) -> list[Swing]:
        """``swings`` without those that turn the thigh as fast as ordinary walking (seen with a gyroscope).

        Such a swing is a stride, never a step taken by a side door: the
        look-back, a swing held as a possible rise, smaller steps taking over.
        """
        fastest = self._walk_rate_limit()
        return [s for s in swings if s.rate_dps <= fastest]

    def _maybe_rising(self, swing: Swing) -> bool:
        """Whether ``swing``, next in a reported bout, moves the thigh so much further than its steps it may be a rise.

        Rising from the squat after the last cycle takes the gravity direction
        further from its running mean than any step (about twice as far on the
        independent simulator); a step of the bout that far out is rare.
        """
        ratio = self.params.rise_excursion_ratio
        if ratio <= 0.0 or self._reported == 0:
            return False
        return swing.excursion_deg > ratio * statistics.median(s.excursion_deg for s in self._bout[-_RECENT_SWINGS:])

    def _maybe_cycle_tail(self, swing: Swing, period_s: float) -> bool:
        """Whether ``swing``, ``period_s`` (s) after the last of a reported bout, may be the tail of a last cycle.

        After the last cycle led by the banded leg, the trailing leg and the
        pelvis still move within that cycle; in a walk that movement merges
        with the next swing, after the last cycle it stands alone as a weak
        burst that sweeps a small loop, comes early in the bout's rhythm or,
        seen with a gyroscope, turns the thigh slowly. Measured on the
        synthetic sweep (5th/50th/95th percentile of the bout's five swings
        before): without packet loss such bursts peak at 0.42/0.53/0.79 and
        sweep a loop of 0.06/0.51/1.90, against 0.55/0.95/1.60 and
        0.46/0.98/2.34 for a set's true last steps; of those the loop test
        leaves, they come at 0.63/0.83/2.55 of the period and peak at
        0.35/0.57/1.03, against 0.83/1.00/1.25 and 0.58/0.96/1.46. Of those
        both tests leave, the ones seen with a gyroscope turn the thigh at
        0.37-0.67 of the recording's median step rate (3 of 8 below 0.6),
        against 5 of 1,279 steps below 0.6.
        """
        p = self.params
        if self._reported == 0:
            return False
        recent = self._bout[-_RECENT_SWINGS:]
        peak, typical = swing.peak_speed_dps, self._typical_size()
        loop = statistics.median(abs(s.area) for s in recent)
        weak_loop = peak < p.lone_lobe_size_fraction * typical and abs(swing.area) < p.lone_lobe_area_fraction * loop
        early = bool(self._periods) and period_s < p.early_lobe_period_fraction * self._median_period()
        # Without a gyroscope every rate is 0 and the test never holds. Ordinary walking slowing
        # down is no band walk's tail: its strides are used up, not held.
        slow = (swing.rate_dps < p.slow_lobe_rate_fraction * statistics.median(s.rate_dps for s in recent)
                and not self._ordinary_walking())
        return weak_loop or (peak < p.early_lobe_size_fraction * typical and early) or slow

    def _typical_size(self) -> float:
        """Median burst peak of the bout's last five swings (deg/s, deg²/s with ``loop_signal``)."""
        return statistics.median(s.peak_speed_dps for s in self._bout[-_RECENT_SWINGS:])

    def _median_period(self) -> float:
        """The bout's median period, s (once it has one)."""
        return statistics.median(self._periods)

    def _in_rhythm(self, period: float, reference: float) -> bool:
        """Whether ``period`` lies within ``period_ratio`` of ``reference`` (both s)."""
        ratio = self.params.period_ratio
        return reference / ratio <= period <= reference * ratio

    def _outgrown(self) -> bool:
        """Whether the small bursts since the bout's last swing form a rhythm of their own that outlasted it.

        True once ``bout_swings + 1`` of them follow each other at a regular
        period and the last came too late for the bout to go on.
        """
        p = self.params
        smalls = self._smalls
        if len(smalls) <= p.bout_swings or not self._periods:
            return False
        if smalls[-1].peak_s - self._bout[-1].peak_s <= (2.0 + p.miss_tolerance) * self._median_period():
            return False
        periods = np.diff([s.peak_s for s in smalls])
        return bool(
            np.all((periods >= p.min_period_s) & (periods <= p.max_period_s))
            and periods.max() <= p.period_ratio * periods.min()
        )

    def _cycles(self, period: float) -> int:
        """How many cycles of the bout ``period`` (s) spans: 1, 2 after one missed swing, 0 if it fits none.

        A swing lost to a packet gap or too small to see must not break the bout's rhythm
        (that loses the swings after it too), so a period of about two of the bout's is one
        miss. The first period of a bout, with nothing to compare, spans one cycle.
        """
        if not self._periods:
            return 1
        typical = self._median_period()
        if self._in_rhythm(period, typical):
            return 1
        return 2 if abs(period / typical - 2.0) <= self.params.miss_tolerance else 0

    def _missed_swing(self, before: Swing, after: Swing, share: float) -> Swing | None:
        """The swing a bout missed between ``before`` and ``after``, two cycles apart, if one was seen.

        A swing cut short by a packet gap often survives as a burst too small
        to count; alone in its cycle, the largest such burst that fits the
        rhythm and is at least ``share`` of the bout's typical burst is that
        swing.
        """
        half = 0.5 * (after.peak_s - before.peak_s)
        floor = share * self._typical_size()
        fits = [
            s
            for s in self._unreported
            if s.peak_speed_dps >= floor
            and self._in_rhythm(s.peak_s - before.peak_s, half)
            and self._in_rhythm(after.peak_s - s.peak_s, half)
        ]
        return max(fits, key=lambda s: s.peak_speed_dps, default=None)

    def _lost_swings(self, before: Swing, after: Swing, cycles: int) -> list[Swing]:
        """The swings between ``before`` and ``after``, ``cycles`` apart, whose data holes in the input lost.

        The rhythm spaces the missed swings evenly, each shaped like the two
        neighbours; when data bridged across holes covers at least
        ``lost_cover`` of every one's span, the thigh swung there unseen and
        the swings are inferred (none otherwise). Nothing is inferred where
        data was received.
        """
        p = self.params
        if p.lost_cover <= 0.0:
            return []
        pair = (before, after)
        rise = statistics.fmean(s.peak_s - s.start_s for s in pair)
        fall = statistics.fmean(s.end_s - s.peak_s for s in pair)
        step = (after.peak_s - before.peak_s) / cycles
        inferred = []
        for k in range(1, cycles):
            peak = before.peak_s + k * step
            start, end = peak - rise, peak + fall
            lost = sum(max(0.0, min(last, end) - max(first, start)) for first, last in after.lost)
            if lost < p.lost_cover * (end - start):
                return []
            inferred.append(Swing(
                start_s=start,
                end_s=end,
                peak_s=peak,
                peak_speed_dps=min(s.peak_speed_dps for s in pair),
                area=statistics.fmean(s.area for s in pair),
                excursion_deg=min(s.excursion_deg for s in pair),
                rate_dps=statistics.fmean(s.rate_dps for s in pair),
            ))
        return inferred

    def _look_back(self) -> list[Swing]:
        """Unreported swings before the just-confirmed bout that fit its rhythm, oldest first."""
        p = self.params
        bout = self._bout
        floor = p.lookback_fraction * self._typical_size()
        nxt, period = bout[0], bout[1].peak_s - bout[0].peak_s
        pool = [
            s
            for s in self._slower_than_walking(self._unreported)
            if s.peak_s < nxt.peak_s
            and s.peak_speed_dps >= floor
            and s.excursion_deg >= p.min_opening_excursion_deg
        ]
        found: list[Swing] = []
        while pool:
            gaps = np.array([nxt.peak_s - s.peak_s for s in pool])
            fits = np.flatnonzero(
                (gaps >= p.min_period_s)
                & (gaps <= p.max_period_s)
                & (gaps >= period / p.period_ratio)
                & (gaps <= period * p.period_ratio)
            )
            if not len(fits):
                break
            # The largest fitting burst: the pelvis movement between two swings is smaller.
            best = int(fits[np.argmax([pool[i].peak_speed_dps for i in fits])])
            nxt, period = pool[best], float(gaps[best])
            found.append(nxt)
            pool = pool[:best]
        return found[::-1]


class SwingDetector:
    """Streaming swing detector for a thigh-worn band on the uniform grid.

    Parameters
    ----------
    rate_hz : float
        Grid rate, Hz.
    params : SwingParams
        Thresholds; see :class:`SwingParams`.
    peak_log : PeakLog, optional
        Where every local maximum of the burst signal above the log's floor is
        kept (for a recount of a finished set).

    Attributes
    ----------
    now_s : float
        Last grid time processed, s (NaN before the first sample).

    Notes
    -----
    Data requirements: accelerometer; a gyroscope, when present, gives the
    angular speed directly (cleaner than the turning of the gravity
    direction, which also carries the leg's own acceleration). Memory is
    bounded: a history of ``2 × max_period_s`` and the last few swings.
    """

    def __init__(self, rate_hz: float, params: SwingParams | None = None, peak_log: PeakLog | None = None) -> None:
        self.rate_hz = rate_hz
        self.params = params or SwingParams()
        self._peak_log = peak_log
        p = self.params
        self._batch = max(1, round(p.batch_s * rate_hz))
        self._gravity = StreamingSOS.lowpass(p.gravity_cutoff_hz, rate_hz, 3)
        self._gyro = StreamingSOS.lowpass(p.gyro_cutoff_hz, rate_hz, 3)
        self._speed = StreamingSOS.lowpass(p.speed_cutoff_hz, rate_hz, 1)
        self._mean = StreamingSOS(_ew_sos(p.mean_tau_s, rate_hz), 3)
        self._median = RunningMedian(p.shock_median_s, rate_hz, 3)
        self._posture = ThighPosture(rate_hz, p.posture)
        self._facing_sin = math.sin(math.radians(p.min_facing_squat_deg))
        self._keep = int(2.0 * p.max_period_s * rate_hz)
        self._reach = int(p.max_period_s * rate_hz)  # how far before its peak a swing's start is sought
        # The rate is taken from this long before the burst (the other half of the step cycle).
        self._rate_lead = round(_RATE_LEAD_S * rate_hz)
        self._bridged_memory = round(_BRIDGED_MEMORY_S * rate_hz)
        self._pending: list[GridBlock] = []
        self._bouts = SwingBouts(p)
        self.now_s = float("nan")
        self._restart()

    # --- streaming interface -------------------------------------------------

    def push(self, block: GridBlock) -> list[Swing]:
        """Consume grid samples; return the swings that became certain."""
        if len(block) == 0:
            return []
        out: list[Swing] = []
        if block.gap_before:
            # A gap never joins two bouts: what came before is settled, then start afresh.
            out += self._flush() + self._end_bout()
            self._restart()
        k = np.rint(block.t * self.rate_hz).astype(np.int64)
        ends = np.flatnonzero((k + 1) % self._batch == 0)
        if not len(ends):
            self._pending.append(block)
            return out
        cut = int(ends[-1]) + 1
        self._pending.append(block.rows(0, cut))
        out += self._flush()
        if cut < len(block):
            self._pending.append(block.rows(cut, len(block)))
        return out

    def finish(self) -> list[Swing]:
        """End of stream: process what is pending and settle the last burst."""
        out = self._flush() + self._end_bout()
        self._restart()
        return out

    # --- signal maths ----------------------------------------------------------

    def _restart(self) -> None:
        for f in (self._gravity, self._gyro, self._speed, self._mean, self._median):
            f.reset()
        self._posture.reset()
        self._has_gyro = False
        self._hist = np.empty((0, _COLUMNS))
        self._last_u: FloatArray | None = None
        self._candidate: int | None = None  # history index of the best burst peak not yet settled
        self._last_peak_s = -math.inf  # peak of the last burst settled, s
        self._rhythm_s: float | None = None  # brisk rhythm of the burst signal before the candidate, s
        self._bouts.reset()

    def _flush(self) -> list[Swing]:
        if not self._pending:
            return []
        block = GridBlock.join(self._pending)
        self._pending = []
        self.now_s = float(block.t[-1])
        return self._process(block)

    def _process(self, block: GridBlock) -> list[Swing]:
        t, acc, gyro = block.t, block.acc, block.gyro
        # 1. gravity direction, its slow mean, and the area it sweeps round the mean.
        g = self._gravity.push(acc)
        u = g / row_norms(g)[:, None]
        mean = self._mean.push(u)
        prev_u = u[:1] if self._last_u is None else self._last_u[None, :]
        du = row_steps(u, prev_u)
        self._last_u = u[-1].copy()
        off_mean = u - mean
        area = np.einsum("ij,ij->i", cross_rows(off_mean, du), mean)
        # 2. the burst signal: rate of the loop area (deg²/s) or angular speed of the thigh (deg/s).
        if self.params.loop_signal:
            raw = np.abs(area) * (DEG_PER_RAD**2 * self.rate_hz)
        elif gyro is None:
            raw = row_norms(du) * (DEG_PER_RAD * self.rate_hz)
        else:
            raw = row_norms(self._gyro.push(gyro))
        smooth = self._speed.push(raw[:, None])[:, 0]
        base = len(self._hist)
        area_sum = np.cumsum(area) + (self._hist[-1, _AREA] if base else 0.0)
        dev_deg = row_norms(off_mean) * DEG_PER_RAD
        # The turn about the vertical needs a gyroscope: gravity does not see it.
        yaw = np.zeros(len(t)) if gyro is None else np.einsum("ij,ij->i", gyro, u) / self.rate_hz
        yaw_sum = np.cumsum(yaw) + (self._hist[-1, _YAW] if base else 0.0)
        rate2 = np.zeros(len(t)) if gyro is None else np.einsum("ij,ij->i", gyro, gyro) / self.rate_hz
        rate2_sum = np.cumsum(rate2) + (self._hist[-1, _RATE2] if base else 0.0)
        bridged_sum = np.cumsum(block.bridged) + (self._hist[-1, _BRIDGED] if base else 0.0)
        median, centre = self._median.push(acc)
        shock = np.zeros(len(t))
        shock[len(t) - len(median) :] = row_norms(centre - median)
        axis_code = self._posture.axis_codes(mean)
        self._posture.observe(t, u)
        self._has_gyro = gyro is not None
        rate = np.zeros((len(t), 3)) if gyro is None else gyro
        columns = (t, smooth, area_sum, dev_deg, yaw_sum, rate2_sum, bridged_sum, shock, axis_code, mean, rate)
        self._hist = np.concatenate((self._hist, np.column_stack(columns)))
        # 3. candidate peaks: local maxima (the last sample waits for its successor).
        s = self._hist[:, _SIGNAL]
        idx = np.arange(max(base - 1, 1), len(s) - 1)
        maxima = idx[(s[idx] > s[idx - 1]) & (s[idx] >= s[idx + 1])]
        peaks = maxima[s[maxima] >= self.params.min_speed_dps]
        if self._peak_log is not None:
            logged = maxima[s[maxima] >= self._peak_log.floor]
            self._peak_log.add(self._hist[logged, _T], s[logged])
        # 4. decisions, replayed micro-batch by micro-batch as a stream of single micro-batches
        # would have made them, so that a long block gives the same swings as short ones.
        k = np.rint(t * self.rate_hz).astype(np.int64)
        ends = base + np.flatnonzero((k + 1) % self._batch == 0) + 1
        if not len(ends) or ends[-1] != len(s):
            ends = np.append(ends, len(s))  # the unaligned tail at finish()
        out = self._replay(peaks, ends)
        self._trim()
        return out

    def _replay(self, peaks: np.ndarray, ends: np.ndarray) -> list[Swing]:
        """Offer ``peaks`` and settle the candidate at each micro-batch end in ``ends`` (history indices).

        A peak is seen at the end of the micro-batch holding its successor; at
        each end the peaks seen are offered, then the candidate may settle.
        Python runs only at peaks and at the one end where a candidate settles.
        """
        out: list[Swing] = []
        seen_at = ends[np.searchsorted(ends, peaks + 1, side="right")] if len(peaks) else peaks
        j, done = 0, 0  # next peak; micro-batch ends before `done` are handled
        while True:
            next_end = int(seen_at[j]) if j < len(peaks) else None
            if self._candidate is not None:
                # The first end, before the next peak's, at which the candidate would settle.
                limit = len(ends) if next_end is None else int(np.searchsorted(ends, next_end))
                at = self._settles_at(self._candidate, ends[done:limit])
                if at is not None:
                    out += self._settle(upto=at)
                    done = int(np.searchsorted(ends, at)) + 1
                    continue
            if next_end is None:
                return out
            while j < len(peaks) and seen_at[j] == next_end:
                out += self._offer(int(peaks[j]), upto=next_end)
                j += 1
            out += self._settle(upto=next_end)
            done = int(np.searchsorted(ends, next_end)) + 1

    def _settles_at(self, c: int, ends: np.ndarray) -> int | None:
        """The first of ``ends`` (history indices) at which the candidate peaking at index ``c`` would settle, or None.

        It settles once its signal has fallen below ``edge_fraction`` of its
        peak and no larger peak can still join it (the refractory gap; not
        waited for in a settled bout with ``settle_in_bout``), or,
        for a burst that never dies down, after half the longest period, so
        nothing waits long.
        """
        if not len(ends):
            return None
        h = self._hist
        p = self.params
        age = h[ends - 1, _T] - h[c, _T]
        below = first_true(h[c : int(ends[-1]), _SIGNAL] < p.edge_fraction * h[c, _SIGNAL])
        ended = False if below is None else ends > c + below
        gap = 0.0 if p.settle_in_bout and self._bouts.settled() else self._refractory_s()
        ok = first_true((ended & (age >= gap)) | (age >= 0.5 * p.max_period_s))
        return None if ok is None else int(ends[ok])

    def _trim(self) -> None:
        excess = len(self._hist) - self._keep
        if excess > 0:
            self._hist = self._hist[excess:]
            if self._candidate is not None:
                self._candidate = max(self._candidate - excess, 0)

    # --- bursts and bouts -------------------------------------------------------

    def _offer(self, i: int, upto: int) -> list[Swing]:
        """A new local maximum at history index ``i``, seen with the history up to index ``upto``."""
        h = self._hist
        c = self._candidate
        if c is not None and h[i, _T] - h[c, _T] < self._refractory_s() and not self._dips_apart(c, i):
            if h[i, _SIGNAL] > h[c, _SIGNAL]:
                self._set_candidate(i)
            return []
        out = self._settle(upto=upto, force=c is not None, stop=i)
        self._set_candidate(i)
        return out

    def _dips_apart(self, c: int, i: int) -> bool:
        """Whether the bursts peaking at history indices ``c`` and ``i`` are two swings though within the refractory gap.

        They are when they lie at least ``min_period_s`` apart (a cycle's
        shortest) and the signal between them falls below
        ``split_dip_fraction`` of the smaller peak: at a brisk tempo
        consecutive swings come sooner than the gap.
        """
        p = self.params
        h = self._hist
        if p.split_dip_fraction <= 0.0 or h[i, _T] - h[c, _T] < p.min_period_s:
            return False
        return bool(h[c : i + 1, _SIGNAL].min() < p.split_dip_fraction * min(h[c, _SIGNAL], h[i, _SIGNAL]))

    def _set_candidate(self, i: int) -> None:
        self._candidate = i
        self._rhythm_s = self._rhythm_period(i) if self.params.rhythm_max_period_s > 0.0 else None

    def _refractory_s(self) -> float:
        """Shortest gap between two swings for the current candidate, s: the bout's, or shorter in a brisk rhythm."""
        return min(self._bouts.refractory_s(), _refractory_for(self.params, self._rhythm_s))

    def _rhythm_period(self, c: int) -> float | None:
        """Period (s) of the burst signal's rhythm over the ``max_period_s`` before index ``c``, if brisk and clear.

        The largest autocorrelation at lags from ``min_period_s`` to
        ``rhythm_max_period_s``, on the signal thinned to about 25 Hz (it is
        low-passed far below that), counts when it reaches
        ``rhythm_min_autocorr``.
        """
        p = self.params
        step = max(1, round(self.rate_hz / _RHYTHM_RATE_HZ))
        # Thinned from c backwards, so the samples taken do not depend on how the stream was cut.
        x = self._hist[max(0, c - self._reach) : c + 1, _SIGNAL][::-step]
        rate = self.rate_hz / step
        lo, hi = round(p.min_period_s * rate), round(p.rhythm_max_period_s * rate)
        n = len(x)
        if n <= 2 * hi:
            return None
        x = x - x.mean()
        power = float(x @ x) / n
        if power <= 0.0:
            return None
        lags = np.arange(lo, hi + 1)
        # Unbiased: each lag's products averaged over its own overlap.
        autocorr = np.correlate(x, x, "full")[n - 1 + lo : n + hi] / (n - lags) / power
        best = int(np.argmax(autocorr))
        return float(lags[best] / rate) if autocorr[best] >= p.rhythm_min_autocorr else None

    def _settle(self, upto: int | None = None, force: bool = False, stop: int | None = None) -> list[Swing]:
        """Turn the candidate into a swing once its end is seen and no larger peak can join it.

        Only the history before index ``upto`` (all of it by default) is
        looked at; ``stop`` is the index of the next burst's peak when that
        forces the candidate to settle.
        """
        c = self._candidate
        if c is None:
            return []
        p = self.params
        h = self._hist[:upto]
        if not force and self._settles_at(c, np.array([len(h)])) is None:
            return []
        self._candidate = None
        # The excursion and loop area are measured over the whole burst, which may reach into
        # its neighbours (a posture change next to it shows in the excursion); the reported
        # boundaries stay between the neighbours' peaks.
        i0, i1 = self._edges(h, c, p.edge_fraction)
        b0, b1 = self._edges(h, c, p.boundary_fraction, stop, apart=True)
        self._last_peak_s = float(h[c, _T])
        # Not before the fixed reach, which the history kept always covers (chunk invariance).
        floor = max(c - self._reach, 0)
        lead = max(i0 - self._rate_lead, floor)
        swing_start_s = float(h[b0, _T]) - p.boundary_delay_s
        swing_end_s = float(h[b1, _T]) - p.boundary_delay_s
        swing = Swing(
            start_s=swing_start_s,
            end_s=swing_end_s,
            peak_s=float(h[c, _T]),
            peak_speed_dps=float(h[c, _SIGNAL]),
            area=float(h[i1, _AREA] - h[i0, _AREA]),
            excursion_deg=self._clear_excursion_deg(h, i0, i1, floor),
            turn_deg=float(np.ptp(h[i0 : i1 + 1, _YAW])),
            rate_dps=self._rms_rate_dps(h, lead, i1),
            lost=self._bridged_runs(h, floor, c),
            shock_ms2=self._landing_shock(h, swing_start_s, swing_end_s),
            sideways_skew=self._sideways_skew(h, c, swing_start_s, swing_end_s, floor),
        )
        return self._bouts.add(swing)

    def _sideways_skew(self, h: FloatArray, c: int, start_s: float, end_s: float, floor: int) -> float | None:
        """``Swing.sideways_skew`` (deg³/s²) of the swing peaking at history index ``c``.

        A squat inclines the thigh forward, so the slow gravity direction at
        the peak, less its component along the standing posture (the thigh
        axis when no standing was seen), points forward in the band's frame.
        In a side step the free foot, and the knee with it, moves fast in the
        travel direction; the thigh tilts back slowly as the pelvis travels
        over the planted foot. The sum of the cubed rate about the forward
        axis weighs the fast turn over the slow one, so its sign is the
        travel direction whichever leg wears the band and whether it leads
        or trails: the knee moves right when the thigh turns negatively
        about the forward axis. History rows before ``floor`` are not read
        (the history kept always covers it, so the result does not depend on
        how the stream was cut).
        """
        if not self._has_gyro:
            return None
        code = float(h[c, _AXIS])
        up = self._posture.standing(float(h[c, _T]), code)
        if up is None:
            up = axis_vector(code)
        squat = h[c, _MEAN]
        forward = squat - (squat @ up) * up
        size = math.sqrt(float(forward @ forward))
        if size < self._facing_sin * math.sqrt(float(squat @ squat)):
            return None
        reach = self.params.sideways_reach_s
        i0, i1 = np.searchsorted(h[:, _T], (start_s - reach, end_s + reach), side="left")
        knee_right = -(h[max(i0, floor) : i1 + 1, _GYRO] @ forward) / size
        return float(np.sum(knee_right**3) / self.rate_hz)

    @staticmethod
    def _bridged_runs(h: FloatArray, i0: int, i1: int) -> tuple[tuple[float, float], ...]:
        """Runs of bridged samples between history indices ``i0`` and ``i1``: (first, last) times, s."""
        count_before = h[i0 - 1, _BRIDGED] if i0 > 0 else 0.0
        if h[i1, _BRIDGED] == count_before:
            return ()  # the running count did not move: none (most swings, cheaply)
        flags = np.diff(h[i0 : i1 + 1, _BRIDGED], prepend=count_before) > 0
        edges = np.flatnonzero(np.diff(np.concatenate(([False], flags, [False])).astype(np.int8)))
        t = h[i0 : i1 + 1, _T]
        return tuple((float(t[a]), float(t[b - 1])) for a, b in zip(edges[::2], edges[1::2]))

    def _clear_excursion_deg(self, h: FloatArray, i0: int, i1: int, floor: int) -> float:
        """Largest deviation (deg) between history indices ``i0`` and ``i1`` of the samples clear of bridged data.

        A sample is clear when no bridged sample lies in the
        ``_BRIDGED_MEMORY_S`` up to it, looked for back to index ``floor`` at
        most (the history kept always covers it, so the result does not
        depend on how the stream was cut). With no clear sample, all count.
        """
        idx = np.arange(i0, i1 + 1)
        back = np.maximum(idx - self._bridged_memory, floor)
        clear = h[idx, _BRIDGED] == h[back, _BRIDGED]
        # With no clear sample nothing better is known: the excursion as measured.
        return float(h[idx[clear] if clear.any() else idx, _DEV].max())

    def _landing_shock(self, h: FloatArray, start_s: float, end_s: float) -> float:
        """Largest shock (m/s²) from just before ``start_s`` to just after ``end_s`` (s) in the history ``h``.

        Row ``i`` holds the shock of the sample the running median's delay
        before it; only what ``h`` already holds is looked at.
        """
        before_s, after_s = _LANDING_REACH_S
        i0, i1 = np.searchsorted(h[:, _T], (start_s - before_s, end_s + after_s), side="left")
        delay = self._median.delay
        return float(h[i0 + delay : i1 + delay, _SHOCK].max(initial=0.0))

    @staticmethod
    def _rms_rate_dps(h: FloatArray, i0: int, i1: int) -> float:
        """RMS angular rate (deg/s) between history indices ``i0`` and ``i1``."""
        return math.sqrt(max(h[i1, _RATE2] - h[i0, _RATE2], 0.0) / max(h[i1, _T] - h[i0, _T], 1e-9))

    def _edges(
        self, h: FloatArray, c: int, fraction: float, stop: int | None = None, apart: bool = False
    ) -> tuple[int, int]:
        """Where the burst peaking at history index ``c`` rises and falls through ``fraction`` of its peak (indices).

        With ``apart`` the search stays after the previous burst's peak and
        before ``stop`` (the next burst's peak, when known): two bursts that
        do not fall that low between their peaks are split at the lowest
        sample between them, so swings never overlap.
        """
        level = fraction * h[c, _SIGNAL]
        # A fixed reach back (the history kept always covers it), not "as far as is kept",
        # which would depend on how the stream was cut.
        first = max(0, c - self._reach)
        if apart:
            first = max(first, int(np.searchsorted(h[:, _T], self._last_peak_s, side="right")))
        rise = h[first : c + 1, _SIGNAL]
        before = np.flatnonzero(rise < level)
        if len(before):
            start = first + int(before[-1])
        else:
            start = first + (int(np.argmin(rise)) if apart else 0)
        fall = h[c : len(h) if stop is None or not apart else stop + 1, _SIGNAL]
        after = first_true(fall < level)
        if after is None:
            after = int(np.argmin(fall)) if apart and stop is not None else len(fall) - 1
        return start, c + after

    def _end_bout(self) -> list[Swing]:
        out = self._settle(force=True)
        self._bouts.end()
        return out


class SwingCounter:
    """Base of a swing-based walk counter: a :class:`SwingDetector` whose swings :meth:`_reps` turns into reps.

    Parameters
    ----------
    rate_hz : float
        Grid rate, Hz.
    swing : SwingParams
        Swing detection thresholds.
    leg : str
        ``right`` or ``left``: the thigh wearing the band.
    peak_log : PeakLog, optional
        Handed to the detector (see :class:`SwingDetector`).
    """

    exercise = ""

    def __init__(self, rate_hz: float, swing: SwingParams, leg: str, peak_log: PeakLog | None = None) -> None:
        if leg not in ("right", "left"):
            raise ValueError(f"leg must be 'right' or 'left', got {leg!r}")
        self.rate_hz = rate_hz
        self.leg = leg
        self._detector = SwingDetector(rate_hz, swing, peak_log)

    def push(self, block: GridBlock) -> list[Rep]:
        """Consume grid samples; return the reps that became certain."""
        return self._reps(self._detector.push(block))

    def finish(self) -> list[Rep]:
        """End of stream: return the reps still pending."""
        return self._reps(self._detector.finish())

    def warnings(self) -> list[str]:
        """None: a walk shows nothing about the band's placement that the counter checks."""
        return []

    def _reps(self, swings: list[Swing]) -> list[Rep]:
        raise NotImplementedError
