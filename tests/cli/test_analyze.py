"""`repband analyze` and `repband replay` through Typer's runner."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli import app, friendly_errors, main

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings"
DEMO = RECORDINGS / "clamshell-demo.csv"
runner = CliRunner()

SET_KEYS = {"exercise", "count", "start_s", "end_s", "rest_before_s", "tempo", "reps"}
CLAMSHELL_TEMPO_KEYS = {"cadence_per_min", "rep_s_mean", "rep_s_cv", "tut_s", "open_s", "hold_s", "close_s",
                        "tempo", "rom_deg_mean", "rom_deg_min", "rom_drop_pct"}
CLAMSHELL_REP_KEYS = {"index", "start_s", "peak_s", "end_s", "duration_s", "open_s", "hold_s", "close_s",
                      "rom_deg", "partial"}


@pytest.fixture
def sigint_restored() -> Iterator[None]:
    """The entry point ignores Ctrl-C once its command is over (the process only exits then); undo that here."""
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)


def analyze_json(*args: str) -> dict | list:
    result = runner.invoke(app, ["analyze", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_follows_the_design_schema_and_counts_the_demo() -> None:
    doc = analyze_json(str(DEMO), "--exercise", "clamshell")
    truth = json.loads(DEMO.with_suffix(".truth.json").read_text())
    assert set(doc) == {"file", "exercise", "count", "sets", "quality"}
    assert doc["exercise"] == "clamshell"
    assert doc["count"] == truth["count"]
    assert [s["count"] for s in doc["sets"]] == [s["count"] for s in truth["sets"]]
    first, second = doc["sets"]
    assert set(first) == SET_KEYS and first["rest_before_s"] is None and second["rest_before_s"] > 10
    assert set(first["tempo"]) == CLAMSHELL_TEMPO_KEYS
    assert all(set(rep) == CLAMSHELL_REP_KEYS for rep in first["reps"])
    assert [rep["index"] for rep in first["reps"]] == list(range(1, first["count"] + 1))
    assert set(doc["quality"]) == {"rate_hz", "duration_s", "gaps", "missing_s", "has_gyro", "warnings"}
    assert doc["quality"]["has_gyro"] is True


def test_monster_walk_json_gives_strides_and_each_steps_direction(tmp_path: Path) -> None:
    out = tmp_path / "backward.csv"
    made = runner.invoke(app, ["simulate", "monster-walk", "--reps", "10", "--seed", "14", "--out", str(out)])
    assert made.exit_code == 0, made.output
    truth = json.loads(out.with_suffix(".truth.json").read_text())
    assert truth["sets"][0]["direction"] == "backward"
    doc = analyze_json(str(out), "--exercise", "monster-walk")
    assert doc["count"] == truth["count"] == 10
    (walk,) = doc["sets"]
    assert set(walk) == SET_KEYS | {"strides"} and walk["strides"] == 5
    assert all(set(rep) == {"index", "start_s", "end_s", "duration_s", "direction"} for rep in walk["reps"])
    assert {rep["direction"] for rep in walk["reps"]} == {"backward"}


def test_several_files_give_a_json_list() -> None:
    docs = analyze_json(str(DEMO), str(DEMO), "-e", "clamshell")
    assert isinstance(docs, list) and len(docs) == 2 and docs[0]["count"] == docs[1]["count"]


def test_a_bad_file_among_several_is_one_line_and_the_others_are_still_analysed(tmp_path: Path) -> None:
    bad = tmp_path / "binary.csv"
    bad.write_bytes(bytes(range(256)))
    missing = tmp_path / "missing.csv"
    tables = runner.invoke(app, ["analyze", str(DEMO), str(bad), str(missing), str(DEMO), "-e", "clamshell"])
    assert tables.exit_code == 1
    assert tables.stdout.count(f"{DEMO}: clamshell, 30 counted in 2 set(s)") == 2
    errors = tables.stderr.strip().splitlines()
    assert len(errors) == 2 and errors[0].startswith(f"repband: error: {bad}: line 1:")
    assert errors[1] == f"repband: error: {missing}: no such file"
    as_json = runner.invoke(app, ["analyze", str(missing), str(DEMO), "-e", "clamshell", "--json"])
    assert as_json.exit_code == 1
    docs = json.loads(as_json.stdout)
    assert isinstance(docs, list) and [d["count"] for d in docs] == [30]


def test_table_shows_sets_and_reps(tmp_path: Path) -> None:
    # A path longer than the terminal is wide must not break the headline across lines.
    deep = tmp_path / ("long-folder-name-" * 6) / DEMO.name
    deep.parent.mkdir()
    shutil.copy(DEMO, deep)
    result = runner.invoke(app, ["analyze", str(deep), "-e", "clamshell"])
    assert result.exit_code == 0, result.output
    assert f"{deep}: clamshell, 30 counted in 2 set(s)" in result.output
    assert "Set 2: clamshell" in result.output and "tempo" in result.output
    # Regularity is a coefficient of variation of its own, not a spread in seconds.
    cv_row = next(line for line in result.output.splitlines() if "rep duration, CV" in line)
    sets = analyze_json(str(DEMO), "-e", "clamshell")["sets"]
    assert cv_row.split()[-2:] == [f"{s['tempo']['rep_s_cv']:.2f}" for s in sets]


def test_plot_writes_a_png(tmp_path: Path) -> None:
    target = tmp_path / "out" / "demo.png"
    result = runner.invoke(app, ["analyze", str(DEMO), "-e", "clamshell", "--plot", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 10_000


def test_replay_reports_the_same_reps_as_analyze() -> None:
    analyzed = runner.invoke(app, ["analyze", str(DEMO), "-e", "clamshell"])
    replayed = runner.invoke(app, ["replay", str(DEMO), "-e", "clamshell", "--speed", "0"])
    assert replayed.exit_code == 0, replayed.output
    summary = analyzed.output[analyzed.output.index("Sets"):]
    assert summary in replayed.output


def test_openings_too_small_for_a_rep_suggest_a_smaller_min_rom_that_counts_them() -> None:
    # The demo's reps open 25-55 deg: asking for 60 deg finds none, and the hint's value counts them all.
    truth = json.loads(DEMO.with_suffix(".truth.json").read_text())
    strict = analyze_json(str(DEMO), "-e", "clamshell", "--min-rom", "60")
    assert strict["count"] == 0
    hint = next(w for w in strict["quality"]["warnings"] if "--min-rom" in w)
    assert "bottom thigh" not in " ".join(strict["quality"]["warnings"])
    suggested = hint.rsplit("--min-rom ", 1)[1]
    assert analyze_json(str(DEMO), "-e", "clamshell", "--min-rom", suggested)["count"] == truth["count"]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["analyze", "missing.csv"], 1, "no such file"),
        (["analyze", str(DEMO), "--min-rom", "1"], 2, "minimum ROM"),
        (["analyze", str(DEMO), "--exercise", "squat"], 2, "unknown exercise"),
        (["analyze", str(DEMO), "--leg", "middle"], 2, "unknown leg"),
        (["replay", str(DEMO), "--speed", "-2"], 2, "--speed"),
        (["replay", "missing.csv"], 1, "no such file"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(args: list[str], code: int, words: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("repband: error:") and words in lines[0]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["analyze", str(DEMO), "--bogus"], 2, "No such option: --bogus; see 'repband analyze --help'"),
        (["replay", str(DEMO), "--speed", "fast"], 2, "Invalid value for '--speed'"),
        (["analyse", str(DEMO)], 2, "No such command 'analyse'"),
        (["analyze"], 2, "Missing argument"),
        (["analyze", "missing.csv"], 1, "no such file"),
    ],
)
def test_the_entry_point_gives_command_line_mistakes_one_line_too(
    args: list[str],
    code: int,
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sigint_restored: None,
) -> None:
    monkeypatch.setattr(sys, "argv", ["repband", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == code
    printed = capsys.readouterr()
    assert printed.out == ""
    lines = printed.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("repband: error: ") and words in lines[0]


def test_an_ascii_only_terminal_gets_question_marks_not_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", "analyze", str(DEMO), "-e", "clamshell"],
        capture_output=True, env={**os.environ, "PYTHONIOENCODING": "ascii"}, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    table = done.stdout.decode("ascii")
    assert "30 counted in 2 set(s)" in table and "11.6 ? 68.8" in table


def test_the_entry_point_exits_0_after_a_command_that_succeeds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sigint_restored: None
) -> None:
    monkeypatch.setattr(sys, "argv", ["repband", "analyze", str(DEMO), "--json"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 0
    assert json.loads(capsys.readouterr().out)["count"] > 0
    # A Ctrl-C while the process exits must not turn into a traceback.
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_a_ctrl_c_while_a_command_starts_up_is_one_line_and_exit_130(capsys: pytest.CaptureFixture[str]) -> None:
    @friendly_errors
    def starting_up() -> None:
        raise KeyboardInterrupt  # what SIGINT raises before a command installs its own handling

    with pytest.raises(typer.Exit) as exited:
        starting_up()
    assert exited.value.exit_code == 130
    assert capsys.readouterr().err == "repband: stopped (Ctrl-C)\n"


def test_a_corrupt_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("t,ax,ay,az\n0.0,0,0,9.8\n0.02,zero,0,9.8\n0.04,0,0,9.8\n")
    result = runner.invoke(app, ["analyze", str(path)])
    assert result.exit_code == 1 and "line 3" in result.output


def test_a_cut_off_recording_is_analysed_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    text = DEMO.read_text()
    cut = text.index(",", len(text) // 2) + 1  # mid-row: the last line has too few fields
    path.write_text(text[:cut])
    doc = analyze_json(str(path), "-e", "clamshell")
    assert doc["count"] > 0
    assert any("cut-off" in w for w in doc["quality"]["warnings"])


def test_plot_without_matplotlib_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what Python does for a module that is not installed
    result = runner.invoke(app, ["analyze", str(DEMO), "--plot", str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert "pip install 'repband[plot]'" in result.output
    assert not (tmp_path / "x.png").exists()
