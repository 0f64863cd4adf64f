"""Recording format v1: writer behaviour and write/read round trips."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor.errors import RecordingFormatError, SampleBlockError
from sensor.recording import FORMAT_LINE, RecordingWriter, read_recording
from sensor.types import Event, SampleBlock

from .blocks import random_block

META = {"band": "polar-verity-sense", "address": "A0:9E:1A:00:00:01", "rate_hz": 52, "leg": "right",
        "note": "Übung – ünïcode ok"}


def _write(path: Path, blocks: list[SampleBlock], events: dict[int, Event], has_gyro: bool) -> None:
    """Write blocks, inserting ``events[i]`` before block ``i``."""
    with RecordingWriter(path, META, has_gyro=has_gyro) as writer:
        for i, block in enumerate(blocks):
            if i in events:
                writer.write_event(events[i])
            writer.write_block(block)


@pytest.mark.parametrize("has_gyro", [True, False])
def test_round_trip_exact_to_stored_precision(tmp_path: Path, has_gyro: bool) -> None:
    rng = np.random.default_rng(1)
    blocks, t0 = [], 0.0
    for size in rng.integers(1, 60, size=40):
        blocks.append(random_block(rng, int(size), t0, has_gyro))
        t0 = blocks[-1].end_s
    events = {
        0: Event(0.0, "note", {"text": "start"}),
        7: Event(12.5, "disconnected"),
        8: Event(13.25, "reconnected", {"attempts": 2}),
        39: Event(40.123456, "battery", {"percent": 87}),
    }
    path = tmp_path / "session.csv"
    _write(path, blocks, events, has_gyro)

    rec = read_recording(path)
    whole = SampleBlock.concat(blocks)
    assert rec.path == path
    assert rec.metadata == META
    assert rec.events == list(events.values())
    assert not rec.truncated_tail
    assert len(rec.samples) == len(whole)
    np.testing.assert_array_equal(rec.samples.t, np.round(whole.t, 6))
    np.testing.assert_array_equal(rec.samples.acc, np.round(whole.acc, 4))
    if has_gyro:
        np.testing.assert_array_equal(rec.samples.gyro, np.round(whole.gyro, 3))
    else:
        assert rec.samples.gyro is None


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 60), min_size=1, max_size=6))
def test_file_does_not_depend_on_block_sizes(sizes: list[int]) -> None:
    block = random_block(np.random.default_rng(4), 120, 0.0, has_gyro=True)
    with tempfile.TemporaryDirectory() as tmp:
        whole, chunked = Path(tmp) / "whole.csv", Path(tmp) / "chunked.csv"
        with RecordingWriter(whole, META, has_gyro=True) as writer:
            writer.write_block(block)
        with RecordingWriter(chunked, META, has_gyro=True) as writer:
            for piece in block.split(sizes):
                writer.write_block(piece)
            assert writer.samples_written == len(block)
        assert chunked.read_bytes() == whole.read_bytes()


def test_file_layout_matches_the_format(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    with RecordingWriter(path, {"leg": "left"}, has_gyro=True) as writer:
        writer.write_block(SampleBlock([0.0, 0.0192], [[0.12344, 9.80126, -0.23], [1, 2, 3]],
                                       [[0.5204, -1.1, 0.03], [4, 5, 6]]))
        writer.write_event(Event(41.2, "disconnected"))
    assert path.read_text(encoding="utf-8").splitlines() == [
        FORMAT_LINE,
        '# {"leg": "left"}',
        "t,ax,ay,az,gx,gy,gz",
        "0.000000,0.1234,9.8013,-0.2300,0.520,-1.100,0.030",
        "0.019200,1.0000,2.0000,3.0000,4.000,5.000,6.000",
        '# event {"t": 41.2, "kind": "disconnected"}',
    ]


def test_output_is_readable_by_numpy_loadtxt(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    block = random_block(rng, 50, 0.0, has_gyro=True)
    path = tmp_path / "a.csv"
    with RecordingWriter(path, META, has_gyro=True) as writer:
        writer.write_block(block[:20])
        writer.write_event(Event(1.0, "gap"))
        writer.write_block(block[20:])
    table = np.loadtxt(path, delimiter=",", comments="#", skiprows=3)
    np.testing.assert_array_equal(table[:, 0], np.round(block.t, 6))
    np.testing.assert_array_equal(table[:, 6], np.round(block.gyro[:, 2], 3))


def test_header_only_recording_has_no_samples(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    RecordingWriter(path, {}, has_gyro=False).close()
    rec = read_recording(path)
    assert len(rec.samples) == 0 and not rec.samples.has_gyro
    assert rec.metadata == {} and rec.events == [] and not rec.truncated_tail
    assert np.isnan(rec.rate_hz) and rec.duration_s == 0.0


def test_rate_and_duration(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    t = np.arange(501) * 0.02
    t[200:] += 3.0  # a 3 s gap must not move the median rate
    with RecordingWriter(path, {}, has_gyro=False) as writer:
        writer.write_block(SampleBlock(t, np.zeros((501, 3))))
    rec = read_recording(path)
    assert rec.rate_hz == pytest.approx(50.0)
    assert rec.duration_s == pytest.approx(13.0)


def test_plain_csv_with_spaces_crlf_and_no_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b" t , ax,ay ,az \r\n0.00, 0.5 ,9.81,0.1\r\n0.04,0.6,9.80,-0.2\r\n0.08,0.7,9.79,-0.3")
    rec = read_recording(path)
    assert rec.metadata == {} and not rec.truncated_tail and rec.samples.gyro is None
    np.testing.assert_array_equal(rec.samples.t, [0.0, 0.04, 0.08])
    np.testing.assert_array_equal(rec.samples.acc[:, 2], [0.1, -0.2, -0.3])


def test_plain_csv_header_only_and_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbft,ax,ay,az,gx,gy,gz\n")
    rec = read_recording(path)
    assert len(rec.samples) == 0 and rec.samples.has_gyro


def test_comments_and_blank_lines_among_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        f"{FORMAT_LINE}\n# {{}}\nt,ax,ay,az\n# a note\n0.0,1,2,3\n\n"
        '# event {"t": 0.5, "kind": "gap", "missing_s": 0.4}\n0.9,4,5,6\n# trailing note\n'
    )
    rec = read_recording(path)
    np.testing.assert_array_equal(rec.samples.acc, [[1, 2, 3], [4, 5, 6]])
    assert rec.events == [Event(0.5, "gap", {"missing_s": 0.4})]


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("keep me")
    with pytest.raises(RecordingFormatError, match="already exists"):
        RecordingWriter(path, {}, has_gyro=False)
    assert path.read_text() == "keep me"
    RecordingWriter(path, {"x": 1}, has_gyro=False, overwrite=True).close()
    assert read_recording(path).metadata == {"x": 1}


def test_creates_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "a.csv"
    RecordingWriter(path, {}, has_gyro=True).close()
    assert read_recording(path).samples.has_gyro


def test_metadata_must_be_a_json_object(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError, match="JSON-serialisable"):
        RecordingWriter(tmp_path / "a.csv", {"when": object()}, has_gyro=False)
    with pytest.raises(RecordingFormatError, match="must be a dict"):
        RecordingWriter(tmp_path / "b.csv", ["band"], has_gyro=False)  # type: ignore[arg-type]
    assert not (tmp_path / "a.csv").exists() and not (tmp_path / "b.csv").exists()


def test_close_twice_and_writes_after_close(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    writer = RecordingWriter(path, {}, has_gyro=False)
    writer.write_block(SampleBlock([0.0], [[1.0, 2.0, 3.0]]))
    writer.close()
    writer.close()
    with pytest.raises(RecordingFormatError, match="closed"):
        writer.write_block(SampleBlock([1.0], [[1.0, 2.0, 3.0]]))
    with pytest.raises(RecordingFormatError, match="closed"):
        writer.write_event(Event(1.0, "note"))
    with pytest.raises(RecordingFormatError, match="closed"):
        writer.flush()
    assert len(read_recording(path).samples) == 1
    assert writer.samples_written == 1


def test_gyro_presence_must_match(tmp_path: Path) -> None:
    with RecordingWriter(tmp_path / "a.csv", {}, has_gyro=True) as writer:
        with pytest.raises(SampleBlockError, match="lacks gyro"):
            writer.write_block(SampleBlock([0.0], [[0.0, 0.0, 9.8]]))
    with RecordingWriter(tmp_path / "b.csv", {}, has_gyro=False) as writer:
        with pytest.raises(SampleBlockError, match="has gyro"):
            writer.write_block(SampleBlock([0.0], [[0.0, 0.0, 9.8]], [[1.0, 2.0, 3.0]]))


@pytest.mark.parametrize("next_t", [[0.02, 0.03], [0.01, 0.03], [0.0100004, 0.03]])
def test_time_must_increase_across_blocks(tmp_path: Path, next_t: list[float]) -> None:
    path = tmp_path / "a.csv"
    with RecordingWriter(path, {}, has_gyro=False) as writer:
        writer.write_block(SampleBlock([0.0, 0.01, 0.02], np.zeros((3, 3))))
        with pytest.raises(SampleBlockError, match="does not increase"):
            writer.write_block(SampleBlock(next_t, np.zeros((2, 3))))
        assert writer.samples_written == 3
    assert len(read_recording(path).samples) == 3


def test_flushes_to_the_os_on_the_interval_without_close(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    fast, slow = tmp_path / "fast.csv", tmp_path / "slow.csv"
    fast_writer = RecordingWriter(fast, {}, has_gyro=True, flush_interval_s=0.02)
    slow_writer = RecordingWriter(slow, {}, has_gyro=True, flush_interval_s=3600.0, fsync_interval_s=3600.0)
    preamble = os.path.getsize(fast)
    try:
        t0 = 0.0
        for _ in range(3):
            block = random_block(rng, 10, t0, has_gyro=True)
            t0 = block.end_s
            time.sleep(0.03)
            fast_writer.write_block(block)
            slow_writer.write_block(block)
        # The fast writer handed every row to the OS; the slow one still buffers them.
        assert len(read_recording(fast).samples) == 30
        assert os.path.getsize(slow) == preamble
        slow_writer.flush()
        assert len(read_recording(slow).samples) == 30
    finally:
        fast_writer.close()
        slow_writer.close()


def test_events_reach_the_os_at_once(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    with RecordingWriter(path, {}, has_gyro=False, flush_interval_s=3600.0) as writer:
        writer.write_event(Event(3.0, "disconnected"))
        assert read_recording(path).events == [Event(3.0, "disconnected")]


def test_fsync_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    block = SampleBlock([0.0], [[0.0, 0.0, 9.8]])
    with RecordingWriter(tmp_path / "often.csv", {}, has_gyro=False, fsync_interval_s=0.0) as writer:
        after_open = len(synced)
        for i in range(5):
            writer.write_block(SampleBlock(block.t + i, block.acc))
        assert len(synced) - after_open == 5
    synced.clear()
    with RecordingWriter(tmp_path / "rarely.csv", {}, has_gyro=False, fsync_interval_s=3600.0) as writer:
        after_open = len(synced)
        for i in range(5):
            writer.write_block(SampleBlock(block.t + i, block.acc))
        assert len(synced) == after_open
    assert len(synced) == after_open + 1  # close() syncs
