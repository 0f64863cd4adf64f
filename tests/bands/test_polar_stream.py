"""PmdStream: band clock to session seconds, gaps, clock resets, acc + gyro merge."""

from __future__ import annotations

import numpy as np
import pytest

from sensor.bands.polar_pmd import (
    PMD_CP_UUID,
    PMD_DATA_UUID,
    OpCode,
    PmdStream,
    SettingType,
    Status,
    build_cp_response,
    build_measurement_stopped,
    encode_settings,
    sample_timestamps_ns,
)
from sensor.errors import DecodeError
from sensor.types import Event, SampleBlock
from sensor.units import G_STANDARD

from .band_model import ACC, GYRO, frames

RATE = 52.0
FACTOR = 2.44e-4
QUANT = 0.5 * FACTOR * G_STANDARD + 1e-9  # m/s², half a step of compressed TYPE_0


def _signal(n: int, rate: float = RATE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(n) / rate
    rng = np.random.default_rng(seed)
    acc = np.column_stack([3 * np.sin(2 * np.pi * 0.7 * t), 9.0 + np.cos(t), rng.normal(0, 0.5, n)])
    return t, acc


def _run(stream: PmdStream, notifications: list[tuple[bytes, float]]) -> tuple[SampleBlock, list[Event]]:
    items = []
    for payload, host in notifications:
        items += stream.feed(PMD_DATA_UUID, payload, host)
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    return SampleBlock.concat(blocks), [i for i in items if isinstance(i, Event)]


def test_sdk_timestamp_rules() -> None:
    first = sample_timestamps_ns(1_000_000_000, 3, 100.0)
    assert first.tolist() == [980_000_000, 990_000_000, 1_000_000_000]
    later = sample_timestamps_ns(1_030_000_000, 3, 100.0, previous_timestamp_ns=1_000_000_000)
    assert later.tolist() == [1_010_000_000, 1_020_000_000, 1_030_000_000]
    with pytest.raises(DecodeError, match="not after"):
        sample_timestamps_ns(5, 2, 100.0, previous_timestamp_ns=5)


def test_acc_only_stream_matches_truth() -> None:
    t, acc = _signal(63 * 8)
    stream = PmdStream({ACC: RATE}, factors={ACC: FACTOR}, t0_s=2.5)
    block, events = _run(stream, frames(ACC, 0x80, acc, t, 63, factor=FACTOR))
    assert events == [] and not block.has_gyro and len(block) == len(t)
    np.testing.assert_allclose(block.t, t + 2.5, atol=1e-6)
    assert np.max(np.abs(block.acc - acc)) <= QUANT


def test_start_answer_factor_is_applied() -> None:
    t, acc = _signal(130)
    stream = PmdStream({ACC: RATE})
    answer = build_cp_response(OpCode.REQUEST_MEASUREMENT_START, ACC, Status.SUCCESS, encode_settings({SettingType.FACTOR: (FACTOR,)}))
    assert stream.feed(PMD_CP_UUID, answer, 0.0) == []
    assert stream.factor(ACC) == pytest.approx(FACTOR)
    block, _ = _run(stream, frames(ACC, 0x80, acc, t, 65, factor=FACTOR))
    assert np.max(np.abs(block.acc - acc)) <= QUANT


def test_lost_frame_is_a_gap_event_and_times_stay_true() -> None:
    t, acc = _signal(63 * 6)
    notes = frames(ACC, 0x80, acc, t, 63, factor=FACTOR)
    del notes[3]
    stream = PmdStream({ACC: RATE}, factors={ACC: FACTOR})
    block, events = _run(stream, notes)
    kept = np.r_[0 : 63 * 3, 63 * 4 : 63 * 6]
    np.testing.assert_allclose(block.t, t[kept], atol=1e-6)
    assert len(events) == 1 and events[0].kind == "gap"
    gap = events[0]
    assert gap.t == pytest.approx(t[63 * 3 - 1], abs=1e-6)
    assert gap.data["stream"] == "acc" and gap.data["missing_samples"] == 63
    assert gap.data["duration_s"] == pytest.approx(64 / RATE, abs=1e-6)


def test_device_clock_drift_follows_frame_stamps() -> None:
    # a band clock running 0.2 % fast: spacing comes from the stamps, no gap reported
    t, acc = _signal(63 * 5)
    stream = PmdStream({ACC: RATE}, factors={ACC: FACTOR})
    block, events = _run(stream, frames(ACC, 0x80, acc, t * 1.002, 63, factor=FACTOR))
    assert events == []
    np.testing.assert_allclose(np.diff(block.t)[70:], 1.002 / RATE, rtol=1e-6)


def test_clock_reset_keeps_time_increasing() -> None:
    t, acc = _signal(63 * 6)
    early = frames(ACC, 0x80, acc[:189], t[:189], 63, factor=FACTOR)
    # the band restarts its clock (e.g. after a power cycle) 2 s after the last frame
    late = frames(ACC, 0x80, acc[189:], t[189:] - t[189], 63, factor=FACTOR, clock_ns=10**12)
    late = [(p, h + t[189] + 2.0) for p, h in late]
    stream = PmdStream({ACC: RATE}, factors={ACC: FACTOR})
    block, events = _run(stream, early + late)
    assert len(block) == len(t) and np.all(np.diff(block.t) > 0)
    kinds = [e.kind for e in events]
    assert kinds == ["clock_reset", "gap"]
    # the late part keeps its own spacing
    np.testing.assert_allclose(np.diff(block.t[189:]), 1 / RATE, atol=1e-6)
    # and is placed by the host clock: 2 s later than the continuation would be
    assert block.t[189] - block.t[188] == pytest.approx(2.0 + 1 / RATE, abs=0.01)


def test_duplicate_frame_is_ignored_and_malformed_frame_changes_nothing() -> None:
    t, acc = _signal(63 * 4)
    notes = frames(ACC, 0x80, acc, t, 63, factor=FACTOR)
    clean, _ = _run(PmdStream({ACC: RATE}, factors={ACC: FACTOR}), notes)
    stream = PmdStream({ACC: RATE}, factors={ACC: FACTOR})
    items = []
    for i, (payload, host) in enumerate(notes):
        items += stream.feed(PMD_DATA_UUID, payload, host)
        if i == 1:
            assert stream.feed(PMD_DATA_UUID, payload, host + 0.01) == []
            with pytest.raises(DecodeError):
                stream.feed(PMD_DATA_UUID, payload[:-3], host + 0.02)
    dirty = SampleBlock.concat([b for b in items if isinstance(b, SampleBlock)])
    np.testing.assert_array_equal(dirty.t, clean.t)
    np.testing.assert_array_equal(dirty.acc, clean.acc)


def test_other_measurements_and_characteristics_are_ignored() -> None:
    stream = PmdStream({ACC: RATE})
    ecg = bytes([0]) + bytes(8) + bytes([0]) + bytes(9)
    assert stream.feed(PMD_DATA_UUID, ecg, 0.0) == []
    assert stream.feed("00002a37-0000-1000-8000-00805f9b34fb", b"\x00\x50", 0.0) == []


def _gyro_truth(t: np.ndarray) -> np.ndarray:
    return np.column_stack([20.0 * t - 5.0, -3.0 * t, np.full_like(t, 1.5)])


def test_acc_and_gyro_are_merged_on_acc_times() -> None:
    t_acc, acc = _signal(63 * 10)
    t_acc = t_acc + 0.3  # gyro started first
    t_gyro = 0.3 - 0.5 / RATE + np.arange(20 + 63 * 10) / RATE  # half a step out of phase
    notes = frames(ACC, 0x80, acc, t_acc, 63, factor=FACTOR) + frames(GYRO, 0x81, _gyro_truth(t_gyro), t_gyro, 70)
    notes.sort(key=lambda n: n[1])
    stream = PmdStream({ACC: RATE, GYRO: RATE}, factors={ACC: FACTOR}, t0_s=0.0)
    block, events = _run(stream, notes)
    assert events == [] and block.has_gyro
    covered = t_acc <= t_gyro[-1]
    assert len(block) == int(covered.sum())
    np.testing.assert_allclose(block.t, t_acc[covered] - t_acc[0], atol=1e-6)
    np.testing.assert_allclose(block.gyro, _gyro_truth(t_acc[covered]), atol=1e-4)
    assert np.max(np.abs(block.acc - acc[covered])) <= QUANT


def test_acc_before_the_first_gyro_sample_is_not_emitted() -> None:
    t, acc = _signal(63 * 4)
    t_gyro = np.arange(1.0 + 0.25 / RATE, t[-1] + 0.5, 1 / RATE)
    notes = frames(ACC, 0x80, acc, t, 63, factor=FACTOR) + frames(GYRO, 0x81, _gyro_truth(t_gyro), t_gyro, 60)
    notes.sort(key=lambda n: n[1])
    block, _ = _run(PmdStream({ACC: RATE, GYRO: RATE}, factors={ACC: FACTOR}), notes)
    first = int(np.searchsorted(t, t_gyro[0]))
    assert block.t[0] == 0.0 and len(block) == len(t) - first
    np.testing.assert_allclose(block.gyro, _gyro_truth(t[first:]), atol=1e-4)


def test_stalled_gyro_bounds_the_buffer_and_reports_a_gap() -> None:
    t, acc = _signal(63 * 12)
    t_gyro = t[: 63 * 2]
    notes = frames(ACC, 0x80, acc, t, 63, factor=FACTOR) + frames(GYRO, 0x81, _gyro_truth(t_gyro), t_gyro, 63)
    notes.sort(key=lambda n: n[1])
    stream = PmdStream({ACC: RATE, GYRO: RATE}, factors={ACC: FACTOR}, max_gyro_wait_s=3.0)
    items = []
    for payload, host in notes:
        items += stream.feed(PMD_DATA_UUID, payload, host)
        assert stream._merger.pending_samples <= 3.0 * RATE + 63
    gaps = [i for i in items if isinstance(i, Event) and i.kind == "gap"]
    assert gaps and all(g.data["stream"] == "gyro" for g in gaps)
    emitted = sum(len(i) for i in items if isinstance(i, SampleBlock))
    assert emitted == 63 * 2


def test_gyro_gap_drops_the_acc_samples_inside_it() -> None:
    t, acc = _signal(63 * 6)
    gyro_notes = frames(GYRO, 0x81, _gyro_truth(t), t, 63)
    del gyro_notes[2]
    notes = sorted(frames(ACC, 0x80, acc, t, 63, factor=FACTOR) + gyro_notes, key=lambda n: n[1])
    block, events = _run(PmdStream({ACC: RATE, GYRO: RATE}, factors={ACC: FACTOR}), notes)
    assert [(e.kind, e.data["stream"]) for e in events] == [("gap", "gyro")]
    inside = (t > t[125]) & (t < t[189])
    np.testing.assert_allclose(block.t, t[~inside], atol=1e-6)
    np.testing.assert_allclose(block.gyro, _gyro_truth(t[~inside]), atol=1e-4)


def test_band_stopping_a_stream_is_a_note_and_resets_timestamps() -> None:
    t, acc = _signal(126)
    stream = PmdStream({ACC: RATE}, factors={ACC: FACTOR})
    _run(stream, frames(ACC, 0x80, acc, t, 63, factor=FACTOR))
    items = stream.feed(PMD_CP_UUID, build_measurement_stopped([ACC]), 3.0)
    assert [(i.kind, i.data["message"]) for i in items] == [("note", "band stopped streaming ACC")]
    assert items[0].t == pytest.approx(t[-1], abs=1e-6)
    assert stream._prev_ts == {}
