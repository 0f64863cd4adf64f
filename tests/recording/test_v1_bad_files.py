"""Recording format v1: cut tails are tolerated, everything else malformed is named precisely."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from sensor.errors import RecordingFormatError
from sensor.recording import FORMAT_LINE, RecordingWriter, read_recording
from sensor.types import Event

from .blocks import random_block

PREAMBLE = f'{FORMAT_LINE}\n# {{"band": "x"}}\nt,ax,ay,az\n'
ROW0 = "0.000000,0.1000,0.2000,9.8000\n"
ROW1 = "0.010000,0.1100,0.2100,9.8100\n"
ROW2 = "0.020000,0.1200,0.2200,9.8200\n"
ROWS = ROW0 + ROW1 + ROW2


def _middle_row(text: str) -> bytes:
    """A v1 file whose second row (line 5) is ``text``."""
    return (PREAMBLE + ROW0 + text + "\n" + ROW2).encode()


def _valid_recording(tmp_path: Path, has_gyro: bool, last_event: bool = False) -> tuple[bytes, np.ndarray]:
    """Return the bytes of a valid recording and the stored times of its rows."""
    rng = np.random.default_rng(5)
    block = random_block(rng, 40, 0.0, has_gyro)
    path = tmp_path / "valid.csv"
    with RecordingWriter(path, {"band": "x"}, has_gyro=has_gyro) as writer:
        writer.write_block(block)
        if last_event:
            writer.write_event(Event(9.5, "note", {"text": "überall"}))
    return path.read_bytes(), np.round(block.t, 6)


@pytest.mark.parametrize("has_gyro", [True, False])
def test_cut_anywhere_inside_the_last_row(tmp_path: Path, has_gyro: bool) -> None:
    data, t = _valid_recording(tmp_path, has_gyro)
    last_row_start = data.rstrip(b"\n").rfind(b"\n") + 1
    cut_path = tmp_path / "cut.csv"
    for end in range(last_row_start, len(data) + 1):
        cut_path.write_bytes(data[:end])
        rec = read_recording(cut_path)
        complete = len(t) if end == len(data) else len(t) - 1
        np.testing.assert_array_equal(rec.samples.t, t[:complete])
        assert rec.truncated_tail == (last_row_start < end < len(data)), end


def test_cut_inside_a_last_event_line_even_mid_character(tmp_path: Path) -> None:
    data, t = _valid_recording(tmp_path, has_gyro=True, last_event=True)
    event_start = data.rstrip(b"\n").rfind(b"\n") + 1
    cut_path = tmp_path / "cut.csv"
    for end in range(event_start + 1, len(data)):
        cut_path.write_bytes(data[:end])
        rec = read_recording(cut_path)
        assert rec.truncated_tail and rec.events == [], end
        np.testing.assert_array_equal(rec.samples.t, t)


def test_zero_filled_tail_after_power_cut(tmp_path: Path) -> None:
    data, t = _valid_recording(tmp_path, has_gyro=False)
    path = tmp_path / "padded.csv"
    path.write_bytes(data[:-7] + b"\x00" * 4096)
    rec = read_recording(path)
    assert rec.truncated_tail
    np.testing.assert_array_equal(rec.samples.t, t[:-1])


def test_last_row_with_too_few_fields_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(PREAMBLE + ROWS + "0.030000,0.1300\n")
    rec = read_recording(path)
    assert rec.truncated_tail and len(rec.samples) == 3


BAD_FILES = {
    # name: (content, line named in the message, words in the message)
    "version": (b"# repband recording v2\n# {}\nt,ax,ay,az\n", 1, "unsupported recording version v2"),
    "no version": (b"# repband recording\n# {}\nt,ax,ay,az\n", 1, "unsupported recording version"),
    "unknown first line": (b"# made by something else\nt,ax,ay,az\n", 1, "unknown first line"),
    "metadata not json": (
        f"{FORMAT_LINE}\n# {{band: x}}\nt,ax,ay,az\n".encode(), 2, "metadata is not valid JSON"
    ),
    "metadata not object": (f'{FORMAT_LINE}\n# ["x"]\nt,ax,ay,az\n'.encode(), 2, "JSON object, got list"),
    "metadata missing": (f"{FORMAT_LINE}\n".encode(), 2, "missing metadata"),
    "metadata not comment": (f"{FORMAT_LINE}\nt,ax,ay,az\n".encode(), 2, "metadata line"),
    "header missing": (f"{FORMAT_LINE}\n# {{}}\n".encode(), 3, "missing header"),
    "cut in the version line": (FORMAT_LINE[:12].encode(), 1, "the file ends inside this line (cut off)"),
    "cut in the metadata": (f'{FORMAT_LINE}\n# {{"band": "x'.encode(), 2, "not valid JSON (Unterminated string starting at column 12)"),
    "cut in the metadata, said so": (f'{FORMAT_LINE}\n# {{"band": "x'.encode(), 2, "ends inside this line (cut off)"),
    "cut in the header": (f"{FORMAT_LINE}\n# {{}}\nt,ax,a".encode(), 3, "ends inside this line (cut off)"),
    "header wrong": (f"{FORMAT_LINE}\n# {{}}\ntime,x,y,z\n".encode(), 3, "expected header"),
    "header reordered": (b"t,ay,ax,az\n0,1,2,3\n", 1, "expected header"),
    "plain csv no header": (b"0.0,1,2,3\n0.1,1,2,3\n", 1, "expected header"),
    "gyro partial": (
        b"t,ax,ay,az,gx,gy\n0,1,2,3,4,5\n", 1, "gyro columns partially present (has gx,gy, lacks gz)"
    ),
    "too few fields": (_middle_row("0.010000,0.1100,0.2100"), 5,
                       "expected 4 comma-separated fields"),
    "too many fields": (_middle_row("0.010000,0.1,0.2,9.8,1.0"), 5,
                        "got 5"),
    "not a number": (_middle_row("0.010000,0.1100,abc,9.8100"), 5,
                     "ay is not a number: 'abc'"),
    "empty field": (_middle_row("0.010000,0.1100,,9.8100"), 5,
                    "ay is not a number: ''"),
    "spaces-only line": (_middle_row("   "), 5, "got 1"),
    "not finite": (_middle_row("0.010000,nan,0.2100,9.8100"), 5,
                   "ax is not finite"),
    "t repeats": ((PREAMBLE + ROWS + ROW2).encode(), 7, "t does not increase (0.020000 s then 0.020000 s)"),
    "t absurdly large": (_middle_row("1e308,0.1,0.2,9.8"), 6, "t does not increase (1e+308 s then 0.020000 s)"),
    "t goes back": ((PREAMBLE + "# note\n" + ROWS + "\n" + ROW0).encode(), 9, "t does not increase"),
    "bad event": (_middle_row('# event {"t": 1.0, "kind": '), 5,
                  "event is not valid JSON"),
    "event without t": ((PREAMBLE + '# event {"kind": "gap"}\n' + ROWS).encode(), 4, "numeric 't'"),
    "nul byte": (_middle_row("0.01\x00,1,2,3"), 5, "NUL byte"),
    "not utf-8": (
        (PREAMBLE + ROW0).encode() + b"0.01\xff\xfe,1,2,3\n" + ROW2.encode(), 5, "not UTF-8 text (byte 0xff)"
    ),
    "binary garbage": (bytes(range(256)) * 4, 1, "NUL byte"),
    "binary without nul": (bytes(range(1, 256)) * 4, 2, "not UTF-8 text (byte 0x80)"),
    "latin-1 text": (b"t,ax,ay,az\n# caf\xe9\n0,1,2,3\n", 2, "not UTF-8"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_names_file_and_line(tmp_path: Path, name: str) -> None:
    content, line, words = BAD_FILES[name]
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(RecordingFormatError) as info:
        read_recording(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: line {line}: "), message
    assert words in message, message


def _empty_file(directory: Path) -> Path:
    path = directory / "empty.csv"
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: d / "nope.csv", "no such file"),
        (lambda d: d, "is a directory"),
        (_empty_file, "empty file"),
    ],
    ids=["missing", "directory", "empty"],
)
def test_unreadable_file_names_the_file(tmp_path: Path, make: Callable[[Path], Path], words: str) -> None:
    path = make(tmp_path)
    with pytest.raises(RecordingFormatError) as info:
        read_recording(path)
    assert str(info.value).startswith(f"{path}: {words}"), str(info.value)
