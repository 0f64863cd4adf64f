"""Recording format v1: a UTF-8 CSV with a version line, JSON metadata and event comments.

Layout (``shared/design.md`` §4)::

    # repband recording v1
    # {"band": "polar-verity-sense", "rate_hz": 52, ...}
    t,ax,ay,az,gx,gy,gz
    0.000000,0.1234,9.8012,-0.2301,0.520,-1.100,0.030
    # event {"t": 41.2, "kind": "disconnected"}

``t`` is in s since the start, acceleration in m/s², angular rate in deg/s;
the gyro columns exist only for bands with a gyroscope. The reader also
accepts a plain CSV that starts directly with the ``t,ax,ay,az[,gx,gy,gz]``
header and carries no metadata.

Crash safety comes from the writer appending rows as they arrive, flushing
to the OS at least every ``flush_interval_s`` and fsyncing at least every
``fsync_interval_s``; the reader therefore tolerates a cut last line.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import math
import os
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Iterator

import numpy as np

from sensor.dsp.resample import usual_step_s
from sensor.errors import RecordingFormatError, SampleBlockError
from sensor.types import Event, FloatArray, SampleBlock

#: First line of every v1 recording.
FORMAT_LINE = "# repband recording v1"

_ACC_COLUMNS = ("t", "ax", "ay", "az")
_GYRO_COLUMNS = ("gx", "gy", "gz")
_EVENT_PREFIX = "# event "
_VERSION_LINE = re.compile(r"#\s*repband\s+recording\b\s*(\S*)\s*")
# Plain decimal numbers only; what a CSV writer produces and numpy parses identically.
_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
# Row precision: 1 µs for time, 0.1 mm/s² for acceleration, 0.001 deg/s for rate.
_T_DECIMALS, _ACC_DECIMALS, _GYRO_DECIMALS = 6, 4, 3


def _row_format(has_gyro: bool) -> str:
    acc = ",".join([f"%.{_ACC_DECIMALS}f"] * 3)
    gyro = "," + ",".join([f"%.{_GYRO_DECIMALS}f"] * 3) if has_gyro else ""
    return f"%.{_T_DECIMALS}f,{acc}{gyro}\n"


def _columns(has_gyro: bool) -> tuple[str, ...]:
    return _ACC_COLUMNS + _GYRO_COLUMNS if has_gyro else _ACC_COLUMNS


def _rows_text(block: SampleBlock) -> str:
    """The block's rows exactly as the writer stores them."""
    columns = [block.t[:, None], block.acc] + ([block.gyro] if block.gyro is not None else [])
    values = np.hstack(columns).ravel().tolist()
    # One %-format over n copies of the row format: a single C-level call per block.
    return (_row_format(block.has_gyro) * len(block)) % tuple(values)


def stored_block(block: SampleBlock) -> SampleBlock:
    """Return the block as a reader gets it back from a v1 file (values rounded to the stored decimals).

    Parameters
    ----------
    block : SampleBlock
        Samples (t in s, acc in m/s², gyro in deg/s).

    Returns
    -------
    SampleBlock
        The same samples with t to 1e-6 s, acc to 1e-4 m/s² and gyro to
        1e-3 deg/s, parsed from the very text the writer stores; a live
        consumer fed this block sees what re-reading the file gives.
    """
    if len(block) == 0:
        return block
    width = 7 if block.has_gyro else 4
    values = np.array(_rows_text(block).replace("\n", ",").split(",")[:-1], dtype=np.float64).reshape(-1, width)
    return SampleBlock(values[:, 0], values[:, 1:4], values[:, 4:7] if block.has_gyro else None)


class RecordingWriter:
    """Append samples and events to a v1 recording, crash-safely.

    Parameters
    ----------
    path : str or os.PathLike
        File to create; missing parent directories are created.
    metadata : dict
        JSON-serialisable session metadata (band, address, rate_hz, leg,
        exercise, started_utc, ...), stored on the second line.
    has_gyro : bool
        Whether rows carry the ``gx,gy,gz`` columns (deg/s). Every block
        written must agree.
    flush_interval_s : float, optional
        Longest wall time, s, that written rows may wait in the process
        buffer before being handed to the OS (checked on each write).
    fsync_interval_s : float, optional
        Longest wall time, s, between ``os.fsync`` calls (checked on each
        write), bounding what a power cut can lose.
    overwrite : bool, optional
        Replace an existing file instead of refusing.

    Attributes
    ----------
    path : pathlib.Path
        The recording file.
    samples_written : int
        Rows written so far (including rows not yet flushed).

    Raises
    ------
    RecordingFormatError
        If the file exists (and ``overwrite`` is false), cannot be created,
        or the metadata is not a JSON-serialisable dict.

    Notes
    -----
    Rows are stored with t to 1e-6 s, acceleration to 1e-4 m/s² and angular
    rate to 1e-3 deg/s. Events are flushed as soon as they are written, since
    they often mark the moment a stream stalls. Intervals are only checked
    when something is written; a caller whose stream can stall should call
    :meth:`flush` from its own loop.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        metadata: dict[str, Any],
        has_gyro: bool,
        flush_interval_s: float = 0.5,
        fsync_interval_s: float = 5.0,
        *,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        self.samples_written = 0
        self._has_gyro = bool(has_gyro)
        self._flush_interval_s = float(flush_interval_s)
        self._fsync_interval_s = float(fsync_interval_s)
        self._last_t = -np.inf
        self._last_flush_s = self._last_fsync_s = time.monotonic()
        if not isinstance(metadata, dict):
            raise RecordingFormatError(
                f"{self.path}: metadata must be a dict, got {type(metadata).__name__}"
            )
        try:
            meta_json = json.dumps(metadata, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise RecordingFormatError(
                f"{self.path}: metadata is not JSON-serialisable ({exc})"
            ) from None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "wb" if overwrite else "xb")  # noqa: SIM115 (closed in close())
        except FileExistsError:
            raise RecordingFormatError(
                f"{self.path}: already exists (refusing to overwrite a recording)"
            ) from None
        except OSError as exc:
            raise RecordingFormatError(f"{self.path}: cannot create ({exc.strerror})") from None
        self._closed = False
        header = ",".join(_columns(self._has_gyro))
        try:
            self._write(f"{FORMAT_LINE}\n# {meta_json}\n{header}\n".encode())
            # The preamble reaches the disk at once so even an instantly killed session is readable.
            self.flush(fsync=True)
        except RecordingFormatError:
            self._file.close()
            raise

    def write_block(self, block: SampleBlock) -> None:
        """Append the block's samples as rows.

        Parameters
        ----------
        block : SampleBlock
            Samples with ``t`` in s, ``acc`` in m/s², ``gyro`` in deg/s. Its
            first time must come after the last time already written, and
            its gyro presence must match ``has_gyro``.

        Raises
        ------
        SampleBlockError
            If gyro presence disagrees with the recording or time does not
            increase (at the stored 1 µs resolution).
        RecordingFormatError
            If the writer is closed or the disk write fails.
        """
        self._check_open()
        if block.has_gyro != self._has_gyro:
            raise SampleBlockError(
                f"{self.path}: block {'has' if block.has_gyro else 'lacks'} gyro but the "
                f"recording was opened with has_gyro={self._has_gyro}"
            )
        n = len(block)
        if n == 0:
            return
        stored_t = np.round(block.t, _T_DECIMALS)
        steps = np.diff(stored_t, prepend=self._last_t)
        if not (steps > 0).all():
            i = int(np.flatnonzero(steps <= 0)[0])
            previous = self._last_t if i == 0 else stored_t[i - 1]
            raise SampleBlockError(
                f"{self.path}: t does not increase at block sample {i} "
                f"({_seconds_text(previous)} s then {_seconds_text(stored_t[i])} s, at 1 µs resolution)"
            )
        self._write(_rows_text(block).encode("ascii"))
        self._last_t = float(stored_t[-1])
        self.samples_written += n
        self._flush_if_due()

    def write_event(self, event: Event) -> None:
        """Append an event as a ``# event {json}`` comment line and flush it.

        Parameters
        ----------
        event : Event
            The event; its time ``t`` is in s.

        Raises
        ------
        RecordingFormatError
            If the writer is closed, the event data is not JSON-serialisable
            or the disk write fails.
        """
        self._check_open()
        try:
            text = json.dumps(event.to_json_dict(), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise RecordingFormatError(f"{self.path}: event is not JSON-serialisable ({exc})") from None
        self._write(f"{_EVENT_PREFIX}{text}\n".encode())
        self.flush()
        self._flush_if_due()

    def flush(self, fsync: bool = False) -> None:
        """Hand buffered rows to the OS, and with ``fsync=True`` to the disk.

        Raises
        ------
        RecordingFormatError
            If the writer is closed or the OS reports an error.
        """
        self._check_open()
        try:
            self._file.flush()
            self._last_flush_s = time.monotonic()
            if fsync:
                os.fsync(self._file.fileno())
                self._last_fsync_s = self._last_flush_s
        except OSError as exc:
            raise RecordingFormatError(f"{self.path}: cannot write ({exc.strerror})") from None

    def close(self) -> None:
        """Flush, fsync and close the file; calling it again does nothing.

        Raises
        ------
        RecordingFormatError
            If the final flush fails (the file is closed regardless).
        """
        if self._closed:
            return
        try:
            self.flush(fsync=True)
        finally:
            self._closed = True
            # After a failed flush, close() retries the same write; the flush error is the one to report.
            with contextlib.suppress(OSError):
                self._file.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RecordingFormatError(f"{self.path}: recording is closed; cannot write to it")

    def _write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as exc:
            raise RecordingFormatError(f"{self.path}: cannot write ({exc.strerror})") from None

    def _flush_if_due(self) -> None:
        now = time.monotonic()
        if now - self._last_fsync_s >= self._fsync_interval_s:
            self.flush(fsync=True)
        elif now - self._last_flush_s >= self._flush_interval_s:
            self.flush()


@dataclass(frozen=True)
class Recording:
    """A recording read from disk.

    Parameters
    ----------
    path : pathlib.Path
        The file it was read from.
    metadata : dict
        The JSON metadata object; ``{}`` for a plain CSV.
    samples : SampleBlock
        ``t`` in s, ``acc`` (N, 3) in m/s², ``gyro`` (N, 3) in deg/s or None.
    events : list of Event
        Event lines in file order.
    truncated_tail : bool
        True if a partial last line (cut by a crash) was dropped.
    """

    path: Path
    metadata: dict[str, Any]
    samples: SampleBlock
    events: list[Event]
    truncated_tail: bool

    @property
    def rate_hz(self) -> float:
        """Sample rate, Hz, from the usual time step (see :func:`~sensor.dsp.resample.usual_step_s`; NaN with fewer than two samples)."""
        if len(self.samples) < 2:
            return float("nan")
        steps = np.diff(self.samples.t)
        return 1.0 / usual_step_s(steps, np.ones(len(steps)), self.duration_s, float(np.median(steps)))

    @property
    def duration_s(self) -> float:
        """Time from the first to the last sample, s (0 with fewer than two samples)."""
        if len(self.samples) < 2:
            return 0.0
        return self.samples.end_s - self.samples.start_s


class _LineError(Exception):
    """A problem on one line; the caller adds the file and line number."""


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read a v1 recording or a plain ``t,ax,ay,az[,gx,gy,gz]`` CSV.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.

    Returns
    -------
    Recording
        Metadata, samples (s, m/s², deg/s), events and whether a cut last
        line was dropped.

    Raises
    ------
    RecordingFormatError
        With one line naming the file, the line number and what is wrong,
        for a missing or unreadable file, an empty file, an unsupported
        version, bad metadata, a missing or wrong header, a malformed row
        or event before the last line, non-increasing or non-finite values,
        or binary / non-UTF-8 content.

    Notes
    -----
    Rows are parsed in bulk with :func:`numpy.loadtxt`. The last line is
    dropped (``truncated_tail=True``) when it is malformed, and in a v1 file
    also when it lacks its newline, because the writer ends every line and a
    crash can cut a number short while leaving the field count intact.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise RecordingFormatError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise RecordingFormatError(f"{file}: is a directory, not a recording file") from None
    except OSError as exc:
        raise RecordingFormatError(f"{file}: cannot read ({exc.strerror})") from None
    return _parse(file, raw)


def _fail(file: Path, line: int, what: str) -> RecordingFormatError:
    return RecordingFormatError(f"{file}: line {line}: {what}")


def _check_bytes(file: Path, data: bytes) -> tuple[bytes, bool]:
    """Strip a BOM and trailing NUL padding; reject NULs and invalid UTF-8 elsewhere."""
    if not data:
        raise RecordingFormatError(f"{file}: empty file")
    data = data.removeprefix(b"\xef\xbb\xbf")
    # A power cut can leave the file's last block zero-filled: that is a cut tail, not garbage.
    stripped = data.rstrip(b"\x00")
    padded = len(stripped) != len(data)
    nul = stripped.find(b"\x00")
    if nul != -1:
        line = stripped.count(b"\n", 0, nul) + 1
        raise _fail(file, line, "binary data (NUL byte), not a CSV text file")
    if not stripped.isascii():
        try:
            stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            line_start = stripped.rfind(b"\n", 0, exc.start) + 1
            # A cut inside a multi-byte character on the unterminated last line is a cut tail.
            if stripped.find(b"\n", exc.start) != -1 or line_start == 0:
                raise _fail(
                    file,
                    stripped.count(b"\n", 0, exc.start) + 1,
                    f"not UTF-8 text (byte 0x{stripped[exc.start]:02x})",
                ) from None
            return stripped[:line_start], True
    return stripped, padded


def _take_line(data: bytes, pos: int) -> tuple[str, int]:
    """Return the line starting at ``pos`` (without line ending) and the next position."""
    end = data.find(b"\n", pos)
    end = len(data) if end == -1 else end
    return data[pos:end].decode("utf-8").rstrip("\r"), end + 1


def _parse_header(text: str) -> bool:
    """Return whether the header has gyro columns; raise _LineError if it is not a header."""
    columns = tuple(c.strip() for c in text.split(","))
    if columns in (_ACC_COLUMNS, _ACC_COLUMNS + _GYRO_COLUMNS):
        return len(columns) > len(_ACC_COLUMNS)
    present = [c for c in _GYRO_COLUMNS if c in columns]
    if columns[: len(_ACC_COLUMNS)] == _ACC_COLUMNS and present:
        missing = [c for c in _GYRO_COLUMNS if c not in columns]
        raise _LineError(
            f"gyro columns partially present (has {','.join(present)}, lacks {','.join(missing)})"
        )
    shown = text if len(text) <= 60 else text[:57] + "..."
    raise _LineError(f"expected header 't,ax,ay,az' or 't,ax,ay,az,gx,gy,gz', got {shown!r}")


def _parse_metadata(text: str) -> dict[str, Any]:
    if not text.startswith("#"):
        raise _LineError("expected the metadata line '# {...}'")
    try:
        metadata = json.loads(text[1:])
    except json.JSONDecodeError as exc:
        # Some of json's messages already end in "at" ("Unterminated string starting at").
        where = "column" if exc.msg.endswith(" at") else "at column"
        raise _LineError(f"metadata is not valid JSON ({exc.msg} {where} {exc.colno + 1})") from None
    if not isinstance(metadata, dict):
        raise _LineError(f"metadata must be a JSON object, got {type(metadata).__name__}")
    return metadata


def _parse_event(text: str) -> Event | None:
    """Return the event on a comment line, None for another comment; raise _LineError if malformed."""
    if not text.startswith(_EVENT_PREFIX):
        return None
    try:
        obj = json.loads(text[len(_EVENT_PREFIX) :])
    except json.JSONDecodeError as exc:
        raise _LineError(f"event is not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str):
        raise _LineError("event must be a JSON object with a string 'kind'")
    t = obj.get("t")
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t):
        raise _LineError("event must have a finite numeric 't' in s")
    return Event.from_json_dict(obj)


def _row_problem(text: str, columns: tuple[str, ...]) -> str | None:
    """Describe what is wrong with a data row, or return None if it is well formed."""
    fields = text.split("#", 1)[0].split(",")
    if len(fields) != len(columns):
        return f"expected {len(columns)} comma-separated fields ({','.join(columns)}), got {len(fields)}"
    for name, field in zip(columns, fields):
        if not _NUMBER.fullmatch(field):
            return f"{name} is not a number: {field.strip()!r}"
    return None


def _tail_is_bad(text: str, columns: tuple[str, ...]) -> bool:
    if text.startswith("#"):
        try:
            _parse_event(text)
        except _LineError:
            return True
        return False
    return bool(text) and _row_problem(text, columns) is not None


def _iter_rows(body: bytes, first_line: int) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) of the data rows in ``body``, skipping what the bulk parser skips."""
    for offset, raw in enumerate(body.split(b"\n")):
        text = raw.decode("utf-8").rstrip("\r")
        if text.split("#", 1)[0]:
            yield first_line + offset, text


def _diagnose(
    file: Path, body: bytes, first_line: int, columns: tuple[str, ...], fallback: str
) -> RecordingFormatError:
    """Find the first malformed row once the bulk parser has refused the body (error path only)."""
    for line, text in _iter_rows(body, first_line):
        problem = _row_problem(text, columns)
        if problem:
            return _fail(file, line, problem)
    return RecordingFormatError(f"{file}: {fallback}")


def _line_of_row(body: bytes, first_line: int, row: int) -> int:
    line, _ = next(itertools.islice(_iter_rows(body, first_line), row, None))
    return line


def _events(file: Path, body: bytes, first_line: int) -> list[Event]:
    """Collect events from comment lines; only lines starting with '#' are visited."""
    events: list[Event] = []
    hit = body.find(b"#")
    while hit != -1:
        start = body.rfind(b"\n", 0, hit) + 1
        end = body.find(b"\n", hit)
        end = len(body) if end == -1 else end
        if start == hit:
            text = body[start:end].decode("utf-8").rstrip("\r")
            try:
                event = _parse_event(text)
            except _LineError as exc:
                raise _fail(file, first_line + body.count(b"\n", 0, start), str(exc)) from None
            if event is not None:
                events.append(event)
        hit = body.find(b"#", end)
    return events


def _rows(file: Path, body: bytes, first_line: int, columns: tuple[str, ...]) -> FloatArray:
    """Parse all data rows of ``body`` in one numpy call and check values and time order."""
    ncols = len(columns)
    try:
        with warnings.catch_warnings():
            # An empty body is a valid recording with no samples, not a warning.
            warnings.simplefilter("ignore", UserWarning)
            values = np.loadtxt(io.BytesIO(body), delimiter=",", comments="#", ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise _diagnose(file, body, first_line, columns, str(exc)) from None
    if values.size == 0:
        return np.empty((0, ncols))
    if values.shape[1] != ncols:
        fallback = f"expected {ncols} columns, got {values.shape[1]}"
        raise _diagnose(file, body, first_line, columns, fallback)
    finite = np.isfinite(values)
    if not finite.all():
        row, col = (int(i) for i in np.argwhere(~finite)[0])
        line = _line_of_row(body, first_line, row)
        raise _fail(file, line, f"{columns[col]} is not finite ({values[row, col]})")
    steps = np.diff(values[:, 0])
    if not (steps > 0).all():
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        line = _line_of_row(body, first_line, row)
        before, after = _seconds_text(values[row - 1, 0]), _seconds_text(values[row, 0])
        raise _fail(file, line, f"t does not increase ({before} s then {after} s)")
    return values


def _seconds_text(t_s: float) -> str:
    """A time (s) for a one-line message: to the µs the format stores, or 6 digits if absurdly large."""
    return f"{t_s:.6f}" if abs(t_s) < 1e9 else f"{t_s:.6g}"


def _parse(file: Path, raw: bytes) -> Recording:
    data, truncated = _check_bytes(file, raw)
    # 1. Preamble: version and metadata lines (v1), then the header.
    first, pos = _take_line(data, 0)
    line_no = 1
    metadata: dict[str, Any] = {}
    is_v1 = first.startswith("#")
    try:
        if is_v1:
            match = _VERSION_LINE.fullmatch(first)
            if match is None:
                raise _LineError(
                    f"unknown first line {first[:40]!r}; expected {FORMAT_LINE!r} or a "
                    "'t,ax,ay,az[,gx,gy,gz]' header"
                )
            if match.group(1) != "v1":
                version = match.group(1) or "(none)"
                raise _LineError(f"unsupported recording version {version} (this Repband reads v1)")
            line_no = 2
            if pos >= len(data):
                raise _LineError("missing metadata line")
            text, pos = _take_line(data, pos)
            metadata = _parse_metadata(text)
            line_no = 3
            if pos >= len(data):
                raise _LineError("missing header 't,ax,ay,az[,gx,gy,gz]'")
            first, pos = _take_line(data, pos)
        has_gyro = _parse_header(first)
    except _LineError as exc:
        # A recording stopped as it began ends inside its preamble: say so, not only what is malformed.
        cut = pos >= len(data) and not data.endswith(b"\n")
        raise _fail(file, line_no, f"{exc}; the file ends inside this line (cut off)" if cut else str(exc)) from None
    columns = _columns(has_gyro)
    body = data[pos:]
    first_line = line_no + 1

    # 2. The last line may have been cut by a crash: drop it rather than fail.
    if body:
        terminated = body.endswith(b"\n")
        tail_start = body.rfind(b"\n", 0, len(body) - 1) + 1
        tail = body[tail_start:].decode("utf-8").rstrip("\n").rstrip("\r")
        if (is_v1 and not terminated) or _tail_is_bad(tail, columns):
            body = body[:tail_start]
            truncated = True

    # 3. Events and rows, in bulk.
    events = _events(file, body, first_line)
    values = _rows(file, body, first_line, columns)
    samples = SampleBlock(values[:, 0], values[:, 1:4], values[:, 4:7] if has_gyro else None)
    return Recording(file, metadata, samples, events, truncated)
