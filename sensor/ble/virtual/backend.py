"""bleak backend classes over the virtual radio.

bleak picks a backend per scanner or client: ``BleakScanner(backend=...)`` and
``BleakClient(..., backend=...)`` instantiate the class given instead of the
platform's. :class:`VirtualScannerBackend` and :class:`VirtualClientBackend`
implement bleak's ``BaseBleakScanner`` and ``BaseBleakClient`` with a bumble
central on a :class:`~sensor.ble.virtual.radio.VirtualRadio`, so code written
against bleak's public API talks to virtual bands unchanged.

Which radio a backend uses, first match wins: the ``virtual_radio=`` keyword
(bleak forwards unknown keywords to the backend), the radio recorded in a
``BLEDevice`` found by a virtual scan, the radio installed for the running
event loop (:func:`sensor.ble.virtual.default.current_radio`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES, CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bleak.uuids import normalize_uuid_16, normalize_uuid_str
from bumble import core
from bumble.att import ATT_Error
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Peer
from bumble.gatt_client import CharacteristicProxy, ServiceProxy

from sensor.ble.virtual.default import current_radio
from sensor.ble.virtual.peripheral import REMOTE_USER_TERMINATED
from sensor.ble.virtual.radio import Central, VirtualRadio

logger = logging.getLogger(__name__)

#: ATT MTU the virtual central asks for, bytes (what desktop stacks negotiate).
REQUESTED_MTU: int = 247

#: ATT MTU before the exchange, bytes (Bluetooth Core Vol 3 Part F 3.2.8).
DEFAULT_ATT_MTU: int = 23

_UUID16_LISTS = (
    AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
)
_UUID128_LISTS = (
    AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
)


@dataclass(frozen=True)
class VirtualDeviceDetails:
    """``BLEDevice.details`` of a device found on the virtual radio.

    Parameters
    ----------
    radio : VirtualRadio
        The radio the device was seen on; a client built from the
        ``BLEDevice`` connects through it.
    address : str
        The device address.
    """

    radio: VirtualRadio
    address: str


def advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    """Translate a bumble advertisement into bleak's ``AdvertisementData``.

    Parameters
    ----------
    advertisement : bumble.device.Advertisement
        One advertising report as the central's host accumulated it.

    Returns
    -------
    AdvertisementData
        Local name, manufacturer data by company id, service data and
        service UUIDs in bleak's normalised 128-bit form, TX power (None
        when absent) and RSSI in dBm.
    """
    name: str | None = None
    manufacturer: dict[int, bytes] = {}
    service_data: dict[str, bytes] = {}
    service_uuids: list[str] = []
    for ad_type, raw in advertisement.data.ad_structures:
        if ad_type in (AdvertisingData.COMPLETE_LOCAL_NAME, AdvertisingData.SHORTENED_LOCAL_NAME):
            name = raw.decode("utf-8", errors="replace")
        elif ad_type == AdvertisingData.MANUFACTURER_SPECIFIC_DATA and len(raw) >= 2:
            manufacturer[int.from_bytes(raw[:2], "little")] = bytes(raw[2:])
        elif ad_type in _UUID16_LISTS:
            service_uuids += [
                normalize_uuid_16(int.from_bytes(raw[i : i + 2], "little")) for i in range(0, len(raw) - 1, 2)
            ]
        elif ad_type in _UUID128_LISTS:
            service_uuids += [str(uuid.UUID(bytes=raw[i : i + 16][::-1])) for i in range(0, len(raw) - 15, 16)]
        elif ad_type == AdvertisingData.SERVICE_DATA_16_BIT_UUID and len(raw) >= 2:
            service_data[normalize_uuid_16(int.from_bytes(raw[:2], "little"))] = bytes(raw[2:])
    tx_power = None if advertisement.tx_power == Advertisement.TX_POWER_NOT_AVAILABLE else advertisement.tx_power
    return AdvertisementData(
        local_name=name,
        manufacturer_data=manufacturer,
        service_data=service_data,
        # The host merges the advertising PDU with its scan response, which
        # repeats structures; bleak reports each UUID once.
        service_uuids=list(dict.fromkeys(service_uuids)),
        tx_power=tx_power,
        rssi=int(advertisement.rssi),
        platform_data=(advertisement,),
    )


class VirtualScannerBackend(BaseBleakScanner):
    """bleak scanner backend that listens on a virtual radio.

    Parameters
    ----------
    detection_callback : callable or None
        Called with ``(BLEDevice, AdvertisementData)`` for every report.
    service_uuids : list of str or None
        Only report advertisements listing one of these services.
    scanning_mode : {"active", "passive"}
        Scan type requested from the controller.
    virtual_radio : VirtualRadio or None
        The radio to scan; None for the running loop's radio.
    **kwargs
        Platform arguments bleak passes to every backend (ignored).
    """

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        virtual_radio: VirtualRadio | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = virtual_radio
        self._active = scanning_mode != "passive"
        self._central: Central | None = None

    async def start(self) -> None:
        """Start scanning (clears :attr:`seen_devices`)."""
        if self._central is not None:
            raise BleakError("scanner already started")
        self.seen_devices = {}
        self._radio = self._radio or current_radio()
        central = await self._radio.open_central()
        central.device.on(central.device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await central.device.start_scanning(active=self._active, filter_duplicates=False)
        self._central = central

    async def stop(self) -> None:
        """Stop scanning and release the central."""
        central, self._central = self._central, None
        if central is not None:
            await central.device.stop_scanning()
            await central.close()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        assert self._radio is not None
        address = advertisement.address.to_string(False)
        device = self.create_or_update_device(
            address, address, adv.local_name, VirtualDeviceDetails(self._radio, address), adv
        )
        self.call_detection_callbacks(device, adv)


def _properties(proxy: CharacteristicProxy[bytes]) -> list[CharacteristicPropertyName]:
    return [name for bit, name in CHARACTERISTIC_PROPERTIES.items() if int(proxy.properties) & bit]


def _uuid_str(value: core.UUID) -> str:
    return normalize_uuid_str(value.to_hex_str("-"))


class VirtualClientBackend(BaseBleakClient):
    """bleak client backend that connects over a virtual radio.

    Parameters
    ----------
    address_or_ble_device : BLEDevice or str
        The peripheral: a ``BLEDevice`` from a virtual scan or its address.
    disconnected_callback : callable or None
        Called (no arguments) whenever an established link drops, whoever
        dropped it, as bleak's BlueZ backend does.
    timeout : float
        Connection timeout, s.
    services : set of str or None
        Only expose these services (bleak's ``services=`` argument).
    virtual_radio : VirtualRadio or None
        The radio to use; None for the one in the ``BLEDevice`` or the
        running loop's radio.
    virtual_mtu : int
        ATT MTU to ask for in the MTU exchange, bytes (23–517); lower it to
        see how a band treats a small MTU.
    **kwargs
        Platform arguments bleak passes to every backend (ignored).

    Notes
    -----
    Each connection opens its own central (controller) on the radio; the MTU
    exchange asks for ``virtual_mtu`` and discovery covers services,
    characteristics and descriptors before :meth:`connect` returns.
    """

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None,
        timeout: float,
        services: set[str] | None = None,
        virtual_radio: VirtualRadio | None = None,
        virtual_mtu: int = REQUESTED_MTU,
        **kwargs: Any,
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._requested_mtu = virtual_mtu
        details = address_or_ble_device.details if isinstance(address_or_ble_device, BLEDevice) else None
        if virtual_radio is None and isinstance(details, VirtualDeviceDetails):
            virtual_radio = details.radio
        self.address = self.address.upper()
        self._radio = virtual_radio
        self._wanted_services = services
        self._central: Central | None = None
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._mtu = DEFAULT_ATT_MTU
        self._subscriptions: dict[int, Callable[[bytes], None]] = {}
        self._cleanup_tasks: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str:
        """The peripheral's advertised name, or its address when unknown."""
        peripheral = self._radio.find(self.address) if self._radio is not None else None
        return peripheral.name if peripheral is not None else self.address.replace(":", "-")

    @property
    def mtu_size(self) -> int:
        """Negotiated ATT MTU, bytes (23 before connecting)."""
        return self._mtu

    @property
    def is_connected(self) -> bool:
        """True while the link is up."""
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Connect, exchange MTU and discover the GATT database.

        Raises
        ------
        BleakDeviceNotFoundError
            If no virtual peripheral has this address.
        asyncio.TimeoutError
            If the peripheral does not answer within the timeout (e.g. it is
            out of range or already connected to another central).
        """
        if self._connection is not None:
            return
        self._radio = self._radio or current_radio()
        peripheral = self._radio.find(self.address)
        if peripheral is None:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        central = await self._radio.open_central()
        try:
            # bumble's own connect timeout waits for the controller to confirm
            # the cancel, which the emulated controller never does; this
            # central is private to the attempt, so it is simply discarded.
            connection = await asyncio.wait_for(central.device.connect(peripheral.hci_address, timeout=None), self._timeout)
        except asyncio.TimeoutError:
            await central.close()
            raise asyncio.TimeoutError(f"no answer from {self.address} within {self._timeout} s") from None
        self._central, self._connection = central, connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            peer = Peer(connection)
            if self._requested_mtu > DEFAULT_ATT_MTU:
                self._mtu = await peer.request_mtu(self._requested_mtu)
            await peer.discover_all()
            self._peer = peer
            self.services = self._service_collection(peer.services)
        except (core.BaseBumbleError, asyncio.CancelledError):
            await self.disconnect()
            raise

    async def disconnect(self) -> None:
        """Drop the link (no-op when not connected) and wait until it is down."""
        connection, central = self._connection, self._central
        if connection is None or central is None:
            return
        try:
            await central.device.disconnect(connection, REMOTE_USER_TERMINATED)
        except core.BaseBumbleError as exc:
            logger.debug("disconnect from %s: %s", self.address, exc)
        await central.close()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Virtual bands need no pairing; accepted and ignored."""

    async def unpair(self) -> None:
        """Virtual bands need no pairing; accepted and ignored."""

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic's value (always from the peripheral)."""
        return bytearray(await self._gatt(self._live_peer().read_value(characteristic.handle)))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a descriptor's value."""
        return bytearray(await self._gatt(self._live_peer().read_value(descriptor.handle)))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool) -> None:
        """Write a characteristic, as a request (``response=True``) or a command."""
        await self._gatt(self._live_peer().write_value(characteristic.handle, bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: SizedBuffer) -> None:
        """Write a descriptor (with response)."""
        await self._gatt(self._live_peer().write_value(descriptor.handle, bytes(data), with_response=True))

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any) -> None:
        """Enable notifications (preferred) or indications and route values to ``callback``."""
        peer = self._live_peer()
        proxy: CharacteristicProxy[bytes] = characteristic.obj

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        self._subscriptions[characteristic.handle] = deliver
        await self._gatt(peer.subscribe(proxy, deliver, prefer_notify=True))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Disable notifications or indications on ``characteristic``."""
        peer = self._live_peer()
        deliver = self._subscriptions.pop(characteristic.handle, None)
        await self._gatt(peer.unsubscribe(characteristic.obj, deliver))

    def _live_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def _gatt(self, operation: Any) -> Any:
        try:
            return await operation
        except ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from None
        except core.BaseBumbleError as exc:
            raise BleakError(f"{self.address}: {exc}") from None

    def _service_collection(self, services: list[ServiceProxy]) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service_proxy in services:
            service = BleakGATTService(service_proxy, service_proxy.handle, _uuid_str(service_proxy.uuid))
            if self._wanted_services is not None and service.uuid not in self._wanted_services:
                continue
            collection.add_service(service)
            for char_proxy in service_proxy.characteristics:
                characteristic = BleakGATTCharacteristic(
                    char_proxy,
                    char_proxy.handle,
                    _uuid_str(char_proxy.uuid),
                    _properties(char_proxy),
                    lambda: self._mtu - 3,
                    service,
                )
                collection.add_characteristic(characteristic)
                for desc_proxy in char_proxy.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(desc_proxy, desc_proxy.handle, _uuid_str(desc_proxy.type), characteristic)
                    )
        return collection

    def _on_disconnection(self, reason: int) -> None:
        central = self._central
        self._connection = self._peer = self._central = None
        self.services = None
        self._subscriptions.clear()
        self._mtu = DEFAULT_ATT_MTU
        logger.debug("%s disconnected (HCI reason 0x%02X)", self.address, reason)
        if central is not None:
            # The central's controller is released in the background: this
            # runs inside bumble's event dispatch, which must not block.
            task = asyncio.get_running_loop().create_task(central.close())
            self._cleanup_tasks.add(task)
            task.add_done_callback(self._cleanup_tasks.discard)
        if self._disconnected_callback is not None:
            self._disconnected_callback()
