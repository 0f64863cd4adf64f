"""The streaming pipeline: counts against synthetic truth, chunk invariance, gaps, sets, replay."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensor.errors import UsageError
from sensor.pipeline import Pipeline, PipelineConfig, analyze_samples, config_for_recording
from sensor.recording import read_recording
from sensor.interrupts import interrupt_stops
from sensor.replay import replay
from sensor.session import SessionResult
from sensor.synth import SimulationConfig, simulate
from sensor.types import Event, SampleBlock

CLAMSHELL = PipelineConfig(exercise="clamshell")


def same_reps(a: SessionResult, b: SessionResult) -> bool:
    """Equal counts, sets and rep timing; ROM equal to 1e-3 deg (filter state rounding)."""
    if [len(s.reps) for s in a.sets] != [len(s.reps) for s in b.sets]:
        return False
    pairs = [(x, y) for sa, sb in zip(a.sets, b.sets) for x, y in zip(sa.reps, sb.reps)]
    return all(
        x.exercise == y.exercise
        and np.allclose([x.start_s, x.end_s], [y.start_s, y.end_s], atol=1e-9)
        and (x.rom_deg is None or abs(x.rom_deg - y.rom_deg) < 1e-3)
        for x, y in pairs
    )


@pytest.fixture(scope="module")
def clean_set():
    return simulate(SimulationConfig(exercise="clamshell", reps=8, seed=4, noise_scale=0.3, drop_rate=0.0))


def test_counts_a_clean_clamshell_set_exactly_with_tempo_near_truth(clean_set) -> None:
    result = analyze_samples(clean_set.samples, CLAMSHELL)
    truth = clean_set.truth
    assert result.count == truth.count == 8
    (only,) = result.sets
    true_rom = np.mean([r.rom_deg for r in truth.reps])
    assert abs(only.tempo["rom_deg_mean"] - true_rom) < 5.0
    true_mean = np.mean([r.end_s - r.start_s for r in truth.reps])
    assert abs(only.tempo["rep_s_mean"] - true_mean) < 0.5
    assert result.quality.warnings == ()
    assert abs(result.quality.rate_hz - 52.0) < 1.0


def test_rep_events_come_at_most_half_a_second_after_the_rep_ends(clean_set) -> None:
    pipeline = Pipeline(CLAMSHELL)
    events: list[Event] = []
    for block in clean_set.samples.split([5]):  # 0.1 s blocks: the counter's own delay dominates
        events += pipeline.push(block)
    events += pipeline.finish()
    assert len(events) == 8
    for event in events:
        assert event.kind == "rep"
        assert 0.0 <= event.t - event.data["end_s"] <= 0.5


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 700), min_size=1, max_size=6))
def test_reps_do_not_depend_on_block_sizes(clean_set, sizes: list[int]) -> None:
    whole = analyze_samples(clean_set.samples, CLAMSHELL, block_size=len(clean_set.samples))
    pipeline = Pipeline(CLAMSHELL)
    for block in clean_set.samples.split(sizes):
        pipeline.push(block)
    pipeline.finish()
    assert same_reps(pipeline.result(), whole)


def test_a_long_gap_invents_nothing_and_ends_the_set(clean_set) -> None:
    samples = clean_set.samples
    truth = clean_set.truth.reps
    # Cut out 12 s of stillness between reps 4 and 5 and shift the rest later: one 12 s gap.
    cut = (truth[3].end_s + truth[4].start_s) / 2
    before, after = samples.between(samples.start_s, cut), samples.between(cut, samples.end_s + 1)
    shifted = SampleBlock(after.t + 12.0, after.acc, after.gyro)
    result = analyze_samples(SampleBlock.concat([before, shifted]), CLAMSHELL)
    assert [s.count for s in result.sets] == [4, 4]
    assert result.quality.gaps == 1
    assert abs(result.quality.missing_s - 12.0) < 0.1


def test_still_lying_counts_nothing_and_says_so() -> None:
    still = simulate(SimulationConfig(exercise="lying", duration_s=40.0, seed=1))
    result = analyze_samples(still.samples, CLAMSHELL)
    assert result.count == 0 and result.sets == ()
    assert "no reps found" in result.quality.warnings
    assert result.to_json_dict()["exercise"] == "clamshell"


@pytest.mark.parametrize("has_gyro", [True, False])
def test_a_recording_without_samples_still_says_whether_it_has_a_gyroscope(has_gyro: bool) -> None:
    gyro = np.empty((0, 3)) if has_gyro else None
    result = analyze_samples(SampleBlock(t=np.empty(0), acc=np.empty((0, 3)), gyro=gyro), PipelineConfig())
    assert result.quality.has_gyro is has_gyro
    assert result.count == 0 and "no samples" in result.quality.warnings


def test_the_samples_decide_whether_there_is_a_gyroscope_not_an_empty_block_before_them(clean_set) -> None:
    pipeline = Pipeline(CLAMSHELL)
    pipeline.push(SampleBlock.empty(has_gyro=False))
    pipeline.push(clean_set.samples)
    pipeline.finish()
    assert clean_set.samples.has_gyro and pipeline.result().quality.has_gyro


def test_link_events_reach_the_quality_block(clean_set) -> None:
    events = [Event(5.0, "disconnected", {}), Event(6.0, "reconnected", {}), Event(7.0, "decode_error", {"count": 2})]
    result = analyze_samples(clean_set.samples, CLAMSHELL, events=events)
    assert "the band disconnected 1 time(s)" in result.quality.warnings
    assert "2 corrupt packet(s) skipped" in result.quality.warnings


@pytest.mark.parametrize(
    "kwargs",
    [{"exercise": "squat"}, {"leg": "middle"}, {"set_gap_s": 0.0}, {"min_rom_deg": 90.0}, {"grid_rate_hz": 1.0}],
)
def test_bad_settings_are_usage_errors(kwargs: dict) -> None:
    with pytest.raises(UsageError):
        PipelineConfig(**kwargs)


def test_replay_reports_what_analyze_reports(tmp_path, clean_set) -> None:
    path, _ = clean_set.write(tmp_path / "set.csv")
    recording = read_recording(path)
    batch = analyze_samples(recording.samples, CLAMSHELL, recording.events)
    now = [0.0]
    statuses = []

    def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    paced = replay(recording, CLAMSHELL, speed=50.0, on_update=statuses.append,
                   sleep=fake_sleep, clock=lambda: now[0])
    assert same_reps(paced, batch) and paced.quality == batch.quality
    assert same_reps(replay(recording, CLAMSHELL, speed=0), batch)
    # Paced at 50x: the wall clock advanced by the recording's length / 50.
    assert abs(now[0] - (recording.samples.end_s - recording.samples.start_s) / 50.0) < 0.3
    counts = [s.count for s in statuses]
    assert counts == sorted(counts) and counts[-1] == batch.count
    assert statuses[-1].received_rate_hz == pytest.approx(52.0, rel=0.1)


def test_a_stopped_replay_counts_what_it_played_and_says_so(tmp_path, clean_set) -> None:
    path, _ = clean_set.write(tmp_path / "set.csv")
    recording = read_recording(path)
    now = [0.0]
    statuses = []

    def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    # Stopped at 60 % of the recording, played at real time.
    stop_at = 0.6 * (recording.samples.end_s - recording.samples.start_s)
    stopped = replay(recording, CLAMSHELL, speed=1.0, on_update=statuses.append, sleep=fake_sleep,
                     clock=lambda: now[0], stop=lambda: now[0] >= stop_at)
    played_to = statuses[-1].last_sample_s
    assert abs(played_to - recording.samples.start_s - stop_at) < 0.5
    kept = recording.samples.t <= played_to
    prefix = SampleBlock(recording.samples.t[kept], recording.samples.acc[kept], recording.samples.gyro[kept])
    assert same_reps(stopped, analyze_samples(prefix, CLAMSHELL))
    assert 0 < stopped.count < clean_set.truth.count
    played = played_to - recording.samples.start_s
    assert stopped.quality.warnings[-1].startswith(f"replay stopped after {played:.1f} s of ")


def test_a_replay_stopped_before_it_starts_counts_nothing_and_says_so(tmp_path, clean_set) -> None:
    path, _ = clean_set.write(tmp_path / "set.csv")
    stopped = replay(read_recording(path), CLAMSHELL, speed=0, stop=lambda: True)
    assert stopped.count == 0
    assert stopped.quality.warnings[-1].startswith("replay stopped after 0.0 s of ")


def test_the_first_interrupt_asks_a_replay_to_stop_and_the_second_interrupts() -> None:
    with interrupt_stops() as stopped:
        assert not stopped()
        os.kill(os.getpid(), signal.SIGINT)
        assert stopped()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_replay_rejects_a_silly_speed(clean_set, tmp_path) -> None:
    path, _ = clean_set.write(tmp_path / "set.csv")
    with pytest.raises(UsageError):
        replay(read_recording(path), CLAMSHELL, speed=-1.0)


@pytest.mark.parametrize("block_size", [25, 4096, 100_000])
def test_every_set_of_a_long_session_is_kept_whatever_the_block_size(block_size: int) -> None:
    # Blocks far longer than the set gap: sets must still be frozen whole, never in part.
    session = simulate(SimulationConfig(exercise="clamshell", reps=6, sets=3, seed=5, noise_scale=0.3, rest_s=40.0))
    result = analyze_samples(session.samples, CLAMSHELL, block_size=block_size)
    assert [s.count for s in result.sets] == [s.count for s in session.truth.sets]


@pytest.fixture(scope="module")
def mixed_session():
    from sensor.synth import simulate_session

    order = ["lateral-walk", "clamshell", "monster-walk"]
    return simulate_session([SimulationConfig(exercise=e, reps=8, noise_scale=0.5) for e in order], seed=7)


def test_auto_mode_does_not_depend_on_block_sizes(mixed_session) -> None:
    auto = PipelineConfig(exercise="auto")
    whole = analyze_samples(mixed_session.samples, auto, block_size=100_000)
    small = Pipeline(auto)
    for block in mixed_session.samples.split([7, 1, 30, 3]):
        small.push(block)
    small.finish()
    assert whole.count > 0
    assert same_reps(small.result(), whole)
    assert [s.exercise for s in small.result().sets] == [s.exercise for s in whole.sets]


def _auto_sets(config: SimulationConfig) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(exercise, count) of each true set and of each set counted under auto."""
    rec = simulate(config)
    result = analyze_samples(rec.samples, PipelineConfig(exercise="auto", leg=config.leg))
    return [(s.exercise, s.count) for s in rec.truth.sets], [(s.exercise, s.count) for s in result.sets]


def _monster_set_with_lateral_looking_reps(seed: int) -> SimulationConfig:
    """A generated monster-walk set most of whose reps, judged one by one, look like side steps."""
    rng = np.random.default_rng(seed)
    return SimulationConfig(exercise="monster-walk", reps=10, seed=seed, rate_hz=25.0, has_gyro=False,
                            mount_rotation_deg=float(rng.uniform(0, 360)), mount_tilt_deg=float(rng.uniform(0, 15)),
                            noise_scale=float(rng.choice([0.5, 1.0, 1.5])), fidget=True, lead_in=True)


@pytest.mark.parametrize("seed", [744, 780])
def test_a_monster_walk_whose_reps_look_lateral_one_by_one_is_told_by_the_whole_set(seed: int) -> None:
    # Rep by rep these sets were counted as a lateral walk of 12 and of 9; judged over the set,
    # past its opening, the walk is clear.
    truth, counted = _auto_sets(_monster_set_with_lateral_looking_reps(seed))
    assert counted == truth == [("monster-walk", 10)]


@pytest.mark.parametrize("seed", [7101, 7107])
def test_walking_forward_without_a_gyroscope_is_no_set_judged_as_a_whole(seed: int) -> None:
    # Stride by stride these walks look like side steps (each was counted as a lateral walk of
    # dozens of steps); over the whole walk no squat is held and the body travels straight ahead.
    rng = np.random.default_rng(seed)
    config = SimulationConfig(exercise="walk-forward", seed=seed, rate_hz=52.0, leg="left", has_gyro=False,
                              noise_scale=float(rng.choice([0.5, 1.0, 1.5])), lead_in=bool(rng.random() < 0.5),
                              fidget=bool(rng.random() < 0.7), mount_rotation_deg=float(rng.uniform(0, 360)),
                              mount_tilt_deg=float(rng.uniform(0, 15)))
    truth, counted = _auto_sets(config)
    assert truth == [] and counted == []


def test_the_live_status_shows_a_rep_of_the_sets_exercise() -> None:
    samples = simulate(_monster_set_with_lateral_looking_reps(744)).samples
    pipeline = Pipeline(PipelineConfig(exercise="auto"))
    shown = 0
    for block in samples.split([10, 25, 40, 17]):
        pipeline.push(block)
        status = pipeline.status()
        if status.last_rep is not None:
            shown += 1
            assert status.last_rep.exercise == status.exercise
            assert status.count > 0
    pipeline.finish()
    assert shown > 0 and pipeline.status().exercise == "monster-walk"


def test_a_set_keeps_its_walk_when_the_other_walks_counter_found_no_set_there() -> None:
    # The first set's reps lean lateral (confidence 0.34) and the whole set looks like a monster
    # walk, but the monster-walk counter found no stride in it: its side steps are the count.
    config = SimulationConfig(exercise="lateral-walk", reps=16, sets=2, rate_hz=52.0, seed=1145, leg="right",
                              has_gyro=True, mount_rotation_deg=145.6, mount_tilt_deg=0.6, noise_scale=1.25,
                              lead_in=True, fidget=False, drop_rate=0.0)
    truth, counted = _auto_sets(config)
    assert counted[0] == truth[0] == ("lateral-walk", 16)


def test_data_in_g_instead_of_ms2_is_flagged(clean_set) -> None:
    samples = clean_set.samples
    in_g = SampleBlock(samples.t, samples.acc / 9.80665, samples.gyro)
    result = analyze_samples(in_g, CLAMSHELL)
    assert any("not g" in w for w in result.quality.warnings)
    assert not any("not g" in w for w in analyze_samples(samples, CLAMSHELL).quality.warnings)


@pytest.mark.parametrize("rate_hz", [26.0, 52.0, 104.0, 200.0])
def test_the_reported_rate_is_the_bands_own(rate_hz: float) -> None:
    # Polar rates are not whole milliseconds apart (52 Hz: 19.23 ms).
    t = np.arange(0.0, 30.0, 1.0 / rate_hz)
    still = SampleBlock(t, np.tile([0.0, 0.0, 9.81], (len(t), 1)), None)
    assert analyze_samples(still, CLAMSHELL).quality.rate_hz == pytest.approx(rate_hz, rel=0.002)


def test_gaps_are_reported_as_a_warning(clean_set) -> None:
    samples = clean_set.samples
    kept = (samples.t < 5.0) | (samples.t > 7.0)
    result = analyze_samples(SampleBlock(samples.t[kept], samples.acc[kept], samples.gyro[kept]), CLAMSHELL)
    assert result.quality.gaps == 1
    assert any(w.startswith("1 gap(s) in the data (2.0 s missing)") for w in result.quality.warnings)


def test_a_lost_packet_mid_rep_does_not_lose_the_rep(clean_set) -> None:
    samples = clean_set.samples
    rep = clean_set.truth.reps[3]
    # About two lost BLE packets (1.2 s) around the top of a rep.
    kept = (samples.t < rep.peak_s - 0.6) | (samples.t > rep.peak_s + 0.6)
    holed = SampleBlock(samples.t[kept], samples.acc[kept], samples.gyro[kept])
    result = analyze_samples(holed, CLAMSHELL)
    assert result.count == clean_set.truth.count
    assert result.quality.gaps == 1 and abs(result.quality.missing_s - 1.2) < 0.05
    assert any(w.startswith("1 short gap(s) in the data (1.2 s missing), bridged") for w in result.quality.warnings)


@pytest.mark.parametrize("activity", ["walk-forward", "fidget"])
def test_auto_counts_no_set_in_ordinary_walking_or_fidgeting(activity: str) -> None:
    for seed in (1, 2):
        samples = simulate(SimulationConfig(exercise=activity, duration_s=60.0, seed=seed)).samples
        result = analyze_samples(samples, PipelineConfig(exercise="auto"))
        assert result.count == 0, (activity, seed, [(s.exercise, s.count) for s in result.sets])


@pytest.mark.parametrize("exercise", ["lateral-walk", "monster-walk"])
def test_a_given_walk_counts_nothing_while_standing_still_or_fidgeting(exercise: str) -> None:
    counted: dict[str, list[int]] = {"still": [], "fidget": []}
    for activity, seeds in counted.items():
        for seed in range(6):
            samples = simulate(SimulationConfig(exercise=activity, duration_s=60.0, seed=seed,
                                                has_gyro=seed % 2 == 0)).samples
            seeds.append(analyze_samples(samples, PipelineConfig(exercise=exercise)).count)
    assert counted["still"] == [0] * 6
    # Measured over seeds 0-11: one lateral-walk recording (seed 5) counts 4 steps, two band adjustments
    # 8 s apart that each swing the thigh twice in a rhythm; a bout of fewer than 3 is never a set.
    assert sum(n > 0 for n in counted["fidget"]) <= 1, counted


def test_a_counters_placement_hint_reaches_the_quality_block_only_with_its_exercise_given() -> None:
    samples = simulate(SimulationConfig(exercise="lying", seed=2, duration_s=60.0, fidget=False)).samples
    given = analyze_samples(samples, CLAMSHELL).quality.warnings
    assert "no reps found" in given and any("bottom thigh" in w for w in given)
    for exercise in ("auto", "lateral-walk"):
        warnings = analyze_samples(samples, PipelineConfig(exercise=exercise)).quality.warnings
        assert not any("bottom thigh" in w for w in warnings), exercise


def test_a_recording_is_analysed_with_the_settings_it_was_made_with_unless_told_otherwise() -> None:
    made = {"exercise": "clamshell", "leg": "left", "min_rom_deg": 6.0}
    config = config_for_recording(made)
    assert (config.exercise, config.leg, config.min_rom_deg) == ("clamshell", "left", 6.0)
    told = config_for_recording(made, exercise="auto", leg="right", min_rom_deg=12.0)
    assert (told.exercise, told.leg, told.min_rom_deg) == ("auto", "right", 12.0)
    # A plain CSV (no metadata) or a value of the wrong type falls back to the defaults.
    for metadata in ({}, {"min_rom_deg": "six"}, {"min_rom_deg": True}):
        assert config_for_recording(metadata) == PipelineConfig()
