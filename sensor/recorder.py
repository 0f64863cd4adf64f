"""Live recording from a band: every item to disk as it arrives, the same items to the counter.

Three layers, each usable on its own:

* :class:`Recorder` is the tap of design.md §3: it writes every
  :class:`~sensor.types.SampleBlock` and :class:`~sensor.types.Event` to a v1
  recording and pushes the very same items, in the same order, into a
  :class:`~sensor.pipeline.Pipeline`. Re-analysing the file therefore gives
  the counts shown live.
* :func:`record_link` drains a connected :class:`~sensor.ble.transport.BandLink`
  into a Recorder, flushes the file on a timer (a stalled stream never holds
  rows back), and stops cleanly: band stop command, unsubscribe, disconnect,
  then the items still queued are written before the file is closed.
* :func:`record_band` is the whole ``repband record`` session: check the
  settings, find the band, connect, record until Ctrl-C or the duration,
  and summarise.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sensor.errors import (
    BandNotFoundError,
    RepbandError,
    StoppedAtOnceError,
    StoppedError,
    UnsupportedSettingError,
    UsageError,
)
from sensor.interrupts import stop_on_interrupt
from sensor.pipeline import Pipeline, PipelineConfig
from sensor.recording.v1 import RecordingWriter, stored_block
from sensor.session import LiveStatus, SessionResult
from sensor.types import Event, SampleBlock

if TYPE_CHECKING:
    from sensor.bands.base import BandCapabilities
    from sensor.ble.scan import FoundBand
    from sensor.ble.transport import BandLink

#: Longest time written rows stay in the process buffer, s (design.md §4).
FLUSH_INTERVAL_S = 0.5
#: Longest time between two fsyncs of the recording, s (design.md §4).
FSYNC_INTERVAL_S = 5.0
#: How long a stopping link may take to hand over the items still queued, s.
STOP_GRACE_S = 5.0
#: Longest recording ``--duration`` accepts, s (one day).
MAX_DURATION_S = 86_400.0
#: Fastest rate ``--rate`` accepts before asking the band, Hz (no supported band streams faster).
MAX_RATE_HZ = 1_000.0
#: ``--band`` value that selects the emulated radio and its virtual band.
VIRTUAL_TARGET = "virtual"
#: Folder of the default recording path, relative to the working directory.
RECORDINGS_DIR = Path("recordings")


class StatusView(Protocol):
    """Anything that shows a live status, such as :class:`sensor.render.live.LiveView`."""

    def update(self, status: LiveStatus, *, battery_percent: int | None = None, link: str | None = None) -> None:
        """Show the pipeline's running state and the link facts (battery %, link state)."""


class Recorder:
    """Write every SampleBlock and Event to a v1 recording and push the same items into a Pipeline.

    Parameters
    ----------
    path : pathlib.Path
        Recording to create (refused if it exists, unless ``overwrite``).
    pipeline : Pipeline
        The counter fed with exactly what is written.
    metadata : callable
        Returns the metadata dict (band, address, rate_hz, leg, exercise,
        started_utc, ...); called once, when the file is created, so it can
        carry the rate the band agreed to.
    overwrite : bool
        Replace an existing file.

    Notes
    -----
    The file is created at the first non-empty block, whose gyro presence
    fixes the columns; events that came earlier (battery, notes) are kept
    and written right after the header. :meth:`close` creates the file if no
    sample ever came, so a session that connected always leaves a readable
    recording.
    """

    def __init__(
        self,
        path: Path,
        pipeline: Pipeline,
        metadata: Callable[[], dict[str, Any]],
        *,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        self.pipeline = pipeline
        self._metadata = metadata
        self._overwrite = overwrite
        self._writer: RecordingWriter | None = None
        self._early_events: list[Event] = []
        self._closed = False

    @property
    def samples_written(self) -> int:
        """Rows written so far."""
        return 0 if self._writer is None else self._writer.samples_written

    def push(self, item: SampleBlock | Event) -> list[Event]:
        """Write one item, then push it into the pipeline.

        Parameters
        ----------
        item : SampleBlock or Event
            Samples (s, m/s², deg/s) or a link event. Samples are rounded
            to the stored precision (1 µs, 1e-4 m/s², 1e-3 deg/s) before
            both the file and the pipeline get them.

        Returns
        -------
        list of Event
            The pipeline's ``rep`` events for reps this item completed.

        Raises
        ------
        RecordingFormatError
            The recorder is closed or the disk write failed.
        SampleBlockError
            Time went backwards or the gyro channel came or went mid-session.
        """
        if self._closed:
            raise RuntimeError("push() after close()")
        if isinstance(item, SampleBlock):
            # The counter sees the rounded values the file keeps, so re-analysis reproduces it exactly.
            item = stored_block(item)
            if len(item):
                self._open(item.has_gyro).write_block(item)
        elif self._writer is None:
            self._early_events.append(item)
        else:
            self._writer.write_event(item)
        return self.pipeline.push(item)

    def status(self) -> LiveStatus:
        """The pipeline's running state, for a live view."""
        return self.pipeline.status()

    def flush(self, fsync: bool = False) -> None:
        """Hand written rows to the OS, and with ``fsync`` to the disk (nothing to do before the file exists)."""
        if self._writer is not None and not self._closed:
            self._writer.flush(fsync=fsync)

    def close(self, has_gyro: bool = False) -> None:
        """Create the file if no sample came (with ``has_gyro`` columns), then flush, fsync and close it; idempotent."""
        if self._closed:
            return
        try:
            self._open(has_gyro).close()
        finally:
            self._closed = True

    def finish(self) -> SessionResult:
        """Close the file, end the pipeline's stream and return the session summary."""
        self.close()
        self.pipeline.finish()
        return self.pipeline.result()

    def _open(self, has_gyro: bool) -> RecordingWriter:
        if self._writer is None:
            self._writer = RecordingWriter(self.path, self._metadata(), has_gyro, overwrite=self._overwrite)
            for event in self._early_events:
                self._writer.write_event(event)
            self._early_events.clear()
        return self._writer


@dataclass
class _LinkFacts:
    """What the live view shows about the link; one per session."""

    battery_percent: int | None
    state: str = "connected"
    first_sample_s: float | None = None
    wall_limit: asyncio.TimerHandle | None = None

    def note(self, event: Event) -> None:
        if event.kind == "battery":
            self.battery_percent = int(event.data.get("percent", 0))
        elif event.kind == "disconnected":
            self.state = "reconnecting"
        elif event.kind == "reconnected":
            self.state = "connected"


async def record_link(
    link: BandLink,
    recorder: Recorder,
    *,
    duration_s: float | None = None,
    stop: asyncio.Event | None = None,
    view: StatusView | None = None,
) -> SessionResult:
    """Record a connected link until told to stop, then stop the band and close the file.

    Parameters
    ----------
    link : BandLink
        A connected link (``connect()`` done); it is stopped on the way out.
    recorder : Recorder
        Where the items go; it is closed on the way out, whatever happened.
    duration_s : float, optional
        Stop once this much signal is recorded, or this long after the
        first sample by the wall clock if the stream stalls, s. None records
        until ``stop`` is set or the link ends.
    stop : asyncio.Event, optional
        Set it (e.g. from a Ctrl-C handler) to end the session.
    view : StatusView, optional
        Updated after every item with the pipeline's status, battery and link state.

    Returns
    -------
    SessionResult
        The session summary, equal to analysing the closed file.

    Raises
    ------
    LinkLostError
        The band dropped and could not be reconnected (the file is closed
        and holds everything received).
    RepbandError
        The band refused the settings, or the file could not be written.
    """
    finish = stop if stop is not None else asyncio.Event()
    facts = _LinkFacts(battery_percent=link.battery_percent)
    consumer = asyncio.create_task(_drain(link, recorder, facts, finish, duration_s, view))
    flusher = asyncio.create_task(_flush_periodically(recorder))
    waiter = asyncio.create_task(finish.wait())
    try:
        await asyncio.wait({consumer, flusher, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if facts.wall_limit is not None:
            facts.wall_limit.cancel()
        try:
            await _stop_link(link, consumer, facts)
        finally:
            flusher.cancel()
            recorder.close(has_gyro=link.session.has_gyro)
    for task in (consumer, flusher):
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return recorder.finish()


async def _drain(
    link: BandLink,
    recorder: Recorder,
    facts: _LinkFacts,
    finish: asyncio.Event,
    duration_s: float | None,
    view: StatusView | None,
) -> None:
    loop = asyncio.get_running_loop()
    async for item in link.items():
        recorder.push(item)
        if isinstance(item, Event):
            facts.note(item)
        elif len(item) and duration_s is not None:
            if facts.first_sample_s is None:
                facts.first_sample_s = item.start_s
                # A stalled stream must not keep the session open past its duration.
                facts.wall_limit = loop.call_later(duration_s, finish.set)
            if item.end_s - facts.first_sample_s >= duration_s:
                finish.set()
        if view is not None:
            view.update(recorder.status(), battery_percent=facts.battery_percent, link=facts.state)


async def _flush_periodically(recorder: Recorder) -> None:
    fsync_every = max(1, round(FSYNC_INTERVAL_S / FLUSH_INTERVAL_S))
    for tick in itertools.count(1):
        await asyncio.sleep(FLUSH_INTERVAL_S)
        recorder.flush(fsync=tick % fsync_every == 0)


async def _stop_link(link: BandLink, consumer: asyncio.Task[None], facts: _LinkFacts) -> None:
    """Stop the band and let the consumer write what is still queued; cancel it only if it hangs."""
    if not consumer.done() and facts.state == "reconnecting":
        # Between two connections nothing is queued, and a reconnect finishing
        # after stop() would leave a fresh link streaming: end the attempt first.
        consumer.cancel()
        await asyncio.wait({consumer})
    facts.state = "stopping"
    await link.stop()
    if not consumer.done():
        done, _ = await asyncio.wait({consumer}, timeout=STOP_GRACE_S)
        if not done:
            consumer.cancel()
            await asyncio.wait({consumer})


@dataclass(frozen=True, kw_only=True)
class RecordSettings:
    """What ``repband record`` was asked to do.

    Parameters
    ----------
    band : str, optional
        Address or name of the band, or ``"virtual"`` for the emulated radio
        and its virtual band; None for the band ``repband pair`` saved (or,
        with ``REPBAND_BLE=virtual``, the virtual band).
    pipeline : PipelineConfig
        Exercise, leg and counting settings.
    rate_hz : float, optional
        Wanted sample rate, Hz (the closest the band offers is used); None
        for the band's usual rate.
    duration_s : float, optional
        Length of the recording, s; None records until Ctrl-C.
    out : pathlib.Path, optional
        Recording to write; None for ``recordings/<local time>-<exercise>.csv``.
    scan_timeout_s : float
        How long to look for the band, s.
    give_up_after_s : float
        How long to keep reconnecting after the band drops before the
        session ends with :class:`~sensor.errors.LinkLostError`, s.

    Raises
    ------
    UsageError
        A rate or duration out of range.
    """

    band: str | None = None
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    rate_hz: float | None = None
    duration_s: float | None = None
    out: Path | None = None
    scan_timeout_s: float = 5.0
    give_up_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.rate_hz is not None and not (0 < self.rate_hz <= MAX_RATE_HZ):
            raise UsageError(f"--rate {self.rate_hz:g}: must be more than 0 and at most {MAX_RATE_HZ:g} Hz")
        if self.duration_s is not None and not (0 < self.duration_s <= MAX_DURATION_S):
            raise UsageError(f"--duration {self.duration_s:g}: must be more than 0 and at most {MAX_DURATION_S:g} s")

    def with_default_out(self, now: datetime) -> RecordSettings:
        """These settings with ``out`` set: the one given, or an unused default path named after ``now``."""
        if self.out is not None:
            return self
        return replace(self, out=default_recording_path(self.pipeline.exercise, now))


@dataclass(frozen=True)
class RecordOutcome:
    """What a finished ``repband record`` session produced.

    Attributes
    ----------
    path : pathlib.Path
        The closed recording.
    result : SessionResult
        Counts, sets and tempo, as ``repband analyze`` reports them for ``path``.
    samples : int
        Rows in the recording.
    band_name : str
        The band's advertised name.
    decode_errors : int
        Payloads skipped because they did not decode.
    """

    path: Path
    result: SessionResult
    samples: int
    band_name: str
    decode_errors: int


def default_recording_path(exercise: str, now: datetime, folder: Path = RECORDINGS_DIR) -> Path:
    """Return an unused ``FOLDER/YYYY-MM-DDTHH-MM-SS-EXERCISE.csv`` (``-2``, ``-3`` ... appended on a clash).

    Parameters
    ----------
    exercise : str
        Exercise name for the file name.
    now : datetime
        Start of the recording (its local clock time names the file).
    folder : pathlib.Path
        Where recordings go.
    """
    stem = f"{now:%Y-%m-%dT%H-%M-%S}-{exercise}"
    path, n = folder / f"{stem}.csv", 2
    while path.exists():
        path, n = folder / f"{stem}-{n}.csv", n + 1
    return path


def check_writable(path: Path) -> None:
    """Fail early, before any band is contacted, if ``path`` exists or cannot be created.

    Raises
    ------
    UsageError
        The file exists, or its folder cannot be made or written.
    """
    if path.exists():
        raise UsageError(f"--out {path}: already exists (refusing to overwrite a recording)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb"):
            pass
        path.unlink()
    except OSError as exc:
        raise UsageError(f"--out {path}: cannot create ({exc.strerror or exc})") from None


def check_rate(rate_hz: float, caps: BandCapabilities, model: str) -> None:
    """Refuse a rate outside what the band model streams, Hz.

    Raises
    ------
    UnsupportedSettingError
        ``rate_hz`` is below the model's slowest or above its fastest rate.
    """
    low, high = min(caps.rates_hz), max(caps.rates_hz)
    # Within the range the band picks its closest rate; a little slack keeps 52 vs 52.0 arguments out.
    if not (low * 0.98 <= rate_hz <= high * 1.02):
        raise UnsupportedSettingError(f"--rate {rate_hz:g}: the {model} streams {low:g} to {high:g} Hz")


async def record_band(settings: RecordSettings, *, view: StatusView | None = None) -> RecordOutcome:
    """Run a ``repband record`` session: find the band, connect, record, stop, summarise.

    Parameters
    ----------
    settings : RecordSettings
        What to record.
    view : StatusView, optional
        Live view, updated after every item.

    Returns
    -------
    RecordOutcome

    Raises
    ------
    UsageError
        No band given and none saved, or an unusable ``--out``.
    BandNotFoundError
        The band was not heard.
    UnsupportedSettingError
        The band cannot stream at ``rate_hz``.
    LinkLostError
        The band could not be reached, or was lost mid-session (the message
        then says where the samples received so far were saved).
    StoppedError
        Ctrl-C came before the band was streaming; no file is written.
    StoppedAtOnceError
        A second Ctrl-C ended the session at once; the message says where
        the samples received so far are.
    """
    from sensor.ble.virtual.default import virtual_selected

    explicit_virtual = settings.band is not None and settings.band.strip().lower() == VIRTUAL_TARGET
    target = _target(settings.band, explicit_virtual or virtual_selected())
    path = settings.with_default_out(datetime.now()).out
    assert path is not None
    check_writable(path)
    pipeline = Pipeline(settings.pipeline)

    def show_link(state: str) -> None:
        if view is not None:
            view.update(pipeline.status(), link=state)

    stop = asyncio.Event()
    try:
        with stop_on_interrupt(stop):
            try:
                found, link = await _connect(target, settings, stop, explicit_virtual, show_link)
            except StoppedError as exc:
                raise StoppedError(f"{exc}; nothing was recorded") from None
            started_utc = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

            def metadata() -> dict[str, Any]:
                rate_hz = link.session.rate_hz
                return {
                    "band": found.band,
                    "model": found.model,
                    "name": found.name,
                    "address": found.address,
                    "rate_hz": None if rate_hz is None or not math.isfinite(rate_hz) else rate_hz,
                    "leg": settings.pipeline.leg,
                    "exercise": settings.pipeline.exercise,
                    "min_rom_deg": settings.pipeline.min_rom_deg,
                    "started_utc": started_utc,
                }

            recorder = Recorder(path, pipeline, metadata)
            if view is not None:
                view.update(recorder.status(), battery_percent=link.battery_percent, link="connected")
            try:
                result = await record_link(link, recorder, duration_s=settings.duration_s, stop=stop, view=view)
            except RepbandError as exc:
                saved = f"{recorder.samples_written} samples received before the failure are saved in {path}"
                raise type(exc)(f"{exc}; {saved}") from None
    except StoppedAtOnceError:
        raise stopped_at_once(path) from None
    return RecordOutcome(path, result, recorder.samples_written, found.name, link.decode_errors)


def stopped_at_once(path: Path) -> StoppedAtOnceError:
    """The error for a second Ctrl-C, which ends a recording at once: it says whether, and where, data was kept.

    The recording is written as it streams, so the samples received before
    the second Ctrl-C are in ``path`` (its last line may be cut off; reading
    it says so and keeps every whole line).
    """
    if path.exists():
        return StoppedAtOnceError(f"stopped at once by a second Ctrl-C; the samples received so far are in {path}")
    return StoppedAtOnceError("stopped by a second Ctrl-C; nothing was recorded")


async def _connect(
    target: str | None,
    settings: RecordSettings,
    stop: asyncio.Event,
    explicit_virtual: bool,
    show_link: Callable[[str], None],
) -> tuple[FoundBand, BandLink]:
    """Find the band and connect, streaming; a Ctrl-C (``stop``) meanwhile ends it before anything is recorded."""
    from sensor.ble.transport import BandLink
    from sensor.ble.virtual import backend_kwargs

    show_link(f"looking for {target or 'the virtual band'}")
    found = await _find(target, settings.scan_timeout_s, stop, backend_kwargs("scanner") if explicit_virtual else {})
    if settings.rate_hz is not None:
        check_rate(settings.rate_hz, found.protocol.capabilities(found.advert), found.model)
    client_kwargs = backend_kwargs("client") if explicit_virtual else {}
    link = BandLink(
        found.device,
        found.protocol,
        rate_hz=settings.rate_hz,
        give_up_after_s=settings.give_up_after_s,
        **client_kwargs,
    )
    show_link(f"connecting to {found.name or found.address}")
    # Connecting is not cut short: a connection dropped half-way through GATT
    # discovery can leave the band busy until it times out.
    await link.connect()
    if stop.is_set():
        await link.stop()
        raise StoppedError(f"stopped while connecting to {found.name or found.address}")
    return found, link


def _target(band: str | None, virtual: bool) -> str | None:
    """The address or name to look for; None means the only (virtual) band in range."""
    if band is not None and band.strip().lower() != VIRTUAL_TARGET:
        return band
    if virtual:
        return None
    from sensor.config import load_config

    saved = load_config().get("default_band")
    if isinstance(saved, dict) and saved.get("address"):
        return str(saved["address"])
    raise UsageError("no band given and no default band saved: pass --band ADDRESS|NAME or run 'repband pair' once")


async def _find(
    target: str | None, timeout_s: float, stop: asyncio.Event, scanner_kwargs: dict[str, Any]
) -> FoundBand:
    from sensor.ble.scan import find_band, scan

    if target is not None:
        return await find_band(target, timeout_s, stop=stop, **scanner_kwargs)
    heard = await scan(timeout_s, until=lambda band: True, stop=stop, **scanner_kwargs)
    if stop.is_set():
        raise StoppedError("stopped while looking for the virtual band")
    if not heard:
        raise BandNotFoundError("no virtual band heard on the emulated radio")
    return heard[0]
