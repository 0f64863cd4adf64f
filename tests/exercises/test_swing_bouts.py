"""Bouts of swings: which settled swings of the banded thigh are a walk, fed by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sensor.exercises.lateral_walk import LateralWalkParams
from sensor.exercises.thigh_swing import Swing, SwingBouts

PERIOD_S = 1.2
SIZE = 300.0  # burst peak, deg²/s


LOOP = -0.01  # loop area, rad²
LANDING = 4.0  # a foot landing's shock, m/s²


def swing(peak_s: float, size: float = SIZE, excursion_deg: float = 10.0, rate_dps: float = 0.0,
          area: float = LOOP, shock_ms2: float = LANDING) -> Swing:
    return Swing(start_s=peak_s - 0.2, end_s=peak_s + 0.2, peak_s=peak_s, peak_speed_dps=size, area=area,
                 excursion_deg=excursion_deg, rate_dps=rate_dps, shock_ms2=shock_ms2)


def feed(swings: list[Swing]) -> list[list[float]]:
    """Peak times (s) reported after each swing is added, in order."""
    bouts = SwingBouts(LateralWalkParams().swing)
    return [[s.peak_s for s in bouts.add(x)] for x in swings]


def walk(n: int, start_s: float = 2.0, period_s: float = PERIOD_S, size: float = SIZE) -> list[Swing]:
    return [swing(start_s + k * period_s, size) for k in range(n)]


def reported(out: list[list[float]]) -> list[float]:
    return [t for batch in out for t in batch]


def test_a_regular_walk_is_reported_swing_by_swing() -> None:
    swings = walk(10)
    out = feed(swings)
    assert reported(out) == [s.peak_s for s in swings]
    # The opening swing waits for the second to confirm the rhythm; every later one comes at once.
    assert out[0] == [] and all(out[k] == [swings[k].peak_s] for k in range(2, 10))


def test_swings_that_land_no_foot_do_not_open_a_walk() -> None:
    # Bending down to tug the band round the thigh, in a rhythm of its own.
    assert reported(feed([replace(s, shock_ms2=0.6) for s in walk(4)])) == []


def test_a_walk_whose_first_landings_went_unseen_is_counted_from_its_first_swing() -> None:
    swings = walk(6)
    swings[:2] = [replace(s, shock_ms2=0.6) for s in swings[:2]]
    # The third and fourth swings confirm the walk; the look-back takes the first two.
    assert reported(feed(swings)) == [s.peak_s for s in swings]


def test_the_pelvis_movement_between_swings_is_not_a_swing() -> None:
    swings = walk(10)
    # (Before the rhythm is confirmed a small burst restarts it: see the opening-swing tests.)
    pelvis = [swing(s.peak_s + 0.55 * PERIOD_S, 0.3 * SIZE) for s in swings[1:]]
    out = feed(sorted(swings + pelvis, key=lambda s: s.peak_s))
    assert reported(out) == [s.peak_s for s in swings]


def test_a_missed_swing_does_not_break_the_rhythm() -> None:
    swings = walk(10)
    del swings[5]  # lost to a packet gap
    out = feed(swings)
    assert reported(out) == [s.peak_s for s in swings]
    # The swing after the miss continues the bout: reported at once, not held for a new bout's confirmation.
    assert out[5] == [swings[5].peak_s]


def test_a_swing_cut_short_by_a_gap_is_taken_when_its_cycle_is_otherwise_empty() -> None:
    swings = walk(10)
    swings[5] = swing(swings[5].peak_s, 0.35 * SIZE)  # too small to count on its own
    out = feed(swings)
    assert reported(out) == [s.peak_s for s in swings]
    assert out[6] == [swings[5].peak_s, swings[6].peak_s]


def test_a_swing_whose_data_a_hole_lost_is_inferred_from_the_rhythm() -> None:
    swings = walk(10)
    lost = swings.pop(5)
    # Data bridged across a hole in the input covers three quarters of where the rhythm puts the swing.
    swings[5] = replace(swings[5], lost=((lost.start_s + 0.1, lost.end_s),))
    out = feed(swings)
    assert reported(out) == pytest.approx([s.peak_s for s in walk(10)])
    inferred = out[5][0]
    assert out[5] == pytest.approx([lost.peak_s, swings[5].peak_s]) and inferred == pytest.approx(lost.peak_s)


def test_two_swings_in_a_row_lost_to_holes_are_inferred() -> None:
    swings = walk(10)
    lost = swings[5:7]
    del swings[5:7]
    # One long hole, or two packets lost in a row, over both swings.
    swings[5] = replace(swings[5], lost=((lost[0].start_s, lost[1].end_s),))
    assert reported(feed(swings)) == pytest.approx([s.peak_s for s in walk(10)])
    # With data received over the second, nothing is inferred; the bout starts afresh at the next swing.
    swings[5] = replace(swings[5], lost=((lost[0].start_s, lost[0].end_s),))
    assert len(reported(feed(swings))) == 8


@pytest.mark.parametrize("hole", [None, (0.25, 0.4), (-0.5, -0.25)])
def test_no_swing_is_inferred_where_data_was_received(hole: tuple[float, float] | None) -> None:
    # No hole, a hole over less than half of the swing's span, or one before it: the person may have
    # paused for a cycle, so the miss is not counted (the bout goes on).
    swings = walk(10)
    lost = swings.pop(5)
    if hole is not None:
        swings[5] = replace(swings[5], lost=((lost.start_s + hole[0], lost.start_s + hole[1]),))
    assert reported(feed(swings)) == [s.peak_s for s in swings]


def test_a_quick_extra_movement_inside_a_walk_is_ignored() -> None:
    swings = walk(10)
    extra = swing(swings[6].peak_s + 0.45 * PERIOD_S, 0.9 * SIZE)
    out = feed(sorted(swings + [extra], key=lambda s: s.peak_s))
    assert reported(out) == [s.peak_s for s in swings]


@pytest.mark.parametrize("opening_sizes, rest_size, rest_excursion_deg",
                         [((2.5, 1.6), 0.7, 10.0), ((4.0, 3.0), 0.8, 10.0), ((4.0, 3.0), 0.8, 5.0)])
def test_large_opening_swings_do_not_make_the_rest_of_the_walk_small(
    opening_sizes: tuple[float, float], rest_size: float, rest_excursion_deg: float
) -> None:
    # The second case is a fifth of the opening swings' size (sinking into the squat inflates them);
    # in the third the later steps are also too slight to open a walk from standstill.
    opening = [swing(2.0, opening_sizes[0] * SIZE), swing(2.0 + PERIOD_S, opening_sizes[1] * SIZE)]
    rest = [swing(2.0 + k * PERIOD_S, rest_size * SIZE, rest_excursion_deg) for k in range(2, 12)]
    out = feed(opening + rest)
    assert reported(out) == [s.peak_s for s in opening + rest]


def test_fidgeting_after_a_walk_does_not_take_over() -> None:
    swings = walk(8)
    fidget = [swing(swings[-1].peak_s + 2.0 + k * 1.0, 0.15 * SIZE) for k in range(6)]
    out = feed(swings + fidget)
    assert reported(out) == [s.peak_s for s in swings]


@pytest.mark.parametrize("landing_ms2, counted", [(LANDING, True), (0.6, False)])
def test_smaller_steps_taking_over_a_walk_must_land_a_foot(landing_ms2: float, counted: bool) -> None:
    # After a set, rising from the squat and bending to the band move the thigh less than the
    # set's steps, at a rhythm of their own, but land no foot.
    swings = walk(8)
    after = [swing(swings[-1].peak_s + k * PERIOD_S, 0.4 * SIZE, shock_ms2=landing_ms2) for k in range(1, 5)]
    out = feed(swings + after)
    assert reported(out) == [s.peak_s for s in swings + (after if counted else [])]


def test_lying_down_ends_the_bout_and_the_look_back_never_crosses_it() -> None:
    before = walk(4)
    lie_down = swing(before[-1].peak_s + PERIOD_S, SIZE, excursion_deg=60.0)
    after = walk(4, start_s=lie_down.peak_s + PERIOD_S)
    out = feed(before + [lie_down] + after)
    assert reported(out) == [s.peak_s for s in before + after]
    assert np.all(np.diff(reported(out)) > 0)


@pytest.mark.parametrize("settled_s, counted", [(0.1, False), (0.7, True)])
def test_swings_while_the_thigh_settles_after_lying_down_do_not_open_a_walk(settled_s: float,
                                                                           counted: bool) -> None:
    # Lying down moves the thigh in stages: two swings between them at a step's rhythm were a walk.
    lie_down = swing(2.0, excursion_deg=40.0)
    stages = walk(2, start_s=lie_down.end_s + settled_s + 0.2, period_s=0.65)
    out = feed([lie_down] + stages + [swing(stages[-1].peak_s + 1.2, excursion_deg=45.0)])
    assert reported(out) == ([s.peak_s for s in stages] if counted else [])


def test_slight_regular_swings_do_not_open_a_walk_but_may_continue_one() -> None:
    shuffle = [swing(2.0 + k * PERIOD_S, excursion_deg=4.0) for k in range(6)]
    assert reported(feed(shuffle)) == []
    walk_on = walk(4) + [swing(2.0 + k * PERIOD_S, excursion_deg=4.0) for k in range(4, 8)]
    assert reported(feed(walk_on)) == [s.peak_s for s in walk_on]


def test_a_swing_too_slight_to_open_a_walk_counts_when_it_splits_the_first_period() -> None:
    # The second step falls just short of the opening excursion: the first and third would
    # otherwise set a rhythm of two cycles, which the fourth breaks.
    swings = walk(8)
    swings[1] = swing(swings[1].peak_s, 0.9 * SIZE, excursion_deg=5.5)
    assert reported(feed(swings)) == [s.peak_s for s in swings]
    # A slow walker's first period with nothing in it stays one cycle.
    slow = walk(6, period_s=2.4)
    assert reported(feed(slow)) == [s.peak_s for s in slow]


def test_rising_from_the_squat_after_the_last_cycle_is_not_a_step() -> None:
    swings = walk(8)
    rise = swing(swings[-1].peak_s + PERIOD_S, excursion_deg=20.0)
    after_rest = walk(3, start_s=rise.peak_s + 30.0)
    out = feed(swings + [rise] + after_rest)
    assert reported(out) == [s.peak_s for s in swings + after_rest]


def test_the_pelvis_alone_after_the_last_leading_step_is_not_a_step() -> None:
    swings = walk(8)
    lone = swing(swings[-1].peak_s + PERIOD_S, 0.5 * SIZE, area=0.2 * LOOP)
    after_rest = walk(3, start_s=lone.peak_s + 30.0)
    assert reported(feed(swings + [lone] + after_rest)) == [s.peak_s for s in swings + after_rest]


@pytest.mark.parametrize("size, area", [(0.5 * SIZE, LOOP), (SIZE, 0.2 * LOOP)])
def test_a_last_step_weak_on_one_count_only_is_a_step(size: float, area: float) -> None:
    swings = walk(8)
    last = swing(swings[-1].peak_s + PERIOD_S, size, area=area)
    assert reported(feed(swings + [last])) == [s.peak_s for s in swings + [last]]


def test_a_weak_swing_inside_a_walk_counts_once_the_walk_goes_on() -> None:
    swings = walk(8)
    swings[5] = swing(swings[5].peak_s, 0.5 * SIZE, area=0.2 * LOOP)
    out = feed(swings)
    assert reported(out) == [s.peak_s for s in swings]
    assert out[5] == [] and out[6] == [swings[5].peak_s, swings[6].peak_s]


def test_the_tail_of_the_last_cycle_early_and_weak_is_not_a_step() -> None:
    # After the last cycle led by the banded leg, the trailing leg and the pelvis move on within it:
    # a burst of a full loop but weak and sooner than the next cycle would be.
    swings = walk(8)
    tail = swing(swings[-1].peak_s + 0.7 * PERIOD_S, 0.5 * SIZE)
    after_rest = walk(3, start_s=tail.peak_s + 30.0)
    assert reported(feed(swings + [tail] + after_rest)) == [s.peak_s for s in swings + after_rest]


def test_an_early_weak_swing_inside_a_walk_counts_once_the_walk_goes_on() -> None:
    swings = walk(8)
    swings[5] = swing(swings[4].peak_s + 0.7 * PERIOD_S, 0.5 * SIZE)
    out = feed(swings)
    assert reported(out) == [s.peak_s for s in swings]
    assert out[5] == [] and out[6] == [swings[5].peak_s, swings[6].peak_s]


def test_the_tail_of_the_last_cycle_turning_the_thigh_slowly_is_not_a_step() -> None:
    # Seen with a gyroscope: a full burst in rhythm, but the pelvis turns the thigh at half the steps' rate.
    swings = [swing(2.0 + k * PERIOD_S, rate_dps=30.0) for k in range(8)]
    tail = swing(swings[-1].peak_s + PERIOD_S, rate_dps=15.0)
    after_rest = [swing(tail.peak_s + 30.0 + k * PERIOD_S, rate_dps=30.0) for k in range(3)]
    assert reported(feed(swings + [tail] + after_rest)) == [s.peak_s for s in swings + after_rest]
    # Inside the walk the same swing counts once the walk goes on.
    slow_inside = swings[:5] + [swing(swings[5].peak_s, rate_dps=15.0)] + swings[6:]
    out = feed(slow_inside)
    assert reported(out) == [s.peak_s for s in slow_inside]
    assert out[5] == [] and out[6] == [slow_inside[5].peak_s, slow_inside[6].peak_s]


def test_a_wide_step_inside_a_walk_counts_once_the_walk_goes_on() -> None:
    swings = walk(8)
    swings[5] = swing(swings[5].peak_s, excursion_deg=20.0)
    out = feed(swings)
    assert reported(out) == [s.peak_s for s in swings]
    assert out[5] == [] and out[6] == [swings[5].peak_s, swings[6].peak_s]
    # Movement going straight on out of rhythm (a turn) also vouches for it.
    turn = swings[:6] + walk(3, start_s=swings[5].peak_s + 0.4 * PERIOD_S)
    assert reported(feed(turn))[:6] == [s.peak_s for s in swings[:6]]


def test_the_look_back_does_not_take_slight_movements_before_a_walk() -> None:
    shuffle = [swing(2.0 + k * PERIOD_S, excursion_deg=4.0) for k in range(2)]
    steps = walk(6, start_s=2.0 + 2 * PERIOD_S)
    assert reported(feed(shuffle + steps)) == [s.peak_s for s in steps]


def test_a_burst_within_the_refractory_gap_of_a_settled_walk_is_the_same_movement() -> None:
    # Once three periods settle the rhythm, swings are final before the refractory gap (0.6 of the
    # period: 0.6 s at 1 s cycles) has passed. A burst as large 0.595 s later lies within the gap,
    # yet inside the rhythm's range (a period of 1/1.7 of the median or more).
    swings = walk(6, period_s=1.0)
    late = swing(swings[-1].peak_s + 0.595, SIZE)
    out = feed([*swings, late, *walk(3, start_s=swings[-1].peak_s + 1.0, period_s=1.0)])
    assert late.peak_s not in reported(out)
    assert len(reported(out)) == 9


def test_turning_round_mid_walk_is_not_a_step() -> None:
    # Turning round to walk on turns the thigh by half a circle about the vertical (120-176 deg on
    # the independent simulator); side steps turn it by at most 12 deg. Here the turn comes when the
    # next step would, so only its turn tells it apart; the walk goes on a cycle later.
    before, after = walk(4), walk(3, start_s=2.0 + 5 * PERIOD_S)
    at = 2.0 + 4 * PERIOD_S
    turn = Swing(start_s=at - 0.2, end_s=at + 0.2, peak_s=at, peak_speed_dps=SIZE, area=-0.01, excursion_deg=10.0,
                 turn_deg=170.0)
    out = reported(feed([*before, turn, *after]))
    assert out == [s.peak_s for s in before + after]


def test_strides_of_ordinary_walking_are_not_a_band_walk() -> None:
    # With a gyroscope: forward strides turn the thigh at about 100 deg/s, banded side steps at 15-50.
    strides = [swing(2.0 + k * PERIOD_S, rate_dps=110.0) for k in range(10)]
    assert reported(feed(strides)) == []
    steps = [swing(2.0 + k * PERIOD_S, rate_dps=45.0) for k in range(10)]
    assert reported(feed(steps)) == [s.peak_s for s in steps]


def test_a_band_walk_after_ordinary_walking_counts_only_its_own_steps() -> None:
    # Walking to the mat and side-stepping on without a pause: the look-back takes no stride.
    strides = [swing(2.0 + k * PERIOD_S, rate_dps=110.0) for k in range(8)]
    steps = [swing(2.0 + k * PERIOD_S, rate_dps=35.0) for k in range(8, 20)]
    out = reported(feed(strides + steps))
    # The first side steps are judged with the strides before them (the median of the last five).
    assert set(out) <= {s.peak_s for s in steps} and len(out) >= len(steps) - 2
