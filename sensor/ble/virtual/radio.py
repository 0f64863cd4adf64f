"""The virtual radio: bumble controllers on one in-process ``LocalLink``.

A :class:`VirtualRadio` is the air between bleak's side and the virtual bands.
Every party gets its own bumble ``Controller`` on the shared link: each
virtual band (a peripheral that advertises and serves GATT) and each bleak
scanner or client (a central opened with :meth:`VirtualRadio.open_central`).
Packets travel between controllers as HCI/LL traffic through bumble's stack,
so bleak's side sees real advertising reports, ATT MTU exchange, GATT
discovery, notifications and indications.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink

if TYPE_CHECKING:
    from sensor.ble.virtual.peripheral import VirtualPeripheral

#: Largest LE ACL payload a controller handles, bytes. The bumble default (27)
#: splits every 228-byte PMD frame into nine link packets and caps the link at
#: about 2,000 notifications/s; 251 (LE data length extension) gives ~10,000/s.
LE_ACL_OCTETS: int = 251


def new_controller(name: str, link: LocalLink, public_address: str | None = None) -> Controller:
    """Create a bumble controller on ``link`` with data length extension enabled.

    Parameters
    ----------
    name : str
        Controller name (shown in bumble's debug logs only).
    link : LocalLink
        The in-process link the controller joins.
    public_address : str or None
        Public device address ``"AA:BB:CC:DD:EE:FF"``, or None for none.

    Returns
    -------
    Controller
        The controller; it must be created inside a running event loop.
    """
    controller = Controller(name, link=link, public_address=public_address)
    controller.le_acl_data_packet_length = LE_ACL_OCTETS
    controller.supported_max_tx_octets = LE_ACL_OCTETS
    controller.supported_max_rx_octets = LE_ACL_OCTETS
    controller.suggested_max_tx_octets = LE_ACL_OCTETS
    return controller


class Central:
    """A central's bumble device on the radio, owned by one bleak scanner or client.

    Parameters
    ----------
    radio : VirtualRadio
        The radio the central joins.
    device : bumble.device.Device
        The powered-on bumble device (host + controller).
    controller : bumble.controller.Controller
        Its controller on the radio's link.
    """

    def __init__(self, radio: VirtualRadio, device: Device, controller: Controller) -> None:
        self.radio = radio
        self.device = device
        self._controller = controller
        self._closed = False

    async def close(self) -> None:
        """Power the central off and take its controller off the link (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self.device.power_off()
        self.radio.link.remove_controller(self._controller)


class VirtualRadio:
    """An in-process BLE radio with virtual peripherals in range.

    Parameters
    ----------
    peripherals : iterable of VirtualPeripheral
        Peripherals (virtual bands) in range from the start; more can be
        added with :meth:`add`.

    Notes
    -----
    bumble objects belong to the event loop they were created in, so a radio
    is started (:meth:`start`) inside a running loop and used only from that
    loop. Starting is idempotent and also attaches peripherals added since
    the last start; bleak backends call it before every scan or connection.

    ``async with VirtualRadio(...) as radio:`` starts the radio and closes
    it on the way out.

    Examples
    --------
    >>> band = VirtualPolarBand(source=recording.samples)              # doctest: +SKIP
    >>> async with VirtualRadio([band]) as radio:                      # doctest: +SKIP
    ...     async with BleakClient(band.address, **backend_kwargs("client", radio)) as client:
    ...         ...
    """

    def __init__(self, peripherals: Iterable[VirtualPeripheral] = ()) -> None:
        self.link = LocalLink()
        self._peripherals: list[VirtualPeripheral] = []
        self._central_ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start_lock: asyncio.Lock | None = None
        for peripheral in peripherals:
            self.add(peripheral)

    @property
    def peripherals(self) -> tuple[VirtualPeripheral, ...]:
        """Peripherals in range, in the order they were added."""
        return tuple(self._peripherals)

    def add(self, peripheral: VirtualPeripheral) -> VirtualPeripheral:
        """Put a peripheral in range; it goes on air at the next :meth:`start`.

        Returns
        -------
        VirtualPeripheral
            The same peripheral, for chaining.

        Raises
        ------
        ValueError
            If another peripheral already uses the same address.
        """
        if self.find(peripheral.address) is not None:
            raise ValueError(f"a peripheral with address {peripheral.address} is already on this radio")
        self._peripherals.append(peripheral)
        return peripheral

    def find(self, address: str) -> VirtualPeripheral | None:
        """Return the peripheral with this address (case-insensitive), or None."""
        wanted = address.upper()
        return next((p for p in self._peripherals if p.address == wanted), None)

    async def start(self) -> None:
        """Bind the radio to the running loop and put every added peripheral on air.

        Raises
        ------
        RuntimeError
            If the radio was started in a different event loop.
        """
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._start_lock = asyncio.Lock()
        elif self._loop is not loop:
            raise RuntimeError("this VirtualRadio belongs to another event loop; build one per loop")
        assert self._start_lock is not None
        async with self._start_lock:
            for peripheral in self._peripherals:
                if not peripheral.attached:
                    await peripheral.attach(self.link)

    async def open_central(self) -> Central:
        """Start the radio and add a new powered-on central (own controller, own address).

        Returns
        -------
        Central
            Close it with :meth:`Central.close` when done.
        """
        await self.start()
        n = next(self._central_ids)
        # Random static address: the two top bits of the first byte are set.
        address = Address(f"C2:00:00:00:{n >> 8 & 0xFF:02X}:{n & 0xFF:02X}")
        controller = new_controller(f"central-{n}", self.link)
        device = Device(name=f"repband-central-{n}", address=address, host=Host(controller, controller))
        await device.power_on()
        return Central(self, device, controller)

    async def close(self) -> None:
        """Take every peripheral off air (dropping its connections) and stop its tasks."""
        for peripheral in self._peripherals:
            if peripheral.attached:
                await peripheral.detach()

    async def __aenter__(self) -> VirtualRadio:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
