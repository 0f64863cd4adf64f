"""Recording format v1: a writer killed with SIGKILL loses nothing it had flushed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sensor.recording import read_recording
from sensor.types import Event, SampleBlock

from .blocks import BLOCK_SIZE, stream_block

# The child writes the endless stream with the default policy except that every write is due
# for a flush, and reports on stdout how many samples it had written when write_block returned.
CHILD = """
import sys
from blocks import stream_block
from sensor.recording import RecordingWriter
from sensor.types import Event

writer = RecordingWriter(sys.argv[1], {"band": "crash"}, has_gyro=True, flush_interval_s=0.0)
index = 0
while True:
    if index % 10 == 5:
        writer.write_event(Event(index * 0.25, "note", {"block": index}))
    writer.write_block(stream_block(index))
    index += 1
    print(writer.samples_written, flush=True)
"""
REPORTED_BEFORE_KILL = 2000


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_loses_no_flushed_sample(tmp_path: Path) -> None:
    path = tmp_path / "killed.csv"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=Path(__file__).parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported = 0
    deadline = time.monotonic() + 20.0
    try:
        while reported < REPORTED_BEFORE_KILL and time.monotonic() < deadline:
            line = child.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            reported = int(line)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        _, stderr = child.communicate(timeout=10)
    assert reported >= REPORTED_BEFORE_KILL, f"child stopped early: {stderr}"

    rec = read_recording(path)
    n_blocks = -(-len(rec.samples) // BLOCK_SIZE)
    expected = SampleBlock.concat([stream_block(i) for i in range(n_blocks)])[: len(rec.samples)]
    assert len(rec.samples) >= reported
    assert rec.metadata == {"band": "crash"}
    np.testing.assert_array_equal(rec.samples.t, np.round(expected.t, 6))
    np.testing.assert_array_equal(rec.samples.acc, np.round(expected.acc, 4))
    np.testing.assert_array_equal(rec.samples.gyro, np.round(expected.gyro, 3))
    events_before_report = [e for e in rec.events if e.data["block"] * BLOCK_SIZE < reported]
    assert events_before_report == [
        Event(i * 0.25, "note", {"block": i}) for i in range(5, reported // BLOCK_SIZE, 10)
    ]
