"""One live connection to a band: connect, negotiate, stream, survive drops, stop.

The band protocol (:mod:`sensor.bands`) knows the bytes; :class:`BandLink`
does the GATT I/O around it. Notification callbacks only queue
``(host_time_s, uuid, payload)``; decoding and the writes answers ask for
happen in :meth:`BandLink.items`, in the consumer's task, so a slow decoder
never blocks bleak's callbacks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, Union

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError
from bleak_retry_connector import establish_connection

from sensor.bands.base import BandProtocol, StreamItem, Write, normalize_uuid
from sensor.ble.virtual import env_backend_kwargs
from sensor.errors import DecodeError, LinkLostError
from sensor.types import Event, SampleBlock

log = logging.getLogger(__name__)

BATTERY_LEVEL_UUID = normalize_uuid("2a19")
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0

_DISCONNECTED = object()
_STOPPED = object()
# A queued notification, or one of the two markers above.
_Queued = Union[tuple[float, str, bytes], object]
_LINK_ERRORS = (BleakError, asyncio.TimeoutError, OSError, EOFError)


class BandLink:
    """A connection to one band that streams decoded samples and reconnects after drops.

    Parameters
    ----------
    device : BLEDevice
        The band, as found by :func:`sensor.ble.scan.scan`.
    protocol : BandProtocol
        Its protocol.
    rate_hz : float, optional
        Wanted accelerometer rate, Hz.
    range_g : int, optional
        Wanted accelerometer range, ±g.
    gyro : bool
        Stream the gyroscope when the band has one.
    give_up_after_s : float
        Total time spent reconnecting after a drop before :class:`LinkLostError`, s.
    **backend
        Keyword arguments for ``BleakClient`` (default: from the environment).

    Attributes
    ----------
    session : BandSession
        Protocol state for the whole link (kept across reconnects).
    decode_errors : int
        Payloads skipped because they did not decode.
    battery_percent : int or None
        Battery level read at the last (re)connection, %; None without a battery service.

    Examples
    --------
    >>> async with BandLink(device, protocol) as link:  # doctest: +SKIP
    ...     async for item in link.items():
    ...         ...
    """

    def __init__(
        self,
        device: BLEDevice,
        protocol: BandProtocol,
        *,
        rate_hz: float | None = None,
        range_g: int | None = None,
        gyro: bool = True,
        give_up_after_s: float = 60.0,
        **backend: Any,
    ) -> None:
        self.device = device
        self.protocol = protocol
        self.session = protocol.session(rate_hz=rate_hz, range_g=range_g, gyro=gyro)
        self.give_up_after_s = give_up_after_s
        self.decode_errors = 0
        self.battery_percent: int | None = None
        self._backend = backend or env_backend_kwargs("client")
        self._client: BleakClient | None = None
        self._queue: asyncio.Queue[_Queued] = asyncio.Queue()
        self._closing = False
        self._last_t = 0.0

    @property
    def is_connected(self) -> bool:
        """True while the GATT link is up."""
        return self._client is not None and self._client.is_connected

    async def __aenter__(self) -> BandLink:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def connect(self, *, start_streaming: bool = True) -> None:
        """Connect, subscribe, read the protocol's characteristics and the battery, start streaming.

        Parameters
        ----------
        start_streaming : bool
            Write the session's start commands; False only probes the band.

        Raises
        ------
        LinkLostError
            The band could not be reached.
        """
        try:
            await self._open(start_streaming=start_streaming, max_attempts=2)
        except _LINK_ERRORS as exc:
            raise LinkLostError(f"could not connect to {self._label()}: {exc or type(exc).__name__}") from None

    async def items(self) -> AsyncIterator[StreamItem]:
        """Yield decoded blocks and events until :meth:`stop` is called.

        Yields
        ------
        SampleBlock or Event
            Samples in session time (s, m/s², deg/s); events ``battery``,
            ``decode_error`` (first malformed payload only), ``disconnected``,
            ``reconnected`` and whatever the protocol reports.

        Raises
        ------
        LinkLostError
            The link dropped and reconnecting failed for ``give_up_after_s``.
        """
        if self.battery_percent is not None:
            yield Event(self._last_t, "battery", {"percent": self.battery_percent})
        while True:
            queued = await self._queue.get()
            if queued is _STOPPED:
                return
            if queued is _DISCONNECTED:
                if self._closing:
                    return
                yield Event(self._last_t, "disconnected")
                await self._reconnect()
                yield Event(self._last_t, "reconnected")
                continue
            host_time_s, uuid, payload = queued  # type: ignore[misc]
            for item in await self._feed(uuid, payload, host_time_s):
                yield item

    async def stop(self) -> None:
        """Send the session's stop commands, unsubscribe and disconnect (safe to call twice)."""
        if self._closing:
            return
        self._closing = True
        client = self._client
        try:
            if client is not None and client.is_connected:
                await self._write_all(client, self.session.stop())
                for uuid in self.protocol.notify_characteristics:
                    await client.stop_notify(uuid)
        except _LINK_ERRORS as exc:
            log.info("stopping %s: %s", self._label(), exc)
        finally:
            if client is not None:
                await client.disconnect()
            self._queue.put_nowait(_STOPPED)

    # -- internals -------------------------------------------------------------------

    def _label(self) -> str:
        return f"{self.device.name or 'band'} ({self.device.address})"

    def _on_value(self, characteristic: BleakGATTCharacteristic, value: bytearray) -> None:
        self._queue.put_nowait((time.monotonic(), characteristic.uuid, bytes(value)))

    def _on_disconnect(self, client: BleakClient) -> None:
        if not self._closing and client is self._client:
            self._queue.put_nowait(_DISCONNECTED)

    async def _open(self, *, start_streaming: bool, max_attempts: int) -> None:
        client = await establish_connection(
            BleakClient,
            self.device,
            self.device.name or self.device.address,
            disconnected_callback=self._on_disconnect,
            max_attempts=max_attempts,
            use_services_cache=False,
            **self._backend,
        )
        self._client = client
        for uuid in self.protocol.notify_characteristics:
            await client.start_notify(uuid, self._on_value)
        for uuid in self.protocol.read_characteristics:
            await self._feed(uuid, bytes(await client.read_gatt_char(uuid)), time.monotonic())
        if client.services.get_characteristic(BATTERY_LEVEL_UUID) is not None:
            self.battery_percent = int((await client.read_gatt_char(BATTERY_LEVEL_UUID))[0])
        if start_streaming:
            await self._write_all(client, self.session.start())

    async def _feed(self, uuid: str, payload: bytes, host_time_s: float) -> list[StreamItem]:
        try:
            items = self.session.feed(uuid, payload, host_time_s)
        except DecodeError as exc:
            self.decode_errors += 1
            if self.decode_errors > 1:
                return []
            log.warning("skipping a payload from %s that does not decode: %s", self._label(), exc)
            return [Event(self._last_t, "decode_error", {"message": str(exc)})]
        if self._client is not None and self._client.is_connected:
            await self._write_all(self._client, self.session.take_writes())
        for item in items:
            if isinstance(item, SampleBlock) and len(item):
                self._last_t = item.end_s
        return items

    @staticmethod
    async def _write_all(client: BleakClient, writes: list[Write]) -> None:
        for write in writes:
            await client.write_gatt_char(write.characteristic, write.data, response=write.with_response)

    async def _reconnect(self) -> None:
        deadline = time.monotonic() + self.give_up_after_s
        delay_s = FIRST_BACKOFF_S
        while True:
            await asyncio.sleep(min(delay_s, max(0.0, deadline - time.monotonic())))
            try:
                await self._open(start_streaming=True, max_attempts=1)
                return
            except _LINK_ERRORS as exc:
                if time.monotonic() >= deadline:
                    raise LinkLostError(
                        f"lost {self._label()} and could not reconnect within {self.give_up_after_s:g} s: {exc}"
                    ) from None
                log.info("reconnecting to %s failed (%s); next try in %.1f s", self._label(), exc, delay_s)
            delay_s = min(2 * delay_s, MAX_BACKOFF_S)


async def probe(device: BLEDevice, protocol: BandProtocol, **backend: Any) -> int | None:
    """Connect once without streaming and return the battery level, % (None without a battery service).

    Raises
    ------
    LinkLostError
        The band could not be reached.
    """
    link = BandLink(device, protocol, **backend)
    await link.connect(start_streaming=False)
    await link.stop()
    return link.battery_percent
