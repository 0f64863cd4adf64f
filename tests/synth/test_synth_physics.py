"""The synthetic band obeys physics: gravity at rest, ROM, gyro integration, foot strikes, direction cues."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal
from scipy.spatial.transform import Rotation

from sensor.synth import SimulationConfig, perform, record
from sensor.units import G_STANDARD

IDEAL = {"noise_scale": 0.0, "drop_rate": 0.0, "lead_in": False}


def _run(**kw: object):
    config = SimulationConfig(**kw)  # type: ignore[arg-type]
    performance = perform([config], config.seed)
    return performance, record(performance)


def _integrate_gyro(t: np.ndarray, gyro_dps: np.ndarray) -> Rotation:
    """Orientation change from body-frame rates (trapezoidal rate, exact exponential per step)."""
    w = np.radians(0.5 * (gyro_dps[1:] + gyro_dps[:-1])) * np.diff(t)[:, None]
    out = Rotation.identity()
    for step in Rotation.from_rotvec(w):
        out = out * step
    return out


@pytest.mark.parametrize("posture", ["still", "lying"])
def test_at_rest_the_accelerometer_reads_one_g(posture: str) -> None:
    perf, rec = _run(exercise=posture, seed=5, duration_s=20.0, fidget=False, **IDEAL)
    s = rec.samples
    quiet = np.ones(len(s), bool)
    for span in perf.truth.distractors:
        if span.kind != "still":
            quiet &= ~((s.t > span.start_s - 0.5) & (s.t < span.end_s + 0.5))
    norm = np.linalg.norm(s.acc[quiet], axis=1)
    assert quiet.sum() > 500
    np.testing.assert_allclose(norm, G_STANDARD, atol=0.03)


def test_typical_sensor_errors_keep_the_rest_reading_near_one_g() -> None:
    _, rec = _run(exercise="still", seed=6, duration_s=20.0, fidget=False, lead_in=False)
    norm = np.linalg.norm(rec.samples.acc, axis=1)
    assert abs(np.median(norm) - G_STANDARD) < 0.05 * G_STANDARD
    # Noise is present: a real band is never exact.
    assert np.std(norm) > 0.01


@pytest.mark.parametrize("seed, leg", [(0, "right"), (1, "left"), (2, "right"), (3, "left")])
def test_clamshell_gravity_excursion_matches_truth_rom(seed: int, leg: str) -> None:
    _, rec = _run(exercise="clamshell", reps=5, seed=seed, leg=leg, hold_s=1.0, **IDEAL)
    s = rec.samples
    for rep in rec.truth.reps:
        before = s.acc[(s.t > rep.start_s - 0.25) & (s.t < rep.start_s)].mean(axis=0)
        top = s.acc[np.abs(s.t - rep.peak_s) < 0.2].mean(axis=0)
        cos = before @ top / np.linalg.norm(before) / np.linalg.norm(top)
        assert np.degrees(np.arccos(cos)) == pytest.approx(rep.rom_deg, abs=2.0)
        assert rep.rom_deg >= 10.0


def test_clamshell_hold_in_truth_is_the_time_above_90_percent_of_peak() -> None:
    _, rec = _run(exercise="clamshell", reps=4, seed=8, hold_s=2.0, rate_hz=100.0, **IDEAL)
    s = rec.samples
    for rep in rec.truth.reps:
        window = (s.t > rep.start_s - 0.3) & (s.t < rep.end_s + 0.3)
        u = s.acc[window] / np.linalg.norm(s.acc[window], axis=1, keepdims=True)
        angle = np.degrees(np.arccos(np.clip(u @ u[0], -1.0, 1.0)))
        assert np.sum(angle >= 0.9 * angle.max()) / 100.0 == pytest.approx(rep.hold_s, abs=0.1)


@pytest.mark.parametrize("exercise", ["clamshell", "walk-forward"])
def test_integrating_the_gyro_reproduces_the_model_rotation(exercise: str) -> None:
    perf, rec = _run(exercise=exercise, reps=3, seed=3, rate_hz=200.0, hold_s=1.0 if exercise == "clamshell" else None,
                     duration_s=25.0 if exercise == "walk-forward" else None, **IDEAL)
    s = rec.samples
    if exercise == "clamshell":
        rep = rec.truth.reps[1]
        t0, t1 = rep.start_s - 0.2, rep.peak_s
    else:
        # From standing still to the end of the first turn: a net half turn.
        t0, t1 = 0.5, next(d.end_s for d in perf.truth.distractors if d.kind == "turn")
    m = (s.t >= t0) & (s.t <= t1)
    measured = _integrate_gyro(s.t[m], s.gyro[m])
    a, b = perf.band_rotation(s.t[m][[0, -1]])
    model = a.inv() * b
    assert np.degrees(model.magnitude()) > 10.0
    assert np.degrees((measured.inv() * model).magnitude()) < 1.0


def test_each_foot_strike_appears_once_per_lateral_cycle() -> None:
    base = dict(exercise="lateral-walk", reps=8, seed=4, rate_hz=200.0, fidget=False, **IDEAL)
    perf, rec = _run(**base)
    _, flat = _run(**base, impact_scale=0.0)
    shocks = np.linalg.norm(rec.samples.acc - flat.samples.acc, axis=1)
    smallest = min(i.amplitude_g for i in perf.truth.impacts) * G_STANDARD
    peaks, _ = signal.find_peaks(shocks, height=0.3 * smallest, distance=int(0.2 * 200))
    found = rec.samples.t[peaks]
    truth_times = np.array([i.t_s for i in perf.truth.impacts])
    assert len(found) == len(truth_times)
    assert np.all(np.abs(found - truth_times) < 0.06)
    # One own and one contra strike per step cycle; the own one ends the banded swing.
    (the_set,) = perf.truth.sets
    in_set = [i for i in perf.truth.impacts if the_set.start_s - 0.7 < i.t_s < the_set.end_s + 1.0]
    own = np.array([i.t_s for i in in_set if i.kind == "own"])
    assert len(own) == the_set.count == len(perf.truth.reps)
    assert sum(i.kind == "contra" for i in in_set) == the_set.count
    np.testing.assert_allclose(own, [r.end_s for r in perf.truth.reps], atol=1e-6)


@pytest.mark.parametrize("leg", ["right", "left"])
def test_lateral_walk_direction_shows_as_abduction_rising_or_falling_during_the_swing(leg: str) -> None:
    perf, _ = _run(exercise="lateral-walk", reps=6, seed=7, leg=leg, direction="both", **IDEAL)
    side = -1 if leg == "right" else 1
    directions = set()
    for rep in perf.truth.reps:
        p = perf.pose(np.array([rep.start_s, rep.end_s]))
        # Outward direction of the banded side, from the pelvis.
        outward = p.pelvis.apply(np.array([[0.0, side, 0.0]] * 2))
        knee_out = np.sum(-p.thigh.apply(np.array([[0.0, 0.0, 1.0]] * 2)) * outward, axis=1)
        leads = rep.direction == leg
        assert (knee_out[1] > knee_out[0] + 0.05) if leads else (knee_out[1] < knee_out[0] - 0.05)
        directions.add(rep.direction)
    assert directions == {"right", "left"}


def test_monster_walk_banded_swings_dominate_the_gyro() -> None:
    _, rec = _run(exercise="monster-walk", reps=12, seed=9, **IDEAL)
    s = rec.samples
    energy = {"banded": [], "other": []}
    for rep in rec.truth.reps:
        m = (s.t >= rep.start_s) & (s.t <= rep.end_s)
        energy[rep.leg].append(np.mean(np.linalg.norm(s.gyro[m], axis=1)))
    assert len(energy["banded"]) == len(energy["other"]) == 6
    assert np.median(energy["banded"]) > 2.0 * np.median(energy["other"])
