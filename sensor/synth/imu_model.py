"""From body motion to what the band measures.

The accelerometer reads the specific force in the band frame,
``f = R_bandᵀ (a_world − g_world)`` with ``g_world = (0, 0, −9.80665)`` m/s²,
so a band at rest reads +9.81 m/s² on its up axis; the gyroscope reads the
band's angular velocity in its own frame, deg/s. Both are computed on a fine
internal grid by central differences of the band's pose (position twice,
orientation once), then

1. foot strikes and other contact shocks are added as short zero-mean
   acceleration pulses travelling up the thigh;
2. the band's soft-tissue mount passes the acceleration through a damped
   second-order base-excitation filter (resonance 10–20 Hz): the strap wobble
   that rings after each shock;
3. the sensor's anti-aliasing low-pass filter acts (causal, 2nd order);
4. the band samples at its own (drifting, jittered) instants;
5. scale error, bias, bias drift, white noise, quantisation and saturation
   are applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from sensor.synth.kinematics import Body, Mount, pose
from sensor.synth.trajectory import Motion
from sensor.types import FloatArray
from sensor.units import DEG_PER_RAD, G_STANDARD

#: Gravity in the world frame, m/s².
G_WORLD: FloatArray = np.array([0.0, 0.0, -G_STANDARD])

_CHUNK = 20_000


@dataclass(frozen=True, kw_only=True, slots=True)
class Impact:
    """A contact shock felt at the band.

    Parameters
    ----------
    t_s : float
        Moment of contact, s.
    amplitude_g : float
        Peak of the main pulse, in g (9.80665 m/s²).
    kind : str
        ``own`` (the banded leg's foot lands), ``contra`` (the other foot
        lands), ``body`` (the body meets the floor) or ``hand`` (a hand
        knocks the band).
    direction : tuple of float
        Unit direction of the pulse in the thigh frame (mostly +z, up the thigh).
    width_s : float
        Duration of the main pulse, s.
    """

    t_s: float
    amplitude_g: float
    kind: str
    direction: tuple[float, float, float]
    width_s: float


@dataclass(frozen=True, kw_only=True, slots=True)
class SoftTissue:
    """The band's soft-tissue mount as a damped oscillator.

    Parameters
    ----------
    freq_hz : float
        Natural frequency, Hz.
    damping : float
        Damping ratio (dimensionless).
    """

    freq_hz: float = 15.0
    damping: float = 0.3

    @classmethod
    def draw(cls, rng: np.random.Generator) -> SoftTissue:
        """Draw a mount from the range measured on thigh soft tissue."""
        return cls(freq_hz=rng.uniform(10.0, 20.0), damping=rng.uniform(0.2, 0.4))


@dataclass(frozen=True, kw_only=True, slots=True)
class SensorErrors:
    """Imperfections of the band's accelerometer and gyroscope.

    Parameters
    ----------
    acc_scale, acc_bias_ms2 : tuple of float
        Per-axis scale factor (1 = exact) and offset, m/s².
    acc_noise_ms2 : float
        White noise standard deviation per sample, m/s².
    acc_lsb_ms2, acc_range_ms2 : float
        Resolution and full scale (saturation), m/s².
    gyro_scale, gyro_bias_dps : tuple of float
        Per-axis scale factor and offset, deg/s.
    gyro_walk_dps : float
        Bias random walk, deg/s per √s.
    gyro_noise_dps : float
        White noise standard deviation per sample, deg/s.
    gyro_lsb_dps, gyro_range_dps : float
        Resolution and full scale, deg/s.
    aa_cutoff_ratio : float
        Anti-aliasing low-pass cut-off as a share of the sample rate.
    """

    acc_scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    acc_bias_ms2: tuple[float, float, float] = (0.0, 0.0, 0.0)
    acc_noise_ms2: float = 0.0
    acc_lsb_ms2: float = 0.001 * G_STANDARD
    acc_range_ms2: float = 8.0 * G_STANDARD
    gyro_scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    gyro_bias_dps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gyro_walk_dps: float = 0.0
    gyro_noise_dps: float = 0.0
    gyro_lsb_dps: float = 2000.0 / 32768.0
    gyro_range_dps: float = 2000.0
    aa_cutoff_ratio: float = 0.35

    @classmethod
    def draw(cls, rng: np.random.Generator, noise_scale: float) -> SensorErrors:
        """Draw a consumer-grade IMU; ``noise_scale`` multiplies every error (0 = ideal)."""
        s = float(noise_scale)
        acc_full_g = float(rng.choice((8.0, 16.0)))
        acc_lsb = float(rng.choice((0.001 * G_STANDARD, acc_full_g * G_STANDARD / 32768.0)))
        return cls(
            acc_scale=tuple(1.0 + s * np.clip(rng.normal(0.0, 0.01, 3), -0.03, 0.03)),
            acc_bias_ms2=tuple(s * np.clip(rng.normal(0.0, 0.01, 3), -0.03, 0.03) * G_STANDARD),
            acc_noise_ms2=s * rng.uniform(0.008, 0.025) * G_STANDARD,
            acc_lsb_ms2=acc_lsb,
            acc_range_ms2=acc_full_g * G_STANDARD,
            gyro_scale=tuple(1.0 + s * np.clip(rng.normal(0.0, 0.01, 3), -0.03, 0.03)),
            gyro_bias_dps=tuple(s * np.clip(rng.normal(0.0, 1.0, 3), -3.0, 3.0)),
            gyro_walk_dps=s * rng.uniform(0.002, 0.02),
            gyro_noise_dps=s * rng.uniform(0.1, 0.4),
            gyro_lsb_dps=float(rng.choice((1000.0, 2000.0))) / 32768.0,
            gyro_range_dps=2000.0,
            aa_cutoff_ratio=rng.uniform(0.22, 0.42),
        )


def fine_rate_hz(rate_hz: float) -> float:
    """Rate of the internal grid for a band sampling at ``rate_hz`` (Hz)."""
    return max(500.0, 4.0 * rate_hz)


def ideal_imu(motion: Motion, t: FloatArray, side: int, body: Body, mount: Mount) -> tuple[FloatArray, FloatArray]:
    """Exact specific force and angular rate of the band on a uniform grid.

    Parameters
    ----------
    motion : Motion
        The body's channels.
    t : ndarray, shape (N,)
        Uniform grid, s (N >= 2).
    side : int
        -1 right thigh, +1 left thigh.
    body, mount : Body, Mount
        Segment sizes and band mounting.

    Returns
    -------
    acc : ndarray, shape (N, 3)
        Specific force in the band frame, m/s².
    gyro : ndarray, shape (N, 3)
        Angular velocity in the band frame, deg/s.

    Notes
    -----
    Central differences with the grid step h: the error is O(h²) times the
    fourth derivative of the motion, below 1e-4 of the signal for human
    movement at h <= 2 ms. The angular rate comes from the relative rotation
    between the neighbours, ``log(R(t−h)ᵀ R(t+h)) / 2h``, also O(h²).
    """
    h = float(t[1] - t[0])
    acc = np.empty((t.shape[0], 3))
    gyro = np.empty((t.shape[0], 3))
    for start in range(0, t.shape[0], _CHUNK):
        stop = min(start + _CHUNK, t.shape[0])
        # One extra grid point on each side for the central differences.
        tt = t[0] + h * np.arange(start - 1, stop + 1)
        p = pose(motion.sample(tt), side, body, mount)
        x = p.band_position
        a_world = (x[2:] - 2.0 * x[1:-1] + x[:-2]) / (h * h)
        acc[start:stop] = p.band[1:-1].inv().apply(a_world - G_WORLD)
        gyro[start:stop] = (p.band[:-2].inv() * p.band[2:]).as_rotvec() / (2.0 * h) * DEG_PER_RAD
    return acc, gyro


def shocks(impacts: list[Impact], t: FloatArray, motion: Motion, mount: Mount) -> FloatArray:
    """Acceleration of contact shocks in the band frame on a uniform grid, m/s².

    Each shock is a raised-cosine pulse followed by a three times longer,
    three times shallower rebound of equal area, so it leaves no net
    velocity (the modelled foot already lands at zero speed).

    Parameters
    ----------
    impacts : list of Impact
        The shocks.
    t : ndarray, shape (N,)
        Uniform grid, s.
    motion : Motion
        The body's channels (for band slip at each shock).
    mount : Mount
        Band mounting.
    """
    out = np.zeros((t.shape[0], 3))
    for imp in impacts:
        w = imp.width_s
        i0, i1 = np.searchsorted(t, [imp.t_s, imp.t_s + 4.0 * w])
        if i1 <= i0:
            continue
        tt = t[i0:i1] - imp.t_s
        main = np.where(tt < w, 0.5 - 0.5 * np.cos(2 * np.pi * tt / w), 0.0)
        rebound = np.where(tt >= w, (0.5 - 0.5 * np.cos(2 * np.pi * (tt - w) / (3 * w))) / 3.0, 0.0)
        spin = motion.channels["spin"](np.array([imp.t_s]))
        in_band = mount.to_thigh(spin).inv().apply(np.asarray(imp.direction))[0]
        out[i0:i1] += (imp.amplitude_g * G_STANDARD * (main - rebound))[:, None] * in_band
    return out


def _steady_sosfilt(sos: FloatArray, x: FloatArray) -> FloatArray:
    """Causal SOS filter along axis 0, started in steady state at the first sample."""
    zi = signal.sosfilt_zi(sos)[:, :, None] * x[0][None, None, :]
    y, _ = signal.sosfilt(sos, x, axis=0, zi=zi)
    return y


def soft_tissue(acc: FloatArray, fine_hz: float, tissue: SoftTissue) -> FloatArray:
    """Acceleration of a band riding on soft tissue, from that of the bone (m/s²).

    Base excitation of a damped oscillator: ``H(s) = (2ζωs + ω²) / (s² + 2ζωs + ω²)``,
    unity at low frequency, resonant near ``tissue.freq_hz``.
    """
    w = 2 * np.pi * tissue.freq_hz
    b, a = signal.bilinear([2 * tissue.damping * w, w * w], [1.0, 2 * tissue.damping * w, w * w], fs=fine_hz)
    return _steady_sosfilt(signal.tf2sos(b, a), acc)


def anti_alias(x: FloatArray, fine_hz: float, cutoff_hz: float) -> FloatArray:
    """The sensor's causal 2nd-order Butterworth low-pass at ``cutoff_hz`` (Hz)."""
    return _steady_sosfilt(signal.butter(2, cutoff_hz, fs=fine_hz, output="sos"), x)


def _quantise(x: FloatArray, lsb: float, full_scale: float) -> FloatArray:
    return np.clip(np.round(x / lsb) * lsb, -full_scale, full_scale)


def measure(
    acc: FloatArray, gyro: FloatArray, t: FloatArray, errors: SensorErrors, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Apply scale, bias, bias drift, noise, quantisation and saturation.

    Parameters
    ----------
    acc, gyro : ndarray, shape (N, 3)
        True specific force (m/s²) and angular rate (deg/s) at the samples.
    t : ndarray, shape (N,)
        Sample instants, s (for the gyro bias random walk).
    errors : SensorErrors
        The sensor's imperfections.
    rng : numpy.random.Generator
        Noise source.
    """
    n = t.shape[0]
    acc_noise = rng.normal(0.0, 1.0, (n, 3)) * errors.acc_noise_ms2
    gyro_noise = rng.normal(0.0, 1.0, (n, 3)) * errors.gyro_noise_dps
    steps = np.sqrt(np.diff(t, prepend=t[:1]))[:, None] * rng.normal(0.0, 1.0, (n, 3))
    drift = np.cumsum(steps, axis=0) * errors.gyro_walk_dps
    acc_out = acc * np.asarray(errors.acc_scale) + np.asarray(errors.acc_bias_ms2) + acc_noise
    gyro_out = gyro * np.asarray(errors.gyro_scale) + np.asarray(errors.gyro_bias_dps) + drift + gyro_noise
    return (
        _quantise(acc_out, errors.acc_lsb_ms2, errors.acc_range_ms2),
        _quantise(gyro_out, errors.gyro_lsb_dps, errors.gyro_range_dps),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Band:
    """Everything about the band that shapes its signal.

    Parameters
    ----------
    side : int
        -1 right thigh, +1 left thigh.
    body : Body
        The wearer's segment sizes.
    mount : Mount
        How the band sits on the thigh.
    tissue : SoftTissue
        Soft-tissue mount.
    errors : SensorErrors
        Sensor imperfections.
    rate_hz : float
        Nominal sample rate, Hz.
    """

    side: int
    body: Body
    mount: Mount
    tissue: SoftTissue
    errors: SensorErrors
    rate_hz: float


def render(
    motion: Motion, impacts: list[Impact], band: Band, instants: FloatArray, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """What the band measures at the given instants.

    Parameters
    ----------
    motion : Motion
        The body's channels.
    impacts : list of Impact
        Contact shocks.
    band : Band
        The band and its wearer.
    instants : ndarray, shape (N,)
        True sampling instants, s, increasing.
    rng : numpy.random.Generator
        Noise source.

    Returns
    -------
    acc : ndarray, shape (N, 3)
        Measured specific force, m/s².
    gyro : ndarray, shape (N, 3)
        Measured angular rate, deg/s.
    """
    fine_hz = fine_rate_hz(band.rate_hz)
    # Start one second early so the filters have settled by the first sample.
    t0 = float(instants[0]) - 1.0
    grid = t0 + np.arange(int(np.ceil((float(instants[-1]) - t0) * fine_hz)) + 2) / fine_hz
    acc, gyro = ideal_imu(motion, grid, band.side, band.body, band.mount)
    acc = soft_tissue(acc + shocks(impacts, grid, motion, band.mount), fine_hz, band.tissue)
    cutoff = band.errors.aa_cutoff_ratio * band.rate_hz
    acc = anti_alias(acc, fine_hz, cutoff)
    gyro = anti_alias(gyro, fine_hz, cutoff)
    at = np.stack([np.interp(instants, grid, acc[:, k]) for k in range(3)], axis=1)
    gt = np.stack([np.interp(instants, grid, gyro[:, k]) for k in range(3)], axis=1)
    return measure(at, gt, instants, band.errors, rng)
