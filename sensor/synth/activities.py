"""What the person does: postures, transitions, fidgeting, gait and the three exercises.

Each activity appends moves to the scene's :class:`MotionScript`, starting at
the scene's cursor ``t`` and leaving the cursor at its end, and logs what it
did: reps and sets of the exercise, non-exercise spans, and contact shocks.

Lateral walk, and how travel direction shows in the banded thigh
-----------------------------------------------------------------
One step cycle is a lead step (the leg on the travel side steps out
sideways) followed by a trail step (the other leg closes in). The pelvis
moves about two fifths of the step during the lead swing and the rest during
the trail swing. With the band on the leading leg (walking towards the
banded side) the banded thigh swings first: it abducts while lifted (hip
flexion up, then down), its own foot strike comes at peak abduction, and the
thigh returns to its stance angle while the pelvis travels over the planted
foot and the other foot lands. With the band on the trailing leg the other
foot steps away first: the banded thigh abducts with its foot planted (no
lift; the other foot's strike at peak abduction), then it swings in, lifted,
adducting back to stance, and its own strike ends the cycle. So the swing
(lift and own strike) coincides with abduction rising when the banded leg
leads and with abduction falling when it trails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensor.synth.imu_model import Impact
from sensor.synth.kinematics import CHANNELS, Body, heading_vector, standing_hip_xy
from sensor.synth.trajectory import MIN_JERK_TAU90, MotionScript
from sensor.synth.truth import TruthRep, TruthSet, TruthSpan
from sensor.types import FloatArray

#: Postures a scene can be in between activities.
POSTURES = ("stand", "sit", "lie-top", "lie-bottom")

#: Width of each kind of contact pulse, s (low, high).
_SHOCK_WIDTH_S = {"own": (0.025, 0.05), "contra": (0.03, 0.06), "body": (0.04, 0.08), "hand": (0.01, 0.025)}


@dataclass(frozen=True, kw_only=True, slots=True)
class ClamshellStyle:
    """How one person does clamshells (angles deg, times s, shares 0–1).

    Parameters
    ----------
    rom_deg : float
        Opening of a full rep at the start of the set, deg.
    open_s, close_s, hold_s, pause_s : float
        Opening, closing, hold at the top and pause at the bottom, s.
    fatigue : float
        Share of ROM lost by the last rep of a set.
    partial_share : float
        Chance that a rep is a partial one (opened 35–55 % of a full rep).
    drift : float
        Share by which the last rep of a set is slower than the first.
    compensation : float
        Pelvic roll-back as a share of the opening.
    """

    rom_deg: float
    open_s: float
    close_s: float
    hold_s: float
    pause_s: float
    fatigue: float
    partial_share: float
    drift: float
    compensation: float

    @classmethod
    def draw(
        cls,
        rng: np.random.Generator,
        *,
        tempo_s: float | None,
        hold_s: float | None,
        partial_share: float | None,
        fatigue: float | None,
    ) -> ClamshellStyle:
        """Draw a style; given values are kept (``tempo_s`` = mean rep period, s)."""
        open_s, close_s = rng.uniform(0.6, 1.4), rng.uniform(0.8, 1.8)
        hold = float(rng.choice((0.0, rng.uniform(0.2, 2.0)), p=(0.3, 0.7)))
        pause = rng.uniform(0.2, 0.9)
        share, tired = rng.uniform(0.0, 0.15), rng.uniform(0.0, 0.3)
        hold = hold if hold_s is None else float(hold_s)
        if tempo_s is not None:
            # Keep the person's open/close ratio; stretch moves to the requested period.
            moving = max(0.6, float(tempo_s) - hold - pause)
            open_s, close_s = moving * open_s / (open_s + close_s), moving * close_s / (open_s + close_s)
        return cls(
            rom_deg=rng.uniform(25.0, 55.0),
            open_s=open_s,
            close_s=close_s,
            hold_s=hold,
            pause_s=pause,
            fatigue=tired if fatigue is None else float(fatigue),
            partial_share=share if partial_share is None else float(partial_share),
            drift=rng.uniform(-0.05, 0.25),
            compensation=rng.uniform(0.0, 0.08),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class WalkStyle:
    """How one person does a banded or normal walk (lengths m, times s, angles deg, shocks g).

    Parameters
    ----------
    period_s : float
        Lateral walk: step cycle; monster walk and gait: one step, s.
    step_m : float
        Distance the swinging foot travels in a full step, m.
    stance_m : float
        Extra outward distance of the banded foot from under its hip, m.
    knee_deg : float
        Knee flexion of the squat, deg.
    lift_m : float
        Ankle lift at mid-swing, m.
    diagonal_m : float
        Monster walk: outward bulge of the swinging foot's path, m.
    sway_m : float
        Pelvis sway towards the stance foot, m.
    knee_out_deg : float
        Hip external rotation that keeps the knees out against the band, deg.
    tilt_deg : float
        Forward lean of the pelvis, deg.
    own_g, contra_g : float
        Foot-strike shock of the banded leg and of the other leg at the band, g.
    drift : float
        Share by which the last period of a set is slower than the first.
    """

    period_s: float
    step_m: float
    stance_m: float
    knee_deg: float
    lift_m: float
    diagonal_m: float
    sway_m: float
    knee_out_deg: float
    tilt_deg: float
    own_g: float
    contra_g: float
    drift: float

    @classmethod
    def lateral(cls, rng: np.random.Generator, tempo_s: float | None) -> WalkStyle:
        """Mini-squat side steps."""
        return cls._draw(rng, tempo_s, period=(0.9, 1.6), step=(0.2, 0.3), stance=(0.03, 0.07),
                         knee=(35.0, 55.0), lift=(0.02, 0.05), diagonal=(0.0, 0.0), sway=(0.0, 0.0),
                         tilt=(5.0, 15.0), own=(0.4, 1.0), contra=(0.15, 0.4))

    @classmethod
    def monster(cls, rng: np.random.Generator, tempo_s: float | None) -> WalkStyle:
        """Half-squat diagonal steps."""
        return cls._draw(rng, tempo_s, period=(0.7, 1.4), step=(0.2, 0.35), stance=(0.08, 0.13),
                         knee=(55.0, 80.0), lift=(0.03, 0.07), diagonal=(0.03, 0.07), sway=(0.02, 0.04),
                         tilt=(15.0, 25.0), own=(0.4, 1.0), contra=(0.15, 0.4))

    @classmethod
    def gait(cls, rng: np.random.Generator) -> WalkStyle:
        """Normal walking."""
        return cls._draw(rng, None, period=(0.5, 0.62), step=(0.55, 0.72), stance=(0.0, 0.03),
                         knee=(0.0, 0.0), lift=(0.05, 0.08), diagonal=(0.0, 0.0), sway=(0.015, 0.03),
                         tilt=(3.0, 8.0), own=(0.8, 1.6), contra=(0.3, 0.6))

    @classmethod
    def _draw(cls, rng: np.random.Generator, tempo_s: float | None, **ranges: tuple[float, float]) -> WalkStyle:
        v = {name: rng.uniform(*bounds) for name, bounds in ranges.items()}
        return cls(
            period_s=v["period"] if tempo_s is None else float(tempo_s),
            step_m=v["step"],
            stance_m=v["stance"],
            knee_deg=v["knee"],
            lift_m=v["lift"],
            diagonal_m=v["diagonal"],
            sway_m=v["sway"],
            knee_out_deg=rng.uniform(3.0, 12.0),
            tilt_deg=v["tilt"],
            own_g=v["own"],
            contra_g=v["contra"],
            drift=rng.uniform(-0.05, 0.2),
        )


class Scene:
    """A person wearing a band, their script of moves so far, and the log of what happened.

    Parameters
    ----------
    body : Body
        Segment sizes.
    side : int
        -1 band on the right thigh, +1 on the left.
    rng : numpy.random.Generator
        Source of every random choice the person makes.
    posture : str
        Starting posture, one of :data:`POSTURES`.
    """

    def __init__(self, body: Body, side: int, rng: np.random.Generator, posture: str = "stand") -> None:
        self.body = body
        self.side = side
        self.rng = rng
        if posture not in POSTURES:
            raise ValueError(f"unknown posture {posture!r}")
        self.t = 0.0
        self.impacts: list[Impact] = []
        self.spans: list[TruthSpan] = []
        self.reps: list[TruthRep] = []
        self.sets: list[TruthSet] = []
        self.toe_out_deg = rng.uniform(3.0, 12.0)
        # Side-lying: hip flexion, and adduction of the top thigh resting on the bottom one.
        self.lying_flex_deg = rng.uniform(30.0, 60.0)
        self.lying_adduction_deg = rng.uniform(4.0, 10.0)
        start = dict(CHANNELS, yaw=rng.uniform(-180.0, 180.0), pz=body.stand_hip_height_m,
                     tilt=rng.uniform(0.0, 10.0), rot=self.toe_out_deg)
        fx, fy = standing_hip_xy(0.0, 0.0, start["yaw"], side, body)
        start.update(fx=fx, fy=fy)
        if posture in ("lie-top", "lie-bottom"):
            start.update(self.lying_targets(posture))
        elif posture == "sit":
            start.update(self.sitting_targets())
        self.script = MotionScript(start)
        self.posture = posture

    # -- geometry helpers ------------------------------------------------

    def value(self, name: str) -> float:
        """Current target of a channel."""
        return self.script.value(name)

    @property
    def heading_deg(self) -> float:
        """Pelvis heading, deg."""
        return self.value("yaw") + self.value("twist")

    def axes(self) -> tuple[FloatArray, FloatArray]:
        """Forward and left unit vectors (x, y) of the current heading."""
        fwd = heading_vector(self.heading_deg)
        return fwd, np.array([-fwd[1], fwd[0]])

    def pelvis_xy(self) -> FloatArray:
        """Current pelvis position (x, y), m."""
        return np.array([self.value("px"), self.value("py")])

    def stance_foot(self, extra_m: float, pelvis_xy: FloatArray | None = None, heading: float | None = None) -> FloatArray:
        """Banded ankle (x, y) under its hip, ``extra_m`` further out, m."""
        p = self.pelvis_xy() if pelvis_xy is None else pelvis_xy
        h = self.heading_deg if heading is None else heading
        fwd = heading_vector(h)
        outward = self.side * np.array([-fwd[1], fwd[0]])
        return standing_hip_xy(p[0], p[1], h, self.side, self.body) + outward * extra_m

    def jitter(self, value: float, share: float = 0.1) -> float:
        """``value`` scaled by a random factor around 1 (lognormal, ``share`` spread)."""
        return value * float(np.exp(self.rng.normal(0.0, share)))

    # -- logging ---------------------------------------------------------

    def shock(self, t_s: float, kind: str, amplitude_g: float) -> None:
        """Log a contact shock at ``t_s`` (s), mostly up the thigh."""
        d = np.array([self.rng.normal(0.0, 0.25), self.rng.normal(0.0, 0.25), 1.0])
        if kind == "hand":
            d = self.rng.normal(0.0, 1.0, 3)
        d /= np.linalg.norm(d)
        self.impacts.append(
            Impact(t_s=t_s, amplitude_g=self.jitter(amplitude_g, 0.2), kind=kind,
                   direction=(float(d[0]), float(d[1]), float(d[2])),
                   width_s=self.rng.uniform(*_SHOCK_WIDTH_S[kind]))
        )

    def span(self, kind: str, start_s: float) -> None:
        """Log a non-exercise span from ``start_s`` to the cursor."""
        if self.t > start_s:
            self.spans.append(TruthSpan(kind=kind, start_s=start_s, end_s=self.t))

    def finish(self, kind: str, start_s: float, end_s: float, posture: str | None = None) -> None:
        """End a non-exercise activity: cursor to ``end_s`` (s), new posture if any, log the span."""
        self.t = end_s
        if posture is not None:
            self.posture = posture
        self.span(kind, start_s)

    # -- posture targets -------------------------------------------------

    def lying_targets(self, posture: str) -> dict[str, float]:
        """Channel values of side-lying, banded thigh on top (``lie-top``) or underneath."""
        up = 1 if posture == "lie-top" else -1
        return {
            "roll": up * self.side * 90.0,
            "tilt": 0.0,
            "pz": self.body.hip_width_m / 2 + 0.06,
            "stand": 0.0,
            "flex": self.lying_flex_deg,
            "abd": -self.lying_adduction_deg,
            "rot": 0.0,
        }

    def sitting_targets(self) -> dict[str, float]:
        """Channel values of sitting on a chair (thighs level, pelvis tilted back a little)."""
        tilt = -self.rng.uniform(0.0, 12.0)
        return {"roll": 0.0, "tilt": tilt, "pz": 0.52, "stand": 0.0, "flex": 90.0 + tilt,
                "abd": self.rng.uniform(0.0, 8.0), "rot": self.toe_out_deg}


# -- small helpers on the script ------------------------------------------------


def _pelvis_to(scene: Scene, t0: float, t1: float, xy: FloatArray, **other: float) -> None:
    scene.script.move(t0, t1, velocity=None, px=float(xy[0]), py=float(xy[1]), **other)


def _swing_foot(scene: Scene, t0: float, t1: float, target: FloatArray, lift_m: float,
                bulge: FloatArray | None = None) -> None:
    """Swing the banded ankle to ``target`` (x, y), lifted ``lift_m`` at mid-swing.

    ``bulge`` (x, y, m) bends the path outwards at mid-swing (diagonal steps).
    """
    mid = 0.5 * (t0 + t1)
    if bulge is None:
        scene.script.move(t0, t1, fx=float(target[0]), fy=float(target[1]))
    else:
        start = np.array([scene.value("fx"), scene.value("fy")])
        via = 0.5 * (start + target) + bulge
        scene.script.move(t0, mid, fx=float(via[0]), fy=float(via[1]))
        scene.script.move(mid, t1, fx=float(target[0]), fy=float(target[1]))
    scene.script.move(t0, mid, lift=lift_m)
    scene.script.move(mid, t1, lift=0.0)


# -- still and fidgeting ---------------------------------------------------------


def hold_still(scene: Scene, duration_s: float) -> None:
    """Stay in the current posture with postural sway (a few mm of the pelvis)."""
    start, end = scene.t, scene.t + duration_s
    amp = 0.004 if scene.posture == "stand" else 0.0015
    base = scene.pelvis_xy()
    t = start
    while end - t > 0.8:
        d = min(scene.rng.uniform(1.0, 3.0), end - t)
        _pelvis_to(scene, t, t + d, base + scene.rng.normal(0.0, amp, 2))
        t += d
    scene.finish("still", start, end)


def step_around(scene: Scene, turn_deg: float, kind: str) -> None:
    """Shuffle on the spot, turning ``turn_deg`` (deg) in small steps; the banded foot steps last."""
    start = scene.t
    steps = max(2, int(np.ceil(abs(turn_deg) / 60.0)) * 2)
    banded_first = steps % 2 == 1
    t = scene.t
    for k in range(steps):
        d = scene.rng.uniform(0.45, 0.8)
        banded = (k % 2 == 0) == banded_first
        new_yaw = scene.value("yaw") + turn_deg / steps
        scene.script.move(t, t + d, yaw=new_yaw)
        if banded:
            _swing_foot(scene, t, t + d, scene.stance_foot(0.0, heading=new_yaw + scene.value("twist")),
                        scene.rng.uniform(0.02, 0.05))
        scene.shock(t + d, "own" if banded else "contra", scene.rng.uniform(0.1, 0.3))
        t += d + scene.rng.uniform(0.0, 0.3)
    scene.finish(kind, start, t)


def weight_shift(scene: Scene) -> None:
    """Lean onto one leg, stay a moment, come back."""
    start = scene.t
    _, left = scene.axes()
    base = scene.pelvis_xy()
    d1, hold, d2 = scene.rng.uniform(0.8, 1.5), scene.rng.uniform(1.0, 3.0), scene.rng.uniform(0.8, 1.5)
    _pelvis_to(scene, start, start + d1, base + left * scene.rng.choice((-1.0, 1.0)) * scene.rng.uniform(0.03, 0.06))
    _pelvis_to(scene, start + d1 + hold, start + d1 + hold + d2, base)
    scene.finish("weight-shift", start, start + d1 + hold + d2)


def adjust_band(scene: Scene) -> None:
    """Bend down to the band, tug it round the thigh (it slips), stand back up."""
    start = scene.t
    fwd, _ = scene.axes()
    base = scene.pelvis_xy()
    pz, tilt = scene.value("pz"), scene.value("tilt")
    down, fiddle, up = scene.rng.uniform(0.9, 1.5), scene.rng.uniform(1.5, 4.0), scene.rng.uniform(0.9, 1.5)
    _pelvis_to(scene, start, start + down, base - fwd * 0.08, pz=pz - 0.08, tilt=tilt + scene.rng.uniform(40.0, 60.0))
    t = start + down
    slip_end = t + fiddle * scene.rng.uniform(0.3, 0.8)
    scene.script.shift(t + 0.2, slip_end, spin=scene.rng.uniform(-25.0, 25.0))
    for _ in range(int(scene.rng.integers(2, 5))):
        scene.shock(scene.rng.uniform(t, t + fiddle), "hand", scene.rng.uniform(0.1, 0.3))
    t += fiddle
    _pelvis_to(scene, t, t + up, base, pz=pz, tilt=tilt)
    scene.finish("band-adjust", start, t + up)


def fidget(scene: Scene, budget_s: float) -> None:
    """A few random fidgets fitting roughly in ``budget_s`` (s), in the current posture."""
    end = scene.t + budget_s
    while end - scene.t > 3.0:
        if scene.posture != "stand":
            shift_position(scene)
        else:
            choice = scene.rng.integers(3)
            if choice == 0:
                step_around(scene, scene.rng.uniform(-30.0, 30.0), "shuffle")
            elif choice == 1:
                weight_shift(scene)
            else:
                adjust_band(scene)
        hold_still(scene, scene.rng.uniform(2.0, 6.0))


def shift_position(scene: Scene) -> None:
    """Sitting or lying: settle the legs and pelvis a little (a few degrees)."""
    start = scene.t
    d = scene.rng.uniform(0.8, 2.0)
    changes = {name: scene.value(name) + scene.rng.normal(0.0, 3.0) for name in ("flex", "abd", "roll")}
    scene.script.move(start, start + d, velocity=None, **changes)
    scene.finish("shift-position", start, start + d)


# -- posture transitions ---------------------------------------------------------


def _standing_stance(scene: Scene, pelvis_xy: FloatArray) -> dict[str, float]:
    foot = scene.stance_foot(0.0, pelvis_xy=pelvis_xy)
    return {"fx": float(foot[0]), "fy": float(foot[1])}


def lie_down(scene: Scene, banded_up: bool = True) -> None:
    """Standing to lying on the side: squat, sit on the floor, lie down."""
    start = scene.t
    fwd, _ = scene.axes()
    base = scene.pelvis_xy()
    d1, d2, d3 = scene.rng.uniform(1.2, 2.0), scene.rng.uniform(1.2, 2.0), scene.rng.uniform(1.5, 2.5)
    t1, t2, t3 = start + d1, start + d1 + d2, start + d1 + d2 + d3
    _pelvis_to(scene, start, t1, base - fwd * 0.15, pz=0.55, tilt=35.0)
    _pelvis_to(scene, t1, t2, base - fwd * 0.3, pz=0.15, tilt=-5.0)
    scene.script.move(t1, t2, stand=0.0, flex=70.0, abd=10.0)
    scene.shock(t2, "body", scene.rng.uniform(0.2, 0.5))
    lying = scene.lying_targets("lie-top" if banded_up else "lie-bottom")
    scene.script.shift(t2, t3, yaw=scene.rng.uniform(-30.0, 30.0))
    scene.script.move(t2, t3, velocity=None, **lying)
    scene.shock(t3, "body", scene.rng.uniform(0.2, 0.5))
    scene.finish("lie-down", start, t3, "lie-top" if banded_up else "lie-bottom")


def get_up(scene: Scene) -> None:
    """Lying or sitting to standing: sit up, feet under, squat, stand."""
    start = scene.t
    d1, d2, d3 = scene.rng.uniform(1.2, 2.0), scene.rng.uniform(1.0, 1.6), scene.rng.uniform(1.2, 2.0)
    t1, t2, t3 = start + d1, start + d1 + d2, start + d1 + d2 + d3
    yaw = scene.value("yaw") + scene.rng.uniform(-30.0, 30.0)
    scene.script.move(start, t1, roll=0.0, tilt=-5.0, pz=0.2, flex=70.0, abd=10.0, yaw=yaw)
    fwd = heading_vector(yaw)
    final = scene.pelvis_xy() + fwd * 0.3
    scene.script.move(start, t1, velocity=None, **_standing_stance(scene, final))
    _pelvis_to(scene, t1, t2, final - fwd * 0.25, pz=0.55, tilt=35.0)
    scene.script.move(t1, t2, stand=1.0)
    _pelvis_to(scene, t2, t3, final, pz=scene.body.stand_hip_height_m, tilt=scene.rng.uniform(0.0, 10.0))
    scene.script.move(t2, t3, rot=scene.toe_out_deg, flex=0.0, abd=0.0)
    scene.finish("get-up", start, t3, "stand")


def sit_down(scene: Scene) -> None:
    """Standing to sitting on a chair behind."""
    start = scene.t
    fwd, _ = scene.axes()
    d = scene.rng.uniform(1.5, 2.5)
    mid = start + 0.6 * d
    seat = scene.sitting_targets()
    _pelvis_to(scene, start, mid, scene.pelvis_xy() - fwd * 0.15, pz=0.65, tilt=30.0)
    scene.script.move(start, mid, stand=0.4, flex=45.0)
    _pelvis_to(scene, mid, start + d, scene.pelvis_xy() - fwd * 0.1, pz=seat.pop("pz"), tilt=seat.pop("tilt"))
    scene.script.move(mid, start + d, velocity=None, **seat)
    scene.shock(start + d, "body", scene.rng.uniform(0.2, 0.4))
    scene.finish("sit-down", start, start + d, "sit")


def stand_up(scene: Scene) -> None:
    """Sitting on a chair to standing."""
    start = scene.t
    fwd, _ = scene.axes()
    d = scene.rng.uniform(1.5, 2.5)
    mid = start + 0.4 * d
    final = scene.pelvis_xy() + fwd * 0.25
    scene.script.move(start, mid, velocity=None, **_standing_stance(scene, final))
    _pelvis_to(scene, start, mid, scene.pelvis_xy() + fwd * 0.1, pz=0.62, tilt=35.0)
    scene.script.move(start, mid, stand=0.6)
    _pelvis_to(scene, mid, start + d, final, pz=scene.body.stand_hip_height_m, tilt=scene.rng.uniform(0.0, 10.0))
    scene.script.move(mid, start + d, stand=1.0, flex=0.0, abd=0.0, rot=scene.toe_out_deg)
    scene.finish("stand-up", start, start + d, "stand")


def to_posture(scene: Scene, posture: str) -> None:
    """Get from the current posture to ``posture`` (via standing)."""
    if scene.posture == posture:
        return
    if scene.posture == "sit":
        stand_up(scene)
    elif scene.posture != "stand":
        get_up(scene)
    if posture == "sit":
        sit_down(scene)
    elif posture in ("lie-top", "lie-bottom"):
        lie_down(scene, banded_up=posture == "lie-top")
        hold_still(scene, scene.rng.uniform(1.0, 2.5))


# -- gait ------------------------------------------------------------------------


def walk(scene: Scene, steps: int, style: WalkStyle) -> None:
    """Normal walking straight ahead: heel strikes, pelvis bob, sway and twist."""
    start = scene.t
    fwd, left = scene.axes()
    origin = scene.pelvis_xy()
    banded_foot = np.array([scene.value("fx"), scene.value("fy")]) - origin
    lateral = float(banded_foot @ left)
    along = {"banded": float(banded_foot @ fwd), "other": 0.0}
    height = scene.body.ankle_m + 0.97 * np.sqrt((scene.body.thigh_m + scene.body.shank_m) ** 2 - (style.step_m / 2) ** 2)
    speed = style.step_m / style.period_s
    leg = "banded" if scene.rng.random() < 0.5 else "other"
    t, pelvis_along = start, 0.0
    for k in range(steps):
        d = scene.jitter(style.period_s, 0.05)
        last = k == steps - 1
        other = "other" if leg == "banded" else "banded"
        new = along[other] + (0.0 if last else style.step_m)
        if leg == "banded":
            swing0 = t + d - 0.8 * style.period_s
            if k >= 1:
                # Heel rise: the trailing ankle lifts and rolls forward over the toes before toe-off.
                heel = np.array([scene.value("fx"), scene.value("fy")]) + fwd * 0.12
                scene.script.move(swing0 - 0.35 * style.period_s, swing0, fx=float(heel[0]), fy=float(heel[1]),
                                  lift=0.08)
            _swing_foot(scene, swing0, t + d, origin + fwd * new + left * lateral, style.lift_m)
        along[leg] = new
        stance_sign = scene.side if leg == "other" else -scene.side
        mid_along = 0.5 * (pelvis_along + 0.5 * (along["banded"] + along["other"]))
        mid_v = speed * (0.5 if k == 0 or last else 1.0)
        mid_xy = origin + fwd * mid_along + left * stance_sign * style.sway_m
        pelvis_along = 0.5 * (along["banded"] + along["other"])
        end_xy = origin + fwd * pelvis_along
        vel = {"px": float(fwd[0] * mid_v), "py": float(fwd[1] * mid_v)}
        scene.script.move(t, t + d / 2, velocity=vel, px=float(mid_xy[0]), py=float(mid_xy[1]),
                          pz=height + 0.01, twist=0.0)
        end_v = 0.0 if last else speed
        scene.script.move(t + d / 2, t + d, velocity={"px": float(fwd[0] * end_v), "py": float(fwd[1] * end_v)},
                          px=float(end_xy[0]), py=float(end_xy[1]), pz=height - 0.015,
                          twist=0.0 if last else (4.0 if leg == "banded" else -4.0) * -scene.side)
        scene.shock(t + d, "own" if leg == "banded" else "contra", style.own_g if leg == "banded" else style.contra_g)
        t += d
        leg = other
    end = t + 0.5
    scene.script.move(t, end, pz=scene.body.stand_hip_height_m)
    scene.finish("walk", start, end)


# -- the exercises -----------------------------------------------------------------


def _tempo_factor(scene: Scene, k: int, n: int, drift: float) -> float:
    return (1.0 + drift * k / max(1, n - 1)) * float(np.exp(scene.rng.normal(0.0, 0.07)))


def clamshell_set(scene: Scene, reps: int, style: ClamshellStyle, set_index: int) -> None:
    """A set of clamshells lying on the side, band on the top thigh.

    Each rep opens the thigh about the hip-to-ankle axis by its ROM
    (minimum-jerk), holds, closes back to the start angle, and pauses.
    ``rom_deg`` is filled in later from the rendered pose (see the scenario).
    """
    to_posture(scene, "lie-top")
    first = len(scene.reps)
    base_twist = scene.value("twist")
    for k in range(reps):
        rom = style.rom_deg * (1.0 - style.fatigue * k / max(1, reps - 1)) * scene.jitter(1.0, 0.04)
        if scene.rng.random() < style.partial_share:
            rom *= scene.rng.uniform(0.35, 0.55)
        rom = max(rom, 12.0)
        m = _tempo_factor(scene, k, reps, style.drift)
        open_s, close_s = style.open_s * m, style.close_s * m
        hold = style.hold_s * scene.rng.uniform(0.7, 1.3) if style.hold_s > 0 else 0.0
        t0 = scene.t
        t_top, t_close = t0 + open_s, t0 + open_s + hold
        t_end = t_close + close_s
        comp = scene.side * style.compensation * rom
        scene.script.move(t0, t_top, clam=rom, twist=base_twist + comp)
        scene.script.move(t_close, t_end, clam=0.0, twist=base_twist)
        scene.reps.append(
            TruthRep(index=len(scene.reps) + 1, set=set_index, start_s=t0, end_s=t_end, peak_s=t0 + open_s + hold / 2,
                     open_s=MIN_JERK_TAU90 * open_s, close_s=MIN_JERK_TAU90 * close_s,
                     hold_s=hold + (1.0 - MIN_JERK_TAU90) * (open_s + close_s))
        )
        scene.t = t_end + style.pause_s * scene.rng.uniform(0.5, 1.5)
    scene.sets.append(TruthSet(index=set_index, exercise="clamshell", start_s=scene.reps[first].start_s,
                               end_s=scene.reps[-1].end_s, count=reps))


def _squat_down(scene: Scene, style: WalkStyle) -> None:
    """Step the banded foot out to a wide stance and sink into the squat."""
    start = scene.t
    d_step, d_sink = scene.rng.uniform(0.5, 0.8), scene.rng.uniform(0.8, 1.3)
    _swing_foot(scene, start, start + d_step, scene.stance_foot(style.stance_m), style.lift_m)
    scene.shock(start + d_step, "own", 0.5 * style.own_g)
    a, b = scene.body.thigh_m, scene.body.shank_m
    reach = np.sqrt(a * a + b * b + 2 * a * b * np.cos(np.radians(style.knee_deg)))
    out = style.stance_m
    height = scene.body.ankle_m + float(np.sqrt(reach * reach - out * out))
    scene.script.move(start + d_step, start + d_step + d_sink, pz=height, tilt=style.tilt_deg,
                      rot=scene.toe_out_deg + style.knee_out_deg)
    scene.finish("squat-down", start, start + d_step + d_sink)


def _squat_up(scene: Scene) -> None:
    """Rise from the squat and bring the banded foot back under the hip."""
    start = scene.t
    d_rise, d_step = scene.rng.uniform(0.8, 1.3), scene.rng.uniform(0.5, 0.8)
    scene.script.move(start, start + d_rise, pz=scene.body.stand_hip_height_m, tilt=scene.rng.uniform(0.0, 10.0),
                      rot=scene.toe_out_deg)
    end = start + d_rise + d_step
    _swing_foot(scene, start + d_rise, end, scene.stance_foot(0.0), 0.03)
    scene.shock(end, "own", 0.3)
    scene.finish("squat-up", start, end)


def lateral_walk_set(scene: Scene, cycles: int, style: WalkStyle, set_index: int, directions: list[str]) -> None:
    """A set of lateral band walk step cycles, one travel direction per cycle (``right``/``left``).

    See the module notes for how leading and trailing differ.
    """
    to_posture(scene, "stand")
    _squat_down(scene, style)
    leg_name = "right" if scene.side < 0 else "left"
    first = len(scene.reps)
    _, left = scene.axes()
    for k in range(cycles):
        if k and directions[k] != directions[k - 1]:
            hold_still(scene, scene.rng.uniform(1.0, 2.5))
        toward = -left if directions[k] == "right" else left
        banded_leads = directions[k] == leg_name
        step = scene.jitter(style.step_m, 0.08)
        period = style.period_s * _tempo_factor(scene, k, cycles, style.drift)
        t0 = scene.t
        lead = period * scene.rng.uniform(0.36, 0.44)
        t_b = t0 + lead + period * scene.rng.uniform(0.04, 0.1)
        trail_end = t_b + period * scene.rng.uniform(0.34, 0.42)
        p0 = scene.pelvis_xy()
        _pelvis_to(scene, t0 + 0.2 * lead, t_b, p0 + toward * 0.4 * step)
        _pelvis_to(scene, t_b, trail_end + 0.5 * (t0 + period - trail_end), p0 + toward * step)
        foot = np.array([scene.value("fx"), scene.value("fy")]) + toward * step
        swing = (t0, t0 + lead) if banded_leads else (t_b, trail_end)
        _swing_foot(scene, swing[0], swing[1], foot, scene.jitter(style.lift_m, 0.1))
        scene.shock(t0 + lead, "own" if banded_leads else "contra", style.own_g if banded_leads else style.contra_g)
        scene.shock(trail_end, "contra" if banded_leads else "own", style.contra_g if banded_leads else style.own_g)
        scene.reps.append(TruthRep(index=len(scene.reps) + 1, set=set_index, start_s=swing[0], end_s=swing[1],
                                   direction=directions[k]))
        scene.t = t0 + period
    runs = [d for i, d in enumerate(directions) if i == 0 or d != directions[i - 1]]
    scene.sets.append(TruthSet(index=set_index, exercise="lateral-walk", start_s=scene.reps[first].start_s,
                               end_s=scene.reps[-1].end_s, count=cycles, direction="+".join(runs)))
    hold_still(scene, scene.rng.uniform(0.3, 1.0))
    _squat_up(scene)


def monster_walk_set(scene: Scene, steps: int, style: WalkStyle, set_index: int, direction: str) -> None:
    """A set of monster-walk steps (both legs, alternating), ``forward`` or ``backward``.

    The banded thigh flexes (forward) or extends (backward) and abducts a
    little during its own swing; the other leg's swings show only as pelvis
    travel over the planted banded foot and as the other foot's strikes.
    """
    to_posture(scene, "stand")
    _squat_down(scene, style)
    sign = 1.0 if direction == "forward" else -1.0
    fwd, left = scene.axes()
    origin = scene.pelvis_xy()
    banded_out = scene.side * left
    along = {"banded": 0.0, "other": 0.0}
    leg = "banded" if scene.rng.random() < 0.5 else "other"
    first, strides = len(scene.reps), 0
    for k in range(steps):
        other = "other" if leg == "banded" else "banded"
        last = k == steps - 1
        new = along[other] + (0.0 if last else sign * style.step_m / 2)
        period = style.period_s * _tempo_factor(scene, k, steps, style.drift)
        t0 = scene.t
        t1 = t0 + period * scene.rng.uniform(0.55, 0.7)
        if leg == "banded":
            foot = np.array([scene.value("fx"), scene.value("fy")]) + fwd * (new - along["banded"])
            _swing_foot(scene, t0, t1, foot, scene.jitter(style.lift_m, 0.1),
                        bulge=banded_out * scene.jitter(style.diagonal_m, 0.15))
            strides += 1
        along[leg] = new
        stance_out = -banded_out if leg == "banded" else banded_out
        centre = 0.5 * (along["banded"] + along["other"])
        mid = origin + fwd * 0.5 * (centre + float((scene.pelvis_xy() - origin) @ fwd)) + stance_out * style.sway_m
        _pelvis_to(scene, t0, 0.5 * (t0 + t1), mid)
        _pelvis_to(scene, 0.5 * (t0 + t1), t0 + 0.9 * period, origin + fwd * centre)
        scene.shock(t1, "own" if leg == "banded" else "contra", style.own_g if leg == "banded" else style.contra_g)
        scene.reps.append(TruthRep(index=len(scene.reps) + 1, set=set_index, start_s=t0, end_s=t1, leg=leg,
                                   direction=direction))
        scene.t = t0 + period
        leg = other
    scene.sets.append(TruthSet(index=set_index, exercise="monster-walk", start_s=scene.reps[first].start_s,
                               end_s=scene.reps[-1].end_s, count=steps, strides=strides, direction=direction))
    hold_still(scene, scene.rng.uniform(0.3, 1.0))
    _squat_up(scene)
