"""PmdSession negotiation against a model of the band, then decoding through it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor.bands.base import Write
from sensor.bands.polar_pmd import (
    H10_FEATURES,
    PMD_CP_UUID,
    PMD_DATA_UUID,
    VERITY_SENSE_ACC_FACTOR,
    VERITY_SENSE_ACC_SETTINGS,
    VERITY_SENSE_FEATURES,
    VERITY_SENSE_GYRO_SETTINGS,
    OpCode,
    PmdSession,
    SettingType,
    Status,
    build_measurement_stopped,
)
from sensor.errors import DecodeError, ProtocolError, UnsupportedSettingError
from sensor.types import Event, SampleBlock

from .band_model import ACC, GYRO, BandModel, frames



def verity(**kwargs) -> BandModel:
    return BandModel(
        settings={ACC: VERITY_SENSE_ACC_SETTINGS, GYRO: VERITY_SENSE_GYRO_SETTINGS},
        sdk_settings={
            ACC: {**VERITY_SENSE_ACC_SETTINGS, SettingType.SAMPLE_RATE: (26, 52, 104, 208, 416), SettingType.RANGE: (2, 4, 8, 16)},
            GYRO: {**VERITY_SENSE_GYRO_SETTINGS, SettingType.SAMPLE_RATE: (26, 52, 104, 208, 416), SettingType.RANGE: (250, 500, 1000, 2000)},
        },
        factors={ACC: VERITY_SENSE_ACC_FACTOR},
        **kwargs,
    )


def negotiate(session: PmdSession, band: BandModel, features: bytes | None) -> tuple[list[bytes], list]:
    """Drive the session like a transport; return the CP writes and fed-back items."""
    sent, items = [], []
    if features is not None:
        assert session.feed(PMD_CP_UUID, features, 0.0) == []
    queue = session.start()
    while queue:
        write = queue.pop(0)
        assert write.characteristic == PMD_CP_UUID and write.with_response
        sent.append(write.data)
        items += session.feed(PMD_CP_UUID, band.answer(write), 0.0)
        queue += session.take_writes()
    return sent, items


def test_verity_sense_normal_mode() -> None:
    band = verity()
    session = PmdSession(gyro=True)
    sent, items = negotiate(session, band, VERITY_SENSE_FEATURES)
    assert [s.hex(" ") for s in sent] == [
        "01 02",
        "01 05",
        "02 05 00 01 34 00 01 01 10 00 02 01 d0 07 04 01 03",
        "02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03",
    ]
    assert items == [] and session.streaming and session.has_gyro
    assert (session.rate_hz, session.range_g) == (52.0, 8)
    assert session.stream is not None and session.stream.factor(ACC) == pytest.approx(VERITY_SENSE_ACC_FACTOR)
    assert [w.data.hex() for w in session.stop()] == ["0305", "0302"]
    assert not session.streaming


def test_sdk_mode_is_switched_on_for_a_rate_normal_mode_lacks() -> None:
    band = verity()
    session = PmdSession(rate_hz=208, range_g=16, gyro=True)
    sent, _ = negotiate(session, band, VERITY_SENSE_FEATURES)
    assert sent[:3] == [bytes.fromhex("0102"), bytes.fromhex("0209"), bytes.fromhex("0102")]
    assert band.sdk_mode and session.sdk_mode and session.streaming
    assert band.started_with[ACC][SettingType.SAMPLE_RATE] == (208,)
    assert band.started_with[ACC][SettingType.RANGE] == (16,)
    assert band.started_with[GYRO][SettingType.SAMPLE_RATE] == (208,)
    assert session.stop()[-1].data == bytes.fromhex("0309")


def test_h10_streams_acc_only_without_asking_for_gyro() -> None:
    band = BandModel(
        settings={ACC: {SettingType.SAMPLE_RATE: (25, 50, 100, 200), SettingType.RESOLUTION: (16,), SettingType.RANGE: (2, 4, 8)}}
    )
    session = PmdSession(rate_hz=200, gyro=True)
    sent, _ = negotiate(session, band, H10_FEATURES)
    assert sent == [bytes.fromhex("0102"), bytes.fromhex("02 02 00 01 C8 00 01 01 10 00 02 01 08 00")]
    assert session.streaming and not session.has_gyro and session.rate_hz == 200.0


def test_refused_gyro_falls_back_to_acc_only_with_a_note() -> None:
    band = verity(refuse={(OpCode.REQUEST_MEASUREMENT_START, GYRO): Status.INVALID_STATE})
    session = PmdSession()
    _, items = negotiate(session, band, None)
    assert session.streaming and not session.has_gyro
    assert [i.kind for i in items] == ["note"] and "INVALID_STATE" in items[0].data["message"]
    assert session.stream is not None and not session.stream.has_gyro


def test_stream_left_running_is_stopped_and_started_again() -> None:
    band = verity(running={ACC})
    session = PmdSession(gyro=False)
    sent, _ = negotiate(session, band, VERITY_SENSE_FEATURES)
    assert sent[1:] == [
        bytes.fromhex("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"),
        bytes.fromhex("0302"),
        bytes.fromhex("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"),
    ]
    assert session.streaming


@pytest.mark.parametrize(
    ("status", "error"),
    [(Status.INVALID_MTU, ProtocolError), (Status.INVALID_SAMPLE_RATE, UnsupportedSettingError), (Status.DEVICE_IN_CHARGER, ProtocolError)],
)
def test_refused_acc_start_raises(status: Status, error: type[Exception]) -> None:
    band = verity(refuse={(OpCode.REQUEST_MEASUREMENT_START, ACC): status})
    with pytest.raises(error, match=status.name):
        negotiate(PmdSession(gyro=False), band, None)


def test_band_without_acc_is_unsupported() -> None:
    with pytest.raises(UnsupportedSettingError, match="ACC"):
        negotiate(PmdSession(), verity(), bytes.fromhex("0F 01 00"))


def test_answers_split_over_several_indications() -> None:
    session = PmdSession(gyro=False)
    first = session.start()[0]
    assert first.data == bytes.fromhex("0102")
    tlv = bytes.fromhex("00 01 34 00 01 01 10 00 02 01 08 00 04 01 03")
    assert session.feed(PMD_CP_UUID, bytes.fromhex("F0 01 02 00 01") + tlv[:7], 0.0) == []
    assert session.take_writes() == []
    session.feed(PMD_CP_UUID, bytes.fromhex("F0 01 02 00 00") + tlv[7:], 0.0)
    assert session.take_writes() == [Write(PMD_CP_UUID, bytes.fromhex("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"))]


def test_end_to_end_decoding_and_reconnect_keeps_session_time() -> None:
    band = verity()
    session = PmdSession(gyro=True, t0_s=0.0)
    negotiate(session, band, VERITY_SENSE_FEATURES)
    t = np.arange(63 * 8) / 52.0
    acc = np.column_stack([np.sin(t), np.cos(t), np.full_like(t, 9.8)])
    gyro = np.column_stack([10 * t, -t, np.zeros_like(t)])
    notes = sorted(
        frames(ACC, 0x80, acc, t, 63, factor=VERITY_SENSE_ACC_FACTOR) + frames(GYRO, 0x81, gyro, t, 63),
        key=lambda n: n[1],
    )
    items = []
    for payload, host in notes[:8]:
        items += session.feed(PMD_DATA_UUID, payload, host)
    # link drops; the band stops the streams; reconnect and start again
    band.running.clear()
    negotiate(session, band, VERITY_SENSE_FEATURES)
    for payload, host in notes[10:]:
        items += session.feed(PMD_DATA_UUID, payload, host)
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    block = SampleBlock.concat(blocks)
    assert block.has_gyro and np.all(np.diff(block.t) > 0)
    assert block.t[0] == 0.0
    np.testing.assert_allclose(block.gyro, np.column_stack([10 * block.t, -block.t, np.zeros(len(block))]), atol=1e-4)
    gaps = [i for i in items if isinstance(i, Event) and i.kind == "gap"]
    assert gaps and {g.data["missing_samples"] for g in gaps} == {63}


def test_unsolicited_stop_ends_streaming() -> None:
    session = PmdSession(gyro=False)
    negotiate(session, verity(), None)
    items = session.feed(PMD_CP_UUID, build_measurement_stopped([ACC]), 5.0)
    assert not session.streaming and [i.kind for i in items] == ["note"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([PMD_CP_UUID, PMD_DATA_UUID]), st.binary(max_size=120))
def test_random_payloads_raise_only_protocol_errors(uuid: str, payload: bytes) -> None:
    session = PmdSession()
    negotiate(session, verity(), VERITY_SENSE_FEATURES)
    try:
        session.feed(uuid, payload, 1.0)
    except (DecodeError, ProtocolError, UnsupportedSettingError):
        pass


def test_band_modules_do_not_import_bleak_or_bumble() -> None:
    code = "import sys, sensor.bands, sensor.bands.polar_pmd; print(sorted(m for m in ('bleak', 'bumble') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
