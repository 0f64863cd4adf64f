"""Counting speed: batch and streaming throughput, live latency, memory over a long stream.

Run ``taskset -c 0 python benchmarks/speed.py [--only batch,stream,latency,memory]``;
prints Markdown tables. Targets (design.md §6): batch analysis ≥ 5,000 × real
time on one core (1 h of 100 Hz six-axis data in < 0.75 s, file reading
apart); streaming with BLE-sized blocks (10–40 samples) ≥ 500 × real time
with memory flat over an 8-hour stream; a rep's event at most 0.5 s after the
rep ends (p95).

The data are synthetic sessions (:func:`sensor.synth.simulate_session`: sets
of all three exercises with rests, fidgeting and posture changes) tiled with
shifted timestamps to the length needed, so every stage does real work.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import time
import tracemalloc
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from sensor.evaluation import match_one_to_one
from sensor.exercises.base import EXERCISES
from sensor.pipeline import Pipeline, PipelineConfig, analyze_samples
from sensor.synth import SimulationConfig, simulate, simulate_session
from sensor.types import SampleBlock

RATE_HZ = 100.0
MIN_BLOCK, MAX_BLOCK = 10, 40  # samples per BLE notification
MODES = ("auto", *EXERCISES)
SECTIONS = ("batch", "stream", "latency", "memory")


def base_session(rate_hz: float = RATE_HZ, seed: int = 7) -> SampleBlock:
    """A several-minute six-axis session: two sets of each exercise with rests.

    Parameters
    ----------
    rate_hz : float
        Sample rate, Hz.
    seed : int
        Session seed.

    Returns
    -------
    SampleBlock
        t in s from 0, acc in m/s², gyro in deg/s.
    """
    segments = [SimulationConfig(exercise="clamshell", reps=12, sets=2, rate_hz=rate_hz, has_gyro=True),
                SimulationConfig(exercise="lateral-walk", reps=16, sets=2),
                SimulationConfig(exercise="monster-walk", reps=16, sets=2)]
    return simulate_session(segments, seed).samples


def tiles(base: SampleBlock, duration_s: float) -> Iterator[SampleBlock]:
    """Repeat ``base`` with shifted timestamps until ``duration_s`` (s) is covered; the last copy is cut."""
    period = base.end_s - base.start_s + float(np.median(np.diff(base.t)))
    offset = 0.0
    while offset < duration_s:
        piece = base.between(base.start_s, base.start_s + duration_s - offset)
        yield SampleBlock(piece.t - base.start_s + offset, piece.acc, piece.gyro)
        offset += period


def ble_blocks(samples: SampleBlock, rng: np.random.Generator) -> Iterator[SampleBlock]:
    """Cut samples into blocks of random 10–40 samples, as BLE notifications arrive."""
    sizes = rng.integers(MIN_BLOCK, MAX_BLOCK + 1, size=len(samples) // MIN_BLOCK + 1)
    return samples.split(sizes.tolist())


def _best_time(run: Callable[[], int], repeats: int) -> tuple[float, int] | str:
    """Best wall time (s) of ``repeats`` runs and the count returned, or the error if a run fails."""
    best, value = np.inf, 0
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        try:
            value = run()
        except Exception as exc:  # noqa: BLE001 - reported in the table instead of stopping the other rows
            return f"{type(exc).__name__}: {exc}"
        best = min(best, time.perf_counter() - start)
    return best, value


def _speed_row(label: str, data: str, timed: tuple[float, int] | str, duration_s: float, target: float,
               extra: str = "") -> str:
    if isinstance(timed, str):
        return f"| {label} | {data} | error: {timed} | ✗ | |"
    elapsed, count = timed
    speed = duration_s / elapsed
    return (f"| {label} | {data} | {elapsed:.3f} | {speed:,.0f} {'✓' if speed >= target else '✗'} "
            f"| {count}{extra} |")


def batch(samples: SampleBlock, repeats: int) -> list[str]:
    """Time :func:`analyze_samples` on the whole stream for auto and each exercise."""
    duration = samples.end_s - samples.start_s
    data = f"{duration / 3600:.2f} h, {len(samples):,} samples, 6-axis"
    lines = [f"| batch `analyze_samples` | data | time (s), best of {repeats} | × real time (≥ 5,000) | count |",
             "|---|---|---:|---:|---:|"]
    for mode in MODES:
        timed = _best_time(lambda: analyze_samples(samples, PipelineConfig(exercise=mode)).count, repeats)
        lines.append(_speed_row(f"exercise {mode}", data, timed, duration, 5000.0))
    return lines


def stream(samples: SampleBlock, repeats: int) -> list[str]:
    """Time :meth:`Pipeline.push` over pre-cut BLE-sized blocks for auto and each exercise.

    The count in brackets is the batch count of the same data: they must agree.
    """
    duration = samples.end_s - samples.start_s
    blocks = list(ble_blocks(samples, np.random.default_rng(0)))

    def run(mode: str) -> int:
        pipeline = Pipeline(PipelineConfig(exercise=mode))
        for block in blocks:
            pipeline.push(block)
        pipeline.finish()
        return pipeline.result().count

    lines = [f"| streaming `Pipeline.push` | blocks | time (s), best of {repeats} | × real time (≥ 500) "
             "| count (batch) |", "|---|---|---:|---:|---:|"]
    for mode in MODES:
        timed = _best_time(lambda: run(mode), repeats)
        batch_count = _best_time(lambda: analyze_samples(samples, PipelineConfig(exercise=mode)).count, 1)
        extra = f" ({batch_count[1]})" if isinstance(batch_count, tuple) else ""
        lines.append(_speed_row(f"exercise {mode}", f"{len(blocks):,} of {MIN_BLOCK}–{MAX_BLOCK} samples",
                                timed, duration, 500.0, extra))
    return lines


@dataclass(frozen=True)
class _Heard:
    """A rep event as the live view receives it (times in s)."""

    start_s: float
    end_s: float
    heard_s: float


def _live_reps(samples: SampleBlock, config: PipelineConfig, blocks: Iterator[SampleBlock]) -> list[_Heard]:
    pipeline = Pipeline(config)
    heard = []
    for block in blocks:
        heard += [_Heard(e.data["start_s"], e.data["end_s"], block.end_s) for e in pipeline.push(block)]
    heard += [_Heard(e.data["start_s"], e.data["end_s"], samples.end_s) for e in pipeline.finish()]
    return heard


#: Reps at the start of each latency set that may wait for the bout to be confirmed (the last column leaves them out).
_OPENING_REPS = 4

#: Monster-walk directions of the latency sets, by seed parity.
_MONSTER_DIRECTIONS = ("forward", "backward")

#: Block regimes of the latency test: BLE notifications, and one 25 Hz grid step (the counters' own delay).
_LATENCY_BLOCKS = ("10–40 samples", "0.04 s")


def _latency_blocks(samples: SampleBlock, regime: str, rate_hz: float, seed: int) -> Iterator[SampleBlock]:
    if regime == _LATENCY_BLOCKS[0]:
        return ble_blocks(samples, np.random.default_rng(seed))
    return samples.split([max(1, round(0.04 * rate_hz))])


def latency(seeds: Sequence[int]) -> list[str]:
    """Truth rep end to the end of the block whose push returned the rep's event, s.

    Over synthetic single sets of every exercise at 25, 52, 100 and 200 Hz
    (``len(seeds)`` recordings each; monster walks forward for even seeds,
    backward for odd ones), with the exercise given and with auto,
    for BLE-sized blocks (whose wait is part of what a user sees) and for
    blocks of one grid step. The last column leaves out each set's first
    ``_OPENING_REPS`` reps, which the walk counters hold until the rhythm
    confirms a bout: what is left is the counters' own delay within a set.
    """
    rates = (25.0, 52.0, 100.0, 200.0)
    lines = ["| live latency | run | blocks | reps matched / true | p50 (s) | p95 (s, ≤ 0.5) | max (s) "
             f"| worst rate: p95 | p95 from rep {_OPENING_REPS + 1} (s) |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for exercise in EXERCISES:
        # Monster walks alternate forward and backward: the banded step ends near a different turn of the thigh.
        recordings = [simulate(SimulationConfig(exercise=exercise, reps=10, sets=1, rate_hz=rate, seed=seed,
                                                leg="left" if seed % 2 else "right",
                                                direction=_MONSTER_DIRECTIONS[seed % 2]
                                                if exercise == "monster-walk" else None))
                      for rate in rates for seed in seeds]
        for mode in (exercise, "auto"):
            for regime in _LATENCY_BLOCKS:
                delays: dict[float, list[float]] = {rate: [] for rate in rates}
                later: list[float] = []
                failed = ""
                for rec in recordings:
                    rate = rec.truth.rate_hz
                    try:
                        heard = _live_reps(rec.samples, PipelineConfig(exercise=mode, leg=rec.truth.leg),
                                           _latency_blocks(rec.samples, regime, rate, rec.truth.seed))
                    except Exception as exc:  # noqa: BLE001 - reported in the table
                        heard, failed = [], f"{type(exc).__name__}: {exc}"
                    pairs = match_one_to_one(rec.truth.reps, heard)
                    delays[rate] += [heard[c].heard_s - rec.truth.reps[t].end_s for t, c in pairs]
                    later += [heard[c].heard_s - rec.truth.reps[t].end_s for t, c in pairs if t >= _OPENING_REPS]
                pooled = np.concatenate([np.asarray(v, dtype=np.float64) for v in delays.values()])
                true_reps = sum(len(rec.truth.reps) for rec in recordings)
                label = f"| {exercise} | {mode} | {regime} | {pooled.size} / {true_reps} "
                if not pooled.size:
                    lines.append(label + f"| {failed or 'no rep matched'} | ✗ | | | |")
                    continue
                p50, p95, top = np.quantile(pooled, [0.5, 0.95, 1.0])
                per_rate = {r: np.quantile(v, 0.95) for r, v in delays.items() if v}
                worst = max(per_rate, key=per_rate.__getitem__)
                lines.append(label + f"| {p50:.2f} | {p95:.2f} {'✓' if p95 <= 0.5 else '✗'} | {top:.2f} "
                             f"| {worst:g} Hz: {per_rate[worst]:.2f} | {np.quantile(later, 0.95):.2f} |")
    return lines


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def memory(base: SampleBlock, hours: float, mode: str, traced: bool) -> list[str]:
    """Stream ``hours`` of data in BLE-sized blocks generated on the fly; sample memory every hour.

    Memory is sampled after a 6-minute warm-up, at every full hour and at the
    end: resident set size, live Python objects (``gc.get_objects``) and,
    with ``traced``, the growth of memory allocated through Python since the
    start (``tracemalloc``, which slows the run several-fold).
    """
    pipeline = Pipeline(PipelineConfig(exercise=mode))
    rng = np.random.default_rng(1)
    gc.collect()
    if traced:
        tracemalloc.start()
    lines = [f"| memory, {hours:g} h stream, exercise {mode} | at (h) | samples pushed | count | live objects "
             f"| traced growth (MB) | RSS (MB) |", "|---|---:|---:|---:|---:|---:|---:|"]

    def sample(at_s: float, pushed: int) -> None:
        gc.collect()
        growth = f"{(tracemalloc.get_traced_memory()[0] - start_traced) / 1e6:.2f}" if traced else "—"
        lines.append(f"| | {at_s / 3600:.1f} | {pushed:,} | {pipeline.status().count} | {len(gc.get_objects()):,} "
                     f"| {growth} | {_rss_mb():.0f} |")

    start_traced = tracemalloc.get_traced_memory()[0] if traced else 0
    marks = iter([360.0, *np.arange(1, np.ceil(hours) + 1) * 3600.0])
    next_mark, pushed, last_s = next(marks), 0, 0.0
    clock = time.perf_counter()
    for tile in tiles(base, hours * 3600.0):
        for block in ble_blocks(tile, rng):
            pipeline.push(block)
            pushed, last_s = pushed + len(block), block.end_s
            if last_s >= next_mark:
                sample(next_mark, pushed)
                next_mark = next(marks, np.inf)
    pipeline.finish()
    sample(last_s, pushed)
    elapsed = time.perf_counter() - clock
    if traced:
        tracemalloc.stop()
    lines.append(f"\nPeak RSS (ru_maxrss) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB; "
                 f"{hours:g} h streamed in {elapsed:.0f} s{' under tracemalloc' if traced else ''}.")
    return lines


def machine() -> str:
    """One line describing where the figures were taken."""
    cpus = sorted(os.sched_getaffinity(0))
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    return (f"{model}, {os.cpu_count()} CPUs, pinned to CPU {cpus}; Python {platform.python_version()}, "
            f"numpy {np.__version__}")


def main() -> None:
    """Run the chosen sections and print their Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("--duration-s", type=float, default=3600.0, help="batch and streaming data length, s")
    parser.add_argument("--repeats", type=int, default=5, help="runs to take the best of")
    parser.add_argument("--hours", type=float, default=8.0, help="length of the memory stream, h")
    parser.add_argument("--memory-exercise", default="auto", choices=MODES, help="pipeline mode of the memory run")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slow)")
    parser.add_argument("--latency-seeds", type=int, default=3, help="recordings per exercise and rate")
    args = parser.parse_args()
    sections = [s.strip() for s in args.only.split(",")]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    print(f"Machine: {machine()}.\n")
    base = base_session()
    print(f"Base session: {base.end_s:.0f} s, {len(base):,} samples at {RATE_HZ:g} Hz, tiled as needed.\n")
    if "batch" in sections or "stream" in sections:
        samples = SampleBlock.concat(list(tiles(base, args.duration_s)))
        if "batch" in sections:
            print("\n".join(batch(samples, args.repeats)) + "\n")
        if "stream" in sections:
            print("\n".join(stream(samples, args.repeats)) + "\n")
        del samples
    if "latency" in sections:
        print("\n".join(latency(range(args.latency_seeds))) + "\n")
    if "memory" in sections:
        print("\n".join(memory(base, args.hours, args.memory_exercise, args.tracemalloc)))


if __name__ == "__main__":
    main()
