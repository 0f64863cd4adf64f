"""Polar PMD codec: encoder/decoder round trips, malformed input, TLV, CP answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sensor.bands.polar_pmd import (
    MeasurementType,
    OpCode,
    SettingType,
    Status,
    VERITY_SENSE_FEATURES,
    build_cp_response,
    build_measurement_stopped,
    choose_settings,
    encode_features,
    encode_frame,
    encode_settings,
    parse_cp_message,
    parse_cp_response,
    parse_features,
    parse_frame,
    parse_settings,
    raw_from_physical,
    MeasurementStopped,
)
from sensor.errors import DecodeError, ProtocolError, UnsupportedSettingError
from sensor.units import G_STANDARD

from . import vectors as v

ACC, GYRO = MeasurementType.ACC, MeasurementType.GYRO

#: (measurement, frame-type byte, value bits) of every integer format.
INT_FORMATS = [
    (ACC, 0x00, 8),
    (ACC, 0x01, 16),
    (ACC, 0x02, 24),
    (ACC, 0x80, 16),
    (ACC, 0x81, 16),
    (GYRO, 0x80, 16),
]


@st.composite
def int_frames(draw: st.DrawFn) -> tuple[int, int, np.ndarray, int, int | None]:
    measurement, frame_type, bits = draw(st.sampled_from(INT_FORMATS))
    n = draw(st.integers(1, 300))
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    # a random walk within range looks like a real signal; uniform values stress wide deltas
    wide = draw(st.booleans())
    if wide:
        values = draw(hnp.arrays(np.int64, (n, 3), elements=st.integers(lo, hi)))
    else:
        seed = draw(st.integers(0, 2**31))
        rng = np.random.default_rng(seed)
        values = np.clip(np.cumsum(rng.integers(-40, 41, (n, 3)), axis=0), lo, hi)
    delta_bits = None
    if frame_type & 0x80 and draw(st.booleans()):
        delta_bits = draw(st.integers(17, 32))  # 17 bits hold any int16 difference
    ts = draw(st.integers(0, 2**64 - 1))
    return measurement, frame_type, values, ts, delta_bits


@settings(max_examples=150, deadline=None)
@given(int_frames())
def test_integer_frames_round_trip(case: tuple[int, int, np.ndarray, int, int | None]) -> None:
    measurement, frame_type, values, ts, delta_bits = case
    payload = encode_frame(measurement, ts, values, frame_type, delta_bits=delta_bits)
    frame = parse_frame(payload)
    assert frame.measurement == measurement and frame.timestamp_ns == ts
    assert frame.frame_type_byte == frame_type
    np.testing.assert_array_equal(frame.values, values)


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 200), st.just(3)),
        elements=st.floats(-4000, 4000, width=32, allow_nan=False),
    ),
    st.one_of(st.none(), st.just(32)),
)
def test_float_gyro_frames_round_trip(values: np.ndarray, delta_bits: int | None) -> None:
    frame = parse_frame(encode_frame(GYRO, 123, values, 0x81, delta_bits=delta_bits))
    np.testing.assert_array_equal(frame.values, values.astype(np.float64))


def _blocks(payload: bytes, ref_bytes: int = 6) -> list[tuple[int, int]]:
    content, offset, blocks = payload[10:], ref_bytes, []
    while offset < len(content):
        width, count = content[offset], content[offset + 1]
        blocks.append((width, count))
        offset += 2 + (width * count * 3 + 7) // 8
    return blocks


def test_encoder_narrows_blocks_where_the_signal_is_quiet() -> None:
    # 30 still samples then 40 moving ones: the still part needs 2-bit deltas
    rng = np.random.default_rng(1)
    still = 4096 + rng.integers(-1, 2, (30, 3))
    moving = 4096 + np.cumsum(rng.integers(-300, 301, (40, 3)), axis=0)
    values = np.vstack([still, moving])
    auto = encode_frame(ACC, 1, values, 0x80)
    single = encode_frame(ACC, 1, values, 0x80, delta_bits=max(w for w, _ in _blocks(auto)))
    assert _blocks(auto)[0][0] <= 3 and len(auto) < len(single)
    assert sum(c for _, c in _blocks(auto)) == 69
    np.testing.assert_array_equal(parse_frame(auto).values, values)


def test_encoder_rejects_a_too_narrow_fixed_width() -> None:
    with pytest.raises(ValueError, match="delta_bits"):
        encode_frame(ACC, 1, [[0, 0, 0], [100, 0, 0]], 0x80, delta_bits=4)


def test_physical_round_trip_for_verity_sense_factor() -> None:
    rng = np.random.default_rng(3)
    acc = rng.normal(0.0, 9.0, (80, 3))
    raw = raw_from_physical(ACC, 0x80, acc, factor=2.44e-4)
    back = parse_frame(encode_frame(ACC, 5, raw, 0x80)).physical(2.44e-4)
    # quantisation step of 2.44e-4 g
    assert np.max(np.abs(back - acc)) <= 0.5 * 2.44e-4 * G_STANDARD + 1e-12


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=260))
def test_random_bytes_raise_only_decode_error(payload: bytes) -> None:
    for parse in (parse_frame, parse_cp_message, parse_settings, parse_features):
        try:
            parse(payload)
        except DecodeError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([v.P1, v.P2, v.P3, v.P4, v.P5, v.P6]), st.data())
def test_garbled_real_frames_raise_only_decode_error(frame: bytes, data: st.DataObject) -> None:
    garbled = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4))):
        garbled[data.draw(st.integers(0, len(frame) - 1))] = data.draw(st.integers(0, 255))
    try:
        parse_frame(bytes(garbled))
    except DecodeError:
        pass


@pytest.mark.parametrize("frame", [v.P1, v.P2, v.P3, v.P4, v.P5, v.P6], ids=["P1", "P2", "P3", "P4", "P5", "P6"])
def test_every_truncation_is_decode_error_or_a_whole_shorter_frame(frame: bytes) -> None:
    # cuts after whole raw samples, or after the reference / a whole delta block, leave a
    # valid shorter frame; every other cut must be reported as malformed
    if frame[9] & 0x80:
        ref = 12 if frame[0] == GYRO and frame[9] == 0x81 else 6
        ends, offset, n = {10 + ref: 1}, 10 + ref, 1
        for width, count in _blocks(frame, ref):
            offset += 2 + (width * count * 3 + 7) // 8
            n += count
            ends[offset] = n
    else:
        ends = {cut: (cut - 10) // 6 for cut in range(16, len(frame) + 1, 6)}
    full = parse_frame(frame).values
    for cut in range(len(frame)):
        if cut in ends:
            np.testing.assert_array_equal(parse_frame(frame[:cut]).values, full[: ends[cut]])
        else:
            with pytest.raises(DecodeError):
                parse_frame(frame[:cut])


def test_trailing_byte_after_blocks_is_malformed() -> None:
    with pytest.raises(DecodeError, match="header truncated"):
        parse_frame(v.P2 + b"\x00")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x02" + bytes(8) + b"\x05" + bytes(6), "frame type 5"),
        (b"\x04" + bytes(8) + b"\x00" + bytes(6), "unknown measurement type 4"),
        (b"\x05" + bytes(8) + b"\x01" + bytes(6), "raw frame type 1 of GYRO"),
        (b"\x02" + bytes(8) + b"\x01" + bytes(7), "not a positive multiple of 6"),
        (b"\x02" + bytes(8) + b"\x80" + bytes(6) + b"\x21\x01" + bytes(13), "exceeds 32"),
    ],
)
def test_decode_errors_say_what_is_wrong(payload: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        parse_frame(payload)


# -- settings TLV ----------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([SettingType.SAMPLE_RATE, SettingType.RESOLUTION, SettingType.RANGE]),
        st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=6).map(tuple),
    ),
    st.lists(st.integers(0, 255), max_size=3).map(tuple),
    st.lists(st.integers(-(2**31), 2**31 - 1), max_size=2).map(tuple),
)
def test_settings_round_trip(base: dict, channels: tuple, milli: tuple) -> None:
    settings_in = dict(base)
    if channels:
        settings_in[SettingType.CHANNELS] = channels
    if milli:
        settings_in[SettingType.RANGE_MILLIUNIT] = milli
    assert parse_settings(encode_settings(settings_in)) == settings_in


def test_factor_and_security_settings() -> None:
    tlv = encode_settings({SettingType.FACTOR: (2.44e-4,), SettingType.SECURITY: (bytes(range(16)),)})
    assert tlv[:2] == b"\x05\x01" and len(tlv) == 2 + 4 + 2 + 16
    parsed = parse_settings(tlv)
    assert parsed[SettingType.FACTOR][0] == pytest.approx(2.44e-4, rel=1e-7)
    assert parsed[SettingType.SECURITY] == (bytes(range(16)),)


def test_channels_is_one_byte() -> None:
    assert encode_settings({SettingType.CHANNELS: (3,)}) == b"\x04\x01\x03"


@pytest.mark.parametrize(
    ("tlv", "message"),
    [(b"\x09\x01\x00\x00", "unknown setting type 9"), (b"\x00\x02\x34\x00\x68", "SAMPLE_RATE needs 2"), (b"\x00", "truncated")],
)
def test_bad_tlv(tlv: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        parse_settings(tlv)


# -- control point -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.SUCCESS])
def test_every_error_status_raises_the_right_error(status: Status) -> None:
    response = parse_cp_response(build_cp_response(OpCode.REQUEST_MEASUREMENT_START, ACC, status))
    assert response.status is status and not response.ok
    expected = (
        UnsupportedSettingError
        if status
        in {
            Status.NOT_SUPPORTED,
            Status.INVALID_RESOLUTION,
            Status.INVALID_SAMPLE_RATE,
            Status.INVALID_RANGE,
            Status.INVALID_NUMBER_OF_CHANNELS,
        }
        else ProtocolError
    )
    with pytest.raises(expected, match=status.name) as info:
        response.raise_for_status()
    assert "REQUEST_MEASUREMENT_START" in str(info.value) and "ACC" in str(info.value)


def test_short_error_answer_without_more_byte() -> None:
    response = parse_cp_response(bytes.fromhex("F0 02 05 0A"))
    assert response.status is Status.INVALID_MTU and response.more is False
    with pytest.raises(ProtocolError, match="MTU"):
        response.raise_for_status()


def test_success_does_not_raise_and_carries_factor() -> None:
    params = encode_settings({SettingType.FACTOR: (2.44e-4,)})
    response = parse_cp_response(build_cp_response(2, ACC, Status.SUCCESS, params))
    response.raise_for_status()
    assert response.settings()[SettingType.FACTOR][0] == pytest.approx(2.44e-4)


def test_more_flag_and_unknown_status() -> None:
    assert parse_cp_response(build_cp_response(1, ACC, 0, b"\x00\x01\x34\x00", more=True)).more
    with pytest.raises(DecodeError, match="unknown status code 99"):
        parse_cp_response(bytes.fromhex("F0 01 02 63 00"))


def test_unsolicited_measurement_stopped() -> None:
    message = parse_cp_message(build_measurement_stopped([ACC, GYRO]))
    assert message == MeasurementStopped((ACC, GYRO))
    with pytest.raises(DecodeError, match="unknown message code 0x07"):
        parse_cp_message(b"\x07\x02")


def test_features_round_trip_and_verity_sense() -> None:
    assert parse_features(encode_features([ACC, GYRO, MeasurementType.OFFLINE_HR])) == {
        ACC,
        GYRO,
        MeasurementType.OFFLINE_HR,
    }
    verity = parse_features(VERITY_SENSE_FEATURES)
    assert {ACC, GYRO, MeasurementType.MAG, MeasurementType.PPG, MeasurementType.SDK_MODE} <= verity
    with pytest.raises(DecodeError):
        parse_features(b"\xf0\x05")


# -- choosing settings ---------------------------------------------------------------------

SDK_MODE_ACC = {
    SettingType.SAMPLE_RATE: (26, 52, 104, 208, 416),
    SettingType.RESOLUTION: (16,),
    SettingType.RANGE: (2, 4, 8, 16),
    SettingType.CHANNELS: (3,),
}


@pytest.mark.parametrize(
    ("rate", "range_g", "expected_rate", "expected_range"),
    [(None, None, 52, 8), (100, 4, 104, 4), (200, 16, 208, 16), (1000, 3, 416, 4), (10, 1, 26, 2)],
)
def test_choose_settings_picks_closest(rate, range_g, expected_rate, expected_range) -> None:
    chosen = choose_settings(SDK_MODE_ACC, rate, range_g)
    assert chosen == {
        SettingType.SAMPLE_RATE: expected_rate,
        SettingType.RANGE: expected_range,
        SettingType.RESOLUTION: 16,
        SettingType.CHANNELS: 3,
    }


def test_choose_settings_for_h10_and_empty() -> None:
    h10 = {SettingType.SAMPLE_RATE: (25, 50, 100, 200), SettingType.RESOLUTION: (16,), SettingType.RANGE: (2, 4, 8)}
    assert choose_settings(h10) == {SettingType.SAMPLE_RATE: 50, SettingType.RANGE: 8, SettingType.RESOLUTION: 16}
    with pytest.raises(UnsupportedSettingError):
        choose_settings({})
