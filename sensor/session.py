"""Session summary: reps grouped into sets, tempo per set, quality, and the JSON of design.md §5.

Everything here is arithmetic on counted reps; it never looks at samples.
Definitions follow design.md §1–§2: a set is a run of reps separated by less
than ``set_gap_s`` of no counted movement; tempo figures are per set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sensor.exercises.base import Rep
from sensor.exercises.recognition import SpanSums

#: Names a set's exercise and the confidence in it (0–1, None when the exercise was given).
SetJudge = Callable[[Sequence["CountedRep"]], tuple[str, float | None]]

#: A clamshell rep whose ROM is below this share of its set's median is partial.
PARTIAL_ROM_FRACTION = 0.7


@dataclass(frozen=True)
class LiveStatus:
    """What a live view shows after each pushed block.

    Attributes
    ----------
    count : int
        Reps (or steps) counted so far in the session.
    set_number : int
        1-based number of the current (or last) set; 0 before the first rep.
    exercise : str or None
        Exercise of the current set, None before the first rep.
    last_rep : Rep or None
        The most recent rep of the current (or last) set.
    last_sample_s : float
        Session time of the newest sample, s (NaN before any).
    received_rate_hz : float or None
        Sample rate actually received over the last few seconds, Hz.
    """

    count: int
    set_number: int
    exercise: str | None
    last_rep: Rep | None
    last_sample_s: float
    received_rate_hz: float | None


@dataclass(frozen=True)
class SetResult:
    """One set: its reps and tempo (design.md §2).

    Attributes
    ----------
    exercise : str
        Exercise of the set.
    confidence : float or None
        Recognition confidence 0–1 with ``--exercise auto``; None when the
        exercise was given.
    count : int
        Reps (clamshell), step cycles (lateral walk) or steps (monster walk).
    start_s, end_s : float
        Start of the first and end of the last rep, s.
    rest_before_s : float or None
        Time since the previous set ended, s; None for the first set.
    reps : tuple of Rep
        The set's reps in time order.
    strides : int or None
        Monster walk: strides of the banded leg; None otherwise.
    tempo : dict
        Tempo figures (keys of design.md §5; only those that apply).
    partial : tuple of bool
        Per rep: clamshell ROM below 70 % of the set median.
    """

    exercise: str
    confidence: float | None
    count: int
    start_s: float
    end_s: float
    rest_before_s: float | None
    reps: tuple[Rep, ...]
    strides: int | None
    tempo: dict[str, float | str]
    partial: tuple[bool, ...]


@dataclass(frozen=True)
class Quality:
    """How good the data was.

    Attributes
    ----------
    rate_hz : float
        Median input sample rate, Hz.
    duration_s : float
        First to last sample, s.
    gaps : int
        Holes in the input: time steps longer than three median steps (a
        lost packet or more; those longer than the pipeline's ``max_gap_s``
        also restart counting).
    missing_s : float
        Time missing in those holes beyond one median step each, s.
    has_gyro : bool
        Whether the stream carried a gyroscope.
    warnings : tuple of str
        Plain-language problems worth the user's attention.
    """

    rate_hz: float
    duration_s: float
    gaps: int
    missing_s: float
    has_gyro: bool
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class SessionResult:
    """Everything ``analyze`` reports about one recording.

    Attributes
    ----------
    exercise : str
        The sets' exercise; ``mixed`` when sets differ; the requested
        exercise (or ``none`` under auto) when nothing was counted.
    count : int
        Total over all sets.
    sets : tuple of SetResult
    quality : Quality
    """

    exercise: str
    count: int
    sets: tuple[SetResult, ...]
    quality: Quality

    def to_json_dict(self, file: str | None = None) -> dict[str, Any]:
        """The design.md §5 JSON object (keys that do not apply are left out)."""
        out: dict[str, Any] = {}
        if file is not None:
            out["file"] = file
        out["exercise"] = self.exercise
        out["count"] = self.count
        out["sets"] = [_set_json(s) for s in self.sets]
        q = self.quality
        out["quality"] = {
            "rate_hz": round(q.rate_hz, 1),
            "duration_s": round(q.duration_s, 2),
            "gaps": q.gaps,
            "missing_s": round(q.missing_s, 2),
            "has_gyro": q.has_gyro,
            "warnings": list(q.warnings),
        }
        return out


@dataclass(frozen=True)
class CountedRep:
    """A rep found by a counter, with what recognition said about its time span.

    Attributes
    ----------
    rep : Rep
        The counter's rep.
    confidence : float or None
        Recognition confidence 0–1 (None when the exercise was given).
    judged : str or None
        Exercise recognition saw in the rep's span; None means the counter's own.
    votes : bool
        False when recognition saw no exercise at all in the span: the rep then
        neither starts a set nor sways its exercise, but still counts inside a
        set of its own exercise.
    sums : SpanSums or None
        The recogniser's running sums over the rep's span, to judge a whole set as one span.
    """

    rep: Rep
    confidence: float | None = None
    judged: str | None = None
    votes: bool = True
    sums: SpanSums | None = None

    @property
    def vote(self) -> str:
        """The exercise this rep's span votes for."""
        return self.judged or self.rep.exercise


def group_sets(reps: Sequence[CountedRep], set_gap_s: float) -> list[list[CountedRep]]:
    """Split reps (any order) into sets at pauses longer than ``set_gap_s`` (s).

    Voting reps delimit the sets; a rep from another position than the set's
    earlier reps of its exercise (``Rep.position``) starts a new one too. A
    non-voting rep joins the set whose span (widened by ``set_gap_s``) contains
    it, or none.
    """
    voters = sorted((c for c in reps if c.votes), key=lambda c: c.rep.start_s)
    groups: list[list[CountedRep]] = []
    spans: list[list[float]] = []
    positions: dict[str, int | None] = {}
    for c in voters:
        moved = c.rep.position is not None and positions.get(c.rep.exercise, c.rep.position) != c.rep.position
        if not groups or moved or c.rep.start_s - spans[-1][1] > set_gap_s:
            groups.append([])
            spans.append([c.rep.start_s, c.rep.end_s])
            positions = {}
        groups[-1].append(c)
        positions[c.rep.exercise] = c.rep.position
        spans[-1][1] = max(spans[-1][1], c.rep.end_s)
    for c in reps:
        if c.votes:
            continue
        for group, (start, end) in zip(groups, spans):
            if start - set_gap_s <= c.rep.start_s and c.rep.end_s <= end + set_gap_s:
                group.append(c)
                break
    return [sorted(g, key=lambda c: c.rep.start_s) for g in groups]


def majority_exercise(group: Sequence[CountedRep]) -> tuple[str, float | None]:
    """The exercise most of a set's spans vote for, and the confidence in it (0–1).

    Votes are weighted by their recognition confidence; the confidence is the
    winner's weight over the number of votes (None when the exercise was given).
    """
    weights: dict[str, float] = {}
    voters = [c for c in group if c.votes]
    for c in voters:
        weights[c.vote] = weights.get(c.vote, 0.0) + (1.0 if c.confidence is None else c.confidence)
    winner = max(weights, key=lambda name: weights[name])
    if all(c.confidence is None for c in voters):
        return winner, None
    return winner, weights[winner] / len(voters)


def build_set(
    group: Sequence[CountedRep], rest_before_s: float | None, judge: SetJudge = majority_exercise
) -> SetResult | None:
    """Summarise one set: keep the winning exercise's reps and compute tempo.

    Parameters
    ----------
    group : sequence of CountedRep
        Reps of one set, possibly from several counters under auto.
    rest_before_s : float or None
        Rest since the previous set, s.
    judge : callable, optional
        Names the set's exercise (by default the reps' weighted vote).

    Returns
    -------
    SetResult or None
        None when the winning exercise's counter found no rep in the set.
    """
    exercise, confidence = judge(group)
    reps = tuple(sorted((c.rep for c in group if c.rep.exercise == exercise), key=lambda r: r.start_s))
    if not reps:
        return None
    return summarise_set(exercise, confidence, reps, rest_before_s)


def summarise_set(
    exercise: str, confidence: float | None, reps: tuple[Rep, ...], rest_before_s: float | None
) -> SetResult:
    """A set of ``reps`` (at least one, in time order) with its tempo; ``rest_before_s`` in s."""
    strides = sum(1 for r in reps if r.leg == "banded") if exercise == "monster-walk" else None
    partial = _partial_flags(reps) if exercise == "clamshell" else (False,) * len(reps)
    return SetResult(
        exercise=exercise,
        confidence=confidence,
        count=len(reps),
        start_s=reps[0].start_s,
        end_s=max(r.end_s for r in reps),
        rest_before_s=rest_before_s,
        reps=reps,
        strides=strides,
        tempo=set_tempo(exercise, reps),
        partial=partial,
    )


@dataclass(frozen=True)
class SetRule:
    """What a bout of reps needs to count as a set.

    Attributes
    ----------
    min_reps : int
        Fewer reps are a bout of fidgeting or adjusting, not a set.
    min_confidence : float
        Recognition confidence (0–1) below which the bout was movement that is
        none of the exercises (ordinary walking); ignored when the exercise was given.
    """

    min_reps: int = 1
    min_confidence: float = 0.0

    def accepts(self, candidate: SetResult) -> bool:
        """True when ``candidate`` counts as a set."""
        confident = candidate.confidence is None or candidate.confidence >= self.min_confidence
        return candidate.count >= self.min_reps and confident


def partition_sets(
    reps: Sequence[CountedRep],
    set_gap_s: float,
    previous_end_s: float | None = None,
    rule: SetRule = SetRule(),
    judge: SetJudge = majority_exercise,
    revise: Callable[[SetResult], SetResult] | None = None,
) -> tuple[tuple[SetResult, ...], tuple[SetResult, ...]]:
    """Group reps into bouts and split them into sets and rejected bouts.

    Parameters
    ----------
    reps : sequence of CountedRep
    set_gap_s : float
        Pause that splits sets, s.
    previous_end_s : float, optional
        End of the set before these reps, s (for the first set's rest).
    rule : SetRule, optional
        What a bout needs to count.
    judge : callable, optional
        Names a bout's exercise (by default the reps' weighted vote).
    revise : callable, optional
        Revises an accepted set (a finished one, recounted with all of it in view).

    Returns
    -------
    sets, rejected : tuple of SetResult
        Rest before a set is measured from the previous accepted set.
    """
    sets: list[SetResult] = []
    rejected: list[SetResult] = []
    for group in group_sets(reps, set_gap_s):
        end = sets[-1].end_s if sets else previous_end_s
        rest = None if end is None else max(0.0, min(c.rep.start_s for c in group) - end)
        built = build_set(group, rest, judge)
        if built is None:
            continue
        if not rule.accepts(built):
            rejected.append(built)
        else:
            sets.append(built if revise is None else revise(built))
    return tuple(sets), tuple(rejected)


def build_sets(
    reps: Sequence[CountedRep], set_gap_s: float, previous_end_s: float | None = None
) -> tuple[SetResult, ...]:
    """Group reps into sets (every bout counts) and summarise each; see :func:`partition_sets`."""
    return partition_sets(reps, set_gap_s, previous_end_s)[0]


def set_tempo(exercise: str, reps: Sequence[Rep]) -> dict[str, float | str]:
    """Tempo figures of one set (design.md §2), only the keys that apply.

    Returns
    -------
    dict
        ``cadence_per_min`` (60 / median start-to-start period, needs 2 reps),
        ``rep_s_mean`` (s), ``rep_s_cv`` (std / mean), ``tut_s`` (s); for
        clamshell also mean ``open_s``, ``hold_s``, ``close_s`` (s), the
        ``tempo`` string (whole seconds open-hold-close), ``rom_deg_mean``,
        ``rom_deg_min`` (deg) and ``rom_drop_pct`` (mean ROM of the last third
        against the first third, %, needs 3 reps).
    """
    durations = np.array([r.duration_s for r in reps])
    out: dict[str, float | str] = {}
    if len(reps) >= 2:
        period = float(np.median(np.diff(np.sort([r.start_s for r in reps]))))
        if period > 0:
            out["cadence_per_min"] = round(60.0 / period, 1)
    out["rep_s_mean"] = round(float(durations.mean()), 2)
    out["rep_s_cv"] = round(float(durations.std() / durations.mean()), 3) if durations.mean() > 0 else 0.0
    out["tut_s"] = round(float(durations.sum()), 1)
    if exercise != "clamshell":
        return out
    phases = {name: [getattr(r, name) for r in reps if getattr(r, name) is not None]
              for name in ("open_s", "hold_s", "close_s")}
    if all(phases.values()):
        means = {name: float(np.mean(v)) for name, v in phases.items()}
        out.update({name: round(v, 2) for name, v in means.items()})
        out["tempo"] = tempo_string(means["open_s"], means["hold_s"], means["close_s"])
    rom = np.array([r.rom_deg for r in reps if r.rom_deg is not None])
    if rom.size:
        out["rom_deg_mean"] = round(float(rom.mean()), 1)
        out["rom_deg_min"] = round(float(rom.min()), 1)
    if rom.size >= 3:
        third = rom.size // 3
        first, last = rom[:third].mean(), rom[-third:].mean()
        out["rom_drop_pct"] = round(float((first - last) / first * 100.0), 1)
    return out


def tempo_string(open_s: float, hold_s: float, close_s: float) -> str:
    """Coach's tempo notation ``open-hold-close`` in whole seconds (e.g. ``1-2-2``).

    Opening and closing are movements and never shown as 0 s; a hold can be 0.
    """
    def whole(x: float) -> int:
        return int(np.floor(x + 0.5))

    return f"{max(1, whole(open_s))}-{whole(hold_s)}-{max(1, whole(close_s))}"


def _partial_flags(reps: Sequence[Rep]) -> tuple[bool, ...]:
    roms = [r.rom_deg for r in reps if r.rom_deg is not None]
    if not roms:
        return (False,) * len(reps)
    limit = PARTIAL_ROM_FRACTION * float(np.median(roms))
    return tuple(r.rom_deg is not None and r.rom_deg < limit for r in reps)


def _rep_json(index: int, rep: Rep, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"index": index, "start_s": round(rep.start_s, 3)}
    if rep.exercise == "clamshell" and rep.peak_s is not None:
        out["peak_s"] = round(rep.peak_s, 3)
    out["end_s"] = round(rep.end_s, 3)
    out["duration_s"] = round(rep.duration_s, 3)
    if rep.exercise == "clamshell":
        for name in ("open_s", "hold_s", "close_s"):
            value = getattr(rep, name)
            if value is not None:
                out[name] = round(value, 2)
        if rep.rom_deg is not None:
            out["rom_deg"] = round(rep.rom_deg, 1)
        out["partial"] = partial
    if rep.direction is not None:
        out["direction"] = rep.direction
    return out


def _set_json(s: SetResult) -> dict[str, Any]:
    out: dict[str, Any] = {"exercise": s.exercise}
    if s.confidence is not None:
        out["confidence"] = round(s.confidence, 2)
    out["count"] = s.count
    if s.strides is not None:
        out["strides"] = s.strides
    out["start_s"] = round(s.start_s, 2)
    out["end_s"] = round(s.end_s, 2)
    out["rest_before_s"] = None if s.rest_before_s is None else round(s.rest_before_s, 1)
    out["tempo"] = dict(s.tempo)
    out["reps"] = [_rep_json(i, r, p) for i, (r, p) in enumerate(zip(s.reps, s.partial), start=1)]
    return out
