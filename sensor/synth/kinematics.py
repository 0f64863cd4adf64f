"""Rigid-body kinematics of the pelvis, the banded thigh and the band on it.

World frame: x forward at heading 0, y to the person's left, z up (m).
Pelvis frame: x anterior, y left, z cranial, origin midway between the hip
joint centres. Thigh frame: the same axes as the pelvis when standing
upright; z runs along the thigh from the knee towards the hip.

The banded thigh is placed in one of two ways, blended by the ``stand``
channel (1 on the feet, 0 sitting or lying):

* on the feet, by two-link inverse kinematics from the hip joint centre to
  the ankle (``fx``, ``fy``, ``lift``): the knee bends in the plane that
  holds the leg line and the knee's pointing direction (heading plus the
  hip's external rotation ``rot``). Pelvis moves over a planted foot
  therefore turn the thigh exactly as they do in life;
* sitting or lying, by hip angles relative to the pelvis: flexion ``flex``,
  abduction ``abd``, external rotation ``rot``, and the clamshell opening
  ``clam`` about the hip-to-ankle axis (knee bent ``Body.knee_deg``, feet
  together).

The band sits on the thigh's surface at an angle around the thigh
(``Mount.rotation_deg`` plus slip ``spin``), tilted on the strap and with
its axes in any of the 24 right-handed axis assignments.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from sensor.types import FloatArray
from sensor.units import RAD_PER_DEG

#: Every channel of the body and its value at rest (units: m for positions,
#: deg for angles, 1 for ``stand``).
CHANNELS: dict[str, float] = {
    "px": 0.0,
    "py": 0.0,
    "pz": 0.9,
    "yaw": 0.0,
    "roll": 0.0,
    "tilt": 0.0,
    "twist": 0.0,
    "stand": 1.0,
    "flex": 0.0,
    "abd": 0.0,
    "rot": 0.0,
    "clam": 0.0,
    "fx": 0.0,
    "fy": 0.0,
    "lift": 0.0,
    "spin": 0.0,
}


def _proper_axis_permutations() -> list[FloatArray]:
    mats = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            m = np.zeros((3, 3))
            m[list(perm), range(3)] = signs
            if np.linalg.det(m) > 0:
                mats.append(m)
    return mats


#: The 24 ways a band's axes can be aligned with the thigh's axes.
AXIS_ASSIGNMENTS: list[FloatArray] = _proper_axis_permutations()


@dataclass(frozen=True, kw_only=True, slots=True)
class Body:
    """Segment sizes of the person, m, and the clamshell knee angle, deg.

    Parameters
    ----------
    thigh_m : float
        Hip joint centre to knee joint centre, m.
    shank_m : float
        Knee joint centre to ankle joint centre, m.
    ankle_m : float
        Height of the ankle joint centre above the floor when standing, m.
    hip_width_m : float
        Distance between the two hip joint centres, m.
    thigh_radius_m : float
        Distance of the band from the thigh's long axis, m.
    band_from_hip_m : float
        Distance along the thigh from the hip joint centre to the band, m.
    knee_deg : float
        Knee flexion held during clamshells, deg (sets the opening axis).
    """

    thigh_m: float = 0.43
    shank_m: float = 0.43
    ankle_m: float = 0.08
    hip_width_m: float = 0.18
    thigh_radius_m: float = 0.08
    band_from_hip_m: float = 0.22
    knee_deg: float = 90.0

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Body:
        """Draw an adult's dimensions from realistic ranges."""
        thigh = rng.uniform(0.38, 0.48)
        return cls(
            thigh_m=thigh,
            shank_m=thigh * rng.uniform(0.92, 1.02),
            ankle_m=rng.uniform(0.07, 0.09),
            hip_width_m=rng.uniform(0.15, 0.20),
            thigh_radius_m=rng.uniform(0.06, 0.10),
            band_from_hip_m=thigh * rng.uniform(0.35, 0.7),
            knee_deg=rng.uniform(80.0, 100.0),
        )

    @property
    def stand_hip_height_m(self) -> float:
        """Height of the hip joint centres standing upright, knees nearly straight, m."""
        return self.ankle_m + 0.98 * (self.thigh_m + self.shank_m)

    def squat_hip_height_m(self, knee_deg: float) -> float:
        """Hip height with the ankle under the hip and the knee flexed ``knee_deg``, m."""
        a, b = self.thigh_m, self.shank_m
        k = knee_deg * RAD_PER_DEG
        return self.ankle_m + float(np.sqrt(a * a + b * b + 2 * a * b * np.cos(k)))


@dataclass(frozen=True, kw_only=True, slots=True)
class Mount:
    """How the band sits on the thigh.

    Parameters
    ----------
    rotation_deg : float
        Angle of the band around the thigh from its lateral side, deg
        (0 to 360).
    tilt_deg : float
        Tilt of the band on its strap, about the thigh's tangent, deg.
    axes : int
        Index into :data:`AXIS_ASSIGNMENTS`: which band axis lies along which
        thigh axis before rotation and tilt.
    """

    rotation_deg: float = 0.0
    tilt_deg: float = 0.0
    axes: int = 0

    @classmethod
    def draw(cls, rng: np.random.Generator, rotation_deg: float | None, tilt_deg: float | None) -> Mount:
        """Draw a mounting; given values are kept, missing ones are random."""
        rotation = rng.uniform(0.0, 360.0)
        tilt = rng.uniform(0.0, 15.0) * rng.choice((-1.0, 1.0))
        axes = int(rng.integers(len(AXIS_ASSIGNMENTS)))
        return cls(
            rotation_deg=rotation if rotation_deg is None else float(rotation_deg),
            tilt_deg=tilt if tilt_deg is None else float(tilt_deg),
            axes=axes,
        )

    @property
    def thigh_axis(self) -> str:
        """The band axis (e.g. ``"-y"``) that points up the thigh, towards the hip, before tilt."""
        row = AXIS_ASSIGNMENTS[self.axes][2]
        i = int(np.flatnonzero(row)[0])
        return ("+" if row[i] > 0 else "-") + "xyz"[i]

    def to_thigh(self, spin_deg: FloatArray) -> Rotation:
        """Rotation from the band frame to the thigh frame with extra slip ``spin_deg`` (deg)."""
        around = Rotation.from_euler("z", (self.rotation_deg + np.asarray(spin_deg))[:, None], degrees=True)
        tilt = Rotation.from_euler("x", self.tilt_deg, degrees=True)
        return around * tilt * Rotation.from_matrix(AXIS_ASSIGNMENTS[self.axes])


@dataclass(frozen=True)
class Pose:
    """Pose of the pelvis, the banded thigh and the band at a set of times.

    Parameters
    ----------
    pelvis : Rotation
        Pelvis frame to world, one per time.
    hip : ndarray, shape (N, 3)
        Banded hip joint centre in the world, m.
    thigh : Rotation
        Thigh frame to world.
    band : Rotation
        Band frame to world.
    band_position : ndarray, shape (N, 3)
        Band position in the world, m.
    band_to_thigh : Rotation
        Band frame to thigh frame (changes only when the band slips).
    """

    pelvis: Rotation
    hip: FloatArray
    thigh: Rotation
    band: Rotation
    band_position: FloatArray
    band_to_thigh: Rotation


def heading_vector(heading_deg: float) -> FloatArray:
    """Unit forward vector (x, y) of a heading, deg (0 = world +x)."""
    h = heading_deg * RAD_PER_DEG
    return np.array([np.cos(h), np.sin(h)])


def standing_hip_xy(px: float, py: float, heading_deg: float, side: int, body: Body) -> FloatArray:
    """Banded hip joint centre (x, y) in the world for an upright pelvis, m.

    Parameters
    ----------
    px, py : float
        Pelvis origin, m.
    heading_deg : float
        Pelvis heading (yaw plus twist), deg.
    side : int
        -1 for the right leg, +1 for the left.
    body : Body
        Segment sizes.
    """
    fwd = heading_vector(heading_deg)
    left = np.array([-fwd[1], fwd[0]])
    return np.array([px, py]) + left * side * body.hip_width_m / 2


#: Longest hip-to-ankle distance as a share of thigh plus shank, and how
#: sharply the reach saturates towards it (1 / share).
_MAX_REACH = 0.99
_REACH_SHARPNESS = 60.0


def _unit(v: FloatArray, fallback: FloatArray) -> FloatArray:
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(norm > 1e-9, v / np.maximum(norm, 1e-12), fallback)


def _leg_ik(hip: FloatArray, ankle: FloatArray, knee_dir_deg: FloatArray, body: Body) -> Rotation:
    """Thigh frame of a two-link leg from hip and ankle positions.

    The knee bends in the plane of the leg line and the horizontal knee
    direction ``knee_dir_deg`` (deg from world +x).
    """
    a, b = body.thigh_m, body.shank_m
    v = ankle - hip
    # The knee angle is singular at full extension (its rate grows without
    # bound as the leg straightens), so the reach saturates smoothly just
    # short of it: beyond that the heel rises rather than the knee snapping.
    x = np.linalg.norm(v, axis=1) / (a + b)
    x = _MAX_REACH - np.logaddexp(0.0, _REACH_SHARPNESS * (_MAX_REACH - x)) / _REACH_SHARPNESS
    reach = np.maximum(x, abs(a - b) / (a + b) + 0.05) * (a + b)
    down = np.array([0.0, 0.0, -1.0])
    u = _unit(v, down)
    cos_hip = np.clip((a * a + reach * reach - b * b) / (2 * a * reach), -1.0, 1.0)
    alpha = np.arccos(cos_hip)[:, None]
    k = knee_dir_deg * RAD_PER_DEG
    f = np.stack([np.cos(k), np.sin(k), np.zeros_like(k)], axis=1)
    n = _unit(f - np.sum(f * u, axis=1, keepdims=True) * u, np.array([1.0, 0.0, 0.0]))
    to_knee = np.cos(alpha) * u + np.sin(alpha) * n
    z = -to_knee
    x = -np.sin(alpha) * u + np.cos(alpha) * n
    y = np.cross(z, x)
    return Rotation.from_matrix(np.stack([x, y, z], axis=2))


def clam_axis(flex_deg: FloatArray, side: int, body: Body) -> FloatArray:
    """Unit axis of the clamshell opening in the pelvis frame, one per sample.

    The axis runs from the hip joint centre to the ankle of a leg flexed
    ``flex_deg`` at the hip and ``body.knee_deg`` at the knee; its sign makes
    a positive opening lift the knee away from the other leg.
    """
    th = flex_deg * RAD_PER_DEG
    kn = (flex_deg - body.knee_deg) * RAD_PER_DEG
    knee = body.thigh_m * np.stack([np.sin(th), np.zeros_like(th), -np.cos(th)], axis=1)
    ankle = knee + body.shank_m * np.stack([np.sin(kn), np.zeros_like(kn), -np.cos(kn)], axis=1)
    u = ankle / np.linalg.norm(ankle, axis=1, keepdims=True)
    lift = u[:, 2] * knee[:, 0] - u[:, 0] * knee[:, 2]
    return u * (side * np.sign(lift))[:, None]


def pose(ch: dict[str, FloatArray], side: int, body: Body, mount: Mount) -> Pose:
    """Pose of pelvis, banded thigh and band from channel values.

    Parameters
    ----------
    ch : dict of str to ndarray, each shape (N,)
        Channel values (see :data:`CHANNELS`), m and deg.
    side : int
        -1 when the band is on the right thigh, +1 on the left.
    body : Body
        Segment sizes.
    mount : Mount
        How the band sits on the thigh.

    Returns
    -------
    Pose
    """
    n = ch["px"].shape[0]
    pelvis = Rotation.from_euler(
        "ZXY", np.stack([ch["yaw"], ch["roll"], ch["tilt"]], axis=1), degrees=True
    ) * Rotation.from_euler("z", ch["twist"][:, None], degrees=True)
    p = np.stack([ch["px"], ch["py"], ch["pz"]], axis=1)
    hip = p + pelvis.apply(np.tile([0.0, side * body.hip_width_m / 2, 0.0], (n, 1)))

    # 1. Sitting and lying: hip angles relative to the pelvis.
    opening = Rotation.from_rotvec(clam_axis(ch["flex"], side, body) * (ch["clam"] * RAD_PER_DEG)[:, None])
    hip_angles = Rotation.from_euler(
        "YXZ", np.stack([-ch["flex"], side * ch["abd"], side * ch["rot"]], axis=1), degrees=True
    )
    direct = pelvis * opening * hip_angles

    # 2. On the feet: two-link leg from hip to ankle.
    ankle = np.stack([ch["fx"], ch["fy"], body.ankle_m + ch["lift"]], axis=1)
    knee_dir = ch["yaw"] + ch["twist"] + side * ch["rot"]
    on_feet = _leg_ik(hip, ankle, knee_dir, body)

    # 3. Blend: geodesic from the direct pose towards the on-feet pose.
    w = np.clip(ch["stand"], 0.0, 1.0)[:, None]
    thigh = direct * Rotation.from_rotvec(w * (direct.inv() * on_feet).as_rotvec())

    band_to_thigh = mount.to_thigh(ch["spin"])
    spot = Rotation.from_euler("z", (mount.rotation_deg + ch["spin"])[:, None], degrees=True).apply(
        np.tile([0.0, side * body.thigh_radius_m, 0.0], (n, 1))
    ) + np.array([0.0, 0.0, -body.band_from_hip_m])
    return Pose(
        pelvis=pelvis,
        hip=hip,
        thigh=thigh,
        band=thigh * band_to_thigh,
        band_position=hip + thigh.apply(spot),
        band_to_thigh=band_to_thigh,
    )
