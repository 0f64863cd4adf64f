"""The NAME.truth.json sidecar: round trip, naming, and one-line errors."""

from __future__ import annotations

import json
import pathlib

import pytest

from sensor.errors import RecordingFormatError
from sensor.synth import SimulationConfig, simulate
from sensor.synth.truth import read_truth, truth_path_for, write_truth


def test_sidecar_name_follows_the_recording() -> None:
    assert truth_path_for("/data/clam-3.csv") == pathlib.Path("/data/clam-3.truth.json")
    assert truth_path_for(pathlib.Path("rec")) == pathlib.Path("rec.truth.json")


@pytest.mark.parametrize("exercise", ["clamshell", "lateral-walk", "monster-walk", "fidget"])
def test_round_trip_keeps_everything_that_matters(tmp_path: pathlib.Path, exercise: str) -> None:
    truth = simulate(SimulationConfig(exercise=exercise, reps=3, seed=1, duration_s=10.0)).truth
    path = write_truth(tmp_path / "rec.csv", truth)
    assert path == tmp_path / "rec.truth.json"
    back = read_truth(tmp_path / "rec.csv")
    assert back.count == truth.count and back.strides == truth.strides and back.mount == truth.mount
    assert len(back.reps) == len(truth.reps) and len(back.distractors) == len(truth.distractors)
    for a, b in zip(back.reps, truth.reps):
        assert a.start_s == pytest.approx(b.start_s, abs=1e-4)
        assert (a.rom_deg is None) == (b.rom_deg is None)
        assert a.direction == b.direction and a.leg == b.leg and a.partial == b.partial
    obj = json.loads(path.read_text())
    # Keys that do not apply are left out.
    rep_keys = set().union(*(r.keys() for r in obj["reps"])) if obj["reps"] else set()
    if exercise != "clamshell":
        assert "rom_deg" not in rep_keys and "peak_s" not in rep_keys
    if exercise not in ("lateral-walk", "monster-walk"):
        assert "direction" not in rep_keys
    if exercise == "monster-walk":
        assert {r["direction"] for r in obj["reps"]} == {s.direction for s in truth.sets}


def test_existing_sidecar_is_not_overwritten(tmp_path: pathlib.Path) -> None:
    truth = simulate(SimulationConfig(exercise="still", seed=1, duration_s=5.0)).truth
    write_truth(tmp_path / "a.truth.json", truth)
    with pytest.raises(RecordingFormatError, match="already exists"):
        write_truth(tmp_path / "a.truth.json", truth)
    write_truth(tmp_path / "a.truth.json", truth, overwrite=True)


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot read"),
        ("{not json", "line 1: not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"version": 2}', "unsupported truth version"),
        ('{"version": 1, "exercise": "clamshell"}', "lacks the key 'leg'"),
    ],
)
def test_bad_sidecars_fail_with_one_line_naming_the_file(tmp_path: pathlib.Path, content: str | None, message: str) -> None:
    path = tmp_path / "bad.truth.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(RecordingFormatError, match=message) as info:
        read_truth(path)
    text = str(info.value)
    assert str(path) in text and "\n" not in text
