"""The virtual Verity Sense through bleak: advertisement, GATT, control point byte for byte, streaming."""

from __future__ import annotations

import asyncio
import struct

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner

from sensor.bands import polar_pmd as pmd
from sensor.bands.base import Advert
from sensor.bands.registry import match_advert
from sensor.ble.virtual import backend_kwargs
from sensor.ble.virtual.faults import MalformedKind, force_disconnect, inject_malformed_frame
from sensor.ble.virtual.polar import VirtualPolarBand
from sensor.ble.virtual.radio import VirtualRadio
from sensor.errors import DecodeError
from sensor.types import SampleBlock
from sensor.units import G_STANDARD

from ble_helpers import PmdLink, motion_source, run

pytestmark = pytest.mark.ble

ACC, GYRO = 2, 5
START_ACC_52 = bytes.fromhex("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03")  # issue #443
START_GYRO_52 = bytes.fromhex("02 05 00 01 34 00 01 01 10 00 02 01 D0 07 04 01 03")
ACC_FACTOR_TLV = bytes.fromhex("05 01") + struct.pack("<f", 2.44e-4)


def _band(**kwargs: object) -> VirtualPolarBand:
    return VirtualPolarBand(source=kwargs.pop("source", motion_source()), **kwargs)  # type: ignore[arg-type]


def test_advertises_like_a_verity_sense() -> None:
    async def scenario() -> None:
        band = _band(device_id="0a1b2c3d")
        async with VirtualRadio([band]) as radio:
            found = await BleakScanner.discover(timeout=0.3, return_adv=True, **backend_kwargs("scanner", radio))
        device, adv = found["A0:9E:1A:1B:2C:3D"]
        assert adv.local_name == device.name == "Polar Sense 0A1B2C3D"
        assert 0x006B in adv.manufacturer_data
        assert "0000180d-0000-1000-8000-00805f9b34fb" in adv.service_uuids
        assert isinstance(adv.rssi, int)
        advert = Advert(
            name=adv.local_name,
            address=device.address,
            rssi=adv.rssi,
            manufacturer_data=adv.manufacturer_data,
            service_uuids=tuple(adv.service_uuids),
            service_data=adv.service_data,
        )
        protocol = match_advert(advert)
        assert protocol is not None and protocol.name == "polar-pmd"

    run(scenario())


def test_gatt_database_battery_and_features() -> None:
    async def scenario() -> None:
        band = _band(battery_percent=64)
        async with VirtualRadio([band]) as radio:
            async with BleakClient(band.address, **backend_kwargs("client", radio)) as client:
                chars = client.services.characteristics.values()
                props = {c.uuid: set(c.properties) for c in chars}
                assert props[pmd.PMD_CP_UUID] == {"read", "write", "indicate"}
                assert props[pmd.PMD_DATA_UUID] == {"notify"}
                assert props[pmd.BATTERY_LEVEL_UUID] == {"read", "notify"}
                assert client.services.get_service("180a") is not None
                assert client.services.get_service("180d") is not None
                assert await client.read_gatt_char(pmd.BATTERY_LEVEL_UUID) == bytearray([64])
                levels: list[int] = []
                await client.start_notify(pmd.BATTERY_LEVEL_UUID, lambda _, v: levels.append(v[0]))
                await band.set_battery(63)
                await asyncio.sleep(0.05)
                assert levels == [63]
                features = await client.read_gatt_char(pmd.PMD_CP_UUID)
                assert features[0] == 0x0F
                assert {pmd.MeasurementType.ACC, pmd.MeasurementType.GYRO} <= pmd.parse_features(bytes(features))
                serial = await client.read_gatt_char("2a25")
                assert serial.decode() == "A1B2C3D4"

    run(scenario())


def test_control_point_byte_for_byte() -> None:
    async def scenario() -> None:
        band = _band()
        async with VirtualRadio([band]) as radio:
            async with BleakClient(band.address, **backend_kwargs("client", radio)) as client:
                link = PmdLink(client)
                await link.subscribe(cp=True, data=False)
                with pytest.raises(asyncio.TimeoutError):  # silent until both CCCDs are on
                    await link.command(bytes.fromhex("01 02"), timeout_s=0.2)
                await link.subscribe(cp=False, data=True)
                assert await link.command(bytes.fromhex("01 02")) == bytes.fromhex(
                    "F0 01 02 00 00 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"
                )
                assert await link.command(bytes.fromhex("01 05")) == bytes.fromhex(
                    "F0 01 05 00 00 00 01 34 00 01 01 10 00 02 01 D0 07 04 01 03"
                )
                assert await link.command(START_ACC_52) == bytes.fromhex("F0 02 02 00 00") + ACC_FACTOR_TLV
                assert await link.command(START_ACC_52) == bytes.fromhex("F0 02 02 06 00")  # ALREADY_IN_STATE
                assert band.streaming == (pmd.MeasurementType.ACC,)
                assert await link.command(bytes.fromhex("03 02")) == bytes.fromhex("F0 03 02 00 00")
                assert band.streaming == ()
                start_104 = START_ACC_52.replace(bytes.fromhex("34 00"), bytes.fromhex("68 00"), 1)
                assert await link.command(start_104) == bytes.fromhex("F0 02 02 08 00")  # INVALID_SAMPLE_RATE
                start_16g = START_ACC_52.replace(bytes.fromhex("02 01 08 00"), bytes.fromhex("02 01 10 00"))
                assert await link.command(start_16g) == bytes.fromhex("F0 02 02 09 00")  # INVALID_RANGE
                start_2ch = START_ACC_52[:-1] + b"\x02"
                assert await link.command(start_2ch) == bytes.fromhex("F0 02 02 0B 00")  # INVALID_NUMBER_OF_CHANNELS
                assert await link.command(bytes.fromhex("01 00")) == bytes.fromhex("F0 01 00 03 00")  # ECG: NOT_SUPPORTED
                assert await link.command(bytes.fromhex("01 04")) == bytes.fromhex("F0 01 04 02 00")  # no type 4
                assert await link.command(bytes.fromhex("0C 02")) == bytes.fromhex("F0 0C 02 01 00")  # bad op code
                assert await link.command(bytes.fromhex("01")) == bytes.fromhex("F0 01 00 04 00")  # INVALID_LENGTH
                # SDK mode opens the full ranges.
                assert await link.command(bytes.fromhex("02 09")) == bytes.fromhex("F0 02 09 00 00")
                assert await link.command(bytes.fromhex("01 02")) == bytes.fromhex(
                    "F0 01 02 00 00 00 05 1A 00 34 00 68 00 D0 00 A0 01 01 01 10 00 02 04 02 00 04 00 08 00 10 00 04 01 03"
                )
                assert await link.command(start_104) == bytes.fromhex("F0 02 02 00 00") + ACC_FACTOR_TLV
                assert await link.command(bytes.fromhex("03 09")) == bytes.fromhex("F0 03 09 00 00")
                assert band.streaming == ()  # leaving SDK mode stops its streams

    run(scenario())


def test_small_mtu_is_refused_on_start() -> None:
    async def scenario() -> None:
        band = _band()
        async with VirtualRadio([band]) as radio:
            kwargs = backend_kwargs("client", radio) | {"virtual_mtu": 185}
            async with BleakClient(band.address, **kwargs) as client:
                assert client.mtu_size == 185
                link = PmdLink(client)
                await link.subscribe()
                assert await link.command(START_ACC_52) == bytes.fromhex("F0 02 02 0A 00")  # INVALID_MTU

    run(scenario())


def _decode(payloads: list[bytes], measurement: int, factor: float) -> tuple[list[int], np.ndarray]:
    frames = [pmd.parse_frame(p) for p in payloads if p[0] == measurement]
    return [f.timestamp_ns for f in frames], np.concatenate([f.physical(factor) for f in frames])


def test_streams_every_logged_sample_in_order() -> None:
    async def scenario() -> None:
        source = motion_source(duration_s=8.0)
        band = _band(source=source, speed=40.0)
        async with VirtualRadio([band]) as radio:
            async with BleakClient(band.address, **backend_kwargs("client", radio)) as client:
                link = PmdLink(client)
                await link.subscribe()
                assert (await link.command(START_GYRO_52))[:5] == bytes.fromhex("F0 02 05 00 00")
                assert (await link.command(START_ACC_52))[:5] == bytes.fromhex("F0 02 02 00 00")
                await band.wait_until_done()
                stopped = {await asyncio.wait_for(link.cp.get(), 2.0) for _ in range(2)}
                assert stopped == {bytes([0x01, ACC]), bytes([0x01, GYRO])}  # ONLINE_MEASUREMENT_STOPPED
        assert link.data == [f.payload for f in band.log.frames]  # every frame, in order, unchanged
        assert len(band.log.frames) >= 2 * 5
        assert all(len(p) <= 244 for p in link.data)
        for measurement, factor, step in ((ACC, 2.44e-4, 2.44e-4 * G_STANDARD), (GYRO, 2000 / 32768, 2000 / 32768)):
            stamps, decoded = _decode(link.data, measurement, factor)
            t_sent, values_sent = band.log.samples(measurement)
            assert decoded.shape == values_sent.shape == (band.log.count(measurement), 3)
            assert np.all(np.diff(stamps) > 0)
            assert np.allclose(np.diff(t_sent), 1 / 52.0)
            assert np.max(np.abs(decoded - values_sent)) <= step / 2 + 1e-9
            # The band measured the source: sent values are the source signal at the sent times.
            # It starts measuring when told to: at 40x real time each 10 ms the event loop waits
            # before the start command moves the first sample 0.4 s into the source.
            offset = t_sent[0]
            assert 0.0 <= offset < 4.0
            truth = source.acc if measurement == ACC else source.gyro
            expected = np.stack([np.interp(t_sent, source.t, truth[:, k]) for k in range(3)], axis=1)
            assert np.allclose(values_sent, expected, atol=1e-9)

    run(scenario())


def test_pmd_session_decodes_the_stream_to_the_source() -> None:
    async def scenario() -> list[object]:
        source = motion_source(duration_s=6.0)
        band = _band(source=source, speed=40.0)
        session = pmd.PolarPmd().session(rate_hz=52.0, range_g=8, gyro=True)
        items: list[object] = []
        writes: list[asyncio.Task[None]] = []
        done = asyncio.Event()
        async with VirtualRadio([band]) as radio:
            async with BleakClient(band.address, **backend_kwargs("client", radio)) as client:
                loop = asyncio.get_running_loop()

                def on_value(char: object, value: bytearray) -> None:
                    items.extend(session.feed(char.uuid, bytes(value), loop.time()))  # type: ignore[attr-defined]
                    for write in session.take_writes():
                        writes.append(loop.create_task(client.write_gatt_char(write.characteristic, write.data, response=True)))
                    if value[:1] == b"\x01":
                        done.set()

                for uuid in pmd.PolarPmd.notify_characteristics:
                    await client.start_notify(uuid, on_value)
                session.feed(pmd.PMD_CP_UUID, bytes(await client.read_gatt_char(pmd.PMD_CP_UUID)), loop.time())
                for write in session.start():
                    await client.write_gatt_char(write.characteristic, write.data, response=True)
                await asyncio.wait_for(done.wait(), 5.0)
                await asyncio.gather(*writes)
        return [items, band, source]

    items, band, source = run(scenario())
    blocks = SampleBlock.concat([i for i in items if isinstance(i, SampleBlock)])
    t_sent, _ = band.log.samples(ACC)
    assert len(blocks) == len(t_sent)  # every ACC sample the band sent came out of the decoder
    assert blocks.has_gyro
    # Session time starts at 0 on the first sample; spacing follows the band clock.
    assert np.allclose(blocks.t - blocks.t[0], t_sent - t_sent[0], atol=1e-6)
    for measured, truth, half_step in ((blocks.acc, source.acc, 0.0013), (blocks.gyro, source.gyro, 0.031)):
        expected = np.stack([np.interp(t_sent, source.t, truth[:, k]) for k in range(3)], axis=1)
        assert np.max(np.abs(measured - expected)) < half_step  # within half a wire step of the truth


def test_forced_disconnect_mid_stream_then_reconnect() -> None:
    async def scenario() -> None:
        band = _band(source=motion_source(duration_s=30.0), speed=20.0)
        dropped = asyncio.Event()
        async with VirtualRadio([band]) as radio:
            client = BleakClient(band.address, lambda c: dropped.set(), **backend_kwargs("client", radio))
            await client.connect()
            link = PmdLink(client)
            await link.subscribe()
            assert (await link.command(START_ACC_52))[:4] == bytes.fromhex("F0 02 02 00")
            while len(link.data) < 3:
                await asyncio.sleep(0.01)
            assert await force_disconnect(band, away_s=0.2) == 1
            await asyncio.wait_for(dropped.wait(), 2.0)
            assert not client.is_connected
            received_before = len(link.data)
            assert [f.payload for f in band.log.frames] == link.data
            await client.connect()
            link = PmdLink(client)
            await link.subscribe()
            # The stream survived the drop, like a real band: restart = stop, then start.
            assert await link.command(START_ACC_52) == bytes.fromhex("F0 02 02 06 00")
            assert await link.command(bytes.fromhex("03 02")) == bytes.fromhex("F0 03 02 00 00")
            assert (await link.command(START_ACC_52))[:4] == bytes.fromhex("F0 02 02 00")
            while len(link.data) < 2:
                await asyncio.sleep(0.01)
            await client.disconnect()
        frames = band.log.frames
        assert [f.payload for f in frames[received_before:]] == link.data[: len(frames) - received_before]
        # Time kept running while the band was away: a gap, not a pause.
        t = np.concatenate([f.t_s for f in frames])
        assert np.max(np.diff(t)) > 0.2 * 20.0 * 0.5

    run(scenario())


def test_malformed_frame_is_sent_once_and_logged() -> None:
    async def scenario() -> None:
        band = _band(source=motion_source(duration_s=5.0), speed=40.0)
        async with VirtualRadio([band]) as radio:
            async with BleakClient(band.address, **backend_kwargs("client", radio)) as client:
                link = PmdLink(client)
                await link.subscribe()
                inject_malformed_frame(band, MalformedKind.TRUNCATED, measurement=ACC)
                assert (await link.command(START_ACC_52))[:4] == bytes.fromhex("F0 02 02 00")
                await band.wait_until_done()
        frames = band.log.frames
        assert [f.malformed for f in frames] == [True] + [False] * (len(frames) - 1)
        assert link.data == [f.payload for f in frames]
        with pytest.raises(DecodeError):
            pmd.parse_frame(link.data[0])
        assert sum(len(pmd.parse_frame(p)) for p in link.data[1:]) == band.log.count(ACC)
        assert band.log.count(ACC, include_malformed=True) == band.log.count(ACC) + len(frames[0])

    run(scenario())
