"""Recounting a finished lateral-walk set by its rhythm: the peak selection, the revision, the pipeline."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sensor.exercises.base import Rep
from sensor.exercises.rhythm_recount import PeakLog, RhythmRecount, RhythmRecountParams, rhythm_peaks
from sensor.pipeline import Pipeline, PipelineConfig, analyze_samples
from sensor.synth import SimulationConfig, SyntheticRecording, simulate

PARAMS = RhythmRecountParams()
PERIOD_S = 1.2


def _steps_at(ends_s: list[float], direction: str = "right") -> tuple[Rep, ...]:
    """Counted steps of 0.4 s ending at ``ends_s`` (s)."""
    return tuple(Rep("lateral-walk", e - 0.4, e, direction=direction) for e in ends_s)


def _recount(peaks: list[tuple[float, float]]) -> RhythmRecount:
    log = PeakLog(PARAMS.floor, PARAMS.retain_s)
    times, sizes = zip(*sorted(peaks))
    log.add(np.array(times), np.array(sizes))
    return RhythmRecount(log, PARAMS)


def test_the_bursts_that_keep_the_rhythm_are_picked_and_the_pelvis_bursts_between_them_are_not() -> None:
    steps = 10.0 + PERIOD_S * np.arange(8)
    sizes = np.full(8, 300.0)
    sizes[4] = 45.0  # a weak step, far below the others
    pelvis = steps[:-1] + 0.45 * PERIOD_S  # the pelvis travelling over the planted foot, off the rhythm
    times = np.concatenate([steps, pelvis])
    order = np.argsort(times)
    all_sizes = np.concatenate([sizes, np.full(7, 60.0)])[order]
    picked = times[order][rhythm_peaks(times[order], all_sizes, PERIOD_S, PARAMS)]
    assert np.allclose(picked, steps)


def test_a_pause_does_not_end_the_rhythm() -> None:
    times = np.concatenate([10.0 + PERIOD_S * np.arange(5), 30.0 + PERIOD_S * np.arange(5)])
    picked = rhythm_peaks(times, np.full(10, 200.0), PERIOD_S, PARAMS)
    assert picked.tolist() == list(range(10))


def _score(times: np.ndarray, sizes: np.ndarray, chosen: tuple[int, ...]) -> float:
    """What the recount maximises, for the maxima ``chosen`` (indices in time order)."""
    gaps = np.diff(times[list(chosen)])
    cost = np.minimum(PARAMS.rhythm_weight * ((gaps - PERIOD_S) / (PARAMS.rhythm_tolerance * PERIOD_S)) ** 2,
                      PARAMS.pause_cost)
    return float(np.log(sizes[list(chosen)] / PARAMS.floor).sum() - cost.sum())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 12.0), st.floats(20.0, 2000.0)), min_size=1, max_size=9))
# The least gap apart as a difference of times (0.6 - 5e-324 rounds to 0.6), though 0.6 - 0.6 < 5e-324.
@example([(0.6, 402.0), (5e-324, 402.0)])
def test_the_picks_score_as_well_as_the_best_of_every_subset(peaks: list[tuple[float, float]]) -> None:
    peaks.sort()
    times, sizes = np.array([t for t, _ in peaks]), np.array([s for _, s in peaks])
    allowed = [
        chosen
        for k in range(1, len(peaks) + 1)
        for chosen in itertools.combinations(range(len(peaks)), k)
        if np.all(np.diff(times[list(chosen)]) >= PARAMS.min_gap_fraction * PERIOD_S)
    ]
    best = max(_score(times, sizes, chosen) for chosen in allowed)
    picked = tuple(rhythm_peaks(times, sizes, PERIOD_S, PARAMS).tolist())
    assert picked in allowed
    assert _score(times, sizes, picked) == pytest.approx(best, abs=1e-9)


def test_no_candidates_pick_nothing() -> None:
    assert rhythm_peaks(np.zeros(0), np.zeros(0), PERIOD_S, PARAMS).tolist() == []


def test_a_step_missed_mid_set_is_added_shaped_like_the_others() -> None:
    ends = [10.0 + PERIOD_S * k for k in range(8)]
    counted = _steps_at(ends[:4] + ends[5:])  # the fifth step was missed live
    recount = _recount([(e, 300.0) for e in ends[:4] + ends[5:]] + [(ends[4], 50.0)])
    revised = recount.revise(counted, now_s=60.0)
    assert len(revised) == 8
    assert revised[:4] == counted[:4] and revised[5:] == counted[4:]
    added = revised[4]
    assert added.start_s == pytest.approx(ends[4] - 0.4) and added.end_s == pytest.approx(ends[4])
    assert added.direction == "right" and added.emitted_at_s == 60.0


def test_a_recount_never_takes_counted_steps_away() -> None:
    ends = [10.0 + PERIOD_S * k for k in range(6)]
    counted = _steps_at(ends + [ends[-1] + 0.5 * PERIOD_S])  # an extra burst half a cycle after the last
    recount = _recount([(e, 300.0) for e in ends] + [(ends[-1] + 0.5 * PERIOD_S, 40.0)])
    assert recount.revise(counted, now_s=60.0) == counted


def test_a_pause_within_a_set_is_not_filled() -> None:
    ends = [10.0 + PERIOD_S * k for k in range(4)] + [10.0 + PERIOD_S * 3 + 3.1 + PERIOD_S * k for k in range(4)]
    counted = _steps_at(ends)
    # A burst in the pause, in the rhythm of the steps before it: the tail after the last step before a turn.
    recount = _recount([(e, 300.0) for e in ends] + [(ends[3] + PERIOD_S, 200.0)])
    assert recount.revise(counted, now_s=60.0) == counted


def test_too_short_too_long_or_forgotten_sets_are_left_as_counted() -> None:
    ends = [10.0 + PERIOD_S * k for k in range(4)]
    peaks = [(e, 300.0) for e in ends] + [(ends[1] + 0.5 * PERIOD_S, 300.0)]
    assert _recount(peaks).revise(_steps_at(ends[:2]), now_s=60.0) == _steps_at(ends[:2])
    long_set = _steps_at([10.0 + PERIOD_S * k for k in range(int(PARAMS.max_set_s / PERIOD_S) + 2)])
    assert _recount(peaks).revise(long_set, now_s=2000.0) == long_set
    log = PeakLog(PARAMS.floor, retain_s=5.0)
    log.add(np.array([e for e, _ in peaks]), np.array([s for _, s in peaks]))
    log.add(np.array([30.0]), np.array([100.0]))  # maxima before 25 s are dropped
    assert log.between(9.0, 20.0) is None
    assert RhythmRecount(log, PARAMS).revise(_steps_at(ends), now_s=40.0) == _steps_at(ends)


@pytest.fixture(scope="module")
def brisk_set() -> SyntheticRecording:
    # A brisk set whose live count misses one step (measured: 11 of 12 before the recount).
    return simulate(SimulationConfig(exercise="lateral-walk", reps=12, sets=1, seed=5, rate_hz=52.0, tempo_s=0.8))


def test_the_finished_set_is_recounted_though_the_live_count_missed_a_step(brisk_set: SyntheticRecording) -> None:
    rec = brisk_set
    pipeline = Pipeline(PipelineConfig(exercise="lateral-walk"))
    live = sum(len(pipeline.push(block)) for block in rec.samples.split([20]))
    live += len(pipeline.finish())
    assert live == rec.truth.count - 1
    result = pipeline.result()
    assert result.count == rec.truth.count
    starts = [r.start_s for r in result.sets[0].reps]
    assert starts == sorted(starts)
    truth_ends = np.array([r.end_s for r in rec.truth.reps])
    assert all(np.min(np.abs(truth_ends - r.end_s)) < 0.2 for r in result.sets[0].reps)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 400), min_size=1, max_size=5))
def test_the_recount_does_not_depend_on_block_sizes(brisk_set: SyntheticRecording, sizes: list[int]) -> None:
    rec = brisk_set
    config = PipelineConfig(exercise="lateral-walk")
    reference = analyze_samples(rec.samples, config, block_size=len(rec.samples))
    pipeline = Pipeline(config)
    for block in rec.samples.split(sizes):
        pipeline.push(block)
    pipeline.finish()
    assert reference.count == rec.truth.count
    assert pipeline.result().sets == reference.sets

def test_the_live_count_is_revised_once_the_set_gap_has_passed(brisk_set: SyntheticRecording) -> None:
    rec = brisk_set
    pipeline = Pipeline(PipelineConfig(exercise="lateral-walk", set_gap_s=3.0))
    counts = []
    for block in rec.samples.split([20]):
        pipeline.push(block)
        counts.append((float(block.t[-1]), pipeline.status().count))
    last_end = rec.truth.reps[-1].end_s
    # Counted live until the set is over, then recounted: before finish(), and never before the gap.
    assert max(c for t, c in counts if t < last_end + 3.0) == rec.truth.count - 1
    assert counts[-1][1] == rec.truth.count
