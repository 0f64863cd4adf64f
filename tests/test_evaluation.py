"""The scorer on small hand-built cases whose answers are known, and on one real pipeline run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensor.evaluation import (
    assign_to_truth,
    match_one_to_one,
    overlap_s,
    score_session,
    summarise,
)
from sensor.exercises.base import Rep
from sensor.pipeline import PipelineConfig, analyze_samples
from sensor.session import CountedRep, SetResult, build_set
from sensor.synth import SimulationConfig, simulate
from sensor.synth.truth import TruthRep, TruthSet


def true_set(start_s: float, end_s: float, count: int, exercise: str = "clamshell") -> TruthSet:
    return TruthSet(index=1, exercise=exercise, start_s=start_s, end_s=end_s, count=count)


def true_rep(start_s: float, end_s: float, rom_deg: float | None = None) -> TruthRep:
    return TruthRep(index=1, set=1, start_s=start_s, end_s=end_s, rom_deg=rom_deg)


def counted_set(spans: list[tuple[float, float]], exercise: str = "clamshell",
                rom_deg: float | None = None, delay_s: float = 0.2) -> SetResult:
    reps = [Rep(exercise=exercise, start_s=a, end_s=b, rom_deg=rom_deg, emitted_at_s=b + delay_s) for a, b in spans]
    return build_set([CountedRep(r) for r in reps], None)


def test_overlap_is_signed_and_widened_by_the_tolerance() -> None:
    overlap = overlap_s([true_rep(0.0, 1.0)], [true_rep(0.5, 2.0), true_rep(1.5, 2.0)], tolerance_s=0.25)
    np.testing.assert_allclose(overlap, [[0.75, -0.25]])


def test_one_to_one_matching_prefers_more_pairs_over_more_overlap() -> None:
    truth = [true_rep(0.0, 2.0), true_rep(2.5, 3.0)]
    # X overlaps the first true rep most, but giving it to the second leaves nothing unpaired.
    counted = [true_rep(1.0, 2.6), true_rep(0.2, 0.8)]
    assert match_one_to_one(truth, counted, tolerance_s=0.0) == [(0, 1), (1, 0)]


def test_matching_respects_the_tolerance() -> None:
    truth = [true_rep(10.0, 11.0)]
    near, far = [true_rep(11.2, 12.0)], [true_rep(11.4, 12.0)]
    assert match_one_to_one(truth, near, tolerance_s=0.3) == [(0, 0)]
    assert match_one_to_one(truth, far, tolerance_s=0.3) == []
    assert match_one_to_one([], near) == [] and match_one_to_one(truth, []) == []


def test_assignment_gives_each_counted_interval_to_its_largest_overlap() -> None:
    truth = [true_rep(0.0, 10.0), true_rep(30.0, 40.0)]
    counted = [true_rep(8.0, 31.0), true_rep(32.0, 33.0), true_rep(50.0, 60.0)]
    assert assign_to_truth(truth, counted, tolerance_s=0.0).tolist() == [0, 1, -1]


def test_exact_session_scores_perfectly() -> None:
    truth_sets = [true_set(0.0, 10.0, 3), true_set(30.0, 40.0, 2)]
    truth_reps = [true_rep(0.0, 3.0, 30.0), true_rep(4.0, 7.0, 30.0), true_rep(7.5, 10.0, 30.0),
                  true_rep(30.0, 34.0, 40.0), true_rep(35.0, 40.0, 40.0)]
    counted = [counted_set([(r.start_s, r.end_s) for r in truth_reps[:3]], rom_deg=30.0),
               counted_set([(r.start_s, r.end_s) for r in truth_reps[3:]], rom_deg=40.0)]
    score = score_session(truth_sets, counted, truth_reps)
    assert [s.error for s in score.sets] == [0, 0]
    assert [s.predicted for s in score.sets] == ["clamshell", "clamshell"]
    assert (score.false_reps, score.matched_reps, score.missed_reps, score.extra_reps) == (0, 5, 0, 0)
    assert np.all(score.start_error_s == 0) and np.all(score.end_error_s == 0) and np.all(score.rom_error_deg == 0)
    np.testing.assert_allclose(score.latency_s, 0.2)
    summary = summarise([score])
    assert (summary.sets, summary.exact_share, summary.within_one_share, summary.mean_abs_error) == (2, 1.0, 1.0, 0.0)
    assert summary.recognition_accuracy == 1.0


def test_rep_level_errors_are_counted_minus_true() -> None:
    truth_reps = [true_rep(0.0, 1.0, 30.0), true_rep(2.0, 3.0, 30.0), true_rep(4.0, 5.0, 30.0)]
    counted = [counted_set([(0.1, 1.1), (4.2, 5.3), (7.0, 8.0)], rom_deg=27.0)]
    score = score_session([true_set(0.0, 5.0, 3)], counted, truth_reps, tolerance_s=0.25)
    assert (score.matched_reps, score.missed_reps, score.extra_reps) == (2, 1, 1)
    np.testing.assert_allclose(score.start_error_s, [0.1, 0.2])
    np.testing.assert_allclose(score.end_error_s, [0.1, 0.3])
    np.testing.assert_allclose(score.rom_error_deg, [-3.0, -3.0])
    np.testing.assert_allclose(score.latency_s, [0.3, 0.5])
    assert score.rep_exercise == ("clamshell", "clamshell")


def test_directions_are_compared_where_both_reps_have_one() -> None:
    truth = [TruthRep(index=k + 1, set=1, start_s=2.0 * k, end_s=2.0 * k + 1.0, direction=d)
             for k, d in enumerate(["right", "right", "left", None])]
    directions = ["right", "left", "left", "right"]
    reps = [Rep("lateral-walk", 2.0 * k, 2.0 * k + 1.0, direction=d) for k, d in enumerate(directions)]
    counted = [build_set([CountedRep(r) for r in reps], None)]
    score = score_session([true_set(0.0, 7.0, 4, "lateral-walk")], counted, truth)
    np.testing.assert_array_equal(score.direction_match, [1.0, 0.0, 1.0, np.nan])
    summary = summarise([score])
    assert summary.direction_pairs == 3 and math.isclose(summary.direction_accuracy, 2 / 3)


def test_a_set_split_in_two_still_sums_to_its_count() -> None:
    counted = [counted_set([(0.0, 1.0), (2.0, 3.0)]), counted_set([(20.0, 21.0)])]
    (set_score,) = score_session([true_set(0.0, 21.0, 3)], counted).sets
    assert (set_score.counted, set_score.counted_sets, set_score.error) == (3, 2, 0)


def test_counts_outside_every_true_set_are_false_reps() -> None:
    counted = [counted_set([(0.0, 1.0), (2.0, 3.0)]), counted_set([(100.0, 101.0)])]
    score = score_session([true_set(0.0, 3.0, 2)], counted)
    assert score.false_reps == 1 and score.sets[0].error == 0
    distractor = score_session([], counted)
    assert distractor.sets == () and distractor.false_reps == 3
    assert summarise([distractor]).false_reps == 3


def test_a_missed_set_counts_zero_and_is_not_recognised() -> None:
    score = score_session([true_set(0.0, 10.0, 8, "lateral-walk")], [])
    (set_score,) = score.sets
    assert (set_score.counted, set_score.error, set_score.predicted) == (0, -8, None)
    summary = summarise([score])
    assert summary.exact_share == 0.0 and summary.recognition_accuracy == 0.0


def test_prediction_is_the_exercise_of_the_counted_set_overlapping_most() -> None:
    counted = [counted_set([(0.0, 2.0)], "monster-walk"), counted_set([(14.0, 20.0), (21.0, 29.0)], "lateral-walk")]
    (set_score,) = score_session([true_set(0.0, 30.0, 3, "lateral-walk")], counted).sets
    assert set_score.predicted == "lateral-walk"


def test_without_true_reps_only_counts_are_scored() -> None:
    score = score_session([true_set(0.0, 90.0, 10)], [counted_set([(1.0, 5.0), (6.0, 9.0)])])
    assert not score.rep_level
    assert (score.matched_reps, score.missed_reps, score.extra_reps) == (0, 0, 0)
    assert score.sets[0].error == -8
    summary = summarise([score])
    assert math.isnan(summary.start_error_median_s) and math.isnan(summary.rom_error_median_deg)


def test_summary_pools_known_errors_and_filters_by_exercise() -> None:
    walk = score_session([true_set(0.0, 10.0, 4, "lateral-walk")],
                         [counted_set([(i, i + 0.5) for i in range(0, 10, 2)], "lateral-walk")],
                         [true_rep(i, i + 0.5) for i in range(0, 8, 2)])
    clam_truth = [true_rep(0.0, 4.0, 30.0), true_rep(5.0, 9.0, 40.0), true_rep(10.0, 14.0, 20.0)]
    clam_counted = [build_set([CountedRep(Rep(exercise="clamshell", start_s=s + 0.1, end_s=e - 0.2, rom_deg=r,
                                              emitted_at_s=e + 0.1))
                               for (s, e, r) in [(0.0, 4.0, 32.0), (5.0, 9.0, 35.0), (10.0, 14.0, 21.0)]], None)]
    clam = score_session([true_set(0.0, 14.0, 3)], clam_counted, clam_truth)
    both = summarise([walk, clam])
    assert (both.sets, both.exact_share, both.within_one_share, both.mean_abs_error) == (2, 0.5, 1.0, 0.5)
    clam_only = summarise([walk, clam], "clamshell")
    assert clam_only.sets == 1 and clam_only.exact_share == 1.0
    assert clam_only.rom_error_median_deg == pytest.approx(2.0)  # |+2|, |-5|, |+1|
    assert clam_only.start_error_median_s == pytest.approx(0.1)
    assert clam_only.end_error_median_s == pytest.approx(0.2)
    assert clam_only.latency_max_s == pytest.approx(0.1)
    walk_only = summarise([walk, clam], "lateral-walk")
    assert math.isnan(walk_only.rom_error_median_deg) and walk_only.mean_abs_error == 1.0


def test_scores_of_a_real_pipeline_run_add_up() -> None:
    rec = simulate(SimulationConfig(exercise="clamshell", reps=6, sets=2, seed=4, rate_hz=52.0))
    result = analyze_samples(rec.samples, PipelineConfig(exercise="clamshell"))
    score = score_session(rec.truth.sets, result.sets, rec.truth.reps)
    assert sum(s.counted for s in score.sets) + score.false_reps == result.count
    assert score.matched_reps + score.missed_reps == len(rec.truth.reps)
    assert score.matched_reps + score.extra_reps == sum(len(s.reps) for s in result.sets)
    assert np.all(np.isfinite(score.rom_error_deg)) and np.all(score.latency_s >= 0)
