"""Throughput of the virtual BLE radio, measured through bleak's public API.

Two figures, printed as a Markdown table:

1. raw notifications/s: a peripheral notifies 244-byte values (a full PMD
   frame at MTU 247) as fast as it can for ~2 s; counted in bleak's
   ``start_notify`` callback;
2. a virtual Verity Sense streaming ACC at 52 Hz with playback so fast
   that the link is the limit: frames/s and samples/s decoded through bleak.

Run: ``python benchmarks/ble_throughput.py [--seconds 2]``. Timings depend on
the machine and on what else runs on it; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time

import numpy as np
from bleak import BleakClient
from bumble import gatt

from sensor.bands import polar_pmd as pmd
from sensor.ble.virtual import backend_kwargs
from sensor.ble.virtual.peripheral import AdvertisingFacts, VirtualPeripheral
from sensor.ble.virtual.polar import VirtualPolarBand
from sensor.ble.virtual.radio import VirtualRadio
from sensor.types import SampleBlock

STREAM_UUID = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"
#: Playback speed that makes every frame due at once (the link sets the pace).
FLOOD_SPEED = 1e6


async def raw_notifications(seconds: float) -> float:
    """Notifications per second (244-byte values) from a peripheral to a bleak callback."""
    props = gatt.Characteristic.Properties
    stream = gatt.Characteristic(STREAM_UUID, props.NOTIFY, gatt.Characteristic.READABLE, b"")
    peripheral = VirtualPeripheral(
        address="A0:9E:1A:00:00:10",
        advertising=AdvertisingFacts(name="Throughput"),
        services=[gatt.Service("6e400001-b5a3-f393-e0a9-e50e24dcca9e", [stream])],
    )
    received = 0

    def count(_: object, value: bytearray) -> None:
        nonlocal received
        received += 1

    async with VirtualRadio([peripheral]) as radio:
        async with BleakClient(peripheral.address, **backend_kwargs("client", radio)) as client:
            await client.start_notify(STREAM_UUID, count)
            (connection,) = peripheral.connections
            payload = bytes(244)
            start = time.perf_counter()
            sent = 0
            while time.perf_counter() - start < seconds:
                for _ in range(50):
                    await peripheral.device.notify_subscriber(connection, stream, payload)
                sent += 50
                # Let the link drain so the figure is delivery, not queueing.
                while received < sent - 200:
                    await asyncio.sleep(0)
            while received < sent:
                await asyncio.sleep(0)
            elapsed = time.perf_counter() - start
    return received / elapsed


async def polar_stream(duration_s: float) -> tuple[float, float, float]:
    """Stream ``duration_s`` of 52 Hz ACC as fast as the link goes; return (frames/s, samples/s, × real time)."""
    t = np.arange(0.0, duration_s, 1 / 52.0)
    acc = np.stack([np.sin(t), 9.8 + np.cos(t), 0.5 * np.sin(3 * t)], axis=1)
    source = SampleBlock(t, acc, 50.0 * np.stack([np.sin(t), np.cos(t), np.sin(2 * t)], axis=1))
    band = VirtualPolarBand(source=source, speed=FLOOD_SPEED)
    frames = samples = 0

    def on_data(_: object, value: bytearray) -> None:
        nonlocal frames, samples
        frames += 1
        samples += len(pmd.parse_frame(bytes(value)))

    cp: asyncio.Queue[bytes] = asyncio.Queue()
    async with VirtualRadio([band]) as radio:
        async with BleakClient(band.address, **backend_kwargs("client", radio)) as client:
            await client.start_notify(pmd.PMD_CP_UUID, lambda _, v: cp.put_nowait(bytes(v)))
            await client.start_notify(pmd.PMD_DATA_UUID, on_data)
            start = time.perf_counter()
            start_acc = pmd.build_start(pmd.MeasurementType.ACC, 52, 16, 8, 3)
            await client.write_gatt_char(pmd.PMD_CP_UUID, start_acc, response=True)
            await cp.get()
            await band.wait_until_done()
            expected = band.log.count(pmd.MeasurementType.ACC)
            while samples < expected:
                await asyncio.sleep(0)
            elapsed = time.perf_counter() - start
    return frames / elapsed, samples / elapsed, duration_s / elapsed


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of the raw notification run, s")
    parser.add_argument("--stream-s", type=float, default=1800.0, help="signal length streamed by the band, s")
    args = parser.parse_args()
    notify_rate = asyncio.run(raw_notifications(args.seconds))
    frame_rate, sample_rate, speedup = asyncio.run(polar_stream(args.stream_s))
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print()
    print("| what | figure |")
    print("|---|---|")
    print(f"| raw notifications (244 B) through bleak | {notify_rate:,.0f} /s |")
    print(f"| virtual Verity Sense, ACC 52 Hz, frames | {frame_rate:,.0f} /s |")
    print(f"| virtual Verity Sense, samples decoded | {sample_rate:,.0f} /s ({speedup:,.0f} × real time) |")


if __name__ == "__main__":
    main()
