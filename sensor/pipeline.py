"""The one streaming pipeline: samples in, counted reps and a session summary out.

Live recording, replay and batch analysis all feed a :class:`Pipeline`; batch
analysis is nothing but the whole recording pushed block by block
(design.md §3), so the three can never disagree.

    SampleBlock ─► UniformResampler ─► counter(s) ─┬─► accepted reps ─► sets, tempo
                                  └─► recogniser ──┘   (auto: a rep counts only if the
                                                        recogniser judges its exercise)

Under ``auto`` a set's exercise is the vote of its reps, weighted by their
confidence; when the vote names a walk, which walk is judged again over the
set as one span (see :meth:`Pipeline._judge_set`).
"""

from __future__ import annotations

import math
from collections import Counter as Histogram, deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from sensor.errors import UsageError
from sensor.exercises.base import EXERCISES, WALKS, Counter, Rep
from sensor.exercises.clamshell import ClamshellCounter, ClamshellParams
from sensor.exercises.lateral_walk import LateralWalkCounter
from sensor.exercises.monster_walk import MonsterWalkCounter
from sensor.exercises.recognition import ExerciseRecogniser
from sensor.dsp.resample import GridBlock, UniformResampler, holes, usual_step_s
from sensor.dsp.vectors import row_norms
from sensor.recording.v1 import Recording
from sensor.session import (
    CountedRep,
    LiveStatus,
    Quality,
    SessionResult,
    SetResult,
    SetRule,
    group_sets,
    majority_exercise,
    partition_sets,
    summarise_set,
)
from sensor.types import Event, FloatArray, SampleBlock
from sensor.units import G_STANDARD

LEGS: tuple[str, ...] = ("right", "left")
#: Fewer reps than this in a bout is fidgeting or adjusting, not a set.
MIN_SET_REPS = 3
#: Under ``auto``: a bout judged an exercise with less confidence (0–1) is other movement, such as
#: ordinary walking (measured: walking forward 0.00–0.01, real sets 0.18 and up).
AUTO_MIN_CONFIDENCE = 0.1
#: Slowest input rate the counters are built for, Hz (slower data is analysed, with a warning).
MIN_RATE_HZ = 20.0

#: Under ``auto``: reps at the start of a walk left out when judging which walk the set is.
_OPENING_REPS = 2
#: Longest a counter may hold a rep back after it ended, s (bounds set regrouping).
_LATEST_REP_S = 30.0
#: Longest grid block handed to the stages, s: bounds how far the recogniser's data may run
#: ahead of a rep being judged, whatever block sizes the caller pushes (its history must cover
#: this, plus its look-back and _LATEST_REP_S). Long blocks spare every stage per-call costs.
_MAX_GRID_BLOCK_S = 80.0
#: Samples per block when a whole recording is pushed at once (any size gives the same result).
BATCH_BLOCK_SIZE = 8192
#: Grid samples gathered before the stages run, samples: 6 at 25 Hz delays a rep by at most 0.24 s
#: but spares every stage the fixed cost of a call per BLE packet.
_MIN_GRID_BLOCK = 6
#: Window over which the live view's received sample rate is measured, s.
_RATE_WINDOW_S = 5.0
#: Input time steps gathered before they are binned into the step histogram (bounds their memory).
_BIN_STEPS_EVERY = 4096


@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    """What to count and how.

    Attributes
    ----------
    exercise : str
        ``auto`` (recognise per set) or one of :data:`EXERCISES`.
    leg : str
        ``right`` or ``left``: the thigh that wears the band.
    set_gap_s : float
        Pauses longer than this without counted movement split sets, s.
    min_rom_deg : float
        Smallest clamshell opening counted, deg.
    grid_rate_hz : float
        Rate of the uniform grid the counters run on, Hz.
    max_gap_s : float
        Longest hole in the data bridged by interpolation, s: one or two lost
        BLE packets (up to ~0.7 s each) must not restart a rep in progress;
        a straight line through a gap cannot create a rep, and longer gaps
        restart every stage.
    """

    exercise: str = "auto"
    leg: str = "right"
    set_gap_s: float = 10.0
    min_rom_deg: float = 10.0
    grid_rate_hz: float = 25.0
    max_gap_s: float = 1.5

    def __post_init__(self) -> None:
        if self.exercise not in ("auto", *EXERCISES):
            raise UsageError(
                f"unknown exercise {self.exercise!r}; choose from auto, {', '.join(EXERCISES)}"
            )
        if self.leg not in LEGS:
            raise UsageError(f"unknown leg {self.leg!r}; choose right or left")
        if not 1.0 <= self.set_gap_s <= 600.0:
            raise UsageError(f"set gap {self.set_gap_s} s is out of range (1 to 600 s)")
        if not 2.0 <= self.min_rom_deg <= 60.0:
            raise UsageError(f"minimum ROM {self.min_rom_deg} deg is out of range (2 to 60 deg)")
        if not 0.1 <= self.max_gap_s <= 5.0:
            raise UsageError(f"longest bridged gap {self.max_gap_s} s is out of range (0.1 to 5 s)")
        if not 10.0 <= self.grid_rate_hz <= 100.0:
            raise UsageError(f"grid rate {self.grid_rate_hz} Hz is out of range (10 to 100 Hz)")


def config_for_recording(
    metadata: Mapping[str, object],
    *,
    exercise: str | None = None,
    leg: str | None = None,
    min_rom_deg: float | None = None,
) -> PipelineConfig:
    """The configuration to analyse a recording with: explicit choices, else what it was made for.

    A recording made for one exercise (``"exercise"`` in its metadata) is
    analysed as that exercise, so that analysing it later reports what the
    live view showed; otherwise ``auto``. The leg (else ``right``) and the
    clamshell's smallest rep (``min_rom_deg``, deg; else the default) follow
    the recording the same way.
    """
    recorded = metadata.get("exercise")
    if exercise is None:
        exercise = recorded if recorded in ("auto", *EXERCISES) else "auto"
    recorded_leg = metadata.get("leg")
    if leg is None:
        leg = recorded_leg if recorded_leg in LEGS else "right"
    recorded_rom = metadata.get("min_rom_deg")
    if min_rom_deg is None and isinstance(recorded_rom, (int, float)) and not isinstance(recorded_rom, bool):
        min_rom_deg = float(recorded_rom)
    rom = {} if min_rom_deg is None else {"min_rom_deg": min_rom_deg}
    return PipelineConfig(exercise=str(exercise), leg=str(leg), **rom)


def build_counter(exercise: str, config: PipelineConfig) -> Counter:
    """The streaming counter for one exercise, set up from ``config``."""
    rate = config.grid_rate_hz
    if exercise == "clamshell":
        return ClamshellCounter(rate, ClamshellParams(min_rom_deg=config.min_rom_deg))
    if exercise == "lateral-walk":
        return LateralWalkCounter(rate, leg=config.leg)
    return MonsterWalkCounter(rate, leg=config.leg)


class Pipeline:
    """Samples and link events in, rep events out; explicit streaming state machine.

    Parameters
    ----------
    config : PipelineConfig
        What to count.

    Notes
    -----
    ``push`` accepts SampleBlocks (t in s, acc in m/s², gyro in deg/s) and
    Events (link events such as ``disconnected`` are noted for the quality
    block). The reps found never depend on how the samples were cut into
    blocks: the resampler's grid is absolute and every stage after it is
    chunk-invariant.
    """

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        self._resampler = UniformResampler(self.config.grid_rate_hz, self.config.max_gap_s)
        self._max_grid_block = max(1, round(_MAX_GRID_BLOCK_S * self.config.grid_rate_hz))
        names = EXERCISES if self.config.exercise == "auto" else (self.config.exercise,)
        self._counters = [build_counter(name, self.config) for name in names]
        self._recogniser = None
        if self.config.exercise == "auto":
            self._recogniser = ExerciseRecogniser(self.config.grid_rate_hz)
        # Sets that no late rep can change any more, and the reps still open to regrouping.
        self._final_sets: list[SetResult] = []
        self._pending: list[CountedRep] = []
        self._final_rejected = 0
        # The open reps' sets and rejected bouts, built when first asked for after the reps changed:
        # a batch run settles reps far more often than anyone reads the running sets.
        self._open_partition: tuple[tuple[SetResult, ...], tuple[SetResult, ...]] | None = None
        self._open_over = 0  # open reps that had ended set_gap_s before the counters' time when it was built
        self._counted_to_s = -math.inf  # last grid time the counters have seen, s
        # Bouts that are too short, or under recognition not recognised as an exercise, are not sets.
        self._rule = SetRule(
            min_reps=MIN_SET_REPS, min_confidence=AUTO_MIN_CONFIDENCE if self.config.exercise == "auto" else 0.0
        )
        # Grid samples waiting to reach _MIN_GRID_BLOCK (tiny blocks cost per-call overhead in every stage).
        self._grid_buffer: list[GridBlock] = []
        self._grid_buffered = 0
        # Reps found but not yet judged: recognition waits until its window is complete.
        self._awaiting: list[Rep] = []
        self._finished = False
        self._n_samples = 0
        self._first_s = np.nan
        self._last_s = np.nan
        self._has_gyro = False
        self._dt_hist: Histogram[float] = Histogram()
        self._steps_unbinned: list[FloatArray] = []  # input time steps (s) not yet in _dt_hist
        self._n_unbinned = 0
        self._recent_blocks: deque[tuple[float, int]] = deque()
        self._link_drops = 0
        self._acc_norm_sum = 0.0
        self._decode_errors = 0

    # -- streaming ---------------------------------------------------------
    def push(self, item: SampleBlock | Event) -> list[Event]:
        """Consume one SampleBlock or link Event; return a ``rep`` Event per newly counted rep."""
        if self._finished:
            raise RuntimeError("push() after finish()")
        if isinstance(item, Event):
            self._note_event(item)
            return []
        if len(item) == 0:
            if self._n_samples == 0:
                self._has_gyro = item.has_gyro  # a stream without samples yet still tells its columns
            return []
        self._note_samples(item)
        events: list[Event] = []
        for grid in self._resampler.push(item):
            if grid.gap_before:
                events.extend(self._flush_grid())
            self._grid_buffer.append(grid)
            self._grid_buffered += len(grid)
            if self._grid_buffered >= _MIN_GRID_BLOCK:
                events.extend(self._flush_grid())
        return events

    def _flush_grid(self) -> list[Event]:
        if not self._grid_buffer:
            return []
        grid = GridBlock.join(self._grid_buffer)
        self._grid_buffer, self._grid_buffered = [], 0
        return [e for piece in _pieces(grid, self._max_grid_block) for e in self._run_grid(piece)]

    def finish(self) -> list[Event]:
        """End of stream: flush the counters; returns the last ``rep`` Events."""
        if self._finished:
            return []
        events = self._flush_grid()
        self._awaiting.extend(rep for counter in self._counters for rep in counter.finish())
        events += self._accept(final=True, now_s=float(self._last_s))
        self._settle(float(self._last_s), stream_over=True)
        self._finished = True
        return events

    def status(self) -> LiveStatus:
        """Running count, set number and last rep, for a live view."""
        sets = (*self._final_sets, *self._open_sets()[0])
        return LiveStatus(
            count=sum(s.count for s in sets),
            set_number=len(sets),
            exercise=sets[-1].exercise if sets else None,
            # From the sets, like the count: under auto a rep's own judgement may name the other
            # walk than its set's.
            last_rep=sets[-1].reps[-1] if sets else None,
            last_sample_s=float(self._last_s),
            received_rate_hz=self._received_rate_hz(),
        )

    def result(self) -> SessionResult:
        """The session summary (final after :meth:`finish`, provisional before)."""
        sets = (*self._final_sets, *self._open_sets()[0])
        count = sum(s.count for s in sets)
        kinds = {s.exercise for s in sets}
        if len(kinds) == 1:
            exercise = kinds.pop()
        elif kinds:
            exercise = "mixed"
        else:
            exercise = "none" if self.config.exercise == "auto" else self.config.exercise
        return SessionResult(exercise=exercise, count=count, sets=sets, quality=self._quality(sets))

    # -- internals ---------------------------------------------------------
    def _run_grid(self, grid: GridBlock) -> list[Event]:
        if self._recogniser is not None:
            self._recogniser.push(grid)
        self._awaiting.extend(rep for counter in self._counters for rep in counter.push(grid))
        self._counted_to_s = float(grid.t[-1])
        return self._accept(final=False, now_s=float(grid.t[-1]))

    def _accept(self, *, final: bool, now_s: float) -> list[Event]:
        """Count the reps whose recognition window is complete (all of them at the end)."""
        recogniser = self._recogniser
        ready: list[Rep] = []
        waiting: list[Rep] = []
        for r in self._awaiting:
            (ready if final or recogniser is None or recogniser.ready(r.end_s) else waiting).append(r)
        if not ready:
            return []
        self._awaiting = waiting
        events: list[Event] = []
        ready.sort(key=lambda r: r.start_s)
        judgements = [] if recogniser is None else recogniser.judge_spans([(r.start_s, r.end_s) for r in ready])
        for k, rep in enumerate(ready):
            counted = CountedRep(rep)
            if recogniser is not None:
                if now_s > rep.emitted_at_s:
                    # Judged once later data came in: reported then (replace() is too costly to run for nothing).
                    rep = replace(rep, emitted_at_s=now_s)
                judgement = judgements[k]
                counted = CountedRep(
                    rep, judgement.confidence, judgement.exercise, judgement.exercise is not None, judgement.sums
                )
            self._pending.append(counted)
            if counted.vote == rep.exercise and counted.votes:
                events.append(Event(rep.emitted_at_s, "rep", _rep_event_data(rep)))
        self._settle(now_s)
        return events

    def _settle(self, now_s: float, *, stream_over: bool = False) -> None:
        """Freeze sets that ended long enough before ``now_s`` (s) that no late rep can join them.

        Once the stream is over (``stream_over``) every set is frozen.
        """
        # The counters have seen the grid up to now_s, not up to the end of the pushed block
        # (a batch block can run minutes ahead of the piece being counted).
        horizon = math.inf if stream_over else now_s - self.config.set_gap_s - _LATEST_REP_S
        groups = group_sets(self._pending, self.config.set_gap_s)
        done = [g for g in (groups if stream_over else groups[:-1]) if max(c.rep.end_s for c in g) < horizon]
        if done:
            previous = self._final_sets[-1].end_s if self._final_sets else None
            sets, rejected = partition_sets(
                [c for g in done for c in g],
                self.config.set_gap_s,
                previous,
                self._rule,
                self._judge_set,
                self._revise_set,
            )
            self._final_sets.extend(sets)
            self._final_rejected += len(rejected)
            frozen = {id(c) for g in done for c in g}
            grouped = {id(c) for g in groups for c in g}
            # Reps of open sets stay; a stray rep outside every set is forgotten once too old to join one.
            self._pending = [
                c for c in self._pending
                if id(c) not in frozen and (id(c) in grouped or c.rep.end_s >= horizon)
            ]
        self._open_partition = None

    def _open_sets(self) -> tuple[tuple[SetResult, ...], tuple[SetResult, ...]]:
        """Sets and rejected bouts of the reps still open to regrouping.

        A set the counters have passed by more than ``set_gap_s`` is over, though
        a late rep could still regroup it: it is shown revised, as it will be frozen.
        """
        over_before = self._counted_to_s - self.config.set_gap_s
        over = sum(1 for c in self._pending if c.rep.end_s < over_before)
        if self._open_partition is None or over != self._open_over:
            previous = self._final_sets[-1].end_s if self._final_sets else None
            self._open_partition = partition_sets(
                self._pending,
                self.config.set_gap_s,
                previous,
                self._rule,
                self._judge_set,
                lambda candidate: self._revise_set(candidate) if candidate.end_s < over_before else candidate,
            )
            self._open_over = over
        return self._open_partition

    def _revise_set(self, finished: SetResult) -> SetResult:
        """A finished set as its exercise's counter revises it, with its tempo recomputed."""
        counter = next((c for c in self._counters if c.exercise == finished.exercise), None)
        if counter is None:
            return finished
        reps = counter.revise(finished.reps)
        if reps == finished.reps:
            return finished
        return summarise_set(finished.exercise, finished.confidence, reps, finished.rest_before_s)

    def _judge_set(self, group: Sequence[CountedRep]) -> tuple[str, float | None]:
        """A set's exercise: the reps' vote; for a walk, which walk is judged over the set as one span.

        Each rep is judged over its own few seconds, where a lateral and a monster walk differ by
        little; the whole set shows the difference better. The span runs over the reps of the
        counter the vote chose, from its third rep on: the opening reps come while the person is
        still sinking into the squat, which the posture cues misread. The other walk is taken only
        where its own counter found a set. The confidence is then the share of the reps' weighted
        votes that name either walk: whether this is a band walk at all is better told rep by rep,
        as a person turning round mid-set turns the thigh as fast as ordinary walking does.
        """
        voted = majority_exercise(group)
        if self._recogniser is None or voted[0] not in WALKS:
            return voted
        reps = sorted((c for c in group if c.votes and c.rep.exercise == voted[0]), key=lambda c: c.rep.start_s)
        spans = [c.sums for c in reps[_OPENING_REPS:] or reps if c.sums is not None]
        judged = self._recogniser.judge_together(spans) if spans else None
        if judged is not None and judged.exercise is None:
            # Ordinary walking, seen over the whole set: not a set, whatever its reps said.
            return voted[0], 0.0
        if judged is None or judged.exercise not in WALKS:
            return voted
        if sum(c.rep.exercise == judged.exercise for c in group) < self._rule.min_reps:
            # That walk's counter found no set here: the vote's walk is the only count there is.
            return voted
        voters = [c for c in group if c.votes]
        walk = sum(c.confidence or 0.0 for c in voters if c.vote in WALKS) / len(voters)
        return judged.exercise, walk

    def _note_event(self, event: Event) -> None:
        if event.kind == "disconnected":
            self._link_drops += 1
        elif event.kind == "decode_error":
            self._decode_errors += int(event.data.get("count", 1))

    def _note_samples(self, block: SampleBlock) -> None:
        if self._n_samples == 0:
            self._has_gyro = block.has_gyro
            self._first_s = block.start_s
        self._n_samples += len(block)
        self._acc_norm_sum += float(row_norms(block.acc).sum())
        t = block.t if math.isnan(self._last_s) else np.concatenate(((self._last_s,), block.t))
        self._steps_unbinned.append(t[1:] - t[:-1])
        self._n_unbinned += len(t) - 1
        if self._n_unbinned >= _BIN_STEPS_EVERY:
            self._bin_steps()
        self._last_s = block.end_s
        self._recent_blocks.append((block.end_s, len(block)))
        while self._recent_blocks and self._recent_blocks[0][0] < block.end_s - _RATE_WINDOW_S:
            self._recent_blocks.popleft()

    def _bin_steps(self) -> None:
        """Add the time steps noted since the last call to the histogram of 1 ms bins."""
        if not self._steps_unbinned:
            return
        # The histogram finds the usual step and the holes in O(1) memory (see _step_histogram);
        # binning many blocks' steps at once costs far less than binning each BLE-sized block.
        bins, counts = np.unique(np.round(np.concatenate(self._steps_unbinned), 3), return_counts=True)
        self._dt_hist.update(dict(zip(bins.tolist(), counts.tolist())))
        self._steps_unbinned, self._n_unbinned = [], 0

    def _received_rate_hz(self) -> float | None:
        if len(self._recent_blocks) < 2:
            return None
        span = self._recent_blocks[-1][0] - self._recent_blocks[0][0]
        n = sum(n for _, n in list(self._recent_blocks)[1:])
        return n / span if span > 0 else None

    def _step_histogram(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Distinct input time steps (s, 1 ms bins), their counts, and the usual step (s; NaN if none)."""
        self._bin_steps()
        if not self._dt_hist:
            return np.empty(0), np.empty(0), math.nan
        steps = np.array(sorted(self._dt_hist))
        counts = np.array([self._dt_hist[s] for s in steps], dtype=np.float64)
        median = float(steps[np.searchsorted(np.cumsum(counts), counts.sum() / 2.0)])
        return steps, counts, usual_step_s(steps, counts, self._last_s - self._first_s, median)

    def _quality(self, sets: Sequence[SetResult]) -> Quality:
        warnings: list[str] = []
        if self._n_samples == 0:
            warnings.append("no samples")
        elif not sets:
            warnings.append("no reps found")
        # One pass over the step histogram gives the rate and the holes.
        steps, counts, usual = self._step_histogram()
        rate_hz = float(1.0 / usual) if usual > 0 else 0.0
        if self._n_samples and rate_hz < MIN_RATE_HZ:
            warnings.append(f"the sample rate ({rate_hz:.0f} Hz) is below the {MIN_RATE_HZ:.0f} Hz counting needs")
        mean_norm = self._acc_norm_sum / self._n_samples if self._n_samples else G_STANDARD
        if not 0.6 * G_STANDARD <= mean_norm <= 1.4 * G_STANDARD:
            warnings.append(
                f"acceleration averages {mean_norm:.2f} in magnitude, far from 9.81 m/s²: "
                "check that the file is in m/s² (not g)"
            )
        gaps, missing_s = holes(steps, counts, usual) if usual > 0 else (0, 0.0)
        long = self._resampler.gaps
        if long:
            warnings.append(
                f"{gaps} gap(s) in the data ({missing_s:.1f} s missing): nothing is counted inside "
                f"the {long} longer than {self.config.max_gap_s:g} s"
            )
        elif gaps:
            warnings.append(
                f"{gaps} short gap(s) in the data ({missing_s:.1f} s missing), bridged by a straight line "
                "(a walk step inside one may be lost)"
            )
        rejected = self._final_rejected + len(self._open_sets()[1])
        if rejected and self.config.exercise == "auto":
            warnings.append(
                f"{rejected} short or unrecognised bout(s) of movement were not counted "
                "(give --exercise to count an unrecognised one)"
            )
        elif rejected:
            warnings.append(
                f"{rejected} bout(s) of fewer than {MIN_SET_REPS} reps were not counted "
                "(getting into position, adjusting the band, fidgeting)"
            )
        if self._link_drops:
            warnings.append(f"the band disconnected {self._link_drops} time(s)")
        if self._decode_errors:
            warnings.append(f"{self._decode_errors} corrupt packet(s) skipped")
        if self._recogniser is not None:
            warnings.extend(self._recogniser.warnings())
        else:
            # Under auto a counter's hint would speak of an exercise nobody may have done.
            warnings.extend(w for counter in self._counters for w in counter.warnings())
        return Quality(
            rate_hz=rate_hz,
            duration_s=0.0 if self._n_samples == 0 else float(self._last_s - self._first_s),
            gaps=gaps,
            missing_s=missing_s,
            has_gyro=self._has_gyro,
            warnings=tuple(warnings),
        )


def _pieces(grid: GridBlock, size: int) -> Iterator[GridBlock]:
    """Cut a grid block into pieces of at most ``size`` samples (only the first keeps ``gap_before``)."""
    if len(grid) <= size:
        yield grid
        return
    for start in range(0, len(grid), size):
        yield grid.rows(start, start + size)


def _rep_event_data(rep: Rep) -> dict[str, object]:
    data: dict[str, object] = {"exercise": rep.exercise, "start_s": rep.start_s, "end_s": rep.end_s}
    for name in ("peak_s", "rom_deg", "direction", "leg"):
        value = getattr(rep, name)
        if value is not None:
            data[name] = value
    return data


def iter_blocks(
    samples: SampleBlock, events: Sequence[Event] = (), block_size: int = BATCH_BLOCK_SIZE
) -> Iterator[SampleBlock | Event]:
    """Interleave a recording's samples (in blocks) and events in time order."""
    pending = sorted(events, key=lambda e: e.t)
    i = 0
    # One empty block for a recording without samples, which still tells its columns (gyro or not).
    for start in range(0, max(len(samples), 1), block_size):
        block = samples[start : start + block_size]
        while i < len(pending) and pending[i].t <= block.end_s:
            yield pending[i]
            i += 1
        yield block
    yield from pending[i:]


def analyze_samples(
    samples: SampleBlock,
    config: PipelineConfig | None = None,
    events: Sequence[Event] = (),
    block_size: int = BATCH_BLOCK_SIZE,
) -> SessionResult:
    """Batch analysis: push a whole recording through a :class:`Pipeline`.

    Parameters
    ----------
    samples : SampleBlock
        t in s, acc in m/s², gyro in deg/s or None.
    config : PipelineConfig, optional
    events : sequence of Event, optional
        Link events recorded with the samples.
    block_size : int, optional
        Samples per pushed block (any size gives the same result).
    """
    pipeline = Pipeline(config)
    for item in iter_blocks(samples, events, block_size):
        pipeline.push(item)
    pipeline.finish()
    return pipeline.result()


def analyze_recording(recording: Recording, config: PipelineConfig | None = None) -> SessionResult:
    """Batch analysis of a recording read from disk (see :func:`analyze_samples`)."""
    return with_recording_warnings(analyze_samples(recording.samples, config, recording.events), recording)


def with_recording_warnings(result: SessionResult, recording: Recording) -> SessionResult:
    """Add what the file itself tells about data quality (an interrupted write)."""
    if not recording.truncated_tail:
        return result
    warning = "the file ends with a cut-off line (the recording was interrupted)"
    return replace(result, quality=replace(result.quality, warnings=(*result.quality.warnings, warning)))


__all__ = [
    "LEGS",
    "Pipeline",
    "PipelineConfig",
    "analyze_recording",
    "analyze_samples",
    "build_counter",
    "config_for_recording",
    "iter_blocks",
    "with_recording_warnings",
]
