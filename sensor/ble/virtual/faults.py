"""Faults a test can force on a virtual band: dropped links and malformed frames.

Both act from the peripheral's side, so bleak's side meets them exactly as
it would meet a real band's misbehaviour: a disconnection event (bleak's
``disconnected_callback``) and a notification whose bytes do not decode.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import TYPE_CHECKING

from sensor.ble.virtual.peripheral import REMOTE_USER_TERMINATED, VirtualPeripheral

if TYPE_CHECKING:
    from sensor.ble.virtual.polar import VirtualPolarBand


class MalformedKind(str, Enum):
    """How a frame is broken.

    ``TRUNCATED``
        The last byte is cut off, so the delta blocks no longer consume the
        payload exactly (what a lost tail of a long write looks like).
    ``UNKNOWN_FRAME_TYPE``
        The frame-type byte is set to 0x7F, a type no band defines.
    ``HEADER_ONLY``
        Only the 10-byte header survives: no samples.
    """

    TRUNCATED = "truncated"
    UNKNOWN_FRAME_TYPE = "unknown-frame-type"
    HEADER_ONLY = "header-only"


_FRAME_TYPE_BYTE = 9
_HEADER_BYTES = 10


def malform(payload: bytes, kind: MalformedKind) -> bytes:
    """Return a broken copy of a PMD data frame.

    Parameters
    ----------
    payload : bytes
        A well-formed frame (header of 10 bytes, then content).
    kind : MalformedKind
        How to break it.

    Returns
    -------
    bytes
        The malformed frame.
    """
    if kind is MalformedKind.TRUNCATED:
        return payload[:-1]
    if kind is MalformedKind.UNKNOWN_FRAME_TYPE:
        return payload[:_FRAME_TYPE_BYTE] + b"\x7f" + payload[_FRAME_TYPE_BYTE + 1 :]
    return payload[:_HEADER_BYTES]


async def force_disconnect(
    peripheral: VirtualPeripheral, *, reason: int = REMOTE_USER_TERMINATED, away_s: float = 0.0
) -> int:
    """Drop every link of a peripheral from its side, mid-stream if it streams.

    Parameters
    ----------
    peripheral : VirtualPeripheral
        The band to disconnect.
    reason : int
        HCI reason code the central receives (default: remote user
        terminated connection, 0x13).
    away_s : float
        Keep the band out of range (not advertising) for this long, s,
        before it can be found and reconnected again; 0 allows an immediate
        reconnect.

    Returns
    -------
    int
        Number of links dropped.
    """
    if away_s > 0:
        await peripheral.set_in_range(False)
    dropped = await peripheral.disconnect_all(reason)
    if away_s > 0:
        await asyncio.sleep(away_s)
        await peripheral.set_in_range(True)
    return dropped


def inject_malformed_frame(
    band: VirtualPolarBand, kind: MalformedKind = MalformedKind.TRUNCATED, measurement: int = 2
) -> None:
    """Make the band's next data frame of a measurement malformed.

    Parameters
    ----------
    band : VirtualPolarBand
        The band.
    kind : MalformedKind
        How the frame is broken.
    measurement : int
        PMD measurement type whose next frame is broken (2 ACC, 5 GYRO).

    Notes
    -----
    The broken frame replaces a real one, so its samples never reach the
    receiver; the band's :class:`~sensor.ble.virtual.playback.SentLog`
    records it with ``malformed=True``.
    """
    band.queue_malformed(measurement, kind)
