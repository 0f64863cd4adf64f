"""Exercise recognition for ``--exercise auto``: which exercise a counted rep belongs to.

In auto mode every counter runs on the same grid stream; each rep a counter
emits is kept only if :meth:`ExerciseRecogniser.judge` names that counter's
exercise for the rep's time span. The recogniser keeps one summary per
``window_s`` of grid samples (sums of the quantities below) for the last
``history_s``, so a judgement costs a few small matrix operations and memory
stays flat however long the stream runs.

A rep's span is short, and over a few seconds a lateral and a monster walk
differ by little. So each judgement also leaves the running sums of every
window before the span and through it (:class:`SpanSums`): the difference of
two such sums is the summary of the stretch between them, and
:meth:`ExerciseRecogniser.judge_together` judges a whole set as one span
from its reps' sums, however long ago its data left the history.

Orientation-agnostic: every feature is an angle, a norm or an eigenvalue
ratio of vectors in the band's frame, so it does not change when the band is
turned on the strap, moved to the other leg, or mounted along another axis.

1. *Something moved*: the gravity direction (1 Hz low-pass of the
   accelerometer) swings, or the gyroscope turns.
2. *Walk or clamshell*: walks have foot-strike shocks (the high-passed
   magnitude of the specific force) and swing gravity in more than one
   direction; a clamshell swings it along one path with no shocks. A walk
   also swings it at a brisker pace: the RMS angular acceleration of the
   gravity direction over its RMS rate, which is 2 pi f for a steady swing
   at f Hz, is 5.9-19 /s for the generator's walk reps and 2.3-4.8 /s for its
   clamshells. Real side-lying and prone exercises also jolt the band when
   the leg comes down (shocks as large as a gentle walk's) and sway it
   about a wandering axis, so the first two cues alone judged some of them
   walks. How
   evenly the gyroscope turns about its axes is not used here: the
   generator's clamshell is a near-perfect hinge, but real thighs turn about
   a wandering axis (in the UCI side-lying abductions the rotation is as
   spread as in a walk), and that cue alone judged them walks.
3. *Lateral or monster walk*: the thigh abducts (lateral) or flexes
   (monster). The still posture before the bout in which the thigh was
   nearer vertical than in the squat (standing) and the squat's gravity
   direction span the thigh's flexion plane, whose normal is the flexion
   axis: monster walks turn about it, and swing gravity and accelerate along
   the plane; lateral walks across it, and squat less deeply. Without such
   a reference (no still stand in the history) only the planarity cues are
   used: a monster walk swings the thigh and the pelvis in two directions
   (forward travel and diagonal steps with sideways sway), a lateral walk
   mostly in one.
4. *Ordinary walking* turns the thigh much faster than a band walk; with a
   gyroscope it lowers the confidence (not the decision: fast band walks
   exist).

Steps 2 to 4 are two-class nearest-centroid decisions on log features with a
shared spread per feature; their posteriors multiply into the confidence.
The constants come from the synthetic generator (:mod:`sensor.synth`: 24
recordings per exercise, seeds 100–123, 10 reps, rates 25–200 Hz, both legs,
gyro on and off, random mountings; 8 ``walk-forward`` recordings for step 4),
every true rep judged as the pipeline would (0.5 s after it ended): centroid
= median of a class's log feature, spread = the larger of the two classes'
scaled median absolute deviations (at least 0.2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal

from sensor.dsp.filters import StreamingSOS
from sensor.dsp.vectors import cross_rows, row_norms, row_steps
from sensor.dsp.resample import GridBlock
from sensor.types import FloatArray
from sensor.units import DEG_PER_RAD

# Columns of a window summary (sums over the window's grid samples).
_N = 0
_U = slice(1, 4)  # gravity direction (unit vector)
_UU = slice(4, 13)  # its outer product
_RATE2 = 13  # (turn rate of the gravity direction, deg/s)²
_HF2 = 14  # (high-passed |specific force|, m/s²)²
_DD = slice(15, 24)  # outer product of the band-passed specific force (m/s²)²
_WW = slice(24, 33)  # outer product of the angular rate (deg/s)²
_NG = 33  # samples with a gyroscope reading
_RATE_CHANGE2 = 34  # (angular acceleration of the gravity direction, deg/s²)²
_WIDTH = 35

_Stage = tuple[tuple[str, float, float, float], ...]

# Two-class nearest-centroid stages: (feature, first-class log-centroid,
# second-class log-centroid, shared spread in log units), fitted as the
# module notes describe.
#: Walk (first) vs clamshell (second).
_STAGE_WALK: _Stage = (
    ("impact_ms2", -0.283, -2.061, 0.556),
    ("swing_planarity", -1.279, -2.625, 0.444),
    ("swing_pace_per_s", 2.443, 1.147, 0.242),
)
#: Lateral (first) vs monster walk (second), with a standing reference.
_STAGE_GAIT_REFERENCE: _Stage = (
    ("turn_about_flexion", -0.159, 0.259, 0.219),
    ("swing_across", -0.130, -0.315, 0.475),
    ("motion_across", -0.000, -0.241, 0.236),
    ("squat_deg", 2.624, 3.245, 0.255),
)
#: Lateral (first) vs monster walk (second), without a standing reference.
_STAGE_GAIT_PLANARITY: _Stage = (
    ("swing_planarity", -1.387, -0.428, 0.382),
    ("motion_planarity", -1.226, -0.733, 0.293),
)
#: Exercise walk (first) vs ordinary walking (second): only lowers the confidence,
#: since real band walks can turn the thigh fast too.
_STAGE_ORDINARY_WALK: _Stage = (("turn_dps", 3.184, 4.559, 0.327),)


@dataclass(frozen=True, kw_only=True, slots=True)
class RecognitionParams:
    """Parameters of :class:`ExerciseRecogniser` (units in the names).

    Attributes
    ----------
    window_s : float
        Length of one summary window, s.
    history_s : float
        How far back summaries are kept, s (bounds memory; must exceed
        ``reference_lookback_s`` plus the longest a counter holds a rep back
        after it ended plus the pipeline's longest grid block: 45 + 30 + 80 s).
    reference_lookback_s : float
        How far before a judged span the standing reference is looked for, s.
    context_s : float
        A judgement looks at least this far back from the rep's end, s.
    gravity_cutoff_hz : float
        Low-pass cut-off separating gravity from movement, Hz.
    impact_cutoff_hz : float
        High-pass cut-off isolating foot-strike shocks in ``|acc|``, Hz.
    motion_band_hz : tuple of float
        Band-pass keeping the body's stepping accelerations, Hz.
    min_swing_deg : float
        Below this RMS swing of the gravity direction (deg) and
        ``min_turn_dps`` of angular rate the thigh did not move: no exercise.
    min_turn_dps : float
        RMS angular rate below which the thigh counts as unmoved, deg/s.
    still_rate_dps : float
        A window whose gravity direction turns slower than this (RMS,
        deg/s) is still: a candidate posture reference.
    reference_deg : tuple of float
        Angle between a still posture and the bout's mean gravity direction
        for the posture to serve as the standing reference, deg: nearer is
        the squat itself, farther is sitting or lying.
    walking_squat_deg, walking_motion_across : float
        A stretch judged as one (a whole set) whose gravity lies nearer its
        standing reference than ``walking_squat_deg`` (deg: no squat held)
        and whose stepping accelerations across the flexion plane are under
        ``walking_motion_across`` of those along it (travel straight ahead)
        is ordinary walking, not an exercise.
    """

    window_s: float = 0.25
    history_s: float = 180.0
    reference_lookback_s: float = 45.0
    context_s: float = 4.0
    gravity_cutoff_hz: float = 1.0
    impact_cutoff_hz: float = 3.0
    motion_band_hz: tuple[float, float] = (0.3, 3.0)
    min_swing_deg: float = 1.5
    min_turn_dps: float = 8.0
    still_rate_dps: float = 3.0
    reference_deg: tuple[float, float] = (4.0, 50.0)
    walking_squat_deg: float = 8.0
    walking_motion_across: float = 0.3


@dataclass(frozen=True, slots=True)
class SpanSums:
    """What a judged span leaves behind so that several spans can later be judged as one.

    Attributes
    ----------
    first_window, last_window : int
        Summary windows of the span's own start and end (context not included).
    before : ndarray
        Sums of every window of the stream before ``first_window``.
    through : ndarray
        Sums of every window of the stream up to ``last_window``.
    reference : ndarray or None
        The standing reference found for the span (gravity direction, unit).
    """

    first_window: int
    last_window: int
    before: FloatArray
    through: FloatArray
    reference: FloatArray | None


@dataclass(frozen=True)
class Judgement:
    """Which exercise a time span looks like.

    Attributes
    ----------
    exercise : str or None
        ``clamshell``, ``lateral-walk``, ``monster-walk``, or None (none of them).
    confidence : float
        0 to 1.
    sums : SpanSums or None
        The span's running sums, for :meth:`ExerciseRecogniser.judge_together`.
    """

    exercise: str | None
    confidence: float
    sums: SpanSums | None = None


class ExerciseRecogniser:
    """Streaming exercise recogniser on the uniform grid.

    Parameters
    ----------
    rate_hz : float
        Rate of the grid the recogniser is fed, Hz.
    params : RecognitionParams, optional
        See :class:`RecognitionParams`.

    Notes
    -----
    Data requirements: accelerometer; a gyroscope, when present, adds the
    rotation-axis cues. Causal and chunk-invariant: a window's summary is
    summed from the same samples in the same order however the stream was
    cut. Judgements can be asked for spans that ended up to the newest pushed
    sample and began up to ``history_s - context_s`` before it.
    """

    def __init__(self, rate_hz: float, params: RecognitionParams | None = None) -> None:
        self.rate_hz = rate_hz
        self.params = p = params or RecognitionParams()
        self._per_window = max(1, round(p.window_s * rate_hz))
        self._gravity = StreamingSOS.lowpass(p.gravity_cutoff_hz, rate_hz, 3)
        self._impact = StreamingSOS(signal.butter(2, p.impact_cutoff_hz, btype="high", fs=rate_hz, output="sos"), 1)
        self._motion = StreamingSOS(signal.butter(2, p.motion_band_hz, btype="band", fs=rate_hz, output="sos"), 3)
        self._prev_u: FloatArray | None = None
        self._prev_step = np.zeros(3)
        n_windows = math.ceil(p.history_s / (self._per_window / rate_hz)) + 2
        self._lookback_windows = math.ceil(p.reference_lookback_s / (self._per_window / rate_hz))
        # Complete windows live in rows [lo, hi) of buffers twice the history, so appending is a
        # copy into place and the history a view; one spare row takes the open window.
        self._kept = n_windows
        self._win_ids = np.empty(2 * n_windows + 1, dtype=np.int64)
        self._win_sums = np.empty((2 * n_windows + 1, _WIDTH))
        # Sums of every window of the stream before each kept one, and of all complete windows:
        # spans judged apart can then be judged together long after their windows were forgotten.
        self._win_before = np.empty((2 * n_windows + 1, _WIDTH))
        self._total = np.zeros(_WIDTH)
        self._lo = self._hi = 0
        self._merged: tuple[np.ndarray, FloatArray] | None = None  # with the open window, until the next push
        self._postures: tuple[FloatArray, np.ndarray] | None = None  # per window of _merged
        self._open_id: int | None = None
        self._open_rows = np.empty((0, _WIDTH))

    # --- streaming interface -------------------------------------------------

    def push(self, block: GridBlock) -> None:
        """Consume grid samples (times in s, specific force in m/s², angular rate in deg/s)."""
        if len(block) == 0:
            return
        if block.gap_before:
            for stage in (self._gravity, self._impact, self._motion):
                stage.reset()
            self._prev_u = None
            # The filters restart steady, so the gravity direction starts still.
            self._prev_step = np.zeros(3)
        rows = self._sample_rows(block)
        ids = np.round(block.t * self.rate_hz).astype(np.int64) // self._per_window
        if self._open_id is not None:
            ids = np.concatenate((np.full(len(self._open_rows), self._open_id), ids))
            rows = np.concatenate((self._open_rows, rows))
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        if len(starts) > 1:
            # Every window but the last is complete; each is summed from its own rows only.
            complete = starts[:-1]
            self._keep_windows(ids[complete], np.add.reduceat(rows[: starts[-1]], complete, axis=0))
        self._open_id = int(ids[starts[-1]])
        self._open_rows = rows[starts[-1] :]
        self._merged = self._postures = None

    def ready(self, end_s: float) -> bool:
        """True once the summary window holding ``end_s`` (s) is complete.

        From then on :meth:`judge` of a span ending at ``end_s`` no longer
        depends on how much later data has been pushed (chunk invariance).
        """
        return self._open_id is not None and self._open_id > self._window_of(end_s)

    def judge(self, start_s: float, end_s: float) -> Judgement:
        """Judge which exercise the span ``start_s``..``end_s`` (s) belongs to.

        Returns
        -------
        Judgement
            The exercise (or None), a confidence from 0 to 1, and the span's
            sums for judging it together with others later.
        """
        return self.judge_spans([(start_s, end_s)])[0]

    def judge_spans(self, spans: Sequence[tuple[float, float]]) -> list[Judgement]:
        """Judge each span ``(start_s, end_s)`` (s) as :meth:`judge` does, all at once.

        A batch run finds a few dozen reps at a time; their features are then
        a few array operations for all of them instead of a few dozen each.
        """
        features, references = self._spans_features(spans)
        judged = []
        for (start_s, end_s), f, reference in zip(spans, features, references):
            decided = self._decide(f)
            judged.append(Judgement(decided.exercise, decided.confidence, self._span_sums(start_s, end_s, reference)))
        return judged

    def judge_together(self, spans: Sequence[SpanSums]) -> Judgement:
        """Judge the stretch from the earliest to the latest of ``spans`` as one span.

        The stretch's own samples are summed, with no context before it; the
        standing reference is the earliest found for a span that still fits
        the stretch's posture (the first reps of a set may have found none
        while the squat was still sinking). Needs no history: the spans may
        be long forgotten. Over so long a stretch ordinary walking shows
        (see ``walking_squat_deg``), which a few seconds do not tell from
        side steps without a gyroscope: it is judged no exercise.
        """
        first = min(spans, key=lambda s: s.first_window)
        last = max(spans, key=lambda s: s.last_window)
        references = [s.reference for s in sorted(spans, key=lambda s: s.first_window) if s.reference is not None]

        def fitting(up: FloatArray) -> FloatArray | None:
            return next((r for r in references if self._fits_reference(r[None, :], up[None, :])[0, 0]), None)

        f = self._features_of((last.through - first.before)[None, :], lambda up, _: [fitting(up[0])])[0][0]
        p = self.params
        if "squat_deg" in f and f["squat_deg"] < p.walking_squat_deg and f["motion_across"] < p.walking_motion_across:
            return Judgement(None, 1.0)
        return self._decide(f)

    def warnings(self) -> list[str]:
        """Session-level posture warnings (none are issued yet: no cue tested reliable enough)."""
        return []

    def features(self, start_s: float, end_s: float) -> dict[str, float]:
        """Features of the span ``start_s``..``end_s`` (s) and its context, for judging and diagnostics.

        Returns
        -------
        dict
            ``swing_deg`` (RMS swing of the gravity direction, deg),
            ``rate_dps`` (RMS turn rate of gravity, deg/s), ``impact_ms2``
            (RMS high-passed ``|acc|``, m/s²), ``swing_planarity`` and
            ``motion_planarity`` (second to first principal axis of the
            gravity swing and of the horizontal stepping acceleration, 0–1),
            ``swing_pace_per_s`` (RMS angular acceleration of the gravity
            direction over its RMS rate, 1/s: 2 pi f for a steady swing at
            f Hz); with a gyroscope ``turn_dps`` (RMS angular rate, deg/s); with a
            standing reference ``squat_deg`` (its angle to the bout's
            gravity, deg), ``swing_across`` and ``motion_across`` (RMS across /
            along the flexion plane), and with a gyroscope
            ``turn_about_flexion`` (RMS rate about the flexion axis / about the
            other two). Empty when no samples cover the span.
        """
        return self._spans_features([(start_s, end_s)])[0][0]

    # --- internals -------------------------------------------------------------

    def _decide(self, f: dict[str, float]) -> Judgement:
        """The exercise (or None) and the confidence the features ``f`` give."""
        if not f or (f["swing_deg"] < self.params.min_swing_deg and f.get("turn_dps", 0.0) < self.params.min_turn_dps):
            return Judgement(None, 1.0)
        p_walk = _posterior(_STAGE_WALK, f)
        if p_walk < 0.5:
            return Judgement("clamshell", 1.0 - p_walk)
        p_walk *= _posterior(_STAGE_ORDINARY_WALK, f)
        p_lateral = _posterior(_STAGE_GAIT_REFERENCE if "squat_deg" in f else _STAGE_GAIT_PLANARITY, f)
        if p_lateral >= 0.5:
            return Judgement("lateral-walk", p_walk * p_lateral)
        return Judgement("monster-walk", p_walk * (1.0 - p_lateral))

    def _spans_features(
        self, spans: Sequence[tuple[float, float]]
    ) -> tuple[list[dict[str, float]], list[FloatArray | None]]:
        """Features of each span and its context (see :meth:`features`), and the standing reference each used."""
        ids, sums = self._history()
        if len(ids) == 0:
            return [{} for _ in spans], [None for _ in spans]
        bounds = np.array(spans, dtype=np.float64).reshape(-1, 2)
        first = self._windows_of(np.minimum(bounds[:, 0], bounds[:, 1] - self.params.context_s))
        # Window ids only grow, so each span and its look-back are slices.
        begin = np.searchsorted(ids, first)
        end = np.searchsorted(ids, self._windows_of(bounds[:, 1]) + 1)
        # A fixed look-back (not "whatever history is left") keeps judgements independent of how
        # far the stream had run ahead when the rep was judged.
        back = np.searchsorted(ids, first - self._lookback_windows)
        # Each span summed on its own, row after row: the same sums however the spans were batched.
        totals = np.array([sums[b:e].sum(axis=0) for b, e in zip(begin.tolist(), end.tolist())]).reshape(-1, _WIDTH)
        return self._features_of(totals, lambda up, rows: self._standing_references(back[rows], begin[rows], up))

    def _features_of(
        self, totals: FloatArray, references_for: Callable[[FloatArray, np.ndarray], list[FloatArray | None]]
    ) -> tuple[list[dict[str, float]], list[FloatArray | None]]:
        """Features of each row of window sums ``totals`` (k, width), and the standing reference each used.

        ``references_for(up, rows)`` gives the standing references for the bouts' gravity
        directions ``up`` (unit, one row per entry of ``rows``, the rows of ``totals`` judged).
        """
        features: list[dict[str, float]] = [{} for _ in range(len(totals))]
        references: list[FloatArray | None] = [None] * len(totals)
        rows = np.flatnonzero(totals[:, _N] >= 2)
        if not len(rows):
            return features, references
        total = totals[rows]
        n = total[:, _N]
        mean_u = total[:, _U] / n[:, None]
        up = mean_u / row_norms(mean_u)[:, None]
        swing = total[:, _UU].reshape(-1, 3, 3) / n[:, None, None] - mean_u[:, :, None] * mean_u[:, None, :]
        motion = total[:, _DD].reshape(-1, 3, 3) / n[:, None, None]
        across = np.eye(3) - up[:, :, None] * up[:, None, :]
        has_turn = (total[:, _NG] >= n).tolist()
        turn = total[:, _WW].reshape(-1, 3, 3) / np.maximum(total[:, _NG], 1.0)[:, None, None]
        # One batched eigen-decomposition: a call per 3x3 matrix costs more than the maths.
        tops = _top_eigen(np.stack((swing, across @ motion @ across), axis=1))
        scalars = np.column_stack((
            np.sqrt(np.maximum(tops[:, 0, 0], 0.0)) * DEG_PER_RAD,
            np.sqrt(total[:, _RATE2] / n),
            np.sqrt(total[:, _HF2] / n),
            _planarity(tops[:, 0]),
            _planarity(tops[:, 1]),
            np.sqrt(np.maximum(np.trace(turn, axis1=1, axis2=2), 0.0)),
            np.sqrt(total[:, _RATE_CHANGE2] / np.maximum(total[:, _RATE2], 1e-12)),
        )).tolist()
        found = references_for(up, rows)
        with_reference = [j for j, reference in enumerate(found) if reference is not None]
        flexion = self._flexion_features(
            np.array([found[j] for j in with_reference]).reshape(-1, 3), up[with_reference],
            swing[with_reference], motion[with_reference], turn[with_reference],
        )
        for j, i in enumerate(rows.tolist()):
            swing_deg, rate_dps, impact_ms2, swing_planarity, motion_planarity, turn_dps, pace = scalars[j]
            f = {
                "swing_deg": swing_deg,
                "rate_dps": rate_dps,
                "impact_ms2": impact_ms2,
                "swing_planarity": swing_planarity,
                "motion_planarity": motion_planarity,
                "swing_pace_per_s": pace,
            }
            if has_turn[j]:
                f["turn_dps"] = turn_dps
            features[i], references[i] = f, found[j]
        for j, (squat_deg, swing_across, motion_across, turn_about_flexion) in zip(with_reference, flexion):
            f = features[rows[j]]
            f.update(squat_deg=squat_deg, swing_across=swing_across, motion_across=motion_across)
            if has_turn[j]:
                f["turn_about_flexion"] = turn_about_flexion
        return features, references

    @staticmethod
    def _flexion_features(
        reference: FloatArray, up: FloatArray, swing: FloatArray, motion: FloatArray, turn: FloatArray
    ) -> list[list[float]]:
        """Per bout: ``squat_deg``, ``swing_across``, ``motion_across``, ``turn_about_flexion`` (see :meth:`features`).

        ``reference`` and ``up`` are rows of unit gravity directions (standing
        and the bout's); the matrices are the bout's second moments (k, 3, 3).
        """
        normal = cross_rows(reference, up)
        length = row_norms(normal)
        squat_deg = np.degrees(np.arcsin(np.minimum(length, 1.0)))
        normal = normal / length[:, None]
        forward = cross_rows(up, normal)

        def moment(matrix: FloatArray, axis: FloatArray) -> FloatArray:
            return np.einsum("ki,kij,kj->k", axis, matrix, axis)

        def ratio(matrix: FloatArray) -> FloatArray:
            return np.sqrt(moment(matrix, normal) / np.maximum(moment(matrix, forward), 1e-12))

        about_flexion = np.sqrt(moment(turn, normal) / np.maximum(moment(turn, forward) + moment(turn, up), 1e-12))
        return np.column_stack((squat_deg, ratio(swing), ratio(motion), about_flexion)).tolist()

    def _span_sums(self, start_s: float, end_s: float, reference: FloatArray | None) -> SpanSums:
        """Running sums before the span's first window and through its last (s; see :class:`SpanSums`)."""
        first, last = self._window_of(start_s), self._window_of(end_s)
        ids = self._win_ids[self._lo : self._hi]
        begin, end = (int(i) for i in np.searchsorted(ids, (first, last + 1)))
        before = self._win_before[self._lo + begin] if begin < len(ids) else self._total
        if end < len(ids):
            through = self._win_before[self._lo + end]
        elif self._open_id is not None and self._open_id <= last:
            # Only at the end of the stream is a span judged before its last window closed.
            through = self._total + self._open_rows.sum(axis=0)
        else:
            through = self._total
        return SpanSums(first, last, before.copy(), through.copy(), reference)

    def _window_of(self, t_s: float) -> int:
        return int(round(t_s * self.rate_hz)) // self._per_window

    def _windows_of(self, t_s: FloatArray) -> np.ndarray:
        """:meth:`_window_of` of each time (s); numpy rounds halves to even as ``round`` does."""
        return np.round(t_s * self.rate_hz).astype(np.int64) // self._per_window

    def _keep_windows(self, ids: np.ndarray, sums: FloatArray) -> None:
        """Append complete windows, forgetting all but the last ``_kept``."""
        # One sequential running sum: the same additions in the same order however the stream was cut.
        running = np.cumsum(np.concatenate((self._total[None, :], sums)), axis=0)
        self._total = running[-1]
        ids, sums, before = ids[-self._kept :], sums[-self._kept :], running[:-1][-self._kept :]
        if self._hi + len(ids) >= len(self._win_ids):
            # Move the windows still kept to the front (at most once per _kept windows).
            keep = max(0, min(self._hi - self._lo, self._kept - len(ids)))
            self._win_ids[:keep] = self._win_ids[self._hi - keep : self._hi]
            self._win_sums[:keep] = self._win_sums[self._hi - keep : self._hi]
            self._win_before[:keep] = self._win_before[self._hi - keep : self._hi]
            self._lo, self._hi = 0, keep
        self._win_ids[self._hi : self._hi + len(ids)] = ids
        self._win_sums[self._hi : self._hi + len(ids)] = sums
        self._win_before[self._hi : self._hi + len(ids)] = before
        self._hi += len(ids)
        self._lo = max(self._lo, self._hi - self._kept)

    def _history(self) -> tuple[np.ndarray, FloatArray]:
        """Window ids and sums, oldest first, the open window last (views, valid until the next push)."""
        if self._merged is not None:
            return self._merged
        end = self._hi
        if self._open_id is not None and len(self._open_rows):
            self._win_ids[end] = self._open_id
            self._win_sums[end] = self._open_rows.sum(axis=0)
            end += 1
        self._merged = (self._win_ids[self._lo : end], self._win_sums[self._lo : end])
        self._postures = None
        return self._merged

    def _window_postures(self) -> tuple[FloatArray, np.ndarray]:
        """Mean gravity direction (unit) of every window in the history, and which windows were still."""
        if self._postures is None:
            _, sums = self._history()
            n = sums[:, _N]
            mean_u = sums[:, _U] / n[:, None]
            mean_u /= np.linalg.norm(mean_u, axis=1, keepdims=True)
            still = np.sqrt(sums[:, _RATE2] / n) < self.params.still_rate_dps
            self._postures = (mean_u, still)
        return self._postures

    def _sample_rows(self, block: GridBlock) -> FloatArray:
        """Per-sample terms of the window sums (see the column constants)."""
        acc = block.acc
        g = self._gravity.push(acc)
        u = g / row_norms(g)[:, None]
        prev = u[:1] if self._prev_u is None else self._prev_u[None, :]
        step = row_steps(u, prev)
        change = row_steps(step, self._prev_step[None, :])
        self._prev_u = u[-1].copy()
        self._prev_step = step[-1].copy()
        impact = self._impact.push(row_norms(acc)[:, None])[:, 0]
        motion = self._motion.push(acc)
        rows = np.zeros((len(block), _WIDTH))
        rows[:, _N] = 1.0
        rows[:, _U] = u
        rows[:, _UU] = (u[:, :, None] * u[:, None, :]).reshape(-1, 9)
        # Summed as squares, with no square root per sample: the features are RMS values.
        to_rate = DEG_PER_RAD * self.rate_hz
        rows[:, _RATE2] = np.add.reduce(step * step, axis=1) * to_rate**2
        rows[:, _RATE_CHANGE2] = np.add.reduce(change * change, axis=1) * (to_rate * self.rate_hz) ** 2
        rows[:, _HF2] = impact**2
        rows[:, _DD] = (motion[:, :, None] * motion[:, None, :]).reshape(-1, 9)
        if block.gyro is not None:
            w = block.gyro
            rows[:, _WW] = (w[:, :, None] * w[:, None, :]).reshape(-1, 9)
            rows[:, _NG] = 1.0
        return rows

    def _standing_references(self, back: np.ndarray, begin: np.ndarray, up: FloatArray) -> list[FloatArray | None]:
        """Per bout, the gravity direction of the latest still posture nearer upright than the bout (or None).

        Bout ``k`` has gravity direction ``up[k]`` (unit) and looks for its
        posture among the history windows ``back[k]`` to ``begin[k]`` (exclusive).
        """
        lo, hi = int(back.min()), int(begin.max())
        if hi <= lo:
            return [None] * len(up)
        mean_u, still = self._window_postures()
        windows = np.arange(lo, hi)
        fits = (
            still[lo:hi] & self._fits_reference(mean_u[lo:hi], up)
            & (windows >= back[:, None]) & (windows < begin[:, None])
        )
        latest = hi - 1 - np.argmax(fits[:, ::-1], axis=1)
        return [mean_u[w] if ok else None for w, ok in zip(latest.tolist(), fits.any(axis=1).tolist())]

    def _fits_reference(self, directions: FloatArray, up: FloatArray) -> np.ndarray:
        """Which gravity directions (unit rows, (w, 3)) lie at a standing reference's angle from each ``up`` (m, 3).

        Returns a (m, w) boolean array.
        """
        # Products summed per pair, not a matrix product: the same bits however many bouts are judged at once.
        cos = (up[:, None, :] * directions[None, :, :]).sum(axis=2)
        angle = np.degrees(np.arccos(np.minimum(np.maximum(cos, -1.0), 1.0)))
        lo, hi = self.params.reference_deg
        return (angle >= lo) & (angle <= hi)


def _top_eigen(matrices: FloatArray) -> FloatArray:
    """Eigenvalues of each symmetric matrix in a stack (..., 3, 3), largest first."""
    return np.asarray(np.linalg.eigvalsh(matrices)[..., ::-1], dtype=np.float64)


def _planarity(tops: FloatArray) -> FloatArray:
    """Second over first principal spread, 0 (a line) to 1, from rows of eigenvalues largest first."""
    first = tops[:, 0]
    positive = first > 0
    return np.where(positive, np.sqrt(np.maximum(tops[:, 1], 0.0) / np.where(positive, first, 1.0)), 0.0)


def _posterior(stage: _Stage, f: dict[str, float]) -> float:
    """Posterior of the first class of a two-class nearest-centroid stage, from the features present."""
    score = 0.0
    for name, first, second, spread in stage:
        if name in f and f[name] > 0:
            x = math.log(f[name])
            score += ((x - second) ** 2 - (x - first) ** 2) / (2.0 * spread**2)
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, score))))
