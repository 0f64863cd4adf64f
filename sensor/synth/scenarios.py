"""Whole synthetic sessions: configuration, what the person does, what the band records.

:func:`simulate` turns one :class:`SimulationConfig` into a recording with
exact ground truth; :func:`simulate_session` strings several configurations
(sets of different exercises, distractors) into one session. Both run in two
stages that tests can use separately: :func:`perform` (the person and the
band's placement: a :class:`Performance` with the body's motion and the
truth) and :func:`record` (the band sampling it).

Everything random comes from ``numpy.random.Generator`` streams spawned from
the seed, one per concern (person, mounting, sensor, clock, actions, noise),
so fixing one knob in the configuration does not reshuffle the others.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from sensor.errors import RecordingFormatError, UsageError
from sensor.synth import activities as act
from sensor.synth.imu_model import Band, Impact, SensorErrors, SoftTissue, render
from sensor.synth.kinematics import Body, Mount, Pose, pose
from sensor.synth.sampling import Timing, sample_times
from sensor.synth.trajectory import Motion
from sensor.synth.truth import Truth, TruthImpact, TruthRep, truth_path_for, write_truth
from sensor.types import SampleBlock

#: Scenarios with something to count.
EXERCISES = ("clamshell", "lateral-walk", "monster-walk")
#: Scenarios whose true count is 0.
DISTRACTORS = ("still", "lying", "walk-forward", "fidget")
#: Most reps in one set: far past any prescription, and it bounds a recording's length (10-20 min a set).
MAX_REPS = 200
_DIRECTIONS = {"lateral-walk": ("right", "left", "both"), "monster-walk": ("forward", "backward")}
_STREAMS = ("person", "mount", "sensor", "clock", "actions", "noise")


@dataclass(frozen=True, kw_only=True, slots=True)
class SimulationConfig:
    """What to simulate. Knobs left at None are drawn from the seed.

    Parameters
    ----------
    exercise : str
        One of :data:`EXERCISES` or :data:`DISTRACTORS`.
    reps : int
        Per set, 1 to 200: clamshell reps, lateral-walk step cycles, or
        monster-walk steps of both legs (rounded up to even). Ignored by
        distractors.
    sets : int
        1 to 4.
    rate_hz : float
        Nominal sample rate, 25 to 200 Hz.
    seed : int
        Seed of every random choice.
    leg : str
        ``right`` or ``left``: the thigh wearing the band.
    has_gyro : bool
        Record gyroscope columns.
    mount_rotation_deg, mount_tilt_deg : float or None
        Band angle around the thigh from its lateral side (0–360) and its tilt
        on the strap (0–15 typical), deg.
    noise_scale : float
        Multiplies every sensor error (noise, bias, scale error, bias drift);
        1 is a typical consumer IMU, 0 an ideal one (quantisation stays).
    impact_scale : float
        Multiplies foot-strike and contact shocks (0: none).
    tempo_s : float or None
        Clamshell rep period, lateral-walk cycle or monster-walk step, s.
    hold_s : float or None
        Clamshell hold at the top, s (0–5).
    partial_share : float or None
        Clamshell: chance of a partial rep, 0–1.
    fatigue : float or None
        Clamshell: share of ROM lost by the end of a set, 0–0.6.
    lead_in : bool
        Start standing and get into position (lie down, squat), and get up
        at the end; otherwise start and end in the exercise posture.
    rest_s : float or None
        Rest between sets, s (at least 12, above the 10 s set gap).
    fidget : bool
        Fidget during rests (shuffles, weight shifts, band adjustments,
        shifting position while lying).
    drop_rate : float or None
        Share of radio packets lost, 0 to 0.5.
    timestamp_jitter_s : float or None
        Standard deviation of timestamp noise, s.
    direction : str or None
        Lateral walk: ``right``, ``left`` or ``both`` (out and back in each
        set); monster walk: ``forward`` or ``backward``.
    duration_s : float or None
        Distractors: length of the activity, s.
    """

    exercise: str
    reps: int = 12
    sets: int = 1
    rate_hz: float = 52.0
    seed: int = 0
    leg: str = "right"
    has_gyro: bool = True
    mount_rotation_deg: float | None = None
    mount_tilt_deg: float | None = None
    noise_scale: float = 1.0
    impact_scale: float = 1.0
    tempo_s: float | None = None
    hold_s: float | None = None
    partial_share: float | None = None
    fatigue: float | None = None
    lead_in: bool = True
    rest_s: float | None = None
    fidget: bool = True
    drop_rate: float | None = None
    timestamp_jitter_s: float | None = None
    direction: str | None = None
    duration_s: float | None = None

    def __post_init__(self) -> None:
        checks: list[tuple[bool, str]] = [
            (self.exercise in EXERCISES + DISTRACTORS,
             f"unknown exercise {self.exercise!r} (expected one of {', '.join(EXERCISES + DISTRACTORS)})"),
            (int(self.reps) == self.reps and 1 <= self.reps <= MAX_REPS,
             f"reps must be a whole number from 1 to {MAX_REPS}, got {self.reps}"),
            (int(self.sets) == self.sets and 1 <= self.sets <= 4, f"sets must be 1 to 4, got {self.sets}"),
            (25.0 <= self.rate_hz <= 200.0, f"rate must be 25 to 200 Hz, got {self.rate_hz:g}"),
            (self.leg in ("right", "left"), f"leg must be 'right' or 'left', got {self.leg!r}"),
            (self.noise_scale >= 0.0 and self.impact_scale >= 0.0, "noise_scale and impact_scale must be >= 0"),
            (self.tempo_s is None or 0.3 <= self.tempo_s <= 20.0, f"tempo_s must be 0.3 to 20 s, got {self.tempo_s}"),
            (self.hold_s is None or 0.0 <= self.hold_s <= 10.0, f"hold_s must be 0 to 10 s, got {self.hold_s}"),
            (self.partial_share is None or 0.0 <= self.partial_share <= 1.0, "partial_share must be 0 to 1"),
            (self.fatigue is None or 0.0 <= self.fatigue <= 0.6, "fatigue must be 0 to 0.6"),
            (self.rest_s is None or self.rest_s >= 12.0, f"rest_s must be at least 12 s, got {self.rest_s}"),
            (self.drop_rate is None or 0.0 <= self.drop_rate < 0.5, "drop_rate must be 0 to 0.5"),
            (self.timestamp_jitter_s is None or self.timestamp_jitter_s >= 0.0, "timestamp_jitter_s must be >= 0"),
            (self.direction is None or self.direction in _DIRECTIONS.get(self.exercise, ()),
             f"direction {self.direction!r} does not apply to {self.exercise}"),
            (self.duration_s is None or self.duration_s >= 5.0, "duration_s must be at least 5 s"),
        ]
        for ok, message in checks:
            if not ok:
                raise UsageError(message)

    def with_(self, **changes: Any) -> SimulationConfig:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class SyntheticRecording:
    """A synthetic recording and its ground truth.

    Parameters
    ----------
    samples : SampleBlock
        Timestamps (s), specific force (m/s²), angular rate (deg/s or None).
    truth : Truth
        Exact ground truth.
    metadata : dict
        Metadata for the v1 file (band ``synthetic``, rate_hz, leg, exercise,
        seed, has_gyro, scenario).
    """

    samples: SampleBlock
    truth: Truth
    metadata: dict[str, Any]

    def write(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> tuple[pathlib.Path, pathlib.Path]:
        """Write the v1 recording to ``path`` and its truth sidecar next to it.

        Returns
        -------
        tuple of pathlib.Path
            The recording and the sidecar.

        Raises
        ------
        RecordingFormatError
            If either file exists and ``overwrite`` is false, or cannot be written.
        """
        from sensor.recording.v1 import RecordingWriter

        sidecar = truth_path_for(path)
        # Check the sidecar first so a refusal leaves no half-written pair behind.
        if sidecar.exists() and not overwrite:
            raise RecordingFormatError(f"{sidecar}: already exists (not overwriting)")
        with RecordingWriter(path, self.metadata, self.samples.has_gyro, overwrite=overwrite) as writer:
            writer.write_block(self.samples)
        return pathlib.Path(path), write_truth(sidecar, self.truth, overwrite=overwrite)


@dataclass(frozen=True)
class Performance:
    """A session as performed, before the band samples it.

    Parameters
    ----------
    motion : Motion
        The body's channels over time.
    impacts : tuple of Impact
        Contact shocks.
    band : Band
        Band, wearer and mounting.
    timing : Timing
        The band's clock and link.
    truth : Truth
        Ground truth.
    """

    motion: Motion
    impacts: tuple[Impact, ...]
    band: Band
    timing: Timing
    truth: Truth

    def pose(self, t: np.ndarray) -> Pose:
        """Exact pose of pelvis, thigh and band at times ``t`` (s)."""
        b = self.band
        return pose(self.motion.sample(np.asarray(t, dtype=np.float64)), b.side, b.body, b.mount)

    def band_rotation(self, t: np.ndarray) -> Rotation:
        """Band frame to world at times ``t`` (s)."""
        return self.pose(t).band


def _streams(seed: int) -> dict[str, np.random.Generator]:
    if not (int(seed) == seed and seed >= 0):
        raise UsageError(f"seed must be a whole number from 0 up, got {seed}")
    children = np.random.SeedSequence(int(seed)).spawn(len(_STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(_STREAMS, children)}


def _start_posture(config: SimulationConfig, rng: np.random.Generator) -> str:
    if config.lead_in:
        return "stand"
    if config.exercise == "clamshell":
        return "lie-top"
    if config.exercise == "lying":
        return str(rng.choice(("lie-top", "lie-bottom")))
    if config.exercise == "still":
        return str(rng.choice(("stand", "sit")))
    return "stand"


def _rest(scene: act.Scene, config: SimulationConfig, turn_back: bool) -> None:
    """A rest between sets: stay put, fidget if the config allows, maybe turn round."""
    rng = scene.rng
    duration = config.rest_s if config.rest_s is not None else rng.uniform(15.0, 40.0)
    end = scene.t + duration
    if turn_back:
        act.step_around(scene, 180.0 * rng.choice((-1.0, 1.0)), "turn")
    if config.fidget:
        act.fidget(scene, 0.5 * (end - scene.t))
    act.hold_still(scene, max(1.0, end - scene.t))


def _lateral_directions(config: SimulationConfig, rng: np.random.Generator) -> list[str]:
    choice = config.direction or str(rng.choice(("right", "left", "both")))
    if choice != "both" or config.reps < 2:
        single = choice if choice != "both" else str(rng.choice(("right", "left")))
        return [single] * config.reps
    first = str(rng.choice(("right", "left")))
    second = "left" if first == "right" else "right"
    half = config.reps // 2
    return [first] * half + [second] * (config.reps - half)


def _exercise(scene: act.Scene, config: SimulationConfig, set_index: int) -> int:
    """Perform the sets of one exercise configuration; return the last set index used."""
    rng = scene.rng
    if config.exercise == "clamshell":
        clam_style = act.ClamshellStyle.draw(rng, tempo_s=config.tempo_s, hold_s=config.hold_s,
                                             partial_share=config.partial_share, fatigue=config.fatigue)
        for k in range(config.sets):
            if k:
                _rest(scene, config, turn_back=False)
            set_index += 1
            act.clamshell_set(scene, config.reps, clam_style, set_index)
    elif config.exercise == "lateral-walk":
        style = act.WalkStyle.lateral(rng, config.tempo_s)
        for k in range(config.sets):
            if k:
                _rest(scene, config, turn_back=False)
            set_index += 1
            act.lateral_walk_set(scene, config.reps, style, set_index, _lateral_directions(config, rng))
    else:
        style = act.WalkStyle.monster(rng, config.tempo_s)
        direction = config.direction or ("forward" if rng.random() < 0.7 else "backward")
        for k in range(config.sets):
            if k:
                _rest(scene, config, turn_back=bool(rng.random() < 0.5))
            set_index += 1
            act.monster_walk_set(scene, config.reps + config.reps % 2, style, set_index, direction)
    return set_index


def _distractor(scene: act.Scene, config: SimulationConfig) -> None:
    """Fill the configured duration with movement that must count 0."""
    rng = scene.rng
    duration = config.duration_s if config.duration_s is not None else rng.uniform(30.0, 75.0)
    end = scene.t + duration
    if config.exercise == "still":
        if config.lead_in:
            act.to_posture(scene, str(rng.choice(("stand", "sit"))))
    elif config.exercise == "lying":
        act.to_posture(scene, scene.posture if scene.posture != "stand" else str(rng.choice(("lie-top", "lie-bottom"))))
        while config.fidget and end - scene.t > 15.0:
            act.hold_still(scene, rng.uniform(5.0, 10.0))
            act.shift_position(scene)
    elif config.exercise == "walk-forward":
        style = act.WalkStyle.gait(rng)
        while end - scene.t > 8.0:
            act.walk(scene, int(rng.integers(8, 21)), style)
            act.step_around(scene, 180.0 * rng.choice((-1.0, 1.0)), "turn")
    else:
        act.to_posture(scene, "stand")
        act.fidget(scene, end - scene.t)
    act.hold_still(scene, max(1.0, end - scene.t))


def _finish_reps(reps: list[TruthRep], motion: Motion, band: Band) -> tuple[TruthRep, ...]:
    """Fill in clamshell ROM from the exact pose and flag partial reps per set (design §1)."""
    clam = [i for i, r in enumerate(reps) if r.peak_s is not None]
    if not clam:
        return tuple(reps)
    times = np.array([reps[i].start_s for i in clam] + [reps[i].peak_s for i in clam])
    thigh = pose(motion.sample(times), band.side, band.body, band.mount).thigh
    # Gravity's direction seen from the thigh at the start and at the peak.
    up = thigh.inv().apply(np.tile([0.0, 0.0, 1.0], (times.shape[0], 1)))
    n = len(clam)
    rom = np.degrees(np.arccos(np.clip(np.sum(up[:n] * up[n:], axis=1), -1.0, 1.0)))
    sets = np.array([reps[i].set for i in clam])
    median = {s: float(np.median(rom[sets == s])) for s in set(sets.tolist())}
    out = list(reps)
    for i, value, s in zip(clam, rom, sets.tolist()):
        out[i] = dataclasses.replace(reps[i], rom_deg=float(value), partial=bool(value < 0.7 * median[s]))
    return tuple(out)


def perform(segments: list[SimulationConfig], seed: int) -> Performance:
    """Build the performed session: the person, the band's placement, the motion and the truth.

    Parameters
    ----------
    segments : list of SimulationConfig
        What happens, in order. Rate, leg, gyro, mounting, noise, shock
        scale, packet loss and jitter come from the first segment; lead-in
        from the first and lead-out from the last.
    seed : int
        Seed of the session.

    Returns
    -------
    Performance
    """
    if not segments:
        raise UsageError("a session needs at least one segment")
    first = segments[0]
    rng = _streams(seed)
    person = rng["person"]
    body = Body.draw(person)
    band = Band(
        side=-1 if first.leg == "right" else 1,
        body=body,
        mount=Mount.draw(rng["mount"], first.mount_rotation_deg, first.mount_tilt_deg),
        tissue=SoftTissue.draw(person),
        errors=SensorErrors.draw(rng["sensor"], first.noise_scale),
        rate_hz=float(first.rate_hz),
    )
    timing = Timing.draw(rng["clock"], float(first.rate_hz), first.timestamp_jitter_s, first.drop_rate)
    actions = rng["actions"]
    scene = act.Scene(body, band.side, actions, posture=_start_posture(first, actions))
    act.hold_still(scene, actions.uniform(2.0, 5.0) if first.lead_in else actions.uniform(1.0, 2.0))
    set_index = 0
    for i, config in enumerate(segments):
        if i:
            _rest(scene, config, turn_back=False)
        if config.exercise in EXERCISES:
            set_index = _exercise(scene, config, set_index)
        else:
            _distractor(scene, config)
    if segments[-1].lead_in:
        act.to_posture(scene, "stand")
        act.hold_still(scene, actions.uniform(2.0, 4.0))
    else:
        act.hold_still(scene, actions.uniform(1.0, 2.0))

    motion = scene.script.freeze()
    impacts = tuple(dataclasses.replace(i, amplitude_g=i.amplitude_g * first.impact_scale) for i in scene.impacts)
    names = {c.exercise for c in segments}
    monster = [s.strides for s in scene.sets if s.strides is not None]
    truth = Truth(
        exercise=names.pop() if len(names) == 1 else "mixed",
        leg=first.leg,
        rate_hz=float(first.rate_hz),
        has_gyro=bool(first.has_gyro),
        seed=int(seed),
        count=sum(s.count for s in scene.sets),
        strides=sum(monster) if monster else None,
        mount={"rotation_deg": round(float(band.mount.rotation_deg) % 360.0, 2),
               "tilt_deg": round(float(band.mount.tilt_deg), 2),
               "thigh_axis": band.mount.thigh_axis},
        sets=tuple(scene.sets),
        reps=_finish_reps(scene.reps, motion, band),
        distractors=tuple(scene.spans),
        impacts=tuple(TruthImpact(t_s=i.t_s, amplitude_g=i.amplitude_g, kind=i.kind)
                      for i in impacts if i.amplitude_g > 0),
    )
    return Performance(motion=motion, impacts=impacts, band=band, timing=timing, truth=truth)


def record(performance: Performance) -> SyntheticRecording:
    """Let the band sample a performed session.

    Parameters
    ----------
    performance : Performance
        From :func:`perform`.

    Returns
    -------
    SyntheticRecording
    """
    truth = performance.truth
    rng = _streams(truth.seed)
    instants, stamps = sample_times(0.0, performance.motion.end_s, performance.timing, rng["clock"])
    acc, gyro = render(performance.motion, list(performance.impacts), performance.band, instants, rng["noise"])
    scenario = truth.exercise
    metadata = {
        "band": "synthetic",
        "rate_hz": truth.rate_hz,
        "leg": truth.leg,
        "exercise": scenario if scenario in EXERCISES else "auto",
        "scenario": scenario,
        "seed": truth.seed,
        "has_gyro": truth.has_gyro,
    }
    return SyntheticRecording(
        samples=SampleBlock(stamps, acc, gyro if truth.has_gyro else None), truth=truth, metadata=metadata
    )


def simulate(config: SimulationConfig) -> SyntheticRecording:
    """Simulate one configuration: a recording and its exact ground truth.

    Parameters
    ----------
    config : SimulationConfig
        What to simulate (its ``seed`` seeds everything).

    Returns
    -------
    SyntheticRecording
    """
    return record(perform([config], config.seed))


def simulate_session(segments: list[SimulationConfig], seed: int) -> SyntheticRecording:
    """Simulate a session of several segments (e.g. sets of different exercises).

    Parameters
    ----------
    segments : list of SimulationConfig
        In order; rests (with fidgeting) separate them. See :func:`perform`
        for which settings come from the first segment. Segment seeds are
        not used: ``seed`` drives the whole session.
    seed : int
        Seed of the session.

    Returns
    -------
    SyntheticRecording
        ``truth.exercise`` is ``mixed`` when the segments differ.
    """
    return record(perform(segments, seed))

