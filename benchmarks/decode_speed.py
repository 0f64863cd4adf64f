"""Polar PMD decoding speed on one core: samples per second.

Builds realistic notifications (a thigh-like acceleration signal with noise,
quantised like a Verity Sense: compressed ACC TYPE_0 at factor 2.44e-4, 63
samples per frame; H10-style raw TYPE_1 frames of 36 samples; float gyro
TYPE_1 frames) with the protocol's own encoder, then times

* ``parse_frame`` alone (bytes to wire values), and
* ``PmdStream.feed`` (bytes to SampleBlocks: timestamps, units, gap checks,
  and for acc + gyro the merge).

Prints a Markdown table. Run: ``python benchmarks/decode_speed.py``.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable

import numpy as np

from sensor.bands.polar_pmd import (
    PMD_DATA_UUID,
    MeasurementType,
    PmdStream,
    encode_frame,
    parse_frame,
    raw_from_physical,
)

ACC, GYRO = MeasurementType.ACC, MeasurementType.GYRO
RATE_HZ = 52.0
FACTOR = 2.44e-4
SECONDS = 600.0


def _signal(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE_HZ
    swing = np.sin(2 * np.pi * 0.4 * t)
    acc = np.column_stack([2.0 * swing, 9.81 * np.cos(0.3 * swing), 1.5 * swing**2]) + rng.normal(0, 0.15, (n, 3))
    gyro = np.column_stack([60 * np.cos(2 * np.pi * 0.4 * t), 5 * swing, np.zeros(n)]) + rng.normal(0, 0.5, (n, 3))
    return t, acc, gyro


def _frames(measurement: int, frame_type: int, physical: np.ndarray, t: np.ndarray, per_frame: int, factor: float) -> list[tuple[bytes, float]]:
    raw = raw_from_physical(measurement, frame_type, physical, factor)
    if frame_type == 0x01:
        raw = np.clip(raw, -32768, 32767)
    clock = 700_000_000_000_000_000
    return [
        (encode_frame(measurement, clock + int(t[min(i + per_frame, len(t)) - 1] * 1e9), raw[i : i + per_frame], frame_type), float(t[min(i + per_frame, len(t)) - 1]))
        for i in range(0, len(t), per_frame)
    ]


def _best_of(fn: Callable[[], int], repeats: int = 5) -> tuple[float, int]:
    best, samples = float("inf"), 0
    for _ in range(repeats):
        start = time.perf_counter()
        samples = fn()
        best = min(best, time.perf_counter() - start)
    return best, samples


def main() -> None:
    n = int(SECONDS * RATE_HZ)
    t, acc, gyro = _signal(n)
    cases = {
        "compressed ACC TYPE_0 (Verity Sense), 63/frame": _frames(ACC, 0x80, acc, t, 63, FACTOR),
        "compressed ACC TYPE_1, 71/frame": _frames(ACC, 0x81, acc, t, 71, 1.0),
        "raw ACC TYPE_1 (H10), 36/frame": _frames(ACC, 0x01, acc, t, 36, 1.0),
        "compressed GYRO TYPE_1 (float), 63/frame": _frames(GYRO, 0x81, gyro, t, 63, 1.0),
    }
    rows = []
    for name, notes in cases.items():
        payloads = [p for p, _ in notes]
        seconds, samples = _best_of(lambda: sum(len(parse_frame(p)) for p in payloads))
        rows.append((f"`parse_frame`: {name}", samples, seconds, len(payloads)))

    def stream_acc() -> int:
        stream = PmdStream({ACC: RATE_HZ}, factors={ACC: FACTOR})
        return sum(len(b) for p, h in cases["compressed ACC TYPE_0 (Verity Sense), 63/frame"] for b in stream.feed(PMD_DATA_UUID, p, h))

    both = sorted(cases["compressed ACC TYPE_0 (Verity Sense), 63/frame"] + cases["compressed GYRO TYPE_1 (float), 63/frame"], key=lambda x: x[1])

    def stream_both() -> int:
        stream = PmdStream({ACC: RATE_HZ, GYRO: RATE_HZ}, factors={ACC: FACTOR})
        return sum(len(b) for p, h in both for b in stream.feed(PMD_DATA_UUID, p, h))

    for name, fn, frames in (
        ("`PmdStream.feed` ACC only -> SampleBlocks", stream_acc, len(cases["compressed ACC TYPE_0 (Verity Sense), 63/frame"])),
        ("`PmdStream.feed` ACC + GYRO merged -> SampleBlocks", stream_both, len(both)),
    ):
        seconds, samples = _best_of(fn)
        rows.append((name, samples, seconds, frames))

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    print(f"Machine: {cpu}, Python {platform.python_version()}, numpy {np.__version__}, one core; {SECONDS:.0f} s of {RATE_HZ:.0f} Hz data per case, best of 5.\n")
    print("| what | samples | time (ms) | samples/s | µs/frame |")
    print("|---|---:|---:|---:|---:|")
    for name, samples, seconds, frames in rows:
        print(f"| {name} | {samples} | {seconds * 1e3:.1f} | {samples / seconds:,.0f} | {seconds / frames * 1e6:.1f} |")


if __name__ == "__main__":
    main()
