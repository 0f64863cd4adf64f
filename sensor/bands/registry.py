"""The band protocols Repband speaks, and lookup by advertisement or name."""

from __future__ import annotations

from dataclasses import dataclass

from sensor.bands.base import Advert, BandProtocol
from sensor.bands.polar_pmd import PolarPmd
from sensor.errors import BandNotFoundError

#: Every supported band family, in the order scans report them.
PROTOCOLS: tuple[BandProtocol, ...] = (PolarPmd(),)


@dataclass(frozen=True)
class BandRow:
    """One line of the ``repband bands`` table.

    Parameters
    ----------
    name : str
        Protocol name used on the command line and in recordings.
    display_name : str
        Band family.
    streams : str
        What the band streams (sensors, rates).
    has_gyro : bool
        True when at least one model streams a gyroscope.
    """

    name: str
    display_name: str
    streams: str
    has_gyro: bool


def match_advert(advert: Advert) -> BandProtocol | None:
    """Return the protocol of the first family that recognises the advertisement, else None."""
    return next((p for p in PROTOCOLS if p.matches(advert)), None)


def band_by_name(name: str) -> BandProtocol:
    """Return the protocol called ``name`` (case-insensitive).

    Raises
    ------
    BandNotFoundError
        No supported band has that name.
    """
    wanted = name.strip().lower()
    for protocol in PROTOCOLS:
        if protocol.name == wanted:
            return protocol
    known = ", ".join(p.name for p in PROTOCOLS)
    raise BandNotFoundError(f"unknown band type {name!r}; supported: {known}")


def bands_table() -> list[BandRow]:
    """Rows for ``repband bands``: each supported family and what it streams."""
    return [
        BandRow(p.name, p.display_name, p.streams, p.capabilities().has_gyro) for p in PROTOCOLS
    ]
