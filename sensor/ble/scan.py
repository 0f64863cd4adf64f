"""Find nearby bands Repband can speak to, and pick one by address or name.

Backend keyword arguments (``**backend``) go straight to ``BleakScanner``;
without any, :func:`sensor.ble.virtual.env_backend_kwargs` chooses the OS radio
or, with ``REPBAND_BLE=virtual``, the emulated one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from sensor.bands.base import Advert, BandProtocol, normalize_uuid
from sensor.bands.registry import band_by_name, match_advert
from sensor.ble.virtual import env_backend_kwargs
from sensor.errors import BandNotFoundError, RadioUnavailableError


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


async def scan(timeout_s: float, **backend: Any) -> list[FoundBand]:
    """Listen for advertisements and return the supported bands heard.

    Parameters
    ----------
    timeout_s : float
        How long to listen, s.
    **backend
        Keyword arguments for ``BleakScanner`` (default: from the environment).

    Returns
    -------
    list of FoundBand
        Strongest signal first; bands no protocol recognises are left out.
    """
    kwargs = backend or env_backend_kwargs("scanner")
    try:
        heard = await BleakScanner.discover(timeout=timeout_s, return_adv=True, **kwargs)
    except (BleakError, OSError) as exc:
        # No adapter, Bluetooth off, or no system Bluetooth service: say so in one line.
        raise RadioUnavailableError(
            f"cannot use the Bluetooth radio ({type(exc).__name__}: {exc or 'unavailable'}); "
            "to try Repband without a band, set REPBAND_BLE=virtual"
        ) from None
    found = []
    for device, adv in heard.values():
        advert = to_advert(device, adv)
        protocol = match_advert(advert)
        if protocol is not None:
            found.append(
                FoundBand(
                    name=advert.name or "",
                    address=device.address,
                    band=protocol.name,
                    rssi=advert.rssi,
                    model=protocol.model(advert),
                    device=device,
                    advert=advert,
                )
            )
    return sorted(found, key=lambda f: -(f.rssi if f.rssi is not None else -999))


def pick(target: str, found: list[FoundBand]) -> FoundBand:
    """Choose the band a user meant by address (any case) or name (exact, else unique substring).

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
    ):
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            names = ", ".join(f"{f.name} ({f.address})" for f in candidates)
            raise BandNotFoundError(f"{target!r} matches several bands: {names}; give the address")
    heard = ", ".join(f"{f.name} ({f.address})" for f in found) or "no supported band"
    raise BandNotFoundError(f"no band matches {target!r}; found: {heard}")


async def find_band(target: str, timeout_s: float, **backend: Any) -> FoundBand:
    """Scan, then :func:`pick` the band ``target`` names (address or name).

    Parameters
    ----------
    target : str
        Address (case-insensitive) or name (exact, or a fragment unique among the bands found).
    timeout_s : float
        Scan duration, s.
    **backend
        Keyword arguments for ``BleakScanner`` (default: from the environment).

    Raises
    ------
    BandNotFoundError
        No band, or more than one, matches.
    """
    return pick(target, await scan(timeout_s, **backend))


async def resolve_target(target: str, timeout_s: float, **backend: Any) -> tuple[BLEDevice, BandProtocol]:
    """Return bleak's device and the protocol for the band ``target`` names; see :func:`find_band`."""
    found = await find_band(target, timeout_s, **backend)
    return found.device, found.protocol
