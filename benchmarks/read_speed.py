"""Recording I/O speed: write and read a 1 h, 100 Hz six-axis v1 recording.

Run ``python benchmarks/read_speed.py``; prints a Markdown table row per
measurement. The design target is reading such a file in under 1 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from sensor.recording import RecordingWriter, read_recording
from sensor.types import SampleBlock

RATE_HZ = 100.0
BLOCK_SIZE = 25  # samples per BLE notification, typical of the bands we stream from


def synthetic_session(duration_s: float, seed: int = 0) -> SampleBlock:
    """Return a realistic six-axis stream: slowly changing tilt, 0.4 Hz reps, sensor noise, jittered clock.

    Parameters
    ----------
    duration_s : float
        Length of the stream, s.
    seed : int
        Seed of the noise generator.

    Returns
    -------
    SampleBlock
        ``t`` in s at about 100 Hz, ``acc`` in m/s² (gravity included), ``gyro`` in deg/s.
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * RATE_HZ)
    t = np.arange(n) / RATE_HZ + rng.uniform(-0.002, 0.002, n)
    t[0] = 0.0
    # Thigh angle: repetitions of about 30 deg at 0.4 Hz on a slow drift of posture.
    angle_rad = np.deg2rad(30.0 * np.sin(2 * np.pi * 0.4 * t) ** 2 + 20.0 * np.sin(2 * np.pi * t / 600.0))
    acc = 9.80665 * np.column_stack([np.sin(angle_rad), np.cos(angle_rad), 0.05 * np.ones(n)])
    acc += rng.normal(0.0, 0.05, (n, 3))
    rate_deg_s = np.gradient(np.rad2deg(angle_rad), t)
    gyro = rng.normal(0.0, 0.5, (n, 3))
    gyro[:, 2] += rate_deg_s
    return SampleBlock(t, acc, gyro)


def main() -> None:
    """Time the writer (one pass) and the reader (best of ``--repeats``) and print Markdown rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=float, default=3600.0, help="length of the recording, s")
    parser.add_argument("--repeats", type=int, default=3, help="reads to take the best of")
    args = parser.parse_args()

    session = synthetic_session(args.duration_s)
    blocks = list(session.split([BLOCK_SIZE]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "session.csv"
        start = time.perf_counter()
        with RecordingWriter(path, {"band": "benchmark", "rate_hz": RATE_HZ}, has_gyro=True) as writer:
            for block in blocks:
                writer.write_block(block)
        write_s = time.perf_counter() - start

        read_s = np.inf
        for _ in range(args.repeats):
            start = time.perf_counter()
            rec = read_recording(path)
            read_s = min(read_s, time.perf_counter() - start)
        if len(rec.samples) != len(session):
            raise SystemExit(f"read {len(rec.samples)} samples, wrote {len(session)}")
        size_mb = path.stat().st_size / 1e6

    minutes = args.duration_s / 60.0
    print("| measurement | recording | size (MB) | time (s) | samples/s | × real time |")
    print("|---|---|---|---|---|---|")
    print(
        f"| write, {BLOCK_SIZE}-sample blocks | {minutes:.0f} min, 100 Hz, 6-axis | {size_mb:.1f} "
        f"| {write_s:.3f} | {len(session) / write_s:,.0f} | {args.duration_s / write_s:,.0f} |"
    )
    print(
        f"| read, best of {args.repeats} | {minutes:.0f} min, 100 Hz, 6-axis | {size_mb:.1f} "
        f"| {read_s:.3f} | {len(session) / read_s:,.0f} | {args.duration_s / read_s:,.0f} |"
    )


if __name__ == "__main__":
    main()
