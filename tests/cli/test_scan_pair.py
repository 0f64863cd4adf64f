"""`repband scan`, `pair` and `bands` against the default virtual band (REPBAND_BLE=virtual)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

pytestmark = pytest.mark.ble

runner = CliRunner()
VIRTUAL_ADDRESS = "A0:9E:1A:B2:C3:D4"  # the default virtual Verity Sense (device id A1B2C3D4)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPBAND_BLE", "virtual")
    monkeypatch.setenv("REPBAND_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("REPBAND_VIRTUAL_REPS", "1")
    return tmp_path


def test_scan_json_lists_the_virtual_band(env: Path) -> None:
    result = runner.invoke(app, ["scan", "--timeout", "0.3", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert [(f["name"], f["address"], f["band"]) for f in found] == [
        ("Polar Sense A1B2C3D4", VIRTUAL_ADDRESS, "polar-pmd")
    ]
    assert isinstance(found[0]["rssi"], int)


def test_pair_by_name_fragment_saves_the_default_band(env: Path) -> None:
    result = runner.invoke(app, ["pair", "a1b2", "--timeout", "0.3"])
    assert result.exit_code == 0, result.output
    assert "battery   87 %" in result.output
    saved = json.loads((env / "config.json").read_text())
    assert saved["default_band"] == {"address": VIRTUAL_ADDRESS, "name": "Polar Sense A1B2C3D4", "band": "polar-pmd"}


def test_pair_wrong_address_is_one_line_exit_1(env: Path) -> None:
    result = runner.invoke(app, ["pair", "11:22:33:44:55:66", "--timeout", "0.3"])
    assert result.exit_code == 1
    assert result.stdout == "looking for '11:22:33:44:55:66' (up to 0.3 s; Ctrl-C stops)\n"
    assert result.stderr.strip().count("\n") == 0
    assert "no band matches '11:22:33:44:55:66'" in result.stderr
    assert not (env / "config.json").exists()


@pytest.mark.parametrize("timeout", ["0", "-1", "61"])
def test_out_of_range_timeout_is_usage_error(env: Path, timeout: str) -> None:
    result = runner.invoke(app, ["scan", "--timeout", timeout])
    assert result.exit_code == 2
    assert "--timeout" in result.output


def test_bands_lists_polar() -> None:
    result = runner.invoke(app, ["bands"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("polar-pmd")


@pytest.mark.skipif(
    Path("/var/run/dbus/system_bus_socket").exists(), reason="this machine has a system Bluetooth bus"
)
def test_scan_without_a_radio_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPBAND_BLE", raising=False)
    result = runner.invoke(app, ["scan", "--timeout", "1"])
    assert result.exit_code == 1
    assert "cannot use the Bluetooth radio" in result.output and "REPBAND_BLE=virtual" in result.output
    assert "Traceback" not in result.output
