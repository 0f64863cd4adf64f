"""Physics-based synthetic thigh-IMU recordings with exact ground truth.

A kinematic model of a person (pelvis path, hip angles, feet) doing
clamshells, lateral band walks, monster walks or non-exercise movement drives
a rigid-body model of a band strapped to the thigh; the band's accelerometer
reads specific force and its gyroscope angular velocity, then soft tissue,
anti-aliasing, clock, packet loss and sensor errors are applied.

Modules: :mod:`~sensor.synth.trajectory` (smooth channels),
:mod:`~sensor.synth.kinematics` (body and band pose),
:mod:`~sensor.synth.imu_model` (what the band measures),
:mod:`~sensor.synth.sampling` (clock, jitter, lost packets),
:mod:`~sensor.synth.activities` (what the person does),
:mod:`~sensor.synth.scenarios` (sessions), :mod:`~sensor.synth.truth`
(ground truth and its sidecar).
"""

from __future__ import annotations

from sensor.synth.scenarios import (
    DISTRACTORS,
    EXERCISES,
    Performance,
    SimulationConfig,
    SyntheticRecording,
    perform,
    record,
    simulate,
    simulate_session,
)

__all__ = [
    "DISTRACTORS",
    "EXERCISES",
    "Performance",
    "SimulationConfig",
    "SyntheticRecording",
    "perform",
    "record",
    "simulate",
    "simulate_session",
]
