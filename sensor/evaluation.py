"""Score counted sets and reps against ground truth.

One matcher serves every benchmark and test: true and counted intervals
(reps or sets) are paired by time overlap, with a tolerance that widens each
true interval on both sides. Reps are paired one to one (a maximum matching,
then the largest total overlap); counted sets are each given to the true set
they overlap most, so a set the counter split in two still sums to its
count, while a counted set that overlaps no true set is a false set whose
reps are false reps.

Inputs are duck-typed: anything with ``start_s`` and ``end_s`` (s) is an
interval. True sets also need ``exercise`` and ``count`` (e.g.
:class:`sensor.synth.truth.TruthSet`), counted sets ``exercise``, ``count``
and ``reps`` (e.g. ``sensor.session.SetResult``); reps may carry
``rom_deg`` (deg) and ``direction`` (lateral walk), counted reps
``emitted_at_s`` (s).

Figures follow design.md §6: per-set count error, clamshell ROM error,
boundary (start/end) error and live latency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from sensor.types import FloatArray

#: Default widening of each true interval when matching, s.
DEFAULT_TOLERANCE_S: float = 0.25

# Added to the benefit of every admissible pair so the assignment first
# maximises the number of pairs and only then their overlap (seconds).
_PAIR_BONUS_S = 1e6


class Interval(Protocol):
    """Anything spanning ``start_s`` to ``end_s`` (s)."""

    @property
    def start_s(self) -> float: ...

    @property
    def end_s(self) -> float: ...


class TrueSet(Interval, Protocol):
    """A true set: its exercise and count."""

    @property
    def exercise(self) -> str: ...

    @property
    def count(self) -> int: ...


class CountedSet(TrueSet, Protocol):
    """A counted set: exercise, count and the reps it holds."""

    @property
    def reps(self) -> Sequence[Interval]: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class SetScore:
    """How one true set was counted.

    Parameters
    ----------
    exercise : str
        True exercise.
    true_count : int
        True count.
    counted : int
        Sum of the counts of the counted sets assigned to this set.
    predicted : str or None
        Exercise of the assigned counted set that overlaps it most; None when
        no counted set was assigned.
    counted_sets : int
        How many counted sets were assigned (1 when segmentation agrees).
    """

    exercise: str
    true_count: int
    counted: int
    predicted: str | None
    counted_sets: int

    @property
    def error(self) -> int:
        """Counted minus true count."""
        return self.counted - self.true_count


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionScore:
    """Everything scored in one recording.

    Parameters
    ----------
    sets : tuple of SetScore
        One per true set, in the true order.
    false_reps : int
        Counts of counted sets that overlap no true set (all of a
        distractor's count).
    rep_level : bool
        True when true reps were given, so the rep figures below mean something.
    matched_reps, missed_reps, extra_reps : int
        True reps paired with a counted rep, true reps without one, counted
        reps without a true one.
    rep_exercise : tuple of str
        Per matched pair, the exercise of the true set holding the true rep.
    start_error_s, end_error_s : array
        Per matched pair, counted minus true start / end, s.
    rom_error_deg : array
        Per matched pair, counted minus true ROM, deg; NaN where either lacks one.
    latency_s : array
        Per matched pair, counted ``emitted_at_s`` minus true ``end_s``, s;
        NaN where the counted rep has no emission time.
    direction_match : array
        Per matched pair, 1 where counted and true ``direction`` agree, 0
        where they differ, NaN where either has none.
    """

    sets: tuple[SetScore, ...]
    false_reps: int
    rep_level: bool
    matched_reps: int
    missed_reps: int
    extra_reps: int
    rep_exercise: tuple[str, ...]
    start_error_s: FloatArray
    end_error_s: FloatArray
    rom_error_deg: FloatArray
    latency_s: FloatArray
    direction_match: FloatArray


@dataclass(frozen=True, kw_only=True, slots=True)
class Summary:
    """Figures over many scored sets (NaN where nothing was measured).

    Parameters
    ----------
    recordings : int
        Session scores summarised.
    sets : int
        True sets.
    exact_share, within_one_share : float
        Share of sets counted exactly / within ±1, 0–1.
    mean_abs_error : float
        Mean absolute count error per set.
    false_reps : int
        Reps counted outside every true set.
    matched_reps, missed_reps, extra_reps : int
        Rep-level pairing totals (recordings with true reps only).
    rom_error_median_deg, rom_error_p95_deg : float
        Median and 95th percentile of the absolute ROM error, deg.
    start_error_median_s, end_error_median_s : float
        Median absolute start / end boundary error, s.
    recognition_accuracy : float
        Share of sets whose predicted exercise is the true one, 0–1 (a set
        with no counted set counts as wrong).
    latency_p50_s, latency_p95_s, latency_max_s : float
        Live latency quantiles, s.
    direction_pairs : int
        Matched pairs where both reps have a direction.
    direction_accuracy : float
        Share of those whose directions agree, 0–1.
    """

    recordings: int
    sets: int
    exact_share: float
    within_one_share: float
    mean_abs_error: float
    false_reps: int
    matched_reps: int
    missed_reps: int
    extra_reps: int
    rom_error_median_deg: float
    rom_error_p95_deg: float
    start_error_median_s: float
    end_error_median_s: float
    recognition_accuracy: float
    latency_p50_s: float
    latency_p95_s: float
    latency_max_s: float
    direction_pairs: int
    direction_accuracy: float


def _bounds(intervals: Sequence[Interval]) -> tuple[FloatArray, FloatArray]:
    start = np.fromiter((i.start_s for i in intervals), dtype=np.float64, count=len(intervals))
    end = np.fromiter((i.end_s for i in intervals), dtype=np.float64, count=len(intervals))
    return start, end


def overlap_s(
    truth: Sequence[Interval], counted: Sequence[Interval], tolerance_s: float = DEFAULT_TOLERANCE_S
) -> FloatArray:
    """Signed overlap of every true interval (widened) with every counted one.

    Parameters
    ----------
    truth, counted : sequence of Interval
        Intervals with ``start_s`` and ``end_s``, s.
    tolerance_s : float
        Each true interval is widened by this on both sides, s.

    Returns
    -------
    array, shape (len(truth), len(counted))
        Overlap in s; 0 where they just touch, negative (minus the gap)
        where they are apart.
    """
    t_start, t_end = _bounds(truth)
    c_start, c_end = _bounds(counted)
    return (np.minimum(t_end[:, None] + tolerance_s, c_end[None, :])
            - np.maximum(t_start[:, None] - tolerance_s, c_start[None, :]))


def match_one_to_one(
    truth: Sequence[Interval], counted: Sequence[Interval], tolerance_s: float = DEFAULT_TOLERANCE_S
) -> list[tuple[int, int]]:
    """Pair true and counted intervals one to one by time overlap.

    Parameters
    ----------
    truth, counted, tolerance_s
        As for :func:`overlap_s` (s); only pairs that overlap (or touch)
        once the true interval is widened can be matched.

    Returns
    -------
    list of (int, int)
        ``(truth index, counted index)`` pairs sorted by true index.

    Notes
    -----
    The assignment (Hungarian algorithm) first maximises the number of
    pairs, then their total overlap, so a counted rep that overlaps two true
    reps goes where it leaves the fewest reps unpaired.
    """
    if not truth or not counted:
        return []
    overlap = overlap_s(truth, counted, tolerance_s)
    admissible = overlap >= 0.0
    benefit = np.where(admissible, overlap + _PAIR_BONUS_S, 0.0)
    rows, cols = linear_sum_assignment(benefit, maximize=True)
    keep = admissible[rows, cols]
    return [(int(r), int(c)) for r, c in zip(rows[keep], cols[keep])]


def assign_to_truth(
    truth: Sequence[Interval], counted: Sequence[Interval], tolerance_s: float = DEFAULT_TOLERANCE_S
) -> npt.NDArray[np.intp]:
    """Give each counted interval to the true interval it overlaps most (many to one).

    Parameters
    ----------
    truth, counted, tolerance_s
        As for :func:`overlap_s` (s).

    Returns
    -------
    array of int, shape (len(counted),)
        Index into ``truth``, or -1 where a counted interval overlaps none.
    """
    if not truth or not counted:
        return np.full(len(counted), -1, dtype=np.intp)
    overlap = overlap_s(truth, counted, tolerance_s)
    best = np.argmax(overlap, axis=0)
    return np.where(overlap[best, np.arange(len(counted))] >= 0.0, best, -1).astype(np.intp)


def _optional(values: Iterable[float | None]) -> FloatArray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def score_session(
    true_sets: Sequence[TrueSet],
    counted_sets: Sequence[CountedSet],
    true_reps: Sequence[Interval] | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> SessionScore:
    """Score one recording's counted sets and reps against its truth.

    Parameters
    ----------
    true_sets : sequence of TrueSet
        True sets (empty for a distractor recording).
    counted_sets : sequence of CountedSet
        What the pipeline counted.
    true_reps : sequence of Interval, optional
        True reps (``rom_deg`` in deg where known); None when only the count
        is known, which skips the rep-level figures.
    tolerance_s : float
        Matching tolerance, s (see :func:`match_one_to_one`).

    Returns
    -------
    SessionScore
    """
    owner = assign_to_truth(true_sets, counted_sets, tolerance_s)
    counts = np.array([s.count for s in counted_sets], dtype=np.int64)
    sets = []
    for i, true_set in enumerate(true_sets):
        mine = np.flatnonzero(owner == i)
        predicted = None
        if mine.size:
            overlap = overlap_s([true_set], [counted_sets[int(j)] for j in mine], tolerance_s)[0]
            predicted = counted_sets[int(mine[np.argmax(overlap)])].exercise
        sets.append(SetScore(exercise=true_set.exercise, true_count=int(true_set.count),
                             counted=int(counts[mine].sum()), predicted=predicted, counted_sets=int(mine.size)))
    false_reps = int(counts[owner < 0].sum())

    reps = [rep for s in counted_sets for rep in s.reps]
    pairs = match_one_to_one(true_reps or [], reps, tolerance_s)
    t_idx = np.array([p[0] for p in pairs], dtype=np.intp)
    c_idx = np.array([p[1] for p in pairs], dtype=np.intp)
    t_start, t_end = _bounds(true_reps or [])
    c_start, c_end = _bounds(reps)
    t_rom = _optional(getattr(r, "rom_deg", None) for r in true_reps or [])
    c_rom = _optional(getattr(r, "rom_deg", None) for r in reps)
    emitted = _optional(getattr(r, "emitted_at_s", None) for r in reps)
    t_dir = [getattr(r, "direction", None) for r in true_reps or []]
    c_dir = [getattr(r, "direction", None) for r in reps]
    direction_match = np.array(
        [np.nan if t_dir[i] is None or c_dir[j] is None else float(t_dir[i] == c_dir[j]) for i, j in pairs]
    )
    rep_owner = assign_to_truth(true_sets, true_reps or [], 0.0)
    rep_exercise = tuple(true_sets[k].exercise if k >= 0 else "" for k in rep_owner[t_idx])
    return SessionScore(
        sets=tuple(sets),
        false_reps=false_reps,
        rep_level=true_reps is not None,
        matched_reps=len(pairs),
        missed_reps=len(true_reps or []) - len(pairs),
        extra_reps=len(reps) - len(pairs) if true_reps is not None else 0,
        rep_exercise=rep_exercise,
        start_error_s=c_start[c_idx] - t_start[t_idx],
        end_error_s=c_end[c_idx] - t_end[t_idx],
        rom_error_deg=c_rom[c_idx] - t_rom[t_idx],
        latency_s=emitted[c_idx] - t_end[t_idx],
        direction_match=direction_match,
    )


def _quantile(values: FloatArray, q: float, absolute: bool = True) -> float:
    values = values[np.isfinite(values)]
    if absolute:
        values = np.abs(values)
    return float(np.quantile(values, q)) if values.size else float("nan")


def _share(flags: Sequence[bool]) -> float:
    return float(np.mean(flags)) if len(flags) else float("nan")


def summarise(scores: Sequence[SessionScore], exercise: str | None = None) -> Summary:
    """Pool session scores into the design.md §6 figures.

    Parameters
    ----------
    scores : sequence of SessionScore
        Scores to pool.
    exercise : str, optional
        Keep only true sets and matched reps of this exercise (false reps and
        unpaired reps are pooled over every score given).

    Returns
    -------
    Summary
        Absolute errors for ROM (deg) and boundaries (s); latency signed (s).
    """
    sets = [s for score in scores for s in score.sets if exercise is None or s.exercise == exercise]

    def pooled(name: str) -> FloatArray:
        parts = [getattr(score, name)[[exercise is None or e == exercise for e in score.rep_exercise]]
                 for score in scores]
        return np.concatenate(parts) if parts else np.empty(0)

    errors = np.array([s.error for s in sets], dtype=np.float64)
    rom, start, end, latency, direction = (
        pooled(n) for n in ("rom_error_deg", "start_error_s", "end_error_s", "latency_s", "direction_match")
    )
    direction = direction[np.isfinite(direction)]
    return Summary(
        recordings=len(scores),
        sets=len(sets),
        exact_share=_share([s.error == 0 for s in sets]),
        within_one_share=_share([abs(s.error) <= 1 for s in sets]),
        mean_abs_error=float(np.mean(np.abs(errors))) if errors.size else float("nan"),
        false_reps=sum(score.false_reps for score in scores),
        matched_reps=sum(score.matched_reps for score in scores),
        missed_reps=sum(score.missed_reps for score in scores),
        extra_reps=sum(score.extra_reps for score in scores),
        rom_error_median_deg=_quantile(rom, 0.5),
        rom_error_p95_deg=_quantile(rom, 0.95),
        start_error_median_s=_quantile(start, 0.5),
        end_error_median_s=_quantile(end, 0.5),
        recognition_accuracy=_share([s.predicted == s.exercise for s in sets]),
        latency_p50_s=_quantile(latency, 0.5, absolute=False),
        latency_p95_s=_quantile(latency, 0.95, absolute=False),
        latency_max_s=_quantile(latency, 1.0, absolute=False),
        direction_pairs=int(direction.size),
        direction_accuracy=float(direction.mean()) if direction.size else float("nan"),
    )
