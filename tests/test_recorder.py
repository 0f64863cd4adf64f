"""The live recorder: what a virtual band sends ends up in the file and in the live count, exactly.

Every band test runs the real transport and decoder through bleak's public
API against the emulated radio; the band plays faster than real time where
the test is about data, not timing.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sensor.ble.scan import resolve_target
from sensor.ble.transport import BandLink
from sensor.ble.virtual import backend_kwargs
from sensor.ble.virtual.faults import MalformedKind, force_disconnect, inject_malformed_frame
from sensor.ble.virtual.polar import VirtualPolarBand
from sensor.ble.virtual.radio import VirtualRadio
from sensor.errors import StoppedAtOnceError, UsageError
from sensor.interrupts import stop_on_interrupt
from sensor.pipeline import Pipeline, PipelineConfig, analyze_recording
from sensor.recorder import Recorder, RecordSettings, default_recording_path, record_link, stopped_at_once
from sensor.recording import Recording, read_recording
from sensor.session import LiveStatus, SessionResult
from sensor.synth import SimulationConfig, simulate
from sensor.types import Event, SampleBlock

ACC, GYRO = 2, 5
CLAMSHELL = PipelineConfig(exercise="clamshell")
# Clean generator settings: a set the clamshell counter counts exactly.
CLEAN_SET = SimulationConfig(
    exercise="clamshell", reps=6, seed=3, noise_scale=0.2, fidget=False, drop_rate=0.0, timestamp_jitter_s=0.0
)


def run(coro: Coroutine[Any, Any, Any], timeout_s: float = 30.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout_s)


class StatusLog:
    """A status view that keeps everything it is shown."""

    def __init__(self) -> None:
        self.statuses: list[LiveStatus] = []
        self.links: list[str | None] = []
        self.batteries: list[int | None] = []

    def update(self, status: LiveStatus, *, battery_percent: int | None = None, link: str | None = None) -> None:
        self.statuses.append(status)
        self.batteries.append(battery_percent)
        self.links.append(link)


@dataclass
class Session:
    band: VirtualPolarBand
    link: BandLink
    result: SessionResult
    recording: Recording
    view: StatusLog


def metadata() -> dict[str, Any]:
    return {"band": "polar-pmd", "leg": "right", "exercise": "clamshell"}


async def record_virtual(
    band: VirtualPolarBand,
    path: Path,
    *,
    during: Callable[[VirtualPolarBand, Recorder], Coroutine[Any, Any, None]] | None = None,
    duration_s: float | None = None,
) -> tuple[BandLink, SessionResult, StatusLog]:
    """Record ``band`` into ``path``; stop once it sent its whole source (or at ``duration_s``)."""
    view = StatusLog()
    async with VirtualRadio([band]) as radio:
        device, protocol = await resolve_target(band.address, 0.2, **backend_kwargs("scanner", radio))
        link = BandLink(device, protocol, give_up_after_s=10.0, **backend_kwargs("client", radio))
        await link.connect()
        recorder = Recorder(path, Pipeline(CLAMSHELL), metadata)
        stop = asyncio.Event()
        session = asyncio.create_task(record_link(link, recorder, duration_s=duration_s, stop=stop, view=view))
        if duration_s is None:
            await until(lambda: recorder.samples_written > 0)
            if during is not None:
                await during(band, recorder)
            await band.wait_until_done()
            await until(lambda: recorder.samples_written >= len(six_axis_sent(band)[0]))
            stop.set()
        result = await session
    return link, result, view


def recorded(path: Path) -> Recording:
    recording = read_recording(path)
    assert not recording.truncated_tail
    return recording


def six_axis_sent(band: VirtualPolarBand) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (s), acc (m/s²) and gyro (deg/s) of the samples sent on both streams, in order.

    Rows are six-axis, so an accelerometer sample whose gyroscope twin was
    never sent (cut off by a dropped link) cannot be a row.
    """
    t_acc, acc = band.log.samples(ACC)
    t_gyro, gyro = band.log.samples(GYRO)
    both = np.isin(np.round(t_acc, 6), np.round(t_gyro, 6))
    twin = np.searchsorted(np.round(t_gyro, 6), np.round(t_acc[both], 6))
    return t_acc[both], acc[both], gyro[twin]


def assert_holds_everything_sent(recording: Recording, band: VirtualPolarBand) -> None:
    """The file holds exactly the samples the band sent, in order, at the times it measured them."""
    t_sent, acc_sent, gyro_sent = six_axis_sent(band)
    samples = recording.samples
    assert len(samples) == len(t_sent) > 0
    # Session time runs on the band's clock from the first sample received.
    np.testing.assert_allclose(samples.t, t_sent - t_sent[0], atol=2e-6)
    # Quantised on the wire (±8 g in 16 bits: 2.4e-3 m/s²; ±2000 deg/s: 0.061 deg/s), then stored rounded.
    np.testing.assert_allclose(samples.acc, acc_sent, atol=5e-3)
    assert samples.gyro is not None
    np.testing.assert_allclose(samples.gyro, gyro_sent, atol=0.05)


@pytest.fixture(scope="module")
def clean_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Session, int]:
    synthetic = simulate(CLEAN_SET)
    band = VirtualPolarBand(source=synthetic.samples, speed=30.0, battery_percent=64)
    path = tmp_path_factory.mktemp("rec") / "clamshell.csv"
    link, result, view = run(record_virtual(band, path))
    return Session(band, link, result, recorded(path), view), synthetic.truth.count


@pytest.mark.ble
def test_clean_set_counts_exactly_live_and_on_reanalysis(clean_session: tuple[Session, int]) -> None:
    session, truth_count = clean_session
    assert truth_count == CLEAN_SET.reps
    assert session.result.count == truth_count
    assert session.view.statuses[-1].count == truth_count
    assert analyze_recording(session.recording, CLAMSHELL).count == truth_count


@pytest.mark.ble
def test_live_reps_equal_the_reanalysed_reps(clean_session: tuple[Session, int]) -> None:
    session, _ = clean_session
    live = [(r.start_s, r.end_s, r.rom_deg) for s in session.result.sets for r in s.reps]
    again = [(r.start_s, r.end_s, r.rom_deg) for s in analyze_recording(session.recording, CLAMSHELL).sets for r in s.reps]
    # Same reps; float rounding differs (below 1 µs, 1e-6 deg) between the band's small blocks and the file's large ones.
    assert len(live) == len(again) and np.allclose(live, again, rtol=0, atol=1e-6)


@pytest.mark.ble
def test_recording_holds_every_sample_the_band_sent(clean_session: tuple[Session, int]) -> None:
    session, _ = clean_session
    assert_holds_everything_sent(session.recording, session.band)
    assert session.recording.metadata == metadata()
    assert session.recording.events[0] == Event(0.0, "battery", {"percent": 64})


@pytest.mark.ble
def test_stopping_stops_the_band_and_disconnects(clean_session: tuple[Session, int]) -> None:
    session, _ = clean_session
    assert not session.link.is_connected
    assert session.band.streaming == ()
    assert session.view.batteries[-1] == 64
    assert session.view.links[0] == "connected"


@pytest.mark.ble
def test_forced_disconnect_reconnects_marks_the_gap_and_loses_nothing_sent(tmp_path: Path) -> None:
    band = VirtualPolarBand(source=simulate(CLEAN_SET.with_(reps=4)).samples, speed=12.0)

    async def drop_link(band: VirtualPolarBand, recorder: Recorder) -> None:
        await until(lambda: recorder.samples_written > 300)
        assert await force_disconnect(band, away_s=0.3) == 1

    link, result, view = run(record_virtual(band, tmp_path / "drop.csv", during=drop_link))
    recording = recorded(tmp_path / "drop.csv")
    kinds = [e.kind for e in recording.events]
    assert kinds.index("disconnected") < kinds.index("reconnected")
    assert "reconnecting" in view.links and view.links[-1] in ("connected", "stopping")
    assert_holds_everything_sent(recording, band)
    # Samples measured while the band was away were never sent: the file keeps that gap as a gap.
    assert float(np.max(np.diff(recording.samples.t))) > 0.2
    assert any(e.kind == "gap" for e in recording.events)
    assert "the band disconnected 1 time(s)" in result.quality.warnings
    assert analyze_recording(recording, CLAMSHELL).count == result.count


@pytest.mark.ble
def test_malformed_frame_is_counted_logged_once_and_skipped(tmp_path: Path) -> None:
    band = VirtualPolarBand(source=simulate(CLEAN_SET.with_(reps=2)).samples, speed=30.0)

    async def break_frames(band: VirtualPolarBand, recorder: Recorder) -> None:
        inject_malformed_frame(band, MalformedKind.TRUNCATED, ACC)
        inject_malformed_frame(band, MalformedKind.UNKNOWN_FRAME_TYPE, ACC)

    link, result, _ = run(record_virtual(band, tmp_path / "bad.csv", during=break_frames))
    recording = recorded(tmp_path / "bad.csv")
    assert link.decode_errors == 2
    assert [e.kind for e in recording.events].count("decode_error") == 1
    assert sum(f.malformed for f in band.log.frames) == 2
    # The session went on: every intact frame's samples were recorded.
    assert len(recording.samples) == len(six_axis_sent(band)[0]) > 0
    assert result.count == analyze_recording(recording, CLAMSHELL).count


@pytest.mark.ble
def test_duration_ends_the_session_with_everything_received_written(tmp_path: Path) -> None:
    band = VirtualPolarBand(source=simulate(CLEAN_SET).samples, speed=30.0)
    link, result, _ = run(record_virtual(band, tmp_path / "short.csv", duration_s=8.0))
    recording = recorded(tmp_path / "short.csv")
    assert 8.0 <= recording.duration_s < 8.0 + 3.0  # the last block may run past the duration
    assert not link.is_connected
    assert result.quality.duration_s == pytest.approx(recording.duration_s)


@pytest.mark.ble
def test_stalled_stream_rows_reach_the_disk_without_a_close(tmp_path: Path) -> None:
    # A one-frame source: after it the band goes quiet, so only the recorder's timer can flush.
    source = simulate(CLEAN_SET).samples.between(0.0, 1.0)
    band = VirtualPolarBand(source=source, speed=1.0)
    path = tmp_path / "stall.csv"

    async def scenario() -> int:
        async with VirtualRadio([band]) as radio:
            device, protocol = await resolve_target(band.address, 0.2, **backend_kwargs("scanner", radio))
            link = BandLink(device, protocol, **backend_kwargs("client", radio))
            await link.connect()
            recorder = Recorder(path, Pipeline(CLAMSHELL), metadata)
            stop = asyncio.Event()
            session = asyncio.create_task(record_link(link, recorder, stop=stop))
            await until(lambda: len(band.log.frames) > 0)
            await band.wait_until_done()
            sent = len(six_axis_sent(band)[0])
            await until(lambda: recorder.samples_written >= sent > 0)
            # Read from the disk while the session is still open.
            await until(lambda: len(read_recording(path).samples) == sent)
            on_disk = len(read_recording(path).samples)
            stop.set()
            await session
            return on_disk

    assert run(scenario()) == len(six_axis_sent(band)[0])


def test_events_before_the_first_block_follow_the_header(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "r.csv", Pipeline(CLAMSHELL), metadata)
    recorder.push(Event(0.0, "battery", {"percent": 50}))
    assert not (tmp_path / "r.csv").exists()
    block = SampleBlock(np.arange(5) / 50.0, np.tile([0.0, 0.0, 9.81], (5, 1)))
    recorder.push(block)
    recorder.push(Event(0.08, "disconnected"))
    recorder.close()
    recording = recorded(tmp_path / "r.csv")
    assert [e.kind for e in recording.events] == ["battery", "disconnected"]
    assert len(recording.samples) == 5 and not recording.samples.has_gyro


def test_a_session_without_samples_still_leaves_a_readable_file(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "empty.csv", Pipeline(CLAMSHELL), metadata)
    recorder.push(Event(0.0, "battery", {"percent": 50}))
    result = recorder.finish()
    recorder.close()  # idempotent
    recording = recorded(tmp_path / "empty.csv")
    assert len(recording.samples) == 0 and recording.samples.has_gyro is False
    assert recording.events == [Event(0.0, "battery", {"percent": 50})]
    assert result.count == 0


def test_live_count_equals_analysis_of_the_written_file_for_any_blocks(tmp_path: Path) -> None:
    synthetic = simulate(CLEAN_SET.with_(reps=4))
    recorder = Recorder(tmp_path / "blocks.csv", Pipeline(CLAMSHELL), metadata)
    live = [e for block in synthetic.samples.split([13, 68, 1]) for e in recorder.push(block)]
    result = recorder.finish()
    assert [e.kind for e in live] == ["rep"] * len(live)
    assert result.count == synthetic.truth.count == analyze_recording(recorded(tmp_path / "blocks.csv"), CLAMSHELL).count


def test_default_path_is_timestamped_and_never_reused(tmp_path: Path) -> None:
    now = datetime(2026, 11, 24, 10, 0, 0)
    first = default_recording_path("clamshell", now, tmp_path)
    assert first == tmp_path / "2026-11-24T10-00-00-clamshell.csv"
    first.write_text("taken")
    assert default_recording_path("clamshell", now, tmp_path) == tmp_path / "2026-11-24T10-00-00-clamshell-2.csv"


@pytest.mark.parametrize(("field", "value"), [("rate_hz", 0.0), ("rate_hz", 5000.0), ("duration_s", -1.0), ("duration_s", 1e6)])
def test_out_of_range_settings_are_usage_errors(field: str, value: float) -> None:
    with pytest.raises(UsageError, match="must be more than 0"):
        RecordSettings(**{field: value})  # type: ignore[arg-type]


def test_a_second_ctrl_c_says_where_the_samples_are_or_that_there_are_none(tmp_path: Path) -> None:
    path = tmp_path / "session.csv"
    assert str(stopped_at_once(path)) == "stopped by a second Ctrl-C; nothing was recorded"
    path.write_text("t,ax,ay,az\n")
    assert str(stopped_at_once(path)).endswith(f"the samples received so far are in {path}")
    assert stopped_at_once(path).exit_code == 130


def test_the_default_out_is_chosen_once_and_a_given_one_is_kept(tmp_path: Path) -> None:
    given = RecordSettings(out=tmp_path / "mine.csv")
    assert given.with_default_out(datetime.now()) is given
    now = datetime(2026, 1, 2, 3, 4, 5)
    chosen = RecordSettings(pipeline=PipelineConfig(exercise="clamshell")).with_default_out(now)
    assert chosen.out is not None and chosen.out.name == "2026-01-02T03-04-05-clamshell.csv"


def test_a_second_ctrl_c_ends_a_session_at_once_after_its_cleanup() -> None:
    cleaned_up: list[str] = []

    async def session() -> None:
        stop = asyncio.Event()
        with stop_on_interrupt(stop):
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.wait_for(stop.wait(), timeout=5.0)  # the first asks the session to stop
            try:
                os.kill(os.getpid(), signal.SIGINT)
                await asyncio.sleep(30.0)  # stopping hangs, as when a band stops answering
            finally:
                cleaned_up.append("file closed")

    with pytest.raises(StoppedAtOnceError, match="second Ctrl-C"):
        asyncio.run(session())
    assert cleaned_up == ["file closed"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
