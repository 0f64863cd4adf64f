"""The user's settings file: which band ``repband pair`` remembered as the default.

Stored as JSON in ``platformdirs.user_config_dir("repband")/config.json``;
``REPBAND_CONFIG_DIR`` points elsewhere (tests, portable installs).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import platformdirs

from sensor.errors import RepbandError
from sensor.jsonfile import read_json_object

ENV_CONFIG_DIR = "REPBAND_CONFIG_DIR"
CONFIG_NAME = "config.json"


def config_path() -> Path:
    """Return the settings file's path (it may not exist yet)."""
    folder = os.environ.get(ENV_CONFIG_DIR, "").strip() or platformdirs.user_config_dir("repband")
    return Path(folder) / CONFIG_NAME


def load_config() -> dict[str, Any]:
    """Return the saved settings, ``{}`` when there are none.

    Raises
    ------
    RepbandError
        The file exists but is not a JSON object.
    """
    path = config_path()
    if not path.exists():
        return {}
    return read_json_object(path, "settings (fix or delete the file)", RepbandError)


def save_default_band(address: str, name: str, band: str) -> Path:
    """Remember a band as the default, keeping any other settings.

    Parameters
    ----------
    address : str
        Device address.
    name : str
        Advertised name.
    band : str
        Protocol name (e.g. ``"polar-pmd"``).

    Returns
    -------
    Path
        The settings file written.
    """
    config = load_config()
    config["default_band"] = {"address": address, "name": name, "band": band}
    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise RepbandError(f"{path}: cannot write settings ({exc.strerror})") from None
    return path
