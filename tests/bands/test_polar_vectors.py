"""Polar PMD test vectors P1-P10 and the documented command bytes, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from sensor.bands.polar_pmd import (
    MeasurementType,
    OpCode,
    SettingType,
    Status,
    build_get_settings,
    build_start,
    build_stop,
    build_sdk_mode,
    encode_frame,
    encode_settings,
    parse_cp_response,
    parse_features,
    parse_frame,
    parse_settings,
    sample_timestamps_ns,
)
from sensor.units import G_STANDARD, MS2_PER_MG
from . import vectors as v

ACC, GYRO = MeasurementType.ACC, MeasurementType.GYRO


def test_p1_raw_type1_acc_frame() -> None:
    frame = parse_frame(v.P1)
    assert (frame.measurement, frame.frame_type, frame.compressed) == (ACC, 1, False)
    assert frame.timestamp_ns == 2_000_000_000
    assert len(v.P1) == 226 and len(frame) == 36
    assert frame.values[0].tolist() == [-9, -1, 999]
    assert frame.values[1].tolist() == [-8, -2, 997]
    assert frame.values[-1].tolist() == [-9, -2, 998]
    np.testing.assert_allclose(frame.physical()[0], np.array([-9, -1, 999]) * MS2_PER_MG)


def test_p1_reencodes_byte_for_byte() -> None:
    frame = parse_frame(v.P1)
    assert encode_frame(ACC, frame.timestamp_ns, frame.values, 0x01) == v.P1


def test_p2_compressed_type0_acc_frame() -> None:
    frame = parse_frame(v.P2)
    assert len(v.P2) == 228
    assert (frame.measurement, frame.frame_type, frame.compressed) == (ACC, 0, True)
    assert len(frame) == 57
    assert frame.values[0].tolist() == [1905, 27376, -29282]
    assert frame.values[1].tolist() == [2095, 27271, -29367]
    # the SDK reports int(v × factor × 1000) mG
    milli_g = frame.physical(2.44e-4) / MS2_PER_MG
    assert np.trunc(milli_g[0] + np.sign(milli_g[0]) * 1e-9).astype(int).tolist() == [464, 6679, -7144]


def test_p2_reencodes_byte_for_byte_with_one_10_bit_block() -> None:
    frame = parse_frame(v.P2)
    assert encode_frame(ACC, frame.timestamp_ns, frame.values, 0x80, delta_bits=10) == v.P2


def test_p3_compressed_type1_acc_and_sdk_timestamps() -> None:
    frame = parse_frame(v.P3)
    assert (frame.frame_type, frame.compressed, frame.timestamp_ns) == (1, True, 101)
    assert frame.values.tolist() == [[-15, 20, 1008], [-20, 17, 1008]]
    assert sample_timestamps_ns(101, 2, 52.0, previous_timestamp_ns=100).tolist() == [100, 101]
    np.testing.assert_allclose(frame.physical()[1], np.array([-20, 17, 1008]) * MS2_PER_MG)


def test_p4_gyro_compressed_type0() -> None:
    frame = parse_frame(v.P4)
    assert (frame.measurement, frame.frame_type, frame.compressed) == (GYRO, 0, True)
    assert frame.timestamp_ns == 2**63 - 1
    assert frame.values.tolist() == [[-22, 8, 13], [-23, 11, 16]]
    np.testing.assert_array_equal(frame.physical(), [[-22.0, 8.0, 13.0], [-23.0, 11.0, 16.0]])


def test_p5_gyro_float_bit_pattern_deltas() -> None:
    frame = parse_frame(v.P5)
    assert (frame.measurement, frame.frame_type, frame.compressed) == (GYRO, 1, True)
    np.testing.assert_array_equal(frame.values[0], [1.0, 10.0, 20.0])
    np.testing.assert_allclose(frame.values[1], [10.0, 20.0, 1.1], rtol=1e-6)
    assert encode_frame(GYRO, frame.timestamp_ns, frame.values, 0x81, delta_bits=28) == v.P5


def test_p6_real_verity_sense_frame() -> None:
    frame = parse_frame(v.P6)
    assert len(v.P6) == 228
    assert frame.timestamp_ns == 684_454_708_634_868_630
    assert (frame.frame_type, frame.compressed) == (0, True)
    assert len(frame) == 63
    assert frame.values[0].tolist() == [-3698, -1095, -1228]
    assert frame.values[-1].tolist() == [-3594, -1066, -1305]
    first_g = frame.physical(2.44e-4)[0] / G_STANDARD
    np.testing.assert_allclose(first_g, [-0.902, -0.267, -0.300], atol=5e-4)
    assert abs(float(np.linalg.norm(first_g)) - 0.988) < 5e-4


def test_p6_reencodes_with_the_band_block_layout() -> None:
    frame = parse_frame(v.P6)
    content = v.P6[10:]
    offset, blocks = 6, []
    while offset < len(content):
        width, count = content[offset], content[offset + 1]
        blocks.append((width, count))
        offset += 2 + (width * count * 3 + 7) // 8
    assert blocks == [(8, 29), (10, 10), (8, 10), (10, 13)]
    # our encoder's own layout decodes to the same samples
    again = parse_frame(encode_frame(ACC, frame.timestamp_ns, frame.values, 0x80))
    np.testing.assert_array_equal(again.values, frame.values)


def test_p7_header_and_reference_of_a_type1_frame() -> None:
    # the stored excerpt is truncated: the header and reference still read correctly
    assert v.P7_PREFIX[0] == ACC and v.P7_PREFIX[9] == 0x81
    reference = np.frombuffer(v.P7_PREFIX[10:16], "<i2").tolist()
    assert reference == [750, -481, -126]
    assert (v.P7_PREFIX[16], v.P7_PREFIX[17]) == (8, 10)


def test_p8_cp_response() -> None:
    response = parse_cp_response(v.P8)
    assert (response.op_code, response.measurement) == (OpCode.GET_MEASUREMENT_SETTINGS, ACC)
    assert response.status is Status.SUCCESS and response.more is False
    assert response.parameters == bytes.fromhex("FFFFFF")


def test_p9_settings_tlv() -> None:
    settings = parse_settings(v.P9)
    assert settings == {
        SettingType.SAMPLE_RATE: (52,),
        SettingType.RESOLUTION: (16,),
        SettingType.RANGE: (245, 500, 1000, 2000),
        SettingType.CHANNELS: (3,),
    }
    assert encode_settings(settings) == v.P9


def test_p10_start_answer_without_factor() -> None:
    response = parse_cp_response(v.P10)
    assert (response.op_code, response.measurement, response.status) == (2, ACC, Status.SUCCESS)
    assert response.more is False and response.settings() == {}


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (build_get_settings(ACC), v.GET_ACC_SETTINGS),
        (build_get_settings(MeasurementType.ECG), bytes.fromhex("0100")),
        (build_get_settings(ACC, sdk_mode_ranges=True), bytes.fromhex("0402")),
        (build_start(ACC, 52, 16, 8, 3), v.START_ACC_VERITY),
        (build_start(GYRO, 52, 16, 2000, 3), v.START_GYRO_VERITY),
        (build_stop(ACC), v.STOP_ACC),
        (build_stop(GYRO), v.STOP_GYRO),
        (build_sdk_mode(True), bytes.fromhex("0209")),
        (build_sdk_mode(False), bytes.fromhex("0309")),
    ],
)
def test_command_bytes(built: bytes, expected: bytes) -> None:
    assert built == expected


def test_h10_start_without_channels_carries_the_same_settings() -> None:
    # issue #360's H10 command lists range first; the settings are what matter
    h10 = bytes.fromhex("02 02 02 01 08 00 00 01 C8 00 01 01 10 00")
    ours = build_start(ACC, 200, 16, 8, channels=None)
    assert ours[:2] == h10[:2]
    assert parse_settings(ours[2:]) == parse_settings(h10[2:])


def test_h10_feature_read() -> None:
    assert parse_features(bytes.fromhex("0F 05 00")) == {MeasurementType.ECG, ACC}
