"""A BLE peripheral on the virtual radio: a bumble device that advertises and serves GATT.

:class:`VirtualPeripheral` is the generic part of every virtual band: its own
controller on the radio's link, a GATT server with the services it is given,
connectable advertising with the facts a scanner reads (name, manufacturer
data, service UUIDs), connection bookkeeping, and the hooks faults use
(dropping links, going out of range). Band-specific behaviour lives in
subclasses such as :class:`sensor.ble.virtual.polar.VirtualPolarBand`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bumble import gatt
from bumble.att import ATT_WRITE_NOT_PERMITTED_ERROR, ATT_Error
from bumble.core import AdvertisingData
from bumble.device import Connection, Device
from bumble.hci import Address, HCI_ErrorCode, OwnAddressType
from bumble.host import Host
from bumble.link import LocalLink

from sensor.ble.virtual.radio import new_controller

logger = logging.getLogger(__name__)

#: ATT MTU the virtual peripherals accept at most, bytes (what Polar bands and
#: most phones negotiate; a PMD frame needs at least 232).
DEFAULT_MAX_MTU: int = 247

#: Reason code sent when a peripheral drops a link on purpose
#: (HCI "Remote User Terminated Connection").
REMOTE_USER_TERMINATED: int = int(HCI_ErrorCode.REMOTE_USER_TERMINATED_CONNECTION_ERROR)

_FLAGS_LE_GENERAL_NO_BREDR = bytes([0x06])


_SIG_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"


def _uuid_ad_bytes(text: str) -> tuple[int, bytes]:
    """Return (AD type, little-endian bytes) for a service UUID string.

    16-bit UUIDs (``"180d"`` or their 128-bit form on the Bluetooth SIG base)
    go into the 16-bit list, as real devices advertise them.
    """
    text = text.lower()
    if len(text) == 4:
        return AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, int(text, 16).to_bytes(2, "little")
    if text.startswith("0000") and text.endswith(_SIG_BASE_SUFFIX):
        return _uuid_ad_bytes(text[4:8])
    return AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, uuid.UUID(text).bytes[::-1]


def read_only_value(read: Callable[[Connection], bytes]) -> gatt.CharacteristicValue[bytes]:
    """A characteristic value computed on every read that refuses writes.

    Parameters
    ----------
    read : callable
        Returns the current value (bytes) for the reading connection.

    Returns
    -------
    bumble.gatt.CharacteristicValue
        Writes answer ATT error 0x03 (write not permitted), as a real
        device does; bumble itself does not check attribute permissions.
    """

    def refuse(connection: Connection, value: bytes) -> None:
        raise ATT_Error(ATT_WRITE_NOT_PERMITTED_ERROR)

    return gatt.CharacteristicValue(read=read, write=refuse)


@dataclass(frozen=True, kw_only=True, slots=True)
class AdvertisingFacts:
    """What a scanner reads from a peripheral's advertisement.

    Parameters
    ----------
    name : str
        Complete local name, e.g. ``"Polar Sense 1A2B3C4D"``.
    manufacturer_data : mapping of int to bytes
        Company identifier (Bluetooth SIG) to the bytes that follow it.
    service_uuids : tuple of str
        Advertised service UUIDs: 4 hex digits or the 128-bit form; UUIDs on
        the Bluetooth SIG base are advertised as 16-bit UUIDs.
    """

    name: str
    manufacturer_data: Mapping[int, bytes] = field(default_factory=dict)
    service_uuids: tuple[str, ...] = ()

    def to_bytes(self) -> bytes:
        """Encode the facts as advertising data (AD structures), bytes.

        Notes
        -----
        The result may exceed the 31 bytes of a legacy advertising PDU (a real
        band moves its name into the scan response); bumble's emulated
        controller reports the whole payload at once, so one block suffices.
        """
        structures: list[tuple[int, bytes]] = [
            (AdvertisingData.FLAGS, _FLAGS_LE_GENERAL_NO_BREDR),
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode("utf-8")),
        ]
        structures += [
            (AdvertisingData.MANUFACTURER_SPECIFIC_DATA, company.to_bytes(2, "little") + bytes(data))
            for company, data in self.manufacturer_data.items()
        ]
        by_type: dict[int, bytes] = {}
        for text in self.service_uuids:
            ad_type, raw = _uuid_ad_bytes(text)
            by_type[ad_type] = by_type.get(ad_type, b"") + raw
        structures += list(by_type.items())
        return bytes(AdvertisingData(structures))


class VirtualPeripheral:
    """A connectable peripheral with a GATT server, living on a :class:`VirtualRadio`.

    Parameters
    ----------
    address : str
        Device address ``"AA:BB:CC:DD:EE:FF"`` (upper-cased); this is what
        bleak reports as ``BLEDevice.address``.
    advertising : AdvertisingFacts
        Name, manufacturer data and service UUIDs to advertise.
    services : sequence of bumble.gatt.Service
        The GATT services to serve (bumble adds the GAP and GATT services and
        a CCCD to every notifying or indicating characteristic).
    max_mtu : int
        Largest ATT MTU accepted in an MTU exchange, bytes.
    advertising_interval_s : float
        Advertising interval, s; it bounds how long a scan or a connection
        takes to find the peripheral.

    Notes
    -----
    Like most small bands the peripheral stops advertising while a central is
    connected and advertises again after the link drops (unless it is out of
    range, see :meth:`set_in_range`).
    """

    def __init__(
        self,
        *,
        address: str,
        advertising: AdvertisingFacts,
        services: Sequence[gatt.Service],
        max_mtu: int = DEFAULT_MAX_MTU,
        advertising_interval_s: float = 0.02,
    ) -> None:
        self.address = address.upper()
        self.advertising = advertising
        self.max_mtu = max_mtu
        self._services = list(services)
        self._interval_ms = advertising_interval_s * 1000.0
        self._device: Device | None = None
        self._link: LocalLink | None = None
        self._controller: Any = None
        self._connections: list[Connection] = []
        self._in_range = True
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def name(self) -> str:
        """Advertised name."""
        return self.advertising.name

    @property
    def hci_address(self) -> Address:
        """The address as a bumble ``Address``.

        It is used as a random device address: bumble's in-process link
        routes LE packets by the sender's random address, and bleak does not
        show the address type, so a band's public-looking address (Polar's
        A0:9E:1A prefix) works unchanged.
        """
        return Address(self.address, Address.RANDOM_DEVICE_ADDRESS)

    @property
    def attached(self) -> bool:
        """True while the peripheral is on a radio's link."""
        return self._device is not None

    @property
    def device(self) -> Device:
        """The bumble device (only while attached)."""
        if self._device is None:
            raise RuntimeError(f"peripheral {self.address} is not on a radio yet")
        return self._device

    @property
    def connections(self) -> tuple[Connection, ...]:
        """Open connections, oldest first."""
        return tuple(self._connections)

    @property
    def in_range(self) -> bool:
        """False while the peripheral is held out of range (no advertising)."""
        return self._in_range

    async def attach(self, link: LocalLink) -> None:
        """Power the peripheral on ``link`` and start advertising (the radio calls this)."""
        controller = new_controller(f"peripheral-{self.address}", link)
        device = Device(name=self.name, address=self.hci_address, host=Host(controller, controller))
        device.gatt_server.max_mtu = self.max_mtu
        device.add_services(self._services)
        device.on(device.EVENT_CONNECTION, self._on_connection)
        await device.power_on()
        self._device, self._link, self._controller = device, link, controller
        if self._in_range:
            await self._advertise()

    async def detach(self) -> None:
        """Drop all links, stop advertising and background tasks, leave the link."""
        self._closing = True
        await self.disconnect_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._device is not None:
            await self._device.stop_advertising()
            await self._device.power_off()
        if self._link is not None:
            self._link.remove_controller(self._controller)
        self._device = self._link = self._controller = None
        self._closing = False

    async def disconnect_all(self, reason: int = REMOTE_USER_TERMINATED) -> int:
        """Drop every open link from the peripheral's side.

        Parameters
        ----------
        reason : int
            HCI reason code the central receives.

        Returns
        -------
        int
            Number of links dropped.
        """
        connections = list(self._connections)
        for connection in connections:
            await self.device.disconnect(connection, reason)
        return len(connections)

    async def set_in_range(self, in_range: bool) -> None:
        """Move the peripheral into or out of range.

        Out of range it stops advertising, so scans miss it and connection
        attempts time out; open links are not touched (drop them with
        :meth:`disconnect_all`).
        """
        self._in_range = in_range
        if self._device is None:
            return
        if in_range and not self._connections:
            await self._advertise()
        elif not in_range:
            await self._device.stop_advertising()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run a coroutine as a task owned by the peripheral (cancelled on detach)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("virtual peripheral %s: task failed", self.address, exc_info=task.exception())

    def on_connected(self, connection: Connection) -> None:
        """Hook: a central connected (subclasses extend)."""

    def on_disconnected(self, connection: Connection, reason: int) -> None:
        """Hook: a link dropped, for any reason (subclasses extend)."""

    async def _advertise(self) -> None:
        await self.device.start_advertising(
            own_address_type=OwnAddressType.RANDOM,
            advertising_data=self.advertising.to_bytes(),
            advertising_interval_min=self._interval_ms,
            advertising_interval_max=self._interval_ms,
        )

    def _on_connection(self, connection: Connection) -> None:
        self._connections.append(connection)
        connection.on(
            connection.EVENT_DISCONNECTION,
            lambda reason, connection=connection: self._on_disconnection(connection, reason),
        )
        self.on_connected(connection)

    def _on_disconnection(self, connection: Connection, reason: int) -> None:
        if connection in self._connections:
            self._connections.remove(connection)
        self.on_disconnected(connection, reason)
        if self._in_range and not self._closing and not self._connections:
            self.spawn(self._advertise())
