"""`repband record` against the virtual band: a real process, Ctrl-C, and one-line errors."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from sensor.pipeline import analyze_recording, config_for_recording
from sensor.recording import read_recording

pytestmark = pytest.mark.ble

runner = CliRunner()
REPBAND = shutil.which("repband", path=os.path.dirname(sys.executable)) or "repband"
SUMMARY = re.compile(r"(?P<file>\S+\.csv): clamshell, (?P<count>\d+) counted in \d+ set\(s\)")


def virtual_env(tmp_path: Path, speed: float) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        REPBAND_BLE="virtual",
        REPBAND_CONFIG_DIR=str(tmp_path / "config"),
        REPBAND_VIRTUAL_SPEED=str(speed),
        REPBAND_VIRTUAL_REPS="3",
        COLUMNS="200",
    )
    return env


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in virtual_env(tmp_path, speed=40.0).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def start_record(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``repband record ARGS`` on the virtual band at twice real time, output piped."""
    return subprocess.Popen(
        [REPBAND, "record", *args],
        cwd=tmp_path,
        env=virtual_env(tmp_path, speed=2.0),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_recording_samples(tmp_path: Path, out: Path) -> subprocess.Popen[str]:
    """Start recording clamshells to ``out`` and return once the file holds samples."""
    process = start_record(tmp_path, "--exercise", "clamshell", "--timeout", "0.3", "--out", str(out))
    deadline = time.monotonic() + 30
    while not (out.exists() and len(read_recording(out).samples) > 0):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no samples recorded: {process.communicate()}")
        time.sleep(0.1)
    return process


def assert_complete(path: Path) -> int:
    """The file is closed cleanly (every line ended, nothing cut) and reads back; return its sample count."""
    assert path.read_bytes().endswith(b"\n")
    recording = read_recording(path)
    assert not recording.truncated_tail
    assert recording.metadata["band"] == "polar-pmd" and recording.metadata["exercise"] == "clamshell"
    assert recording.metadata["rate_hz"] == 52.0 and recording.metadata["started_utc"].endswith("Z")
    return len(recording.samples)


def test_record_for_a_duration_prints_the_summary_and_where_the_file_is(tmp_path: Path) -> None:
    done = subprocess.run(
        [REPBAND, "record", "--exercise", "clamshell", "--min-rom", "8", "--duration", "10", "--timeout", "0.3"],
        cwd=tmp_path,
        env=virtual_env(tmp_path, speed=5.0),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [path] = (tmp_path / "recordings").glob("*.csv")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-clamshell\.csv", path.name)
    assert assert_complete(path) >= 10 * 52
    assert read_recording(path).duration_s >= 10.0
    summary = SUMMARY.search(done.stdout)
    assert summary is not None, done.stdout
    assert summary["file"] == f"recordings/{path.name}"
    assert f"recording saved to recordings/{path.name}" in done.stdout
    live_count = int(summary["count"])
    recording = read_recording(path)
    assert recording.metadata["min_rom_deg"] == 8.0
    # Analysed later, the recording is counted as it was live: its exercise and smallest rep.
    config = config_for_recording(recording.metadata)
    assert (config.exercise, config.min_rom_deg) == ("clamshell", 8.0)
    assert analyze_recording(recording, config).count == live_count


def test_ctrl_c_stops_cleanly_and_leaves_a_complete_file(tmp_path: Path) -> None:
    out = tmp_path / "interrupted.csv"
    process = start_recording_samples(tmp_path, out)
    try:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert assert_complete(out) > 0
    assert SUMMARY.search(stdout) is not None
    assert f"recording saved to {out}" in stdout


def test_a_second_ctrl_c_never_loses_the_recording_or_prints_a_traceback(tmp_path: Path) -> None:
    out = tmp_path / "cut.csv"
    process = start_recording_samples(tmp_path, out)
    try:
        process.send_signal(signal.SIGINT)
        time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert "Traceback" not in stderr
    # Where the second signal lands is a race: while the session winds down, or once the summary
    # is out and the process is exiting.
    if f"recording saved to {out}" not in stdout:
        assert process.returncode == 130
        assert stderr == f"repband: stopped at once by a second Ctrl-C; the samples received so far are in {out}\n"
    assert len(read_recording(out).samples) > 0


def test_ctrl_c_while_looking_for_the_band_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "never.csv"
    process = start_record(tmp_path, "--band", "11:22:33:44:55:66", "--timeout", "60", "--out", str(out))
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "link: looking for 11:22:33:44:55:66"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert stderr == "repband: stopped while looking for '11:22:33:44:55:66'; nothing was recorded\n"
    assert not out.exists()


def test_explicit_virtual_band_needs_no_environment(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPBAND_BLE")
    result = runner.invoke(
        app, ["record", "--band", "virtual", "-e", "clamshell", "--duration", "5", "--timeout", "0.3", "--out", "v.csv"]
    )
    assert result.exit_code == 0, result.output
    assert assert_complete(env / "v.csv") >= 5 * 52
    assert "link: connected" in result.output  # the live view's plain-text form


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--band", "11:22:33:44:55:66"], 1, "no band matches '11:22:33:44:55:66'"),
        (["--rate", "10"], 2, "--rate 10: the Verity Sense streams 26 to 416 Hz"),
        (["--rate", "0"], 2, "--rate 0: must be more than 0"),
        (["--duration", "0"], 2, "--duration 0: must be more than 0"),
        (["--exercise", "jumping"], 2, "unknown exercise 'jumping'"),
        (["--out", "taken.csv"], 2, "already exists"),
        (["--out", "taken.csv/inside.csv"], 2, "cannot create"),
    ],
)
def test_bad_input_is_one_line_and_leaves_no_recording(env: Path, args: list[str], code: int, message: str) -> None:
    (env / "taken.csv").write_text("not mine\n")
    result = runner.invoke(app, ["record", "-e", "clamshell", "--timeout", "0.3", *args])
    assert result.exit_code == code, result.output
    # One line on stderr; stdout may have shown the search for the band.
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.output
    assert not (env / "recordings").exists() or not list((env / "recordings").iterdir())
    assert (env / "taken.csv").read_text() == "not mine\n"


def test_no_band_and_no_default_band_is_a_usage_error(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPBAND_BLE")
    result = runner.invoke(app, ["record", "--timeout", "0.3"])
    assert result.exit_code == 2
    assert "no band given and no default band saved" in result.output and "repband pair" in result.output
