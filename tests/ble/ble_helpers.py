"""Helpers for the end-to-end BLE tests: a trivial GATT peripheral, a motion source, a PMD link, a runner."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import numpy as np
from bleak import BleakClient
from bumble import gatt

from sensor.bands import polar_pmd as pmd
from sensor.ble.virtual.peripheral import AdvertisingFacts, VirtualPeripheral, read_only_value
from sensor.types import SampleBlock

TEST_SERVICE = "6e400001-b5a3-f393-e0a9-e50e24dcca9e"
ECHO_CHAR = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"  # read, write, write without response
STREAM_CHAR = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"  # notify
EVENT_CHAR = "6e400004-b5a3-f393-e0a9-e50e24dcca9e"  # indicate
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"


class TrivialPeripheral(VirtualPeripheral):
    """A peripheral with a battery level, an echo value, a notify and an indicate characteristic."""

    def __init__(self, address: str = "A0:9E:1A:00:00:01", name: str = "Test Band 0001") -> None:
        Props = gatt.Characteristic.Properties
        self.echo = gatt.Characteristic(
            ECHO_CHAR,
            Props.READ | Props.WRITE | Props.WRITE_WITHOUT_RESPONSE,
            gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE,
            b"hello",
        )
        self.stream = gatt.Characteristic(STREAM_CHAR, Props.NOTIFY, gatt.Characteristic.READABLE, b"")
        self.event = gatt.Characteristic(EVENT_CHAR, Props.INDICATE, gatt.Characteristic.READABLE, b"")
        battery = gatt.Characteristic(
            gatt.GATT_BATTERY_LEVEL_CHARACTERISTIC,
            Props.READ,
            gatt.Characteristic.READABLE,
            read_only_value(lambda connection: bytes([77])),
        )
        super().__init__(
            address=address,
            advertising=AdvertisingFacts(
                name=name, manufacturer_data={0x0A0B: b"\x01\x02"}, service_uuids=("180f",)
            ),
            services=[
                gatt.Service(gatt.GATT_BATTERY_SERVICE, [battery]),
                gatt.Service(TEST_SERVICE, [self.echo, self.stream, self.event]),
            ],
        )


def run(coro: Coroutine[Any, Any, Any], timeout_s: float = 20.0) -> Any:
    """Run one scenario coroutine in a fresh event loop with a hard time limit, s."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


def motion_source(duration_s: float = 6.0, rate_hz: float = 52.0, gyro: bool = True) -> SampleBlock:
    """A smooth, known six-axis signal (m/s², deg/s) for a virtual band to play."""
    t = np.arange(0.0, duration_s, 1.0 / rate_hz)
    w = 2 * np.pi * 0.5
    acc = np.stack([3.0 * np.sin(w * t), 9.0 + 2.0 * np.cos(w * t), 1.5 * np.sin(3 * w * t)], axis=1)
    rot = np.stack([120.0 * np.sin(w * t), -40.0 * np.cos(2 * w * t), 5.0 * t], axis=1)
    return SampleBlock(t, acc, rot if gyro else None)


class PmdLink:
    """Talks PMD to a connected client the way a transport does: CP indications and data notifications."""

    def __init__(self, client: BleakClient) -> None:
        self.client = client
        self.cp: asyncio.Queue[bytes] = asyncio.Queue()
        self.data: list[bytes] = []

    async def subscribe(self, cp: bool = True, data: bool = True) -> None:
        if cp:
            await self.client.start_notify(pmd.PMD_CP_UUID, lambda _, value: self.cp.put_nowait(bytes(value)))
        if data:
            await self.client.start_notify(pmd.PMD_DATA_UUID, lambda _, value: self.data.append(bytes(value)))

    async def command(self, request: bytes, timeout_s: float = 2.0) -> bytes:
        """Write a CP command with response and return the indication that answers it."""
        await self.client.write_gatt_char(pmd.PMD_CP_UUID, request, response=True)
        return await asyncio.wait_for(self.cp.get(), timeout_s)
