"""Polar Measurement Data (PMD): Verity Sense, H10 and OH1, as bytes in and bytes out.

Pure protocol code, no I/O: the control-point (CP) commands and answers, the
settings TLV, the data frames (raw and delta-compressed) with a vectorised
decoder and an encoder for the emulated band, per-sample timestamps,
stateful stream decoding to :class:`~sensor.types.SampleBlock` s, and the
negotiating :class:`PmdSession` the transport drives.

Units out: acceleration m/s², angular rate deg/s, time s. Band timestamps are
nanoseconds since 2000-01-01T00:00:00Z of the *last* sample of a frame; they
are used for sample spacing and gap detection, the host clock for wall time.

References
----------
Polar, *Polar Measurement Data (online measurement)*, v1.0, August 2024
(``technical_documentation/online_measurement.pdf`` in polarofficial/polar-ble-sdk)
and the SDK sources ``BlePMDClient.kt``, ``PmdDataFrame.kt``, ``PmdSetting.kt``,
``PmdControlPointResponse.kt``, ``PmdMeasurementType.kt``, ``model/AccData.kt``,
``model/GyrData.kt``, ``model/PmdTimeStampUtils.kt``. See
``firmware_notes/polar-pmd.md``.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Mapping, Sequence, Union

import numpy as np
import numpy.typing as npt

from sensor.bands.base import (
    Advert,
    BandCapabilities,
    BandProtocol,
    BandSession,
    StreamItem,
    Write,
    normalize_uuid,
)
from sensor.bands.merge import ImuMerger
from sensor.errors import DecodeError, ProtocolError, UnsupportedSettingError
from sensor.types import Event, FloatArray
from sensor.units import G_STANDARD, MS2_PER_MG

# ---------------------------------------------------------------------------------
# 1. Constants
# ---------------------------------------------------------------------------------

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CP_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
HEART_RATE_SERVICE_UUID = normalize_uuid("180d")
BATTERY_SERVICE_UUID = normalize_uuid("180f")
BATTERY_LEVEL_UUID = normalize_uuid("2a19")

#: Bluetooth SIG company identifier of Polar Electro Oy (manufacturer data key).
POLAR_COMPANY_ID = 0x006B

#: First byte of every CP answer to a client command.
CP_RESPONSE_CODE = 0xF0
#: First byte of the CP feature read.
FEATURES_CODE = 0x0F
#: Frame-type byte bit marking a delta-compressed frame.
FRAME_COMPRESSED = 0x80
#: Bit of a request's measurement byte selecting offline recording.
OFFLINE_BIT = 0x80

_HEADER_BYTES = 10
_MAX_DELTA_BITS = 32
_INT64_MAX = 2**63 - 1


class MeasurementType(IntEnum):
    """PMD measurement types (request byte bits 0-5)."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6
    SKIN_TEMP = 7
    SDK_MODE = 9
    LOCATION = 10
    PRESSURE = 11
    TEMPERATURE = 12
    OFFLINE_RECORDING = 13
    OFFLINE_HR = 14


class OpCode(IntEnum):
    """Client-to-band control-point op codes."""

    GET_MEASUREMENT_SETTINGS = 1
    REQUEST_MEASUREMENT_START = 2
    STOP_MEASUREMENT = 3
    GET_SDK_MODE_MEASUREMENT_SETTINGS = 4
    GET_MEASUREMENT_STATUS = 5
    GET_SDK_MODE_STATUS = 6


class DeviceMessage(IntEnum):
    """Unsolicited band-to-client CP messages (first byte other than 0xF0)."""

    ONLINE_MEASUREMENT_STOPPED = 1


class SettingType(IntEnum):
    """Setting types of the settings TLV."""

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5
    SECURITY = 6


class Status(IntEnum):
    """Status codes of CP answers."""

    SUCCESS = 0
    INVALID_OP_CODE = 1
    INVALID_MEASUREMENT_TYPE = 2
    NOT_SUPPORTED = 3
    INVALID_LENGTH = 4
    INVALID_PARAMETER = 5
    ALREADY_IN_STATE = 6
    INVALID_RESOLUTION = 7
    INVALID_SAMPLE_RATE = 8
    INVALID_RANGE = 9
    INVALID_MTU = 10
    INVALID_NUMBER_OF_CHANNELS = 11
    INVALID_STATE = 12
    DEVICE_IN_CHARGER = 13
    DISK_FULL = 14


#: Statuses meaning "the band cannot stream like that" rather than a protocol fault.
_SETTING_STATUSES = frozenset(
    {
        Status.NOT_SUPPORTED,
        Status.INVALID_RESOLUTION,
        Status.INVALID_SAMPLE_RATE,
        Status.INVALID_RANGE,
        Status.INVALID_NUMBER_OF_CHANNELS,
    }
)

_STATUS_ADVICE = {
    Status.INVALID_MTU: "the link's ATT MTU is too small for PMD (needs about 232 bytes)",
    Status.DEVICE_IN_CHARGER: "take the band off its charger",
    Status.ALREADY_IN_STATE: "a stream is still running from an earlier connection",
}

# ---------------------------------------------------------------------------------
# 2. Settings TLV
# ---------------------------------------------------------------------------------

#: Value struct per setting type (little-endian).
_SETTING_STRUCTS: dict[SettingType, struct.Struct] = {
    SettingType.SAMPLE_RATE: struct.Struct("<H"),
    SettingType.RESOLUTION: struct.Struct("<H"),
    SettingType.RANGE: struct.Struct("<H"),
    SettingType.RANGE_MILLIUNIT: struct.Struct("<i"),
    SettingType.CHANNELS: struct.Struct("<B"),
    SettingType.FACTOR: struct.Struct("<f"),
    SettingType.SECURITY: struct.Struct("<16s"),
}

SettingValue = Union[int, float, bytes]
Settings = dict[SettingType, tuple[SettingValue, ...]]


def parse_settings(tlv: bytes) -> Settings:
    """Parse a settings TLV ``[type:u8][count:u8][value × count]...``.

    Parameters
    ----------
    tlv : bytes
        The TLV bytes (a CP answer's parameters or a start request's tail).

    Returns
    -------
    dict of SettingType to tuple
        Values per setting in wire order: ints for rate (Hz), resolution
        (bits), range (±g or ±deg/s), range in milli-units and channels;
        float for FACTOR; bytes for SECURITY.

    Raises
    ------
    DecodeError
        Unknown setting type or a truncated entry.
    """
    out: Settings = {}
    offset = 0
    while offset < len(tlv):
        if offset + 2 > len(tlv):
            raise DecodeError(f"settings TLV: entry header truncated at byte {offset} of {len(tlv)}")
        code, count = tlv[offset], tlv[offset + 1]
        try:
            kind = SettingType(code)
        except ValueError:
            raise DecodeError(f"settings TLV: unknown setting type {code} at byte {offset}") from None
        unpacker = _SETTING_STRUCTS[kind]
        end = offset + 2 + count * unpacker.size
        if end > len(tlv):
            raise DecodeError(
                f"settings TLV: {kind.name} needs {count} × {unpacker.size} bytes at byte {offset}, "
                f"only {len(tlv) - offset - 2} left"
            )
        out[kind] = out.get(kind, ()) + tuple(
            v[0] for v in unpacker.iter_unpack(tlv[offset + 2 : end])
        )
        offset = end
    return out


def encode_settings(settings: Mapping[SettingType, Sequence[SettingValue]]) -> bytes:
    """Build a settings TLV (inverse of :func:`parse_settings`).

    Parameters
    ----------
    settings : mapping of SettingType to sequence
        Values per setting, in the units of :func:`parse_settings`; entries
        are written in the mapping's order.

    Returns
    -------
    bytes
        The TLV.
    """
    out = bytearray()
    for kind, values in settings.items():
        packer = _SETTING_STRUCTS[SettingType(kind)]
        out += bytes((int(kind), len(values)))
        for value in values:
            out += packer.pack(value)
    return bytes(out)


# ---------------------------------------------------------------------------------
# 3. Control point
# ---------------------------------------------------------------------------------


def _measurement(code: int) -> MeasurementType | None:
    """The measurement type of a request/answer byte (bit 7 ignored), None if unknown."""
    try:
        return MeasurementType(code & 0x3F)
    except ValueError:
        return None


def _request_byte(measurement: int, offline: bool = False) -> int:
    return (OFFLINE_BIT if offline else 0) | MeasurementType(measurement)


def build_get_settings(measurement: int, *, sdk_mode_ranges: bool = False) -> bytes:
    """Return the CP command asking which settings a measurement supports.

    Parameters
    ----------
    measurement : MeasurementType
        E.g. ``MeasurementType.ACC`` ⇒ ``01 02``.
    sdk_mode_ranges : bool
        Ask for the full (SDK-mode) settings instead (op code 4).
    """
    op = OpCode.GET_SDK_MODE_MEASUREMENT_SETTINGS if sdk_mode_ranges else OpCode.GET_MEASUREMENT_SETTINGS
    return bytes((op, _request_byte(measurement)))


def build_start(
    measurement: int,
    rate_hz: int,
    resolution_bits: int,
    range_: int,
    channels: int | None = 3,
) -> bytes:
    """Return the CP command starting an online measurement.

    Parameters
    ----------
    measurement : MeasurementType
        ``ACC`` or ``GYRO`` (any streamable type is accepted).
    rate_hz : int
        Sample rate, Hz (one of the values the band offered).
    resolution_bits : int
        Sample resolution, bits (16 on current bands).
    range_ : int
        Full-scale range, ±g for ACC, ±deg/s for GYRO.
    channels : int or None
        Channel count (u8 on the wire); None leaves it out for bands whose
        settings do not list CHANNELS (H10).

    Returns
    -------
    bytes
        ``02 <type> <TLV>`` with one value per setting and never FACTOR,
        e.g. Verity Sense ACC 52 Hz 16 bit ±8 g 3 ch ⇒
        ``02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03``.
    """
    settings: dict[SettingType, Sequence[SettingValue]] = {
        SettingType.SAMPLE_RATE: (int(rate_hz),),
        SettingType.RESOLUTION: (int(resolution_bits),),
        SettingType.RANGE: (int(range_),),
    }
    if channels is not None:
        settings[SettingType.CHANNELS] = (int(channels),)
    return bytes((OpCode.REQUEST_MEASUREMENT_START, _request_byte(measurement))) + encode_settings(settings)


def build_stop(measurement: int) -> bytes:
    """Return the CP command stopping a measurement (e.g. ACC ⇒ ``03 02``)."""
    return bytes((OpCode.STOP_MEASUREMENT, _request_byte(measurement)))


def build_sdk_mode(enable: bool) -> bytes:
    """Return the CP command switching SDK mode on (``02 09``) or off (``03 09``)."""
    op = OpCode.REQUEST_MEASUREMENT_START if enable else OpCode.STOP_MEASUREMENT
    return bytes((op, MeasurementType.SDK_MODE))


@dataclass(frozen=True)
class CpResponse:
    """A CP answer ``F0 <op> <measurement> <status> [<more>] [<parameters>]``.

    Parameters
    ----------
    op_code : int
        The command answered (an :class:`OpCode` value when known).
    measurement : int
        Measurement byte of the command (bit 7: offline).
    status : Status
        Result.
    more : bool
        True when further indications continue ``parameters``.
    parameters : bytes
        Answer parameters (settings TLV for settings queries and starts).
    """

    op_code: int
    measurement: int
    status: Status
    more: bool
    parameters: bytes = b""

    @property
    def ok(self) -> bool:
        """True for status SUCCESS."""
        return self.status is Status.SUCCESS

    def settings(self) -> Settings:
        """Parse :attr:`parameters` as a settings TLV (see :func:`parse_settings`)."""
        return parse_settings(self.parameters)

    def raise_for_status(self) -> None:
        """Raise the error matching a failure status; return quietly on SUCCESS.

        Raises
        ------
        UnsupportedSettingError
            NOT_SUPPORTED, INVALID_RESOLUTION, INVALID_SAMPLE_RATE, INVALID_RANGE,
            INVALID_NUMBER_OF_CHANNELS.
        ProtocolError
            Every other failure status.
        """
        if self.ok:
            return
        try:
            what = OpCode(self.op_code).name
        except ValueError:
            what = f"op code {self.op_code}"
        try:
            target = MeasurementType(self.measurement & 0x3F).name
        except ValueError:
            target = f"measurement {self.measurement}"
        message = f"Polar band refused {what} for {target}: {self.status.name}"
        advice = _STATUS_ADVICE.get(self.status)
        if advice:
            message += f" ({advice})"
        if self.status in _SETTING_STATUSES:
            raise UnsupportedSettingError(message)
        raise ProtocolError(message)


@dataclass(frozen=True)
class MeasurementStopped:
    """Unsolicited CP message: the band stopped these online measurements."""

    measurements: tuple[int, ...]


def parse_cp_response(data: bytes) -> CpResponse:
    """Parse one CP indication answering a command.

    Parameters
    ----------
    data : bytes
        ``F0 <op> <measurement> <status> [<more>] [<parameters>]`` (error
        answers may stop after the status byte).

    Raises
    ------
    DecodeError
        Not an answer (first byte not 0xF0), shorter than 4 bytes or an
        unknown status code.
    """
    if len(data) < 4 or data[0] != CP_RESPONSE_CODE:
        raise DecodeError(f"CP answer: expected F0 and at least 4 bytes, got {data[:8].hex(' ')}")
    try:
        status = Status(data[3])
    except ValueError:
        raise DecodeError(f"CP answer: unknown status code {data[3]}") from None
    more = len(data) > 4 and data[4] != 0
    return CpResponse(data[1], data[2], status, more, bytes(data[5:]))


def parse_cp_message(data: bytes) -> CpResponse | MeasurementStopped:
    """Parse any CP indication: a command answer or an unsolicited band message.

    Raises
    ------
    DecodeError
        Empty, unknown message code or malformed answer.
    """
    if not data:
        raise DecodeError("CP message: empty")
    if data[0] == CP_RESPONSE_CODE:
        return parse_cp_response(data)
    if data[0] == DeviceMessage.ONLINE_MEASUREMENT_STOPPED:
        return MeasurementStopped(tuple(b & 0x3F for b in data[1:]))
    raise DecodeError(f"CP message: unknown message code 0x{data[0]:02X}")


def build_cp_response(
    op_code: int,
    measurement: int,
    status: int = Status.SUCCESS,
    parameters: bytes = b"",
    *,
    more: bool = False,
) -> bytes:
    """Build a CP answer as a band sends it (for the emulated band).

    Parameters
    ----------
    op_code : int
        Command being answered.
    measurement : int
        Measurement byte of the command.
    status : Status
        Result code.
    parameters : bytes
        Answer parameters (e.g. :func:`encode_settings` output).
    more : bool
        Set when more indications continue the parameters.

    Returns
    -------
    bytes
        ``F0 op measurement status more parameters``.
    """
    return bytes((CP_RESPONSE_CODE, op_code, measurement, int(status), int(more))) + parameters


def build_measurement_stopped(measurements: Sequence[int]) -> bytes:
    """Build the unsolicited ONLINE_MEASUREMENT_STOPPED CP message (for the emulated band)."""
    return bytes((DeviceMessage.ONLINE_MEASUREMENT_STOPPED, *measurements))


def parse_features(data: bytes) -> set[MeasurementType]:
    """Parse the CP feature read: which measurement types the band offers.

    Parameters
    ----------
    data : bytes
        ``0F`` then a bit field: bit *k* of bytes 1... set means measurement
        type *k* (e.g. H10 ``0F 05 00`` ⇒ {ECG, ACC}).

    Raises
    ------
    DecodeError
        First byte not 0x0F or no feature byte.
    """
    if len(data) < 2 or data[0] != FEATURES_CODE:
        raise DecodeError(f"PMD features: expected 0F and a bit field, got {data[:8].hex(' ')}")
    bits = np.unpackbits(np.frombuffer(data[1:], np.uint8), bitorder="little")
    known = {m.value for m in MeasurementType}
    return {MeasurementType(int(k)) for k in np.flatnonzero(bits) if int(k) in known}


def encode_features(measurements: Sequence[int]) -> bytes:
    """Build a CP feature read value (inverse of :func:`parse_features`, 3 bytes)."""
    field_bits = 0
    for m in measurements:
        field_bits |= 1 << int(m)
    return bytes((FEATURES_CODE,)) + field_bits.to_bytes(2, "little")


def _closest(values: Sequence[SettingValue], wanted: float | None, default: float) -> int:
    target = default if wanted is None else wanted
    # ties go to the larger value: more headroom / more samples
    return int(min((int(v) for v in values), key=lambda v: (abs(v - target), -v)))


def choose_settings(
    available: Settings,
    wanted_rate_hz: float | None = None,
    wanted_range: float | None = None,
    *,
    default_rate_hz: float = 52.0,
    default_range: float = 8.0,
) -> dict[SettingType, int]:
    """Pick start settings from what the band offered.

    Parameters
    ----------
    available : Settings
        Parsed answer to GET_MEASUREMENT_SETTINGS.
    wanted_rate_hz : float, optional
        Wanted rate, Hz; None uses ``default_rate_hz``.
    wanted_range : float, optional
        Wanted range, ±g for ACC or ±deg/s for GYRO; None uses ``default_range``.
    default_rate_hz, default_range : float
        Targets when nothing is wanted (Hz, ±unit).

    Returns
    -------
    dict of SettingType to int
        SAMPLE_RATE and RANGE closest to the targets (ties: the larger), the
        highest RESOLUTION and CHANNELS offered; keys only for settings offered.

    Raises
    ------
    UnsupportedSettingError
        The band offered no sample rate.
    """
    if not available.get(SettingType.SAMPLE_RATE):
        raise UnsupportedSettingError("Polar band offered no sample rate for this measurement")
    chosen = {SettingType.SAMPLE_RATE: _closest(available[SettingType.SAMPLE_RATE], wanted_rate_hz, default_rate_hz)}
    if available.get(SettingType.RANGE):
        chosen[SettingType.RANGE] = _closest(available[SettingType.RANGE], wanted_range, default_range)
    for kind in (SettingType.RESOLUTION, SettingType.CHANNELS):
        if available.get(kind):
            chosen[kind] = max(int(v) for v in available[kind])
    return chosen


def _start_from_choice(measurement: int, choice: Mapping[SettingType, int]) -> bytes:
    return build_start(
        measurement,
        choice[SettingType.SAMPLE_RATE],
        choice.get(SettingType.RESOLUTION, 16),
        choice.get(SettingType.RANGE, 0),
        choice.get(SettingType.CHANNELS),
    )


# ---------------------------------------------------------------------------------
# 4. Data frames
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Format:
    """How one (measurement, compressed, frame type) is laid out and scaled."""

    sample_bytes: int  # bytes per channel value (raw) or per reference value (compressed)
    is_float: bool  # values are float32 bit patterns
    unit_scale: float  # physical = value × factor × unit_scale (m/s² or deg/s)
    channels: int = 3


_FORMATS: dict[tuple[MeasurementType, bool, int], _Format] = {
    # raw ACC: mG (PmdSDK AccData); the PDF says TYPE_0 is G on Verity Sense, see notes
    (MeasurementType.ACC, False, 0): _Format(1, False, MS2_PER_MG),
    (MeasurementType.ACC, False, 1): _Format(2, False, MS2_PER_MG),
    (MeasurementType.ACC, False, 2): _Format(3, False, MS2_PER_MG),
    # compressed ACC TYPE_0 is in G (× factor), TYPE_1 in mG
    (MeasurementType.ACC, True, 0): _Format(2, False, G_STANDARD),
    (MeasurementType.ACC, True, 1): _Format(2, False, MS2_PER_MG),
    (MeasurementType.GYRO, True, 0): _Format(2, False, 1.0),
    (MeasurementType.GYRO, True, 1): _Format(4, True, 1.0),
}

#: Frame-type bytes the decoder understands, per measurement.
SUPPORTED_FRAME_TYPES: dict[MeasurementType, tuple[int, ...]] = {
    m: tuple(sorted(ft | (FRAME_COMPRESSED if c else 0) for (mm, c, ft) in _FORMATS if mm is m))
    for m in (MeasurementType.ACC, MeasurementType.GYRO)
}


@dataclass(frozen=True, eq=False)
class PmdFrame:
    """One decoded PMD data notification.

    Parameters
    ----------
    measurement : MeasurementType
        ``ACC`` or ``GYRO``.
    timestamp_ns : int
        Band time of the frame's last sample, ns since 2000-01-01T00:00:00Z.
    frame_type : int
        Frame type number (0-127, compression bit removed).
    compressed : bool
        True for a delta-compressed frame.
    values : ndarray, shape (N, channels)
        Sample values in wire units, before FACTOR: int64 for integer frames,
        float64 for float frames (gyro compressed TYPE_1).
    """

    measurement: MeasurementType
    timestamp_ns: int
    frame_type: int
    compressed: bool
    values: np.ndarray

    @property
    def frame_type_byte(self) -> int:
        """The frame-type byte as sent (compression bit included)."""
        return self.frame_type | (FRAME_COMPRESSED if self.compressed else 0)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def physical(self, factor: float = 1.0) -> FloatArray:
        """Return the samples in physical units: m/s² for ACC, deg/s for GYRO.

        Parameters
        ----------
        factor : float
            FACTOR from the start answer (1.0 when the band sent none).

        Returns
        -------
        ndarray, shape (N, channels), float64
        """
        fmt = _FORMATS[(self.measurement, self.compressed, self.frame_type)]
        return self.values * (float(factor) * fmt.unit_scale)


def _format_for(measurement: int, frame_type_byte: int) -> tuple[MeasurementType, bool, int, _Format]:
    try:
        m = MeasurementType(measurement & 0x3F)
    except ValueError:
        raise DecodeError(f"PMD frame: unknown measurement type {measurement & 0x3F}") from None
    compressed = bool(frame_type_byte & FRAME_COMPRESSED)
    ftype = frame_type_byte & 0x7F
    fmt = _FORMATS.get((m, compressed, ftype))
    if fmt is None:
        kind = "compressed" if compressed else "raw"
        raise DecodeError(f"PMD frame: {kind} frame type {ftype} of {m.name} is not supported")
    return m, compressed, ftype, fmt


def _le_signed(buf: np.ndarray, nbytes: int) -> np.ndarray:
    """Read little-endian signed integers of ``nbytes`` each from a uint8 array."""
    if nbytes in (1, 2, 4):
        return buf.view(f"<i{nbytes}").astype(np.int64)
    b = buf.reshape(-1, nbytes).astype(np.int64)
    value = np.zeros(b.shape[0], np.int64)
    for k in range(nbytes):
        value |= b[:, k] << (8 * k)
    sign = np.int64(1) << (8 * nbytes - 1)
    return (value ^ sign) - sign


_WEIGHTS = [np.left_shift(np.int64(1), np.arange(w, dtype=np.int64)) for w in range(_MAX_DELTA_BITS + 1)]


def _unpack_deltas(packed: np.ndarray, width: int, count: int) -> np.ndarray:
    """Unpack ``count`` two's-complement ``width``-bit numbers, LSB first."""
    if width == 0:
        return np.zeros(count, np.int64)
    bits = np.unpackbits(packed, bitorder="little", count=width * count).reshape(count, width)
    value = bits @ _WEIGHTS[width]
    return value - ((value >> (width - 1)) << width)


def _decode_compressed(content: bytes, fmt: _Format) -> np.ndarray:
    ch, nb = fmt.channels, fmt.sample_bytes
    ref_len = ch * nb
    if len(content) < ref_len:
        raise DecodeError(f"PMD frame: {len(content)} content bytes, the reference sample needs {ref_len}")
    buf = np.frombuffer(content, np.uint8)
    ref = buf[:ref_len].view("<u4").astype(np.int64) if fmt.is_float else _le_signed(buf[:ref_len], nb)
    parts = [ref]
    offset = ref_len
    while offset < len(content):
        if offset + 2 > len(content):
            raise DecodeError(f"PMD frame: delta block header truncated at content byte {offset}")
        width, count = content[offset], content[offset + 1]
        if width > _MAX_DELTA_BITS:
            raise DecodeError(f"PMD frame: delta width {width} bits at content byte {offset} exceeds 32")
        offset += 2
        nbytes = (width * count * ch + 7) // 8
        if offset + nbytes > len(content):
            raise DecodeError(
                f"PMD frame: delta block of {count} × {width} bits needs {nbytes} bytes at content byte "
                f"{offset}, only {len(content) - offset} left"
            )
        if count:
            parts.append(_unpack_deltas(buf[offset : offset + nbytes], width, count * ch))
        offset += nbytes
    values = np.cumsum(np.concatenate(parts).reshape(-1, ch), axis=0)
    if fmt.is_float:
        # deltas act on the integer bit patterns of float32 (wrapping like int32)
        with np.errstate(invalid="ignore"):  # NaN patterns are rejected by the stream
            return (values & 0xFFFFFFFF).astype(np.uint32).view(np.float32).astype(np.float64)
    return values


def parse_frame(payload: bytes) -> PmdFrame:
    """Decode one PMD data notification.

    Parameters
    ----------
    payload : bytes
        ``[measurement][timestamp u64 ns][frame type][content]``.

    Returns
    -------
    PmdFrame
        Values in wire units (see :meth:`PmdFrame.physical`).

    Raises
    ------
    DecodeError
        Header truncated, unsupported measurement or frame type, raw content
        not a whole number of samples, or delta blocks that do not consume the
        content exactly.
    """
    if len(payload) < _HEADER_BYTES:
        raise DecodeError(f"PMD frame: {len(payload)} bytes, shorter than the 10-byte header")
    m, compressed, ftype, fmt = _format_for(payload[0], payload[9])
    timestamp_ns = int.from_bytes(payload[1:9], "little")
    content = bytes(payload[_HEADER_BYTES:])
    if compressed:
        values = _decode_compressed(content, fmt)
    else:
        size = fmt.channels * fmt.sample_bytes
        if not content or len(content) % size:
            raise DecodeError(
                f"PMD frame: raw {m.name} type {ftype} content of {len(content)} bytes "
                f"is not a positive multiple of {size}"
            )
        values = _le_signed(np.frombuffer(content, np.uint8), fmt.sample_bytes).reshape(-1, fmt.channels)
    return PmdFrame(m, timestamp_ns, ftype, compressed, values)


def _signed_bit_width(values: np.ndarray) -> np.ndarray:
    """Bits needed to hold each integer in two's complement (at least 1)."""
    magnitude = np.where(values < 0, ~values, values).astype(np.float64)
    return np.maximum(np.frexp(magnitude)[1] + 1, 1)


def _delta_blocks(deltas: np.ndarray, delta_bits: int | None, group: int = 10) -> list[tuple[int, int, int]]:
    """Split deltas (M, ch) into blocks ``(start, count, width)``.

    Like the band: the width is chosen per group of ``group`` samples, and
    neighbouring groups with the same width share a block (≤ 255 samples).
    """
    m = deltas.shape[0]
    if m == 0:
        return []
    need = _signed_bit_width(deltas).max(axis=1)
    if delta_bits is not None:
        if delta_bits < int(need.max()) or delta_bits > _MAX_DELTA_BITS:
            raise ValueError(f"delta_bits={delta_bits} cannot hold deltas needing {int(need.max())} bits")
        widths = np.full(-(-m // group), delta_bits)
    else:
        widths = np.maximum.reduceat(need, np.arange(0, m, group))
    blocks: list[tuple[int, int, int]] = []
    for g, width in enumerate(widths.tolist()):
        start, count = g * group, min(group, m - g * group)
        if blocks and blocks[-1][2] == width and blocks[-1][1] + count <= 255:
            s, c, w = blocks[-1]
            blocks[-1] = (s, c + count, w)
        else:
            blocks.append((start, count, width))
    return blocks


def _pack_deltas(deltas: np.ndarray, width: int) -> bytes:
    flat = deltas.reshape(-1).astype(np.int64) & ((1 << width) - 1)
    bits = ((flat[:, None] >> np.arange(width, dtype=np.int64)) & 1).astype(np.uint8)
    return np.packbits(bits.reshape(-1), bitorder="little").tobytes()


def _le_bytes(values: np.ndarray, nbytes: int) -> bytes:
    v = values.reshape(-1).astype(np.int64)
    lo, hi = -(1 << (8 * nbytes - 1)), (1 << (8 * nbytes - 1)) - 1
    if v.size and (v.min() < lo or v.max() > hi):
        raise ValueError(f"values outside the signed {8 * nbytes}-bit range of this frame type")
    return (v[:, None] >> (8 * np.arange(nbytes, dtype=np.int64)) & 0xFF).astype(np.uint8).tobytes()


def encode_frame(
    measurement: int,
    timestamp_ns: int,
    values: npt.ArrayLike,
    frame_type: int,
    *,
    delta_bits: int | None = None,
) -> bytes:
    """Build a PMD data notification (for the emulated band and tests).

    Parameters
    ----------
    measurement : MeasurementType
        ``ACC`` or ``GYRO``.
    timestamp_ns : int
        Band time of the last sample, ns since 2000-01-01T00:00:00Z (u64).
    values : array_like, shape (N, 3)
        Samples in wire units (integers; floats for gyro compressed TYPE_1),
        e.g. from :func:`raw_from_physical`.
    frame_type : int
        Frame-type byte, compression bit included (e.g. ``0x01`` raw TYPE_1,
        ``0x80`` compressed TYPE_0).
    delta_bits : int, optional
        Compressed frames only: one fixed delta width for every block; None
        picks the smallest width per group of 10 samples like the band does.

    Returns
    -------
    bytes
        The notification payload.

    Raises
    ------
    ValueError
        Unsupported frame type, wrong shape, no samples, or values that do
        not fit the frame type.
    """
    try:
        m, compressed, ftype, fmt = _format_for(int(measurement), int(frame_type))
    except DecodeError as exc:
        raise ValueError(str(exc)) from None
    if not 0 <= int(timestamp_ns) < 2**64:
        raise ValueError(f"timestamp_ns {timestamp_ns} does not fit a u64")
    header = bytes((m,)) + int(timestamp_ns).to_bytes(8, "little") + bytes((int(frame_type),))
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != fmt.channels or arr.shape[0] == 0:
        raise ValueError(f"values must have shape (N>0, {fmt.channels}), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("values must be finite")
    if fmt.is_float:
        ints = arr.astype(np.float32).view(np.uint32).astype(np.int64)
    else:
        ints = np.asarray(np.rint(arr), dtype=np.int64)
    if not compressed:
        return header + _le_bytes(ints, fmt.sample_bytes)
    if fmt.is_float:
        ref = ints[0].astype("<u4").tobytes()
        deltas = (np.diff(ints, axis=0) + 2**31) % 2**32 - 2**31
    else:
        ref = _le_bytes(ints[0], fmt.sample_bytes)
        deltas = np.diff(ints, axis=0)
    body = bytearray(ref)
    for start, count, width in _delta_blocks(deltas, delta_bits):
        body += bytes((width, count)) + _pack_deltas(deltas[start : start + count], width)
    return header + bytes(body)


def raw_from_physical(measurement: int, frame_type: int, physical: npt.ArrayLike, factor: float = 1.0) -> np.ndarray:
    """Convert physical samples to wire values (inverse of :meth:`PmdFrame.physical`).

    Parameters
    ----------
    measurement : MeasurementType
        ``ACC`` (input m/s²) or ``GYRO`` (input deg/s).
    frame_type : int
        Frame-type byte, compression bit included.
    physical : array_like, shape (N, 3)
        Samples, m/s² or deg/s.
    factor : float
        FACTOR the band announces in its start answer.

    Returns
    -------
    ndarray
        int64 values rounded to the nearest step, or float64 for float frames.
    """
    _, _, _, fmt = _format_for(int(measurement), int(frame_type))
    scaled = np.asarray(physical, dtype=np.float64) / (float(factor) * fmt.unit_scale)
    return scaled if fmt.is_float else np.rint(scaled).astype(np.int64)


# ---------------------------------------------------------------------------------
# 5. Per-sample timestamps
# ---------------------------------------------------------------------------------


def sample_timestamps_ns(
    frame_timestamp_ns: int,
    n_samples: int,
    rate_hz: float,
    previous_timestamp_ns: int | None = None,
) -> np.ndarray:
    """Band time of every sample of a frame, following Polar's rules.

    Parameters
    ----------
    frame_timestamp_ns : int
        Frame stamp (time of its last sample), ns.
    n_samples : int
        Samples in the frame.
    rate_hz : float
        Configured sample rate, Hz (used for the first frame after a start).
    previous_timestamp_ns : int, optional
        Stamp of the previous frame of the same measurement and frame type;
        None for the first frame after a start.

    Returns
    -------
    ndarray of int64, shape (n_samples,)
        First frame: spacing 1e9/rate ns ending at the frame stamp. Later
        frames: spacing (stamp - previous)/n, first = previous + spacing.
        Rounded to whole ns; the last equals the frame stamp.

    Raises
    ------
    DecodeError
        No samples, stamp beyond int64, or not after ``previous_timestamp_ns``.
    """
    if n_samples <= 0:
        raise DecodeError("PMD timestamps: frame has no samples")
    if frame_timestamp_ns > _INT64_MAX:
        raise DecodeError(f"PMD timestamps: frame stamp {frame_timestamp_ns} ns is out of range")
    if previous_timestamp_ns is None:
        step = 1e9 / rate_hz
    elif frame_timestamp_ns <= previous_timestamp_ns:
        raise DecodeError(
            f"PMD timestamps: frame stamp {frame_timestamp_ns} ns is not after the previous "
            f"{previous_timestamp_ns} ns"
        )
    else:
        step = (frame_timestamp_ns - previous_timestamp_ns) / n_samples
    back = np.floor(step * np.arange(n_samples - 1, -1, -1) + 0.5).astype(np.int64)
    return np.int64(frame_timestamp_ns) - back


# ---------------------------------------------------------------------------------
# 6. Stream decoding: time base, gaps, acc + gyro merge
# ---------------------------------------------------------------------------------

#: A frame whose implied sample step is off by more than this fraction of 1/rate
#: means lost frames (longer) or a clock that disagrees with the rate (shorter).
STEP_TOLERANCE = 0.5
#: Band time running ahead of host time by more than this (s) is a clock jump.
CLOCK_JUMP_S = 10.0


@dataclass
class _Placed:
    """Where a frame's samples go on the band-seconds axis, before committing."""

    t: FloatArray
    offset_s: float
    events: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)


class PmdStream:
    """Turn PMD payloads into SampleBlocks on a session time axis.

    Parameters
    ----------
    rates_hz : mapping of MeasurementType to float
        Configured rate per streamed measurement, Hz. Must hold ``ACC``;
        ``GYRO`` present means blocks carry gyroscope data. Frames of other
        measurements are ignored.
    factors : mapping of MeasurementType to float, optional
        FACTOR per measurement when known in advance (e.g. replaying captured
        frames); start answers fed to :meth:`feed` override it. Default 1.0.
    t0_s : float
        Session time of the first emitted sample, s.
    max_gyro_wait_s : float
        How long accelerometer samples wait for gyroscope coverage, s.

    Notes
    -----
    Per-sample stamps follow :func:`sample_timestamps_ns`, keyed per
    (measurement, frame type) and reset on stop. A frame whose implied step
    is more than 50 % longer than 1/rate follows lost frames: its samples are
    spaced at 1/rate back from its stamp and a ``gap`` event is emitted. A band
    clock that goes backwards, or runs more than 10 s ahead of the host clock,
    is rebased onto the host clock with a ``clock_reset`` event, so session
    time never goes backwards. Gyroscope values are interpolated onto the
    accelerometer times; see :class:`~sensor.bands.merge.ImuMerger`.

    Data requirements: accelerometer required, gyroscope optional.
    """

    def __init__(
        self,
        rates_hz: Mapping[int, float],
        *,
        factors: Mapping[int, float] | None = None,
        t0_s: float = 0.0,
        max_gyro_wait_s: float = 5.0,
    ) -> None:
        self._rates = {MeasurementType(k): float(v) for k, v in rates_hz.items()}
        if MeasurementType.ACC not in self._rates:
            raise ValueError("rates_hz must include MeasurementType.ACC")
        if any(not (v > 0 and math.isfinite(v)) for v in self._rates.values()):
            raise ValueError(f"rates must be positive, got {rates_hz}")
        self._factors = {m: 1.0 for m in self._rates}
        for m, f in (factors or {}).items():
            self.set_factor(m, f)
        gyro_rate = self._rates.get(MeasurementType.GYRO)
        self._merger = ImuMerger(
            has_gyro=gyro_rate is not None,
            gyro_step_s=None if gyro_rate is None else 1.0 / gyro_rate,
            t0_s=t0_s,
            max_wait_s=max_gyro_wait_s,
        )
        self._prev_ts: dict[tuple[MeasurementType, int], int] = {}
        self._last_s: dict[MeasurementType, float] = {}
        self._last_host_s: dict[MeasurementType, float] = {}
        self._ref_ns: int | None = None
        self._offset_s = 0.0

    @property
    def has_gyro(self) -> bool:
        """True when emitted blocks carry gyroscope samples."""
        return self._merger.has_gyro

    @property
    def rates_hz(self) -> dict[MeasurementType, float]:
        """Configured rate per measurement, Hz."""
        return dict(self._rates)

    @property
    def last_time_s(self) -> float | None:
        """Session time of the last emitted sample, s (None before the first)."""
        return self._merger.last_emitted_s

    def factor(self, measurement: int) -> float:
        """FACTOR in use for a measurement."""
        return self._factors[MeasurementType(measurement)]

    def set_factor(self, measurement: int, factor: float) -> None:
        """Use a FACTOR (from a start answer) for a measurement's frames."""
        m = MeasurementType(measurement)
        if m in self._rates:
            if not (math.isfinite(factor) and factor != 0.0):
                raise DecodeError(f"PMD start answer: {m.name} FACTOR {factor} is not usable")
            self._factors[m] = float(factor)

    def reset(self, measurement: int | None = None) -> None:
        """Forget previous frame stamps (after a stop or reconnect); session time continues."""
        keep = None if measurement is None else MeasurementType(measurement)
        self._prev_ts = {k: v for k, v in self._prev_ts.items() if keep is not None and k[0] is not keep}

    def feed(self, characteristic: str, payload: bytes, host_time_s: float) -> list[StreamItem]:
        """Handle a value from the PMD data or CP characteristic (contract of :meth:`BandSession.feed`).

        Data frames become samples; CP start answers set FACTOR, stops reset
        the frame stamps; values of other characteristics are ignored.

        Raises
        ------
        DecodeError
            Malformed payload; the stream state is unchanged.
        """
        uuid = normalize_uuid(characteristic)
        if uuid == PMD_DATA_UUID:
            return self.feed_frame(payload, host_time_s)
        if uuid == PMD_CP_UUID and payload and payload[0] != FEATURES_CODE:
            return self._on_cp(parse_cp_message(payload))
        return []

    def feed_frame(self, payload: bytes, host_time_s: float) -> list[StreamItem]:
        """Decode one data notification; see :meth:`feed`."""
        if payload and _measurement(payload[0]) not in self._rates:
            return []
        frame = parse_frame(payload)
        m = frame.measurement
        key = (m, frame.frame_type)
        if self._prev_ts.get(key) == frame.timestamp_ns:
            return []  # the same frame delivered twice
        values = frame.physical(self._factors[m])
        if not np.isfinite(values).all():
            raise DecodeError(f"PMD frame: {m.name} frame at {frame.timestamp_ns} ns holds non-finite values")
        ref_ns = frame.timestamp_ns if self._ref_ns is None else self._ref_ns
        placed = self._place(frame, ref_ns, host_time_s)
        # commit: nothing above changed state
        self._ref_ns = ref_ns
        self._offset_s = placed.offset_s
        self._prev_ts[key] = frame.timestamp_ns
        self._last_s[m] = float(placed.t[-1])
        self._last_host_s[m] = host_time_s
        for event in placed.events:
            self._merger.add_event(*event)
        if m is MeasurementType.ACC:
            self._merger.add_acc(placed.t, values)
        else:
            self._merger.add_gyro(placed.t, values)
        return self._merger.pop()

    def flush_events(self) -> list[StreamItem]:
        """Release events still waiting for samples (call at the end of a stream)."""
        return list(self._merger.flush_events())

    def _place(self, frame: PmdFrame, ref_ns: int, host_time_s: float) -> _Placed:
        m, n, ts = frame.measurement, len(frame), frame.timestamp_ns
        nominal = 1.0 / self._rates[m]
        prev = self._prev_ts.get((m, frame.frame_type))
        step = nominal
        if prev is not None and ts > prev:
            implied = (ts - prev) / n / 1e9
            if abs(implied - nominal) <= STEP_TOLERANCE * nominal:
                step = implied
        last_t = (ts - ref_ns) / 1e9 + self._offset_s
        placed = _Placed(last_t - step * np.arange(n - 1, -1, -1, dtype=np.float64), self._offset_s)
        before = self._last_s.get(m)
        if before is None:
            return placed
        name = m.name.lower()
        host_gap = host_time_s - self._last_host_s[m]
        if placed.t[0] <= before or placed.t[0] - before > host_gap + CLOCK_JUMP_S:
            shift = before + max(nominal, host_gap - step * (n - 1)) - float(placed.t[0])
            placed.t = placed.t + shift
            placed.offset_s += shift
            placed.events.append((before, "clock_reset", {"stream": name, "shift_s": round(shift, 6)}))
        gap = float(placed.t[0]) - before
        if gap > (1.0 + STEP_TOLERANCE) * nominal:
            placed.events.append(
                (
                    before,
                    "gap",
                    {"stream": name, "duration_s": round(gap, 6), "missing_samples": round(gap / nominal) - 1},
                )
            )
        return placed

    def _on_cp(self, message: CpResponse | MeasurementStopped) -> list[StreamItem]:
        if isinstance(message, MeasurementStopped):
            stopped = [s for s in map(_measurement, message.measurements) if s is not None]
            for kind in stopped:
                self.reset(kind)
            names = ", ".join(kind.name for kind in stopped) or "nothing"
            now = max(self._last_s.values(), default=-math.inf)
            self._merger.add_event(now, "note", {"message": f"band stopped streaming {names}"})
            return self._merger.pop()
        m = _measurement(message.measurement)
        if not message.ok or m is None:
            return []
        if message.op_code == OpCode.REQUEST_MEASUREMENT_START and not message.more:
            factor = message.settings().get(SettingType.FACTOR)
            if factor:
                self.set_factor(m, float(factor[0]))
        elif message.op_code == OpCode.STOP_MEASUREMENT:
            self.reset(m)
        return []


# ---------------------------------------------------------------------------------
# 7. Negotiating session (what the transport drives)
# ---------------------------------------------------------------------------------


class PmdSession(BandSession):
    """Negotiate and decode one connection to a Polar PMD band.

    Parameters
    ----------
    rate_hz : float, optional
        Wanted accelerometer (and gyroscope) rate, Hz; closest offered is used.
        When the band does not offer it but supports SDK mode, SDK mode is
        switched on first (Verity Sense: 26-416 Hz).
    range_g : int, optional
        Wanted accelerometer range, ±g (default closest to 8).
    gyro : bool
        Stream the gyroscope too when the band has one.
    gyro_range_dps : int, optional
        Wanted gyroscope range, ±deg/s (default closest to 2000).
    t0_s : float
        Session time of the first emitted sample, s.
    allow_sdk_mode : bool
        Allow switching SDK mode on to reach ``rate_hz``.

    Notes
    -----
    Sequence: (feature read) → GET_MEASUREMENT_SETTINGS for ACC [and GYRO] →
    [SDK mode on → settings again] → start GYRO → start ACC (the gyroscope
    first, so a refusal is known before any sample is emitted). Exactly one
    CP command is outstanding at a time; each answer fed to :meth:`feed`
    queues the next write (:meth:`take_writes`). A start answered
    ALREADY_IN_STATE (a stream left running by an earlier connection) is
    stopped and started again. A gyroscope the band refuses is dropped
    (acc-only blocks) with a ``note`` event.
    """

    def __init__(
        self,
        *,
        rate_hz: float | None = None,
        range_g: int | None = None,
        gyro: bool = True,
        gyro_range_dps: int | None = None,
        t0_s: float = 0.0,
        allow_sdk_mode: bool = True,
    ) -> None:
        self._wanted_rate_hz = rate_hz
        self._wanted_range_g = range_g
        self._wanted_gyro_range_dps = gyro_range_dps
        self._want_gyro = gyro
        self._t0_s = t0_s
        self._allow_sdk_mode = allow_sdk_mode
        self._features: set[MeasurementType] | None = None
        self._stream: PmdStream | None = None
        self._choice: dict[MeasurementType, dict[SettingType, int]] = {}
        self.sdk_mode = False
        self._writes: list[Write] = []
        self._reset_link()

    # -- BandSession API ---------------------------------------------------------

    @property
    def rate_hz(self) -> float | None:  # type: ignore[override]
        """Accelerometer rate agreed with the band, Hz."""
        choice = self._choice.get(MeasurementType.ACC)
        return None if choice is None else float(choice[SettingType.SAMPLE_RATE])

    @property
    def range_g(self) -> int | None:  # type: ignore[override]
        """Accelerometer range agreed with the band, ±g."""
        choice = self._choice.get(MeasurementType.ACC)
        return None if choice is None else choice.get(SettingType.RANGE)

    @property
    def has_gyro(self) -> bool:  # type: ignore[override]
        """Whether blocks carry gyroscope data (final once :attr:`streaming`)."""
        return MeasurementType.GYRO in self._measurements

    @property
    def stream(self) -> PmdStream | None:
        """The decoder in use (None until settings are agreed)."""
        return self._stream

    def start(self) -> list[Write]:
        """Begin negotiating; see :meth:`BandSession.start`."""
        self._reset_link()
        if self._stream is not None:
            self._stream.reset()
        self._advance()
        return self.take_writes()

    def take_writes(self) -> list[Write]:
        """Return and forget the queued writes."""
        writes, self._writes = self._writes, []
        return writes

    def stop(self) -> list[Write]:
        """Stop every started stream (and SDK mode if this session enabled it)."""
        writes = [Write(PMD_CP_UUID, build_stop(m)) for m in sorted(self._started, reverse=True)]
        if self.sdk_mode:
            writes.append(Write(PMD_CP_UUID, build_sdk_mode(False)))
            self.sdk_mode = False
        self._reset_link()
        if self._stream is not None:
            self._stream.reset()
        return writes

    def feed(self, characteristic: str, payload: bytes, host_time_s: float) -> list[StreamItem]:
        """Handle a CP indication or read, or a data notification; see :meth:`BandSession.feed`.

        Raises
        ------
        DecodeError
            Malformed payload (state unchanged).
        ProtocolError, UnsupportedSettingError
            The band refused a command the session needs.
        """
        uuid = normalize_uuid(characteristic)
        if uuid == PMD_CP_UUID and payload[:1] == bytes((FEATURES_CODE,)):
            self._features = parse_features(payload)
            return []
        notes: list[StreamItem] = []
        if uuid == PMD_CP_UUID:
            message = parse_cp_message(payload)
            if isinstance(message, CpResponse):
                notes = self._on_response(message)
            else:
                self.streaming = False
        out = self._stream.feed(uuid, payload, host_time_s) if self._stream is not None else []
        return notes + out

    # -- negotiation ---------------------------------------------------------------

    def _reset_link(self) -> None:
        self.streaming = False
        self._writes = []
        self._pending: tuple[int, int] | None = None
        self._params = b""
        self._available: dict[MeasurementType, Settings] = {}
        self._started: set[MeasurementType] = set()
        self._restarting: set[MeasurementType] = set()
        self._sdk_tried = False
        self._measurements = [MeasurementType.ACC] + ([MeasurementType.GYRO] if self._want_gyro else [])

    def _send(self, data: bytes) -> None:
        self._pending = (data[0], data[1] if len(data) > 1 else 0)
        self._writes.append(Write(PMD_CP_UUID, data))

    def _advance(self) -> None:
        """Queue the next command, or declare the session streaming."""
        feats = self._features
        if feats is not None:
            if MeasurementType.ACC not in feats:
                raise UnsupportedSettingError("this Polar band does not stream the accelerometer (ACC)")
            self._measurements = [m for m in self._measurements if m in feats]
        if MeasurementType.ACC not in self._available:
            return self._send(build_get_settings(MeasurementType.ACC))
        if self._needs_sdk_mode():
            self._sdk_tried = True
            return self._send(build_sdk_mode(True))
        for m in self._measurements:
            if m not in self._available:
                return self._send(build_get_settings(m))
        self._agree()
        for m in sorted(self._measurements, reverse=True):  # GYRO before ACC
            if m not in self._started:
                return self._send(_start_from_choice(m, self._choice[m]))
        self._pending = None
        self.streaming = True

    def _needs_sdk_mode(self) -> bool:
        rates = self._available[MeasurementType.ACC].get(SettingType.SAMPLE_RATE, ())
        return (
            self._wanted_rate_hz is not None
            and self._allow_sdk_mode
            and not self._sdk_tried
            and not self.sdk_mode
            and all(abs(float(r) - self._wanted_rate_hz) > 0.5 for r in rates)
            and (self._features is None or MeasurementType.SDK_MODE in self._features)
        )

    def _agree(self) -> None:
        """Choose settings and (re)build the decoder when they changed."""
        targets = {
            MeasurementType.ACC: (self._wanted_range_g, 8.0),
            MeasurementType.GYRO: (self._wanted_gyro_range_dps, 2000.0),
        }
        acc_rate = self._wanted_rate_hz
        choice: dict[MeasurementType, dict[SettingType, int]] = {}
        for m in self._measurements:
            wanted_range, default_range = targets[m]
            choice[m] = choose_settings(self._available[m], acc_rate, wanted_range, default_range=default_range)
            if m is MeasurementType.ACC:
                acc_rate = choice[m][SettingType.SAMPLE_RATE]
        if choice == self._choice and self._stream is not None:
            return
        previous = self._stream
        self._choice = choice
        last = None if previous is None else previous.last_time_s
        t0 = self._t0_s if last is None else last + 1.0 / choice[MeasurementType.ACC][SettingType.SAMPLE_RATE]
        self._stream = PmdStream(
            {m: float(c[SettingType.SAMPLE_RATE]) for m, c in choice.items()}, t0_s=t0
        )

    def _on_response(self, response: CpResponse) -> list[StreamItem]:
        if self._pending is None or (response.op_code, response.measurement) != self._pending:
            return []  # an answer to a stop, or to nothing we are waiting for
        self._params += response.parameters
        if response.more:
            return []
        full = CpResponse(response.op_code, response.measurement, response.status, False, self._params)
        self._params = b""
        self._pending = None
        m = _measurement(full.measurement)
        notes: list[StreamItem] = []
        if full.op_code == OpCode.GET_MEASUREMENT_SETTINGS and m is not None:
            if not full.ok and m is MeasurementType.GYRO:
                notes.append(self._drop_gyro(full.status))
            else:
                full.raise_for_status()
                self._available[m] = full.settings()
        elif full.op_code == OpCode.REQUEST_MEASUREMENT_START and m is MeasurementType.SDK_MODE:
            if full.ok or full.status is Status.ALREADY_IN_STATE:
                self.sdk_mode = full.ok
                self._available.clear()  # SDK mode offers other settings
        elif full.op_code == OpCode.REQUEST_MEASUREMENT_START and m is not None:
            if full.status is Status.ALREADY_IN_STATE and m not in self._restarting:
                self._restarting.add(m)
                self._send(build_stop(m))
                return notes
            if not full.ok and m is MeasurementType.GYRO:
                notes.append(self._drop_gyro(full.status))
            else:
                full.raise_for_status()
                self._started.add(m)
        self._advance()
        return notes

    def _drop_gyro(self, status: Status) -> StreamItem:
        self._measurements = [MeasurementType.ACC]
        self._available.pop(MeasurementType.GYRO, None)
        return Event(self._t0_s, "note", {"message": f"gyroscope not streamed: band answered {status.name}"})


# ---------------------------------------------------------------------------------
# 8. Band family, models and advertising facts
# ---------------------------------------------------------------------------------

VERITY_SENSE = BandCapabilities(rates_hz=(52.0,), ranges_g=(8,), has_gyro=True, gyro_ranges_dps=(2000,))
"""Verity Sense in normal mode: ACC 52 Hz ±8 g, gyro 52 Hz ±2000 deg/s."""

VERITY_SENSE_SDK_MODE = BandCapabilities(
    rates_hz=(26.0, 52.0, 104.0, 208.0, 416.0),
    ranges_g=(2, 4, 8, 16),
    has_gyro=True,
    gyro_ranges_dps=(250, 500, 1000, 2000),
)
"""Verity Sense in SDK mode (firmware ≥ 1.1.5)."""

H10 = BandCapabilities(rates_hz=(25.0, 50.0, 100.0, 200.0), ranges_g=(2, 4, 8), has_gyro=False)
"""Polar H10 chest strap pod: ACC only."""

OH1 = BandCapabilities(rates_hz=(50.0,), ranges_g=(8,), has_gyro=False)
"""Polar OH1 (discontinued): ACC 50 Hz only."""

_MODELS = {"Sense": ("Verity Sense", VERITY_SENSE_SDK_MODE), "H10": ("H10", H10), "OH1": ("OH1", OH1)}
_NAME_RE = re.compile(r"^Polar (Sense|H10|OH1) ([0-9A-Fa-f]{8})\b")

#: CP feature read of a Verity Sense: PPG, ACC, PPI, GYRO, MAG and SDK mode (constructed).
VERITY_SENSE_FEATURES = encode_features(
    [
        MeasurementType.PPG,
        MeasurementType.ACC,
        MeasurementType.PPI,
        MeasurementType.GYRO,
        MeasurementType.MAG,
        MeasurementType.SDK_MODE,
    ]
)
#: CP feature read of an H10 (``0F 05 00``: ECG and ACC, polar-ble-sdk issue #360).
H10_FEATURES = encode_features([MeasurementType.ECG, MeasurementType.ACC])

#: ACC settings a Verity Sense offers in normal mode (GET_MEASUREMENT_SETTINGS answer).
VERITY_SENSE_ACC_SETTINGS: Settings = {
    SettingType.SAMPLE_RATE: (52,),
    SettingType.RESOLUTION: (16,),
    SettingType.RANGE: (8,),
    SettingType.CHANNELS: (3,),
}
#: Gyro settings a Verity Sense offers in normal mode.
VERITY_SENSE_GYRO_SETTINGS: Settings = {
    SettingType.SAMPLE_RATE: (52,),
    SettingType.RESOLUTION: (16,),
    SettingType.RANGE: (2000,),
    SettingType.CHANNELS: (3,),
}
#: FACTOR of Verity Sense compressed ACC TYPE_0 frames at ±8 g (8 g / 32768).
VERITY_SENSE_ACC_FACTOR = 2.44e-4


def verity_sense_advert(device_id: str = "A1B2C3D4", address: str = "A0:9E:1A:A1:B2:C3", rssi: int = -60) -> Advert:
    """Advertisement of a Verity Sense, for the emulated band.

    Parameters
    ----------
    device_id : str
        8 hex digits printed on the band (the name's suffix).
    address : str
        Device address to report.
    rssi : int
        Signal strength to report, dBm.

    Returns
    -------
    Advert
        Name ``Polar Sense <device_id>``, manufacturer data under company id
        0x006B and the Heart Rate service 0x180D in the service list. The
        manufacturer payload bytes are a placeholder (constructed, not a
        capture); matching never relies on them.
    """
    return Advert(
        name=f"Polar Sense {device_id.upper()}",
        address=address,
        rssi=rssi,
        manufacturer_data={POLAR_COMPANY_ID: b"\x3f\x00\x00\x00"},
        service_uuids=(HEART_RATE_SERVICE_UUID,),
    )


class PolarPmd(BandProtocol):
    """Polar bands speaking PMD: Verity Sense, H10, OH1."""

    name = "polar-pmd"
    display_name = "Polar (Verity Sense, H10, OH1)"
    streams = "accelerometer 25-416 Hz; gyroscope on Verity Sense"
    service_uuid = PMD_SERVICE_UUID
    notify_characteristics = (PMD_CP_UUID, PMD_DATA_UUID)
    read_characteristics = (PMD_CP_UUID,)

    def matches(self, advert: Advert) -> bool:
        """Match a ``Polar Sense|H10|OH1 XXXXXXXX`` name or an advertised PMD service."""
        if advert.name and _NAME_RE.match(advert.name):
            return True
        return PMD_SERVICE_UUID in (normalize_uuid(u) for u in advert.service_uuids)

    def model(self, advert: Advert) -> str:
        """Return ``Verity Sense``, ``H10``, ``OH1`` or ``Polar PMD band``."""
        found = _NAME_RE.match(advert.name or "")
        return _MODELS[found.group(1)][0] if found else "Polar PMD band"

    def capabilities(self, advert: Advert | None = None) -> BandCapabilities:
        """Capabilities of the advertised model (Verity Sense SDK mode when unknown)."""
        found = _NAME_RE.match((advert.name if advert else None) or "")
        return _MODELS[found.group(1)][1] if found else VERITY_SENSE_SDK_MODE

    def session(
        self,
        *,
        rate_hz: float | None = None,
        range_g: int | None = None,
        gyro: bool = True,
        t0_s: float = 0.0,
    ) -> PmdSession:
        """Create a :class:`PmdSession`; see :meth:`BandProtocol.session`."""
        return PmdSession(rate_hz=rate_hz, range_g=range_g, gyro=gyro, t0_s=t0_s)
