"""Find nearby bands Repband can speak to, and pick one by address or name.

Backend keyword arguments (``**backend``) go straight to ``BleakScanner``;
without any, :func:`sensor.ble.virtual.env_backend_kwargs` chooses the OS radio
or, with ``REPBAND_BLE=virtual``, the emulated one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from sensor.bands.base import Advert, BandProtocol, normalize_uuid
from sensor.bands.registry import band_by_name, match_advert
from sensor.ble.virtual import env_backend_kwargs
from sensor.errors import BandNotFoundError, RadioUnavailableError, StoppedError
from sensor.interrupts import stop_on_interrupt


@dataclass(frozen=True)
class FoundBand:
    """A band heard during a scan that a supported protocol recognises.

    Parameters
    ----------
    name : str
        Advertised local name ("" when the band sent none).
    address : str
        Device address (a MAC on Linux/Windows, a UUID on macOS).
    band : str
        Protocol name (e.g. ``"polar-pmd"``).
    rssi : int or None
        Received signal strength, dBm.
    model : str
        Model name the protocol reads from the advertisement.
    device : BLEDevice
        bleak's handle, needed to connect.
    advert : Advert
        The advertisement as plain data.
    """

    name: str
    address: str
    band: str
    rssi: int | None
    model: str
    device: BLEDevice = field(repr=False, compare=False)
    advert: Advert = field(repr=False, compare=False)

    @property
    def protocol(self) -> BandProtocol:
        """The protocol that speaks to this band."""
        return band_by_name(self.band)

    def to_json_dict(self) -> dict[str, Any]:
        """Return the fields ``repband scan --json`` prints."""
        return {"name": self.name, "address": self.address, "band": self.band, "model": self.model, "rssi": self.rssi}


def to_advert(device: BLEDevice, adv: AdvertisementData) -> Advert:
    """Copy bleak's advertisement fields into Repband's :class:`Advert` (UUIDs normalised)."""
    return Advert(
        name=adv.local_name or device.name,
        address=device.address,
        rssi=adv.rssi,
        manufacturer_data={int(k): bytes(v) for k, v in adv.manufacturer_data.items()},
        service_uuids=tuple(normalize_uuid(u) for u in adv.service_uuids),
        service_data={normalize_uuid(k): bytes(v) for k, v in adv.service_data.items()},
    )


async def scan(
    timeout_s: float,
    *,
    until: Callable[[FoundBand], bool] | None = None,
    stop: asyncio.Event | None = None,
    **backend: Any,
) -> list[FoundBand]:
    """Listen for advertisements and return the supported bands heard.

    Parameters
    ----------
    timeout_s : float
        Longest time to listen, s.
    until : callable, optional
        Stop listening as soon as a band for which this returns True is heard.
    stop : asyncio.Event, optional
        Stop listening when set (e.g. by Ctrl-C); the bands heard so far are returned.
    **backend
        Keyword arguments for ``BleakScanner`` (default: from the environment).

    Returns
    -------
    list of FoundBand
        Strongest signal first; bands no protocol recognises are left out.
    """
    kwargs = backend or env_backend_kwargs("scanner")
    enough = asyncio.Event()

    def on_advert(device: BLEDevice, adv: AdvertisementData) -> None:
        if until is not None and not enough.is_set():
            band = recognise(device, adv)
            if band is not None and until(band):
                enough.set()

    try:
        scanner = BleakScanner(detection_callback=on_advert, **kwargs)
        async with scanner:
            await _first_of((enough, stop), timeout_s)
    except (BleakError, OSError) as exc:
        # No adapter, Bluetooth off, or no system Bluetooth service: say so in one line.
        raise RadioUnavailableError(
            f"cannot use the Bluetooth radio ({type(exc).__name__}: {exc or 'unavailable'}); "
            "to try Repband without a band, set REPBAND_BLE=virtual"
        ) from None
    heard = scanner.discovered_devices_and_advertisement_data.values()
    found = [band for band in (recognise(device, adv) for device, adv in heard) if band is not None]
    return sorted(found, key=lambda f: -(f.rssi if f.rssi is not None else -999))


async def _first_of(events: tuple[asyncio.Event | None, ...], timeout_s: float) -> None:
    """Wait until one of the events (None: never) is set or ``timeout_s`` (s) has passed."""
    waits = [asyncio.ensure_future(event.wait()) for event in events if event is not None]
    try:
        await asyncio.wait(waits, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def recognise(device: BLEDevice, adv: AdvertisementData) -> FoundBand | None:
    """The band an advertisement comes from, or None if no supported protocol recognises it."""
    advert = to_advert(device, adv)
    protocol = match_advert(advert)
    if protocol is None:
        return None
    return FoundBand(
        name=advert.name or "",
        address=device.address,
        band=protocol.name,
        rssi=advert.rssi,
        model=protocol.model(advert),
        device=device,
        advert=advert,
    )


async def scan_until_interrupted(timeout_s: float, **backend: Any) -> list[FoundBand]:
    """:func:`scan` for ``timeout_s`` (s), where Ctrl-C ends the listening early and keeps what was heard."""
    stop = asyncio.Event()
    with stop_on_interrupt(stop):
        return await scan(timeout_s, stop=stop, **backend)


def pick(target: str, found: list[FoundBand]) -> FoundBand:
    """Choose the band a user meant: by address (any case), name (exact, else unique substring) or model.

    The model is what the protocol reads from the advertisement ("Verity
    Sense"): bands often advertise a name that does not say it ("Polar Sense
    A1B2C3D4"), and the model is what their owner knows.

    Raises
    ------
    BandNotFoundError
        Nothing matches, or a name fragment matches several bands.
    """
    wanted = target.strip()
    for candidates in (
        [f for f in found if f.address.lower() == wanted.lower()],
        [f for f in found if f.name == wanted],
        [f for f in found if wanted and wanted.lower() in f.name.lower()],
        [f for f in found if wanted and wanted.lower() in f.model.lower()],
    ):
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            names = ", ".join(f"{f.name} ({f.address})" for f in candidates)
            raise BandNotFoundError(f"{target!r} matches several bands: {names}; give the address")
    heard = ", ".join(f"{f.name} ({f.address})" for f in found) or "no supported band"
    raise BandNotFoundError(f"no band matches {target!r}; found: {heard}")


async def find_band(target: str, timeout_s: float, *, stop: asyncio.Event | None = None, **backend: Any) -> FoundBand:
    """Scan, then :func:`pick` the band ``target`` names (address or name).

    The scan ends as soon as the band with address ``target`` is heard; a
    name is looked for the whole ``timeout_s``, as another band may carry it too.

    Parameters
    ----------
    target : str
        Address (case-insensitive) or name (exact, or a fragment unique among the bands found).
    timeout_s : float
        Longest scan, s.
    stop : asyncio.Event, optional
        Give up when set (e.g. by Ctrl-C).
    **backend
        Keyword arguments for ``BleakScanner`` (default: from the environment).

    Raises
    ------
    BandNotFoundError
        No band, or more than one, matches.
    StoppedError
        ``stop`` was set before the band was found.
    """
    wanted = target.strip().lower()
    found = await scan(timeout_s, until=lambda band: band.address.lower() == wanted, stop=stop, **backend)
    if stop is not None and stop.is_set():
        raise StoppedError(f"stopped while looking for {target!r}")
    return pick(target, found)


async def resolve_target(target: str, timeout_s: float, **backend: Any) -> tuple[BLEDevice, BandProtocol]:
    """Return bleak's device and the protocol for the band ``target`` names; see :func:`find_band`."""
    found = await find_band(target, timeout_s, **backend)
    return found.device, found.protocol
