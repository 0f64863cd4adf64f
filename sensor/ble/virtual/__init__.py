"""Emulated BLE radio: a bleak backend over bumble's in-process link, and virtual bands.

The emulator is reached only through bleak's public API::

    radio = VirtualRadio()
    band = radio.add(VirtualPolarBand(source=recording.samples, speed=20.0))
    async with BleakScanner(**backend_kwargs("scanner", radio)) as scanner: ...
    async with BleakClient(band.address, **backend_kwargs("client", radio)) as client: ...

With ``REPBAND_BLE=virtual`` set, :func:`env_backend_kwargs` returns the same
arguments for the running loop's radio (see :mod:`sensor.ble.virtual.default`
for the ``REPBAND_VIRTUAL_*`` variables), and ``{}`` otherwise, so the app's
BLE code passes ``**env_backend_kwargs(role)`` to bleak and never branches.

Importing this package is cheap; bumble loads on first use of the radio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sensor.ble.virtual.backend import VirtualClientBackend, VirtualDeviceDetails, VirtualScannerBackend
    from sensor.ble.virtual.default import VirtualBandSettings, current_radio, use_radio
    from sensor.ble.virtual.faults import MalformedKind, force_disconnect, inject_malformed_frame
    from sensor.ble.virtual.peripheral import AdvertisingFacts, VirtualPeripheral
    from sensor.ble.virtual.playback import SentFrame, SentLog
    from sensor.ble.virtual.polar import VirtualPolarBand
    from sensor.ble.virtual.radio import VirtualRadio

Role = Literal["scanner", "client"]

_LAZY = {
    "VirtualClientBackend": "backend",
    "VirtualDeviceDetails": "backend",
    "VirtualScannerBackend": "backend",
    "VirtualBandSettings": "default",
    "current_radio": "default",
    "use_radio": "default",
    "MalformedKind": "faults",
    "force_disconnect": "faults",
    "inject_malformed_frame": "faults",
    "AdvertisingFacts": "peripheral",
    "VirtualPeripheral": "peripheral",
    "SentFrame": "playback",
    "SentLog": "playback",
    "VirtualPolarBand": "polar",
    "VirtualRadio": "radio",
}

__all__ = ["Role", "backend_kwargs", "env_backend_kwargs", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    # Lazy exports keep `import sensor.ble.virtual` from loading bumble
    # (a quarter of a second) in commands that never touch the radio.
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def backend_kwargs(role: Role, radio: VirtualRadio | None = None) -> dict[str, Any]:
    """Keyword arguments that point a bleak scanner or client at the virtual radio.

    Parameters
    ----------
    role : {"scanner", "client"}
        ``"scanner"`` for ``BleakScanner``, ``"client"`` for ``BleakClient``
        (and bleak-retry-connector's ``establish_connection``, which forwards
        them).
    radio : VirtualRadio or None
        The radio to use; None for the running event loop's radio at the
        time of scanning or connecting.

    Returns
    -------
    dict
        ``{"backend": <class>}`` plus ``{"virtual_radio": radio}`` when a
        radio is given.
    """
    from sensor.ble.virtual.backend import VirtualClientBackend, VirtualScannerBackend

    if role not in ("scanner", "client"):
        raise ValueError(f"role must be 'scanner' or 'client', not {role!r}")
    kwargs: dict[str, Any] = {"backend": VirtualScannerBackend if role == "scanner" else VirtualClientBackend}
    if radio is not None:
        kwargs["virtual_radio"] = radio
    return kwargs


def env_backend_kwargs(role: Role) -> dict[str, Any]:
    """Return :func:`backend_kwargs` when ``REPBAND_BLE=virtual``, else ``{}`` (the OS radio)."""
    from sensor.ble.virtual.default import virtual_selected

    return backend_kwargs(role) if virtual_selected() else {}
