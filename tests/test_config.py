"""Default-band settings file: missing, saved, corrupt."""

from pathlib import Path

import pytest

from sensor.config import config_path, load_config, save_default_band
from sensor.errors import RepbandError


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPBAND_CONFIG_DIR", str(tmp_path))
    return tmp_path


def test_missing_settings_are_empty_and_saving_round_trips() -> None:
    assert load_config() == {}
    save_default_band("A0:9E:1A:B2:C3:D4", "Polar Sense A1B2C3D4", "polar-pmd")
    assert load_config()["default_band"]["address"] == "A0:9E:1A:B2:C3:D4"


@pytest.mark.parametrize("content, message", [("{oops", "line 1: not JSON"), ("[1]", "must hold a JSON object")])
def test_corrupt_settings_fail_with_one_line_naming_the_file(content: str, message: str) -> None:
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(content)
    with pytest.raises(RepbandError, match=message) as info:
        load_config()
    assert str(config_path()) in str(info.value) and "\n" not in str(info.value)
