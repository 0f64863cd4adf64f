"""A minimal model of a Polar band's control point and data, for session tests.

It answers CP writes the way the vendor document describes, built from the
protocol module's own builders; the truth signals are generated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensor.bands.base import Write
from sensor.bands.polar_pmd import (
    MeasurementType,
    OpCode,
    SettingType,
    Settings,
    Status,
    build_cp_response,
    encode_frame,
    encode_settings,
    parse_settings,
    raw_from_physical,
)

ACC, GYRO = MeasurementType.ACC, MeasurementType.GYRO


@dataclass
class BandModel:
    """Answers CP commands; records what was started."""

    settings: dict[int, Settings]
    sdk_settings: dict[int, Settings] = field(default_factory=dict)
    factors: dict[int, float] = field(default_factory=dict)
    refuse: dict[tuple[int, int], Status] = field(default_factory=dict)
    running: set[int] = field(default_factory=set)
    sdk_mode: bool = False
    started_with: dict[int, Settings] = field(default_factory=dict)

    def answer(self, write: Write) -> bytes:
        op, meas = write.data[0], write.data[1]
        refused = self.refuse.get((op, meas))
        if refused is not None:
            return build_cp_response(op, meas, refused)
        if op == OpCode.GET_MEASUREMENT_SETTINGS:
            table = self.sdk_settings if self.sdk_mode else self.settings
            if meas not in table:
                return build_cp_response(op, meas, Status.NOT_SUPPORTED)
            return build_cp_response(op, meas, Status.SUCCESS, encode_settings(table[meas]))
        if op == OpCode.REQUEST_MEASUREMENT_START and meas == MeasurementType.SDK_MODE:
            self.sdk_mode = True
            return build_cp_response(op, meas, Status.SUCCESS)
        if op == OpCode.REQUEST_MEASUREMENT_START:
            if meas in self.running:
                return build_cp_response(op, meas, Status.ALREADY_IN_STATE)
            self.running.add(meas)
            self.started_with[meas] = parse_settings(write.data[2:])
            params = encode_settings({SettingType.FACTOR: (self.factors[meas],)}) if meas in self.factors else b""
            return build_cp_response(op, meas, Status.SUCCESS, params)
        if op == OpCode.STOP_MEASUREMENT:
            if meas == MeasurementType.SDK_MODE:
                self.sdk_mode = False
            self.running.discard(meas)
            return build_cp_response(op, meas, Status.SUCCESS)
        return build_cp_response(op, meas, Status.INVALID_OP_CODE)


def frames(
    measurement: int,
    frame_type: int,
    physical: np.ndarray,
    t_s: np.ndarray,
    per_frame: int,
    *,
    factor: float = 1.0,
    clock_ns: int = 700_000_000_000_000_000,
    latency_s: float = 0.03,
) -> list[tuple[bytes, float]]:
    """Cut a signal into notifications stamped like the band: (payload, host arrival time s)."""
    raw = raw_from_physical(measurement, frame_type, physical, factor)
    out = []
    for start in range(0, len(t_s), per_frame):
        stop = min(start + per_frame, len(t_s))
        stamp = clock_ns + int(round(t_s[stop - 1] * 1e9))
        out.append((encode_frame(measurement, stamp, raw[start:stop], frame_type), float(t_s[stop - 1]) + latency_s))
    return out
