"""`repband simulate` writes a recording and its truth sidecar."""

from __future__ import annotations

import pathlib

from typer.testing import CliRunner

from cli import app
from sensor.recording.v1 import read_recording
from sensor.synth.truth import read_truth

runner = CliRunner()


def test_simulate_writes_recording_and_sidecar(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "sub" / "clam.csv"
    result = runner.invoke(app, ["simulate", "clamshell", "--reps", "3", "--sets", "2", "--rate", "25",
                                 "--seed", "4", "--leg", "left", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    truth = read_truth(tmp_path / "sub" / "clam.truth.json")
    assert truth.count == 3 * 2 and truth.leg == "left" and truth.seed == 4
    rec = read_recording(out)
    assert rec.metadata["band"] == "synthetic" and rec.metadata["leg"] == "left"
    assert rec.samples.gyro is not None
    assert abs(rec.rate_hz - 25.0) < 0.5


def test_simulate_default_name_and_no_gyro(tmp_path: pathlib.Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["simulate", "monster-walk", "--reps", "4", "--seed", "7", "--no-gyro"])
    assert result.exit_code == 0, result.output
    rec = read_recording(tmp_path / "monster-walk-7.csv")
    assert rec.samples.gyro is None
    assert read_truth(tmp_path / "monster-walk-7.truth.json").count == 4


def test_bad_rate_is_a_usage_error_on_one_line(tmp_path: pathlib.Path) -> None:
    result = runner.invoke(app, ["simulate", "clamshell", "--rate", "300", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "rate" in lines[0]
    assert not (tmp_path / "x.csv").exists()


def test_bad_sets_and_reps_are_usage_errors(tmp_path: pathlib.Path) -> None:
    for args in (["--sets", "5"], ["--reps", "0"], ["--reps", "201"], ["--seed", "-1"]):
        result = runner.invoke(app, ["simulate", "lateral-walk", *args, "--out", str(tmp_path / "y.csv")])
        assert result.exit_code == 2, args
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("repband: error:"), (args, result.output)


def test_refuses_to_overwrite(tmp_path: pathlib.Path) -> None:
    args = ["simulate", "still", "--seed", "1", "--out", str(tmp_path / "s.csv")]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "already exists" in again.output
