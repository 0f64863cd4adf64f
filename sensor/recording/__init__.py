"""Recording files: the v1 CSV format (writer and reader)."""

from __future__ import annotations

from sensor.recording.v1 import FORMAT_LINE, Recording, RecordingWriter, read_recording

__all__ = ["FORMAT_LINE", "Recording", "RecordingWriter", "read_recording"]
