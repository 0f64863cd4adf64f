"""`repband info` on shipped and generated recordings, and on bad input."""

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings"
runner = CliRunner()


def test_info_reports_the_shipped_demo_and_its_true_count() -> None:
    result = runner.invoke(app, ["info", str(RECORDINGS / "clamshell-demo.csv"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    truth = json.loads((RECORDINGS / "clamshell-demo.truth.json").read_text())
    assert summary["truth_count"] == truth["count"]
    assert summary["has_gyro"] is True
    assert 50 < summary["rate_hz"] < 54
    assert abs(summary["acc_norm_median_ms2"] - 9.81) < 0.3


def test_info_counts_gaps_of_a_plain_csv(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    rows = ["t,ax,ay,az"] + [f"{i * 0.02:.2f},0,0,9.81" for i in range(50)]
    rows += [f"{2.0 + i * 0.02:.2f},0,0,9.81" for i in range(10)]  # 1.02 s gap after t=0.98
    path.write_text("\n".join(rows) + "\n")
    result = runner.invoke(app, ["info", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["gaps"] == 1 and summary["samples"] == 60
    assert abs(summary["missing_s"] - 1.0) < 1e-6
    assert "truth_count" not in summary


def test_info_on_a_missing_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "no such file" in result.output and "Traceback" not in result.output


def test_info_on_several_files_describes_those_it_can_read(tmp_path: Path) -> None:
    demo = RECORDINGS / "clamshell-demo.csv"
    missing = tmp_path / "nope.csv"
    result = runner.invoke(app, ["info", str(demo), str(missing), str(demo), "--json"])
    assert result.exit_code == 1
    assert [s["file"] for s in json.loads(result.stdout)] == [str(demo), str(demo)]
    assert result.stderr.strip() == f"repband: error: {missing}: no such file"


def test_info_and_analyze_report_the_same_gaps(tmp_path: Path) -> None:
    path = tmp_path / "lossy.csv"
    made = runner.invoke(app, ["simulate", "lateral-walk", "--reps", "8", "--out", str(path)])
    assert made.exit_code == 0, made.output
    info = json.loads(runner.invoke(app, ["info", str(path), "--json"]).output)
    quality = json.loads(runner.invoke(app, ["analyze", str(path), "--json"]).output)["quality"]
    # The generator drops packets, so there is something to agree on.
    assert info["gaps"] > 0
    assert quality["gaps"] == info["gaps"]
    assert abs(quality["missing_s"] - info["missing_s"]) <= 0.01
    assert any(f"{info['gaps']} short gap(s)" in w for w in quality["warnings"])
