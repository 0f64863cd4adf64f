"""Counting accuracy against ground truth: a synthetic sweep and the shared dev set.

Run ``python benchmarks/accuracy.py [--quick] [--jobs N] [--out FILE] [--devset DIR]``;
prints Markdown tables (and writes them to ``--out``). Every recording is
counted with its exercise given and again with ``exercise="auto"``, and
scored with :mod:`sensor.evaluation` against the design.md §6 targets.

Sources, each reported separately:

- **synthetic**: recordings generated in memory by :func:`sensor.synth.simulate`
  over seeds, rates, mountings, legs, gyro or not, noise, tempo, sets, lead-ins,
  fidgeting and packet loss, plus distractors (true count 0) and mixed
  sessions (:func:`sensor.synth.simulate_session`, auto only). Deterministic.
- **devset sim**: ``DEVSET/sim`` (an independent simulator; labels, clamshell
  reps with ROM, walk cycles and monster-walk swings).
- **devset real**: ``DEVSET/real`` (UCI physical-therapy recordings, 25 Hz);
  side-lying hip abduction is scored as clamshell, the other exercises are
  reported as counted, for a sanity check.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from sensor.evaluation import SessionScore, Summary, score_session, summarise
from sensor.pipeline import PipelineConfig, analyze_recording, analyze_samples
from sensor.recording import read_recording
from sensor.session import SessionResult
from sensor.synth import DISTRACTORS, EXERCISES, SimulationConfig, simulate, simulate_session
from sensor.synth.truth import TruthRep, TruthSet

#: The labelled dev set lives next to the checkout, in ``../shared/devset``.
DEFAULT_DEVSET = Path(__file__).resolve().parents[2] / "shared" / "devset"
RATES_HZ = (25.0, 52.0, 100.0, 200.0)
NOISE_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
DROP_RATES = (0.0, 0.0, 0.02, 0.05, 0.15)
LEGS = ("right", "left")
#: Every ``QUICK_STRIDE``-th synthetic case makes the ``--quick`` subset.
QUICK_STRIDE = 6
_SWEEP_SEED = 20260514

SYNTHETIC, DEVSET_SIM, DEVSET_REAL = "synthetic", "devset sim", "devset real"
GIVEN, AUTO = "given", "auto"
#: Dev-set lateral-walk truth spans whole step cycles, the counters' reps a
#: swing of the banded thigh: their boundaries are not comparable.
_NO_BOUNDARIES = {(DEVSET_SIM, "lateral-walk")}


@dataclass(frozen=True)
class Case:
    """One recording to count and score.

    Parameters
    ----------
    name : str
        File name or synthetic configuration, for the failure list.
    source : str
        ``synthetic``, ``devset sim`` or ``devset real``.
    group : str
        Row label: the exercise, a distractor kind, ``mixed``, or a real
        exercise and execution type.
    exercise : str or None
        Exercise to give the pipeline; None runs auto only (mixed sessions).
    leg : str
        ``right`` or ``left``.
    segments : tuple of SimulationConfig
        Synthetic: what to simulate (one config, or a session's segments).
    seed : int
        Synthetic session seed.
    path : Path or None
        Dev set: the recording.
    true_sets, true_reps : tuple
        Dev set truth (synthetic truth comes with the simulated recording);
        ``true_reps`` None where only counts are known.
    """

    name: str
    source: str
    group: str
    exercise: str | None
    leg: str
    segments: tuple[SimulationConfig, ...] = ()
    seed: int = 0
    path: Path | None = None
    true_sets: tuple[TruthSet, ...] = ()
    true_reps: tuple[TruthRep, ...] | None = ()
    knobs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Outcome:
    """One pipeline run of a case, scored.

    Parameters
    ----------
    case : Case
    run : str
        ``given`` or ``auto``.
    score : SessionScore
    counted : tuple of (str, int)
        Counted sets: exercise and count.
    error : str
        The exception if the pipeline failed (scored as counting nothing).
    has_gyro : bool
        Whether the recording has a gyroscope.
    """

    case: Case
    run: str
    score: SessionScore
    counted: tuple[tuple[str, int], ...] = field(default=())
    error: str = ""
    has_gyro: bool = False


# -- the synthetic sweep ------------------------------------------------------------------


def _exercise_config(exercise: str, i: int, rng: np.random.Generator) -> tuple[SimulationConfig, dict[str, str]]:
    """The i-th sweep configuration of one exercise and its knobs as labels.

    A full factorial over rate, leg, gyro and noise; the other knobs are
    drawn from ``rng``.
    """
    rate = RATES_HZ[i % 4]
    leg = LEGS[(i // 4) % 2]
    gyro = (i // 8) % 2 == 0
    noise = NOISE_SCALES[(i // 16) % len(NOISE_SCALES)]
    tempo: dict[str, float] = {}
    style = "default"
    if rng.random() < 1 / 3:
        if exercise == "clamshell":
            tempo["hold_s"], style = 3.0, "slow (3 s hold)"
        else:
            tempo["tempo_s"] = float(rng.uniform(0.7, 0.85) if exercise == "lateral-walk" else rng.uniform(0.5, 0.6))
            style = "fast"
    reps = int(rng.integers(6, 16) if exercise == "clamshell" else rng.integers(6, 21))
    config = SimulationConfig(
        exercise=exercise, reps=reps, sets=int(rng.integers(1, 4)), rate_hz=rate, leg=leg, has_gyro=gyro,
        mount_rotation_deg=float(rng.uniform(0.0, 360.0)), mount_tilt_deg=float(rng.uniform(0.0, 15.0)),
        noise_scale=noise, lead_in=bool(rng.random() < 0.7), fidget=bool(rng.random() < 0.7),
        drop_rate=float(rng.choice(DROP_RATES)), seed=0, **tempo,  # type: ignore[arg-type]
    )
    knobs = {"rate": f"{rate:g} Hz", "leg": leg, "gyro": "yes" if gyro else "no", "noise": f"{noise:g}",
             "tempo": style, **({"tempo_s": f"{tempo['tempo_s']:.2f}"} if "tempo_s" in tempo else {}),
             "sets": str(config.sets), "reps": str(reps), "drop": f"{config.drop_rate:g}",
             "lead-in": "yes" if config.lead_in else "no", "fidget": "yes" if config.fidget else "no",
             "rotation": f"{config.mount_rotation_deg:.0f}", "tilt": f"{config.mount_tilt_deg:.0f}"}
    return config, knobs


#: Knobs the synthetic breakdown table groups by (the others are continuous).
BREAKDOWN = ("rate", "gyro", "noise", "tempo", "drop", "sets", "lead-in", "fidget", "leg")


def synthetic_cases(per_exercise: int = 96, per_distractor: int = 12, mixed: int = 12) -> list[Case]:
    """The full synthetic sweep, deterministic (case seeds are 1000 + position).

    Parameters
    ----------
    per_exercise : int
        Recordings per exercise (96 covers rate × leg × gyro × noise once).
    per_distractor : int
        Recordings per distractor kind (``still``, ``lying``, ``walk-forward``, ``fidget``).
    mixed : int
        Sessions of several exercises (auto only).

    Returns
    -------
    list of Case
    """
    rng = np.random.default_rng(_SWEEP_SEED)
    cases: list[Case] = []

    def add(group: str, exercise: str | None, segments: list[SimulationConfig], knobs: dict[str, str]) -> None:
        seed = 1000 + len(cases)
        segments = [s.with_(seed=seed) for s in segments]
        name = f"syn-{seed} {group} " + " ".join(f"{k}={v}" for k, v in knobs.items())
        cases.append(Case(name=name, source=SYNTHETIC, group=group, exercise=exercise, leg=segments[0].leg,
                          segments=tuple(segments), seed=seed, knobs=tuple(knobs.items())))

    for exercise in EXERCISES:
        for i in range(per_exercise):
            config, knobs = _exercise_config(exercise, i, rng)
            add(exercise, exercise, [config], knobs)
    for kind in DISTRACTORS:
        for i in range(per_distractor):
            config = SimulationConfig(exercise=kind, rate_hz=RATES_HZ[i % 4], leg=LEGS[i % 2],
                                      has_gyro=i % 3 != 0, noise_scale=NOISE_SCALES[i % len(NOISE_SCALES)],
                                      lead_in=bool(rng.random() < 0.5), fidget=bool(rng.random() < 0.7))
            asked = EXERCISES[i % len(EXERCISES)]
            add(kind, asked, [config], {"asked": asked, "rate": f"{config.rate_hz:g} Hz", "leg": config.leg})
    for i in range(mixed):
        order = list(rng.permutation(EXERCISES))[: 2 + i % 2]
        segments = [SimulationConfig(exercise=str(e), reps=int(rng.integers(8, 15)), rate_hz=RATES_HZ[i % 4],
                                     leg=LEGS[i % 2], has_gyro=i % 3 != 0) for e in order]
        if i % 3 == 2:
            segments.insert(1, SimulationConfig(exercise="fidget", duration_s=20.0))
        add("mixed", None, segments, {"segments": "+".join(s.exercise for s in segments)})
    return cases


# -- the dev set ---------------------------------------------------------------------------


def _set_of(index: int, exercise: str, reps: Sequence[TruthRep], count: int | None = None) -> TruthSet:
    return TruthSet(index=index, exercise=exercise, start_s=min(r.start_s for r in reps),
                    end_s=max(r.end_s for r in reps), count=len(reps) if count is None else count)


def _cycle_directions(row: dict[str, str], cycles: dict[int, int]) -> dict[int, list[str]]:
    """Per set, the travel direction of each lateral-walk cycle, from a ``labels.csv`` row.

    A set's ``direction`` is one run (``right``) or two (``right+left``: walked
    back; ``left+left``: turned round and carried on); ``notes`` give the two
    runs' cycles (``set1:4+17(turn)``).
    """
    splits = {int(k[3:]): v.split("(")[0] for k, v in (n.split(":", 1) for n in row["notes"].split() if ":" in n)}
    per_set = row["direction"].split(";")
    if len(per_set) == 1:
        per_set *= len(cycles)  # one direction given for every set
    out = {}
    for index, runs in enumerate(per_set, start=1):
        names = runs.split("+")
        sizes = [int(n) for n in splits[index].split("+")] if len(names) > 1 else [cycles[index]]
        out[index] = [name for name, size in zip(names, sizes, strict=True) for _ in range(size)]
    return out


def _sim_truth(root: Path, row: dict[str, str], exercise: str) -> tuple[tuple[TruthSet, ...], tuple[TruthRep, ...]]:
    """True sets and reps of one dev-set sim recording (clamshell reps; walk cycles with their direction, or steps)."""
    stem = Path(row["file"]).stem
    if exercise == "clamshell":
        raw = json.loads((root / "reps" / f"{stem}.json").read_text())["reps"]
        spans = [(r["set"], r["start"], r["end"], r["rom_deg"]) for r in raw]
    else:
        events = json.loads((root / "events" / f"{stem}.json").read_text())
        key = "cycles" if exercise == "lateral-walk" else "steps"
        spans = [(s["set"], w[0], w[0] + w[1], None) for s in events["sets"] for w in s[key]]
    directions: dict[int, list[str]] = {}
    if exercise == "lateral-walk":
        directions = _cycle_directions(row, Counter(int(s) for s, *_ in spans))
    elif exercise == "monster-walk" and row["direction"]:
        per_set = row["direction"].split(";")
        steps = Counter(int(s) for s, *_ in spans)
        directions = {s: [per_set[min(s, len(per_set)) - 1]] * n for s, n in steps.items()}
    seen: Counter[int] = Counter()
    reps = []
    for k, (s, a, b, rom) in enumerate(spans):
        direction = directions[int(s)][seen[int(s)]] if directions else None
        seen[int(s)] += 1
        reps.append(TruthRep(index=k + 1, set=int(s), start_s=float(a), end_s=float(b), rom_deg=rom,
                             direction=direction))
    by_set: dict[int, list[TruthRep]] = defaultdict(list)
    for rep in reps:
        by_set[rep.set].append(rep)
    return tuple(_set_of(i, exercise, by_set[i]) for i in sorted(by_set)), tuple(reps)


def devset_sim_cases(root: Path) -> list[Case]:
    """Cases of ``DEVSET/sim`` (truth checked against ``labels.csv``)."""
    cases = []
    with (root / "labels.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            exercise = row["exercise"].replace("_", "-")
            leg = row["placement"].split("_")[0]
            if int(row["true_count"]) == 0:
                kind = next((n.split("=", 1)[1] for n in row["notes"].split() if n.startswith("distractor=")), "?")
                cases.append(Case(name=row["file"], source=DEVSET_SIM, group=kind.replace("_", "-"),
                                  exercise=exercise, leg=leg, path=root / "recordings" / row["file"]))
                continue
            sets, reps = _sim_truth(root, row, exercise)
            expected = [int(c) for c in row["per_set_counts"].split(";")]
            if [s.count for s in sets] != expected:
                raise SystemExit(f"{row['file']}: rep files give {[s.count for s in sets]}, labels {expected}")
            cases.append(Case(name=row["file"], source=DEVSET_SIM, group=exercise, exercise=exercise, leg=leg,
                              path=root / "recordings" / row["file"], true_sets=sets, true_reps=reps))
    return cases


def devset_real_cases(root: Path) -> list[Case]:
    """Cases of ``DEVSET/real``: hip abduction as clamshell, the rest counted as clamshell for a sanity check."""
    cases = []
    with (root / "labels.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            events = json.loads((root / "events" / f"{Path(row['file']).stem}.json").read_text())
            scored_as = "clamshell" if row["exercise"] == "side_lying_hip_abduction" else row["exercise"]
            raw = events.get("reps_third_party")
            reps = (tuple(TruthRep(index=k + 1, set=1, start_s=float(r["start"]), end_s=float(r["end"]))
                          for k, r in enumerate(raw)) if raw else None)
            lo, hi = events["window_in_session_s"]
            true_set = (_set_of(1, scored_as, reps, int(row["true_count"])) if reps else
                        TruthSet(index=1, exercise=scored_as, start_s=0.0, end_s=hi - lo, count=int(row["true_count"])))
            cases.append(Case(name=row["file"], source=DEVSET_REAL,
                              group=f"{row['exercise']} {events['execution_type']}", exercise="clamshell",
                              leg=row["placement"].split("_")[0], path=root / "recordings" / row["file"],
                              true_sets=(true_set,), true_reps=reps))
    return cases


# -- running -------------------------------------------------------------------------------


def _runs(case: Case) -> list[tuple[str, PipelineConfig]]:
    runs = [] if case.exercise is None else [(GIVEN, PipelineConfig(exercise=case.exercise, leg=case.leg))]
    return runs + [(AUTO, PipelineConfig(exercise="auto", leg=case.leg))]


def run_case(case: Case) -> list[Outcome]:
    """Count one case with its exercise given and with auto; score both."""
    if case.segments:
        rec = (simulate(case.segments[0]) if len(case.segments) == 1
               else simulate_session(list(case.segments), case.seed))
        true_sets, true_reps = rec.truth.sets, rec.truth.reps

        def analyze(config: PipelineConfig) -> SessionResult:
            return analyze_samples(rec.samples, config)

        has_gyro = rec.samples.gyro is not None
    else:
        recording = read_recording(case.path)  # type: ignore[arg-type]
        true_sets, true_reps = case.true_sets, case.true_reps

        def analyze(config: PipelineConfig) -> SessionResult:
            return analyze_recording(recording, config)

        has_gyro = recording.samples.gyro is not None

    outcomes = []
    for run, config in _runs(case):
        try:
            result = analyze(config)
        except Exception as exc:  # noqa: BLE001 - a crash is a failure to report, not a reason to stop
            outcomes.append(Outcome(case, run, score_session(true_sets, [], true_reps),
                                    error=f"{type(exc).__name__}: {exc}", has_gyro=has_gyro))
            continue
        outcomes.append(Outcome(case, run, score_session(true_sets, result.sets, true_reps),
                                tuple((s.exercise, s.count) for s in result.sets), has_gyro=has_gyro))
    return outcomes


def run_all(cases: Sequence[Case], jobs: int) -> list[Outcome]:
    """Run every case on ``jobs`` processes; outcomes in case order."""
    if jobs <= 1:
        return [o for case in cases for o in run_case(case)]
    with multiprocessing.Pool(jobs) as pool:
        return [o for outcomes in pool.imap(run_case, cases, chunksize=2) for o in outcomes]


# -- reporting -----------------------------------------------------------------------------


def _pct(x: float) -> str:
    return "—" if np.isnan(x) else f"{100 * x:.1f} %"


def _num(x: float, unit: str = "", digits: int = 2) -> str:
    return "—" if np.isnan(x) else f"{x:.{digits}f}{unit}"


def _mark(value: float, ok: Callable[[float], bool]) -> str:
    return "" if np.isnan(value) else (" ✓" if ok(value) else " ✗")


def _exact_ok(x: float) -> bool:
    return x >= 0.95


def _all_ok(x: float) -> bool:
    return x >= 1.0


def _rom_ok(x: float) -> bool:
    return x <= 5.0


def _boundary_ok(x: float) -> bool:
    return x <= 0.1


def _select(outcomes: Iterable[Outcome], source: str, run: str) -> list[Outcome]:
    return [o for o in outcomes if o.case.source == source and o.run == run]


def _count_row(source: str, run: str, label: str, s: Summary, boundaries: bool) -> str:
    """One row of the counting table: figures with ✓/✗ against their §6 targets."""
    bounds = (f"{_num(s.start_error_median_s, ' s')}{_mark(s.start_error_median_s, _boundary_ok)} / "
              f"{_num(s.end_error_median_s, ' s')}{_mark(s.end_error_median_s, _boundary_ok)}"
              if boundaries else "n/a (cycle truth)")
    rom = "—" if np.isnan(s.rom_error_median_deg) else (
        f"{_num(s.rom_error_median_deg, ' deg', 1)}{_mark(s.rom_error_median_deg, _rom_ok)} / "
        f"{_num(s.rom_error_p95_deg, ' deg', 1)}")
    reps = f"{s.matched_reps} / {s.missed_reps} / {s.extra_reps}" if s.matched_reps + s.missed_reps else "—"
    return (f"| {source} | {run} | {label} | {s.sets} | {_pct(s.exact_share)}{_mark(s.exact_share, _exact_ok)} "
            f"| {_pct(s.within_one_share)}{_mark(s.within_one_share, _all_ok)} | {_num(s.mean_abs_error)} "
            f"| {reps} | {rom} | {bounds} | {_pct(s.recognition_accuracy) if run == AUTO else '—'} |")


def counting_table(outcomes: Sequence[Outcome]) -> list[str]:
    """Per source, run and exercise: the §6 count, ROM and boundary figures with ✓/✗.

    Rows cover single-exercise recordings (mixed sessions have their own
    table); the real dev set adds side-lying hip abduction counted as
    clamshell, per execution type.
    """
    lines = [
        "| source | run | exercise | sets | exact (≥ 95 %) | within ±1 (100 %) | mean abs error "
        "| reps matched / missed / extra | ROM error median (≤ 5 deg) / p95 | start / end error median (≤ 0.1 s) "
        "| recognition |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for source in (SYNTHETIC, DEVSET_SIM):
        for run in (GIVEN, AUTO):
            chosen = [o for o in _select(outcomes, source, run) if o.case.group in EXERCISES]
            for exercise in (*EXERCISES, None):
                mine = [o.score for o in chosen if exercise is None or o.case.group == exercise]
                if mine:
                    lines.append(_count_row(source, run, exercise or "all", summarise(mine),
                                            (source, exercise) not in _NO_BOUNDARIES))
    for run in (GIVEN, AUTO):
        chosen = [o for o in _select(outcomes, DEVSET_REAL, run) if o.case.group.startswith("side_lying")]
        for group in sorted({o.case.group for o in chosen}):
            label = f"clamshell ({group.replace('side_lying_hip_abduction ', 'hip abduction, ')})"
            lines.append(_count_row(DEVSET_REAL, run, label,
                                    summarise([o.score for o in chosen if o.case.group == group]), True))
    return lines


def _numeric_first(value: str) -> tuple[float, str]:
    head = value.split()[0]
    return (float(head), value) if head.replace(".", "", 1).isdigit() else (np.inf, value)


def breakdown_table(outcomes: Sequence[Outcome]) -> list[str]:
    """Synthetic sets counted exactly (exercise given), per exercise and value of each sweep knob."""
    chosen = [o for o in _select(outcomes, SYNTHETIC, GIVEN) if o.case.group in EXERCISES]
    lines = ["| knob | value | " + " | ".join(f"{e}: exact (sets)" for e in EXERCISES) + " |",
             "|---|---|" + "---:|" * len(EXERCISES)]
    for knob in BREAKDOWN:
        values = sorted({dict(o.case.knobs)[knob] for o in chosen}, key=_numeric_first)
        for value in values:
            cells = []
            for exercise in EXERCISES:
                s = summarise([o.score for o in chosen if o.case.group == exercise and dict(o.case.knobs)[knob] == value])
                cells.append(f"{_pct(s.exact_share)} ({s.sets})")
            lines.append(f"| {knob} | {value} | " + " | ".join(cells) + " |")
    return lines


def distractor_table(outcomes: Sequence[Outcome]) -> list[str]:
    """False reps on recordings whose true count is 0 (target: none), by the exercise asked for when one is given."""
    lines = ["| source | run | distractor | recordings | false reps | recordings with false reps (target 0) |",
             "|---|---|---|---:|---:|---:|"]
    for source in (SYNTHETIC, DEVSET_SIM):
        for run in (GIVEN, AUTO):
            chosen = [o for o in _select(outcomes, source, run) if not o.score.sets]

            def label(o: Outcome, run: str = run) -> str:
                return f"{o.case.group} as {o.case.exercise}" if run == GIVEN else o.case.group

            for group in sorted({label(o) for o in chosen}):
                mine = [o for o in chosen if label(o) == group]
                bad = sum(o.score.false_reps > 0 for o in mine)
                lines.append(f"| {source} | {run} | {group} | {len(mine)} | {sum(o.score.false_reps for o in mine)} "
                             f"| {bad}{' ✓' if bad == 0 else ' ✗'} |")
    return lines


def direction_table(outcomes: Sequence[Outcome]) -> list[str]:
    """Walks: how often a counted step paired with a true one has its direction (lateral: travel; monster: facing)."""
    header = ("| source | run | exercise | paired steps with a direction | direction right "
              "| with a gyroscope: pairs, right | accelerometer only: pairs, right |")
    lines = [header, "|---|---|---|---:|---:|---:|---:|"]
    for exercise in ("lateral-walk", "monster-walk"):
        for source in (SYNTHETIC, DEVSET_SIM):
            for run in (GIVEN, AUTO):
                chosen = [o for o in _select(outcomes, source, run) if o.case.group == exercise]
                if not chosen:
                    continue
                cells = []
                for part in (chosen, [o for o in chosen if o.has_gyro], [o for o in chosen if not o.has_gyro]):
                    s = summarise([o.score for o in part], exercise)
                    cells.append((s.direction_pairs, _pct(s.direction_accuracy)))
                (n, right), (n_gyro, right_gyro), (n_acc, right_acc) = cells
                lines.append(f"| {source} | {run} | {exercise} | {n} | {right} | {n_gyro}, {right_gyro} "
                             f"| {n_acc}, {right_acc} |")
    return lines


def mixed_table(outcomes: Sequence[Outcome]) -> list[str]:
    """Mixed synthetic sessions under auto: per-set counts and recognition."""
    chosen = [o for o in _select(outcomes, SYNTHETIC, AUTO) if o.case.group == "mixed"]
    if not chosen:
        return []
    s = summarise([o.score for o in chosen])
    confusion = Counter((st.exercise, st.predicted or "none") for o in chosen for st in o.score.sets)
    wrong = ", ".join(f"{t} → {p}: {n}" for (t, p), n in sorted(confusion.items()) if t != p) or "none"
    return ["| sessions | sets | exact (≥ 95 %) | within ±1 (100 %) | recognition | false reps | misrecognised |",
            "|---:|---:|---:|---:|---:|---:|---|",
            f"| {s.recordings} | {s.sets} | {_pct(s.exact_share)}{_mark(s.exact_share, _exact_ok)} "
            f"| {_pct(s.within_one_share)}{_mark(s.within_one_share, _all_ok)} | {_pct(s.recognition_accuracy)} "
            f"| {s.false_reps} | {wrong} |"]


def real_table(outcomes: Sequence[Outcome]) -> list[str]:
    """Every real recording: true count, counted as clamshell and with auto (per file, s1 then s2)."""
    runs: dict[str, dict[str, list[Outcome]]] = defaultdict(lambda: defaultdict(list))
    for o in outcomes:
        if o.case.source == DEVSET_REAL:
            runs[o.case.group][o.run].append(o)
    lines = ["| exercise | execution | true per file | counted as clamshell | counted with auto | auto's exercise |",
             "|---|---|---:|---|---|---|"]
    for group in sorted(runs):
        exercise, execution = group.rsplit(" ", 1)

        def totals(run: str) -> str:
            return ", ".join(str(sum(n for _, n in o.counted)) if not o.error else "error" for o in runs[group][run])

        seen = sorted({name for o in runs[group][AUTO] for name, _ in o.counted}) or ["none"]
        lines.append(f"| {exercise} | {execution} | {runs[group][GIVEN][0].score.sets[0].true_count} "
                     f"| {totals(GIVEN)} | {totals(AUTO)} | {', '.join(seen)} |")
    return lines


def failure_lines(outcomes: Sequence[Outcome]) -> list[str]:
    """Every miscounted set, false count, misrecognised set and crash, with truth and count."""
    lines = []
    for o in outcomes:
        sanity_only = o.case.source == DEVSET_REAL and not o.case.group.startswith("side_lying")
        if sanity_only:
            continue
        truth = [(s.exercise, s.true_count) for s in o.score.sets]
        counted = [f"{s.counted}" + ("" if o.run == GIVEN or s.predicted == s.exercise else f" as {s.predicted}")
                   for s in o.score.sets]
        reasons = []
        if o.error:
            reasons.append(f"pipeline error {o.error}")
        if any(s.error for s in o.score.sets):
            reasons.append("count")
        if o.run == AUTO and any(s.predicted != s.exercise for s in o.score.sets):
            reasons.append("recognition")
        if o.score.false_reps:
            reasons.append(f"{o.score.false_reps} false")
        if reasons:
            lines.append(f"- `{o.case.name}` [{o.case.source}, {o.run}; {', '.join(reasons)}]: "
                         f"truth {[f'{e} {n}' for e, n in truth] or 'nothing'}, counted per true set {counted}, "
                         f"counted sets {[f'{e} {n}' for e, n in o.counted]}")
    return lines


def report(outcomes: Sequence[Outcome], header: str) -> str:
    """The whole Markdown report."""
    parts = [header, "", "### Counting (sets matched to truth by time overlap)", "",
             *counting_table(outcomes), "",
             "### False reps on distractors (true count 0)", "", *distractor_table(outcomes), "",
             "### Walk direction (counted steps paired with true ones)", "", *direction_table(outcomes), ""]
    if any(o.case.knobs for o in outcomes):
        parts += ["### Synthetic sweep: exact sets by setting (exercise given)", "", *breakdown_table(outcomes), ""]
    mixed = mixed_table(outcomes)
    if mixed:
        parts += ["### Mixed synthetic sessions (auto)", "", *mixed, ""]
    if any(o.case.source == DEVSET_REAL for o in outcomes):
        parts += ["### Dev set real: counts per file (sanity check)", "", *real_table(outcomes), ""]
    failures = failure_lines(outcomes)
    parts += [f"### Failure cases ({len(failures)})", "", *(failures or ["none"]), ""]
    return "\n".join(parts)


def main() -> None:
    """Build the cases, count them on ``--jobs`` processes and print the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"every {QUICK_STRIDE}th synthetic case only")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET, help="dev set folder (skipped if absent)")
    args = parser.parse_args()

    cases = synthetic_cases()
    if args.quick:
        cases = cases[::QUICK_STRIDE]
    if (args.devset / "sim" / "labels.csv").exists():
        cases += devset_sim_cases(args.devset / "sim")
    if (args.devset / "real" / "labels.csv").exists():
        cases += devset_real_cases(args.devset / "real")
    start = time.perf_counter()
    outcomes = run_all(cases, args.jobs)
    elapsed = time.perf_counter() - start
    sources = Counter(c.source for c in cases)
    header = (f"{len(cases)} recordings ({', '.join(f'{n} {s}' for s, n in sources.items())}), "
              f"{len(outcomes)} pipeline runs in {elapsed:.0f} s on {args.jobs} processes"
              f"{' (--quick)' if args.quick else ''}.")
    text = report(outcomes, header)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(f"done in {elapsed:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
