"""Sets and tempo arithmetic (design.md §2) on hand-built reps with known answers."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from sensor.exercises.base import Rep
from sensor.session import CountedRep, build_sets, group_sets, set_tempo, tempo_string


def clamshell_rep(start: float, rom: float, open_s: float = 1.0, hold_s: float = 2.0, close_s: float = 2.0) -> Rep:
    end = start + open_s + hold_s + close_s
    return Rep("clamshell", start, end, peak_s=start + open_s, open_s=open_s, hold_s=hold_s, close_s=close_s,
               rom_deg=rom)


def test_tempo_of_a_regular_clamshell_set() -> None:
    reps = [clamshell_rep(10.0 + 6.0 * i, rom) for i, rom in enumerate([40, 40, 40, 38, 30, 30])]
    tempo = set_tempo("clamshell", reps)
    assert tempo["cadence_per_min"] == pytest.approx(10.0)  # one rep every 6 s
    assert tempo["rep_s_mean"] == pytest.approx(5.0)
    assert tempo["rep_s_cv"] == pytest.approx(0.0)
    assert tempo["tut_s"] == pytest.approx(30.0)
    assert tempo["tempo"] == "1-2-2"
    assert tempo["rom_deg_mean"] == pytest.approx(36.3, abs=0.05)
    assert tempo["rom_deg_min"] == 30
    assert tempo["rom_drop_pct"] == pytest.approx(25.0)  # first third 40, last third 30


def test_walk_tempo_has_no_clamshell_keys() -> None:
    reps = [Rep("lateral-walk", 1.0 * i, 1.0 * i + 0.8, direction="right") for i in range(5)]
    tempo = set_tempo("lateral-walk", reps)
    assert set(tempo) == {"cadence_per_min", "rep_s_mean", "rep_s_cv", "tut_s"}
    assert tempo["cadence_per_min"] == pytest.approx(60.0)


def test_a_single_rep_has_no_cadence_and_no_fatigue() -> None:
    tempo = set_tempo("clamshell", [clamshell_rep(0.0, 30.0)])
    assert "cadence_per_min" not in tempo and "rom_drop_pct" not in tempo


@pytest.mark.parametrize(
    ("phases", "expected"),
    [((0.4, 0.0, 0.6), "1-0-1"), ((1.49, 2.5, 2.51), "1-3-3"), ((3.0, 0.49, 1.0), "3-0-1")],
)
def test_tempo_string_rounds_to_whole_seconds(phases: tuple[float, float, float], expected: str) -> None:
    assert tempo_string(*phases) == expected


def test_sets_split_at_the_gap_and_rest_is_measured() -> None:
    first = [clamshell_rep(6.0 * i, 40) for i in range(4)]           # ends at 23 s
    second = [clamshell_rep(40.0 + 6.0 * i, 40) for i in range(3)]   # starts 17 s later
    sets = build_sets([CountedRep(r) for r in second + first], set_gap_s=10.0)
    assert [s.count for s in sets] == [4, 3]
    assert sets[0].rest_before_s is None
    assert sets[1].rest_before_s == pytest.approx(17.0)
    assert sets[0].start_s == 0.0 and sets[0].end_s == pytest.approx(23.0)


def test_a_rep_from_another_position_starts_a_new_set_without_a_pause() -> None:
    lying = [replace(clamshell_rep(6.0 * i, 40), position=0) for i in range(4)]
    seated = [replace(clamshell_rep(24.0 + 6.0 * i, 20), position=1) for i in range(2)]
    again = [replace(clamshell_rep(36.0 + 6.0 * i, 40), position=2) for i in range(3)]
    # A walk counter's rep in between carries no position and splits nothing.
    other = Rep("lateral-walk", 25.0, 25.8)
    groups = group_sets([CountedRep(r) for r in [*again, other, *lying, *seated]], set_gap_s=10.0)
    assert [[c.rep.start_s for c in g] for g in groups] == [
        [0.0, 6.0, 12.0, 18.0], [24.0, 25.0, 30.0], [36.0, 42.0, 48.0]
    ]
    sets = build_sets([CountedRep(r) for r in lying + again], set_gap_s=10.0)
    assert [s.count for s in sets] == [4, 3] and sets[1].rest_before_s == pytest.approx(13.0)


def test_partial_reps_are_flagged_below_70_percent_of_the_set_median() -> None:
    reps = [clamshell_rep(6.0 * i, rom) for i, rom in enumerate([40, 41, 27, 39, 29])]
    (only,) = build_sets([CountedRep(r) for r in reps], set_gap_s=10.0)
    assert only.partial == (False, False, True, False, False)  # median 39 -> limit 27.3


def test_a_set_keeps_the_exercise_most_spans_were_judged_as() -> None:
    # Six lateral-walk reps judged lateral (0.8); the monster-walk counter fired twice in the
    # same bout, once judged lateral and once monster; a clamshell rep was judged as nothing.
    reps = [CountedRep(Rep("lateral-walk", float(i), i + 0.8), 0.8, "lateral-walk") for i in range(6)]
    reps += [CountedRep(Rep("monster-walk", 2.5, 3.0, leg="banded"), 0.6, "lateral-walk"),
             CountedRep(Rep("monster-walk", 4.5, 5.0, leg="banded"), 0.5, "monster-walk"),
             CountedRep(Rep("clamshell", 3.0, 5.0), 1.0, None, votes=False)]
    (only,) = build_sets(reps, set_gap_s=10.0)
    assert only.exercise == "lateral-walk" and only.count == 6
    assert only.confidence is not None and math.isclose(only.confidence, (6 * 0.8 + 0.6) / 8)


def test_a_rep_judged_as_nothing_counts_inside_a_set_of_its_exercise_but_starts_none() -> None:
    inside = [CountedRep(Rep("clamshell", 5.0 * i, 5.0 * i + 3), 0.9, "clamshell") for i in range(4)]
    unsure = CountedRep(Rep("clamshell", 20.0, 23.0), 1.0, None, votes=False)
    alone = CountedRep(Rep("clamshell", 200.0, 203.0), 1.0, None, votes=False)
    (only,) = build_sets([*inside, unsure, alone], set_gap_s=10.0)
    assert only.count == 5 and only.end_s == 23.0


def test_monster_walk_strides_are_the_banded_legs_steps() -> None:
    reps = [Rep("monster-walk", 0.6 * i, 0.6 * i + 0.6, leg="banded" if i % 2 == 0 else "other") for i in range(8)]
    (only,) = build_sets([CountedRep(r) for r in reps], set_gap_s=10.0)
    assert only.count == 8 and only.strides == 4


def test_json_leaves_out_keys_that_do_not_apply() -> None:
    from sensor.session import Quality, SessionResult

    sets = build_sets([CountedRep(Rep("lateral-walk", float(i), i + 0.8)) for i in range(3)], 10.0)
    result = SessionResult("lateral-walk", 3, sets, Quality(52.0, 10.0, 0, 0.0, False, ()))
    doc = result.to_json_dict("f.csv")
    rep = doc["sets"][0]["reps"][0]
    assert set(rep) == {"index", "start_s", "end_s", "duration_s"}
    assert "strides" not in doc["sets"][0] and "confidence" not in doc["sets"][0]
    assert "tempo" not in doc["sets"][0]["tempo"]


def test_a_set_rule_rejects_short_or_unrecognised_bouts_and_rest_skips_them() -> None:
    from sensor.session import SetRule, partition_sets

    walk = [CountedRep(Rep("lateral-walk", float(i), i + 0.8), 0.9, "lateral-walk") for i in range(5)]
    stroll = [CountedRep(Rep("lateral-walk", 30.0 + i, 30.8 + i), 0.01, "lateral-walk") for i in range(8)]
    blip = [CountedRep(Rep("clamshell", 60.0, 62.0), 1.0, "clamshell")]
    later = [CountedRep(Rep("lateral-walk", 90.0 + i, 90.8 + i), 0.8, "lateral-walk") for i in range(4)]
    sets, rejected = partition_sets(walk + stroll + blip + later, 10.0, rule=SetRule(min_reps=3, min_confidence=0.1))
    assert [s.count for s in sets] == [5, 4]
    assert [s.count for s in rejected] == [8, 1]
    assert sets[1].rest_before_s == pytest.approx(90.0 - 4.8)
    assert len(build_sets(walk + stroll + blip + later, 10.0)) == 4  # without a rule every bout counts
