"""REPBAND_BLE=virtual: the default radio with a synthetic Verity Sense, configured from the environment."""

from __future__ import annotations

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner

from sensor.bands import polar_pmd as pmd
from sensor.ble.virtual import env_backend_kwargs
from sensor.ble.virtual.backend import VirtualClientBackend, VirtualScannerBackend
from sensor.ble.virtual.default import VirtualBandSettings, build_default_radio, current_radio
from sensor.ble.virtual.polar import VirtualPolarBand
from sensor.errors import UsageError
from sensor.synth import SimulationConfig, simulate

from ble_helpers import run

pytestmark = pytest.mark.ble


def test_settings_from_environment() -> None:
    assert VirtualBandSettings.from_env({}) == VirtualBandSettings(exercise="clamshell", seed=0, reps=12, speed=1.0)
    env = {
        "REPBAND_VIRTUAL_EXERCISE": "lateral-walk",
        "REPBAND_VIRTUAL_SEED": "7",
        "REPBAND_VIRTUAL_REPS": "4",
        "REPBAND_VIRTUAL_SPEED": "12.5",
    }
    assert VirtualBandSettings.from_env(env) == VirtualBandSettings(exercise="lateral-walk", seed=7, reps=4, speed=12.5)
    for bad in ({"REPBAND_VIRTUAL_REPS": "0"}, {"REPBAND_VIRTUAL_SPEED": "fast"}, {"REPBAND_VIRTUAL_SEED": "1.5"}):
        with pytest.raises(UsageError, match=next(iter(bad))):
            VirtualBandSettings.from_env(bad)
    with pytest.raises(UsageError, match="REPBAND_VIRTUAL_EXERCISE"):
        build_default_radio(VirtualBandSettings(exercise="jumping-jacks"))


def test_backend_switch_follows_repband_ble(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPBAND_BLE", raising=False)
    assert env_backend_kwargs("client") == {}
    monkeypatch.setenv("REPBAND_BLE", "virtual")
    assert env_backend_kwargs("scanner") == {"backend": VirtualScannerBackend}
    assert env_backend_kwargs("client") == {"backend": VirtualClientBackend}


def test_default_radio_plays_the_configured_synthetic_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPBAND_BLE", "virtual")
    monkeypatch.setenv("REPBAND_VIRTUAL_EXERCISE", "clamshell")
    monkeypatch.setenv("REPBAND_VIRTUAL_SEED", "3")
    monkeypatch.setenv("REPBAND_VIRTUAL_REPS", "2")
    monkeypatch.setenv("REPBAND_VIRTUAL_SPEED", "50")

    async def scenario() -> VirtualPolarBand:
        async with current_radio() as radio:
            assert current_radio() is radio  # built once per loop
            found = await BleakScanner.discover(timeout=0.3, return_adv=True, **env_backend_kwargs("scanner"))
            (device, adv), = found.values()
            assert adv.local_name is not None and adv.local_name.startswith("Polar Sense ")
            async with BleakClient(device, **env_backend_kwargs("client")) as client:
                assert client.is_connected
                assert (await client.read_gatt_char(pmd.PMD_CP_UUID))[0] == 0x0F
        (band,) = radio.peripherals
        assert isinstance(band, VirtualPolarBand)
        return band

    band = run(scenario())
    expected = simulate(SimulationConfig(exercise="clamshell", reps=2, seed=3)).samples
    assert band.playback.speed == 50.0
    assert np.array_equal(band.playback.source.acc, expected.acc)
    assert np.array_equal(band.playback.source.t, expected.t)
