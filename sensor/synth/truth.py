"""Ground truth of a synthetic recording and its ``NAME.truth.json`` sidecar.

For a recording ``NAME.csv`` the sidecar is ``NAME.truth.json`` in the same
folder. Version 1 holds::

    {"version": 1, "exercise": "clamshell", "leg": "right", "rate_hz": 52.0,
     "has_gyro": true, "seed": 3, "count": 24, "strides": null,
     "mount": {"rotation_deg": 123.0, "tilt_deg": 5.1, "thigh_axis": "+z"},
     "sets": [{"index": 1, "exercise": "clamshell", "start_s": 10.2, "end_s": 50.3, "count": 12}],
     "reps": [{"index": 1, "set": 1, "start_s": 10.2, "peak_s": 11.1, "end_s": 13.5,
               "rom_deg": 41.2, "open_s": 0.7, "hold_s": 1.0, "close_s": 0.9, "partial": false}],
     "distractors": [{"kind": "fidget", "start_s": 60.0, "end_s": 70.0}],
     "impacts": [{"t_s": 71.2, "amplitude_g": 0.9, "kind": "own"}]}

Rep keys that do not apply to an exercise are omitted: ``peak_s``,
``rom_deg``, ``open_s``, ``hold_s``, ``close_s``, ``partial`` (clamshell),
``direction`` (lateral walk: ``right`` or ``left`` in the person's frame),
``leg`` (monster walk: ``banded`` or ``other``). A set's ``strides`` and
``direction`` likewise. Times are seconds on the recording's time base.
"""

from __future__ import annotations

import json
import os
import pathlib
from dataclasses import dataclass, field, fields
from typing import Any

from sensor.errors import RecordingFormatError
from sensor.jsonfile import read_json_object

TRUTH_VERSION = 1
_SUFFIX = ".truth.json"


@dataclass(frozen=True, kw_only=True, slots=True)
class TruthRep:
    """One true rep (clamshell), step cycle (lateral walk) or step (monster walk).

    Parameters
    ----------
    index : int
        1-based position in the recording.
    set : int
        1-based index of the set it belongs to.
    start_s, end_s : float
        Clamshell: the thigh starts opening / is back at its start angle.
        Walks: start and end of the swing (banded thigh for lateral walks, the
        stepping leg for monster walks), s.
    peak_s : float, optional
        Clamshell: middle of the top hold (the moment of maximum angle when
        there is no hold), s.
    rom_deg : float, optional
        Clamshell: angle between the thigh's attitude to gravity at the start
        and at the peak, deg.
    open_s, hold_s, close_s : float, optional
        Clamshell tempo as design §2 defines it (90 % of the peak angle), s.
    partial : bool, optional
        Clamshell: ROM below 70 % of the set's median.
    direction : str, optional
        Lateral walk: travel direction in the person's frame, ``right`` or
        ``left``; monster walk: ``forward`` or ``backward``.
    leg : str, optional
        Monster walk: ``banded`` or ``other``.
    """

    index: int
    set: int
    start_s: float
    end_s: float
    peak_s: float | None = None
    rom_deg: float | None = None
    open_s: float | None = None
    hold_s: float | None = None
    close_s: float | None = None
    partial: bool | None = None
    direction: str | None = None
    leg: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TruthSet:
    """One true set.

    Parameters
    ----------
    index : int
        1-based.
    exercise : str
        ``clamshell``, ``lateral-walk`` or ``monster-walk``.
    start_s, end_s : float
        Start of the first rep and end of the last, s.
    count : int
        Reps, step cycles or steps in the set.
    strides : int, optional
        Monster walk: steps of the banded leg.
    direction : str, optional
        Lateral walk: travel directions in order, ``+``-joined (``right+left``);
        monster walk: ``forward`` or ``backward``.
    """

    index: int
    exercise: str
    start_s: float
    end_s: float
    count: int
    strides: int | None = None
    direction: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TruthSpan:
    """A stretch of movement that is not the exercise (must count 0).

    Parameters
    ----------
    kind : str
        What happens, e.g. ``lie-down``, ``get-up``, ``fidget``, ``walk``, ``still``.
    start_s, end_s : float
        Span, s.
    """

    kind: str
    start_s: float
    end_s: float


@dataclass(frozen=True, kw_only=True, slots=True)
class TruthImpact:
    """A contact shock (for finding why a step was missed).

    Parameters
    ----------
    t_s : float
        Moment of contact, s.
    amplitude_g : float
        Peak of the pulse at the bone, g.
    kind : str
        ``own``, ``contra``, ``body`` or ``hand``.
    """

    t_s: float
    amplitude_g: float
    kind: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Truth:
    """Everything known about a synthetic recording.

    Parameters
    ----------
    exercise : str
        Scenario name (an exercise, a distractor, or ``mixed``).
    leg : str
        ``right`` or ``left``: the thigh wearing the band.
    rate_hz : float
        Nominal sample rate, Hz.
    has_gyro : bool
        Whether the recording carries gyroscope columns.
    seed : int
        Seed the recording was generated from.
    count : int
        Total count over all sets (0 for distractors).
    strides : int or None
        Monster walk: total steps of the banded leg; None otherwise.
    mount : dict
        ``rotation_deg`` (around the thigh from its lateral side), ``tilt_deg``, ``thigh_axis``.
    sets, reps, distractors, impacts : tuple
        See :class:`TruthSet`, :class:`TruthRep`, :class:`TruthSpan`, :class:`TruthImpact`.
    version : int
        Sidecar format version.
    """

    exercise: str
    leg: str
    rate_hz: float
    has_gyro: bool
    seed: int
    count: int
    strides: int | None
    mount: dict[str, Any]
    sets: tuple[TruthSet, ...] = ()
    reps: tuple[TruthRep, ...] = ()
    distractors: tuple[TruthSpan, ...] = ()
    impacts: tuple[TruthImpact, ...] = ()
    version: int = field(default=TRUTH_VERSION)

    def to_json_dict(self) -> dict[str, Any]:
        """Return the sidecar's JSON object (keys that do not apply left out)."""
        return {
            "version": self.version,
            "exercise": self.exercise,
            "leg": self.leg,
            "rate_hz": self.rate_hz,
            "has_gyro": self.has_gyro,
            "seed": self.seed,
            "count": self.count,
            "strides": self.strides,
            "mount": dict(self.mount),
            "sets": [_compact(s) for s in self.sets],
            "reps": [_compact(r) for r in self.reps],
            "distractors": [_compact(d) for d in self.distractors],
            "impacts": [_compact(i) for i in self.impacts],
        }

    @classmethod
    def from_json_dict(cls, obj: dict[str, Any]) -> Truth:
        """Build from a sidecar's JSON object; raises KeyError/TypeError/ValueError on bad input."""
        if obj.get("version") != TRUTH_VERSION:
            raise ValueError(f"unsupported truth version {obj.get('version')!r} (expected {TRUTH_VERSION})")
        return cls(
            exercise=str(obj["exercise"]),
            leg=str(obj["leg"]),
            rate_hz=float(obj["rate_hz"]),
            has_gyro=bool(obj["has_gyro"]),
            seed=int(obj["seed"]),
            count=int(obj["count"]),
            strides=None if obj.get("strides") is None else int(obj["strides"]),
            mount=dict(obj["mount"]),
            sets=tuple(TruthSet(**s) for s in obj["sets"]),
            reps=tuple(TruthRep(**r) for r in obj["reps"]),
            distractors=tuple(TruthSpan(**d) for d in obj.get("distractors", [])),
            impacts=tuple(TruthImpact(**i) for i in obj.get("impacts", [])),
        )

    def reps_of_set(self, index: int) -> tuple[TruthRep, ...]:
        """The reps of the set with the given 1-based index."""
        return tuple(r for r in self.reps if r.set == index)


def _compact(item: Any) -> dict[str, Any]:
    out = {}
    for f in fields(item):
        value = getattr(item, f.name)
        if value is None:
            continue
        out[f.name] = round(value, 4) if isinstance(value, float) else value
    return out


def truth_path_for(recording_path: str | os.PathLike[str]) -> pathlib.Path:
    """Sidecar path of a recording: ``NAME.csv`` -> ``NAME.truth.json`` in the same folder."""
    path = pathlib.Path(recording_path)
    name = path.name[: -len(".csv")] if path.name.lower().endswith(".csv") else path.name
    return path.with_name(name + _SUFFIX)


def _sidecar(path: str | os.PathLike[str]) -> pathlib.Path:
    path = pathlib.Path(path)
    return path if path.name.endswith(_SUFFIX) else truth_path_for(path)


def write_truth(path: str | os.PathLike[str], truth: Truth, *, overwrite: bool = False) -> pathlib.Path:
    """Write a truth sidecar.

    Parameters
    ----------
    path : path-like
        The sidecar (``*.truth.json``) or the recording it belongs to.
    truth : Truth
        What to write.
    overwrite : bool
        Replace an existing sidecar.

    Returns
    -------
    pathlib.Path
        The sidecar written.

    Raises
    ------
    RecordingFormatError
        If the sidecar exists and ``overwrite`` is false, or it cannot be written.
    """
    target = _sidecar(path)
    if target.exists() and not overwrite:
        raise RecordingFormatError(f"{target}: already exists (not overwriting)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(truth.to_json_dict(), indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise RecordingFormatError(f"{target}: cannot write ({exc.strerror or exc})") from None
    return target


def read_truth(path: str | os.PathLike[str]) -> Truth:
    """Read a truth sidecar.

    Parameters
    ----------
    path : path-like
        The sidecar (``*.truth.json``) or the recording it belongs to.

    Raises
    ------
    RecordingFormatError
        Missing or unreadable file, not JSON, or not a version-1 truth object.
    """
    source = _sidecar(path)
    obj = read_json_object(source, "truth sidecar", RecordingFormatError)
    try:
        return Truth.from_json_dict(obj)
    except KeyError as exc:
        raise RecordingFormatError(f"{source}: truth sidecar lacks the key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise RecordingFormatError(f"{source}: bad truth sidecar ({exc})") from None
