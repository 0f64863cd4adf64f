"""Band protocols: pure byte-level knowledge of each supported band, no I/O.

See :mod:`sensor.bands.base` for how a transport drives a band, and
:mod:`sensor.bands.registry` for the list of supported bands.
"""

from __future__ import annotations

from sensor.bands.base import Advert, BandCapabilities, BandProtocol, BandSession, Write
from sensor.bands.registry import PROTOCOLS, band_by_name, bands_table, match_advert

__all__ = [
    "PROTOCOLS",
    "Advert",
    "BandCapabilities",
    "BandProtocol",
    "BandSession",
    "Write",
    "band_by_name",
    "bands_table",
    "match_advert",
]
