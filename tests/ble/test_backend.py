"""bleak's public API over the virtual radio, against a trivial GATT peripheral."""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakDeviceNotFoundError, BleakGATTProtocolError
from bleak_retry_connector import BleakClientWithServiceCache, establish_connection

from sensor.ble.virtual import backend_kwargs, use_radio
from sensor.ble.virtual.faults import force_disconnect
from sensor.ble.virtual.radio import VirtualRadio

from ble_helpers import BATTERY_LEVEL, ECHO_CHAR, EVENT_CHAR, STREAM_CHAR, TEST_SERVICE, TrivialPeripheral, run

pytestmark = pytest.mark.ble


def test_scan_reports_advertisement_fields() -> None:
    async def scenario() -> None:
        band, other = TrivialPeripheral(), TrivialPeripheral("A0:9E:1A:00:00:02", "Test Band 0002")
        async with VirtualRadio([band, other]) as radio:
            found = await BleakScanner.discover(timeout=0.3, return_adv=True, **backend_kwargs("scanner", radio))
        assert set(found) == {band.address, other.address}
        device, adv = found[band.address]
        assert device.name == adv.local_name == "Test Band 0001"
        assert adv.manufacturer_data == {0x0A0B: b"\x01\x02"}
        assert adv.service_uuids == ["0000180f-0000-1000-8000-00805f9b34fb"]
        assert isinstance(adv.rssi, int) and -100 < adv.rssi < 0

    run(scenario())


def test_scan_filters_on_service_uuid() -> None:
    async def scenario() -> None:
        async with VirtualRadio([TrivialPeripheral()]) as radio:
            heart_rate = ["0000180d-0000-1000-8000-00805f9b34fb"]
            hits = await BleakScanner.discover(timeout=0.2, service_uuids=heart_rate, **backend_kwargs("scanner", radio))
        assert hits == []

    run(scenario())


def test_connect_discover_read_write() -> None:
    async def scenario() -> None:
        band = TrivialPeripheral()
        async with use_radio(VirtualRadio([band])):
            device = await BleakScanner.find_device_by_name(band.name, timeout=2.0, **backend_kwargs("scanner"))
            assert device is not None
            # A BLEDevice from a virtual scan carries its radio: no radio argument needed.
            async with BleakClient(device, **backend_kwargs("client")) as client:
                assert client.is_connected
                assert client.mtu_size == 247
                assert client.name == band.name
                service = client.services.get_service(TEST_SERVICE)
                assert service is not None
                props = {c.uuid: set(c.properties) for c in service.characteristics}
                assert props == {
                    ECHO_CHAR: {"read", "write", "write-without-response"},
                    STREAM_CHAR: {"notify"},
                    EVENT_CHAR: {"indicate"},
                }
                stream = client.services.get_characteristic(STREAM_CHAR)
                assert [d.uuid for d in stream.descriptors] == ["00002902-0000-1000-8000-00805f9b34fb"]
                assert client.services.get_characteristic(ECHO_CHAR).max_write_without_response_size == 244
                assert await client.read_gatt_char(BATTERY_LEVEL) == bytearray([77])
                assert await client.read_gatt_char(ECHO_CHAR) == bytearray(b"hello")
                await client.write_gatt_char(ECHO_CHAR, b"\x01\x02\x03", response=True)
                assert await client.read_gatt_char(ECHO_CHAR) == bytearray(b"\x01\x02\x03")
                await client.write_gatt_char(ECHO_CHAR, b"\x09", response=False)
                assert await client.read_gatt_char(ECHO_CHAR) == bytearray(b"\x09")
                with pytest.raises(BleakGATTProtocolError) as refused:
                    await client.write_gatt_char(BATTERY_LEVEL, b"\x01", response=True)
                assert refused.value.code == 0x03  # write not permitted
            assert not client.is_connected

    run(scenario())


def test_notifications_and_indications_arrive_in_order() -> None:
    async def scenario() -> None:
        band = TrivialPeripheral()
        got: dict[str, list[bytes]] = {STREAM_CHAR: [], EVENT_CHAR: []}
        sent = [i.to_bytes(2, "little") * 100 for i in range(500)]
        async with VirtualRadio([band]) as radio:
            async with BleakClient(band.address, **backend_kwargs("client", radio)) as client:
                for uuid in got:
                    await client.start_notify(uuid, lambda char, data: got[char.uuid].append(bytes(data)))
                (connection,) = band.connections
                for value in sent:
                    await band.device.notify_subscriber(connection, band.stream, value)
                for value in sent[:5]:
                    await band.device.indicate_subscriber(connection, band.event, value)
                while len(got[STREAM_CHAR]) < len(sent):
                    await asyncio.sleep(0.01)
                await client.stop_notify(STREAM_CHAR)
                await band.device.notify_subscriber(connection, band.stream, b"late")
                await asyncio.sleep(0.05)
        assert got[STREAM_CHAR] == sent
        assert got[EVENT_CHAR] == sent[:5]

    run(scenario())


def test_forced_disconnect_calls_callback_and_reconnects() -> None:
    async def scenario() -> None:
        band = TrivialPeripheral()
        dropped = asyncio.Event()
        async with VirtualRadio([band]) as radio:
            client = BleakClient(band.address, lambda c: dropped.set(), **backend_kwargs("client", radio))
            await client.connect()
            assert await force_disconnect(band) == 1
            await asyncio.wait_for(dropped.wait(), 2.0)
            assert not client.is_connected
            await client.connect()
            assert await client.read_gatt_char(BATTERY_LEVEL) == bytearray([77])
            await client.disconnect()
            assert not client.is_connected

    run(scenario())


def test_unknown_or_absent_band_fails_like_bleak() -> None:
    async def scenario() -> None:
        band = TrivialPeripheral()
        async with VirtualRadio([band]) as radio:
            with pytest.raises(BleakDeviceNotFoundError):
                await BleakClient("A0:9E:1A:99:99:99", **backend_kwargs("client", radio)).connect()
            await band.set_in_range(False)
            with pytest.raises(asyncio.TimeoutError):
                await BleakClient(band.address, timeout=0.3, **backend_kwargs("client", radio)).connect()
            await band.set_in_range(True)
            async with BleakClient(band.address, **backend_kwargs("client", radio)) as client:
                assert client.is_connected

    run(scenario())


def test_bleak_retry_connector_connects_through_the_backend() -> None:
    async def scenario() -> None:
        band = TrivialPeripheral()
        async with VirtualRadio([band]) as radio:
            device = await BleakScanner.find_device_by_address(band.address, timeout=2.0, **backend_kwargs("scanner", radio))
            assert device is not None
            client = await establish_connection(
                BleakClientWithServiceCache, device, band.name, max_attempts=1, **backend_kwargs("client", radio)
            )
            assert await client.read_gatt_char(BATTERY_LEVEL) == bytearray([77])
            await client.disconnect()

    run(scenario())
