"""Scanning, target resolution and BandLink streaming through bleak against the virtual radio."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from sensor.ble.scan import find_band, resolve_target, scan
from sensor.ble.transport import BandLink
from sensor.ble.virtual import backend_kwargs
from sensor.ble.virtual.faults import MalformedKind, force_disconnect, inject_malformed_frame
from sensor.ble.virtual.polar import VirtualPolarBand
from sensor.ble.virtual.radio import VirtualRadio
from sensor.errors import BandNotFoundError, StoppedError
from sensor.types import Event, SampleBlock

from ble_helpers import TrivialPeripheral, motion_source, run

pytestmark = pytest.mark.ble

ACC = 2


def _band(duration_s: float = 5.0, speed: float = 40.0, **kwargs: object) -> VirtualPolarBand:
    return VirtualPolarBand(source=motion_source(duration_s=duration_s), speed=speed, **kwargs)  # type: ignore[arg-type]


def _samples(items: list[object]) -> int:
    return sum(len(i) for i in items if isinstance(i, SampleBlock))


def _kinds(items: list[object]) -> list[str]:
    return [i.kind for i in items if isinstance(i, Event)]


async def _found(radio: VirtualRadio, band: VirtualPolarBand) -> tuple[object, object]:
    return await resolve_target(band.address, 0.2, **backend_kwargs("scanner", radio))


async def _collect(link: BandLink, items: list[object]) -> None:
    async for item in link.items():
        items.append(item)


async def _until(condition: object, timeout_s: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout_s)


async def _stream_to_end(band: VirtualPolarBand) -> tuple[list[object], int, BandLink]:
    """Stream the band's whole source through a BandLink; return items, ACC samples sent, the link."""
    items: list[object] = []
    async with VirtualRadio([band]) as radio:
        link = BandLink(*await _found(radio, band), **backend_kwargs("client", radio))
        await link.connect()
        consumer = asyncio.create_task(_collect(link, items))
        await _until(lambda: _samples(items) > 0)  # negotiated and streaming
        await band.wait_until_done()
        await _until(lambda: _samples(items) >= band.log.count(ACC))
        await link.stop()
        await link.stop()  # a second stop is harmless
        await asyncio.wait_for(consumer, 2.0)
        return items, band.log.count(ACC), link


def test_scan_keeps_only_supported_bands() -> None:
    async def scenario() -> list[object]:
        async with VirtualRadio([_band(device_id="0A1B2C3D"), TrivialPeripheral()]) as radio:
            return await scan(0.3, **backend_kwargs("scanner", radio))

    found = run(scenario())
    assert [(f.name, f.address, f.band, f.model) for f in found] == [
        ("Polar Sense 0A1B2C3D", "A0:9E:1A:1B:2C:3D", "polar-pmd", "Verity Sense")
    ]
    assert isinstance(found[0].rssi, int)


@pytest.mark.parametrize("target", ["a0:9e:1a:1b:2c:3d", "Polar Sense 0A1B2C3D", "sense 0a1b"])
def test_resolve_by_address_name_or_fragment(target: str) -> None:
    async def scenario() -> tuple[object, object]:
        bands = [_band(device_id="0A1B2C3D"), _band(device_id="99887766")]
        async with VirtualRadio(bands) as radio:
            return await resolve_target(target, 0.3, **backend_kwargs("scanner", radio))

    device, protocol = run(scenario())
    assert device.address == "A0:9E:1A:1B:2C:3D"  # type: ignore[attr-defined]
    assert protocol.name == "polar-pmd"  # type: ignore[attr-defined]


def test_resolve_by_the_model_the_band_does_not_advertise_in_its_name() -> None:
    async def scenario() -> tuple[object, object]:
        async with VirtualRadio([_band(device_id="0A1B2C3D")]) as radio:
            return await resolve_target("verity", 0.3, **backend_kwargs("scanner", radio))

    device, _ = run(scenario())
    assert device.address == "A0:9E:1A:1B:2C:3D"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("target", "message"),
    [("11:22:33:44:55:66", "no band matches"), ("Polar", "several"), ("Verity Sense", "several")],
)
def test_unknown_or_ambiguous_target_is_band_not_found(target: str, message: str) -> None:
    async def scenario() -> None:
        bands = [_band(device_id="0A1B2C3D"), _band(device_id="99887766")]
        async with VirtualRadio(bands) as radio:
            await resolve_target(target, 0.3, **backend_kwargs("scanner", radio))

    with pytest.raises(BandNotFoundError, match=message) as info:
        run(scenario())
    assert "Polar Sense 0A1B2C3D" in str(info.value)


def test_finding_a_band_by_address_ends_the_scan_when_it_is_heard() -> None:
    async def scenario() -> tuple[str, float]:
        bands = [_band(device_id="0A1B2C3D"), _band(device_id="99887766")]
        async with VirtualRadio(bands) as radio:
            await radio.start()
            began = asyncio.get_running_loop().time()
            found = await find_band("a0:9e:1a:1b:2c:3d", 30.0, **backend_kwargs("scanner", radio))
            return found.address, asyncio.get_running_loop().time() - began

    address, took_s = run(scenario(), timeout_s=60.0)
    assert address == "A0:9E:1A:1B:2C:3D"
    # Nowhere near the 30 s allowed: the first advertisement ends it.
    assert took_s < 10.0


def test_stop_ends_a_scan_early_with_the_bands_heard_so_far() -> None:
    async def scenario() -> tuple[list[str], float]:
        async with VirtualRadio([_band(device_id="0A1B2C3D")]) as radio:
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(1.0, stop.set)
            began = asyncio.get_running_loop().time()
            found = await scan(30.0, stop=stop, **backend_kwargs("scanner", radio))
            return [f.address for f in found], asyncio.get_running_loop().time() - began

    addresses, took_s = run(scenario(), timeout_s=60.0)
    assert addresses == ["A0:9E:1A:1B:2C:3D"]
    assert 1.0 <= took_s < 10.0


def test_stop_while_looking_for_a_band_is_a_stop_not_a_missing_band() -> None:
    async def scenario() -> None:
        async with VirtualRadio([_band(device_id="0A1B2C3D")]) as radio:
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(0.5, stop.set)
            await find_band("11:22:33:44:55:66", 30.0, stop=stop, **backend_kwargs("scanner", radio))

    with pytest.raises(StoppedError, match="stopped while looking for '11:22:33:44:55:66'"):
        run(scenario(), timeout_s=60.0)


def test_link_streams_every_sample_the_band_sent() -> None:
    items, sent, link = run(_stream_to_end(_band(battery_percent=55)))
    assert sent > 200
    assert _samples(items) == sent
    assert link.decode_errors == 0 and not link.is_connected
    assert items[0] == Event(0.0, "battery", {"percent": 55})
    blocks = SampleBlock.concat([i for i in items if isinstance(i, SampleBlock)])
    assert blocks.has_gyro and np.all(np.diff(blocks.t) > 0)


def test_forced_disconnect_reconnects_and_streaming_resumes() -> None:
    async def scenario() -> list[object]:
        band = _band(duration_s=30.0, speed=10.0)
        items: list[object] = []
        async with VirtualRadio([band]) as radio:
            link = BandLink(*await _found(radio, band), give_up_after_s=5.0, **backend_kwargs("client", radio))
            await link.connect()
            consumer = asyncio.create_task(_collect(link, items))
            await _until(lambda: _samples(items) > 0)
            assert await force_disconnect(band) == 1
            await _until(lambda: "reconnected" in _kinds(items))
            resumed_at = len(items)
            await _until(lambda: _samples(items[resumed_at:]) > 50)
            await link.stop()
            await asyncio.wait_for(consumer, 2.0)
        return items

    items = run(scenario())
    kinds = _kinds(items)
    assert kinds.index("disconnected") < kinds.index("reconnected")
    positions = {getattr(i, "kind", None): n for n, i in enumerate(items)}
    before, after = items[: positions["disconnected"]], items[positions["reconnected"] :]
    last_before = max(i.end_s for i in before if isinstance(i, SampleBlock))
    first_after = min(i.start_s for i in after if isinstance(i, SampleBlock) and len(i))
    assert first_after > last_before  # session time keeps running across the reconnect


def test_malformed_frame_is_skipped_counted_and_reported_once() -> None:
    band = _band()
    inject_malformed_frame(band, MalformedKind.TRUNCATED)
    inject_malformed_frame(band, MalformedKind.UNKNOWN_FRAME_TYPE)
    items, sent, link = run(_stream_to_end(band))
    assert link.decode_errors == 2
    assert _kinds(items).count("decode_error") == 1
    assert _samples(items) == sent  # the session went on after the broken frames
