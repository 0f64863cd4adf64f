"""Which virtual radio bleak's side uses, and the default one built from the environment.

bleak instantiates backend classes itself, so a backend that is not handed a
radio (``virtual_radio=``) needs somewhere to find one: the radio installed
for the running event loop with :func:`use_radio`, or else a default radio
built lazily, once per loop, from these environment variables:

``REPBAND_BLE``
    ``virtual`` makes :func:`sensor.ble.virtual.env_backend_kwargs` return the
    virtual backends, so the app's BLE commands scan and connect here.
``REPBAND_VIRTUAL_EXERCISE``
    What the default virtual Verity Sense plays (``clamshell`` by default;
    any exercise or distractor the synthetic generator knows).
``REPBAND_VIRTUAL_SEED``
    Seed of the synthetic recording (integer, default 0).
``REPBAND_VIRTUAL_REPS``
    Reps per set (integer ≥ 1, default 12).
``REPBAND_VIRTUAL_SPEED``
    Playback speed (1.0 = real time, default; 10 = ten times faster).
"""

from __future__ import annotations

import asyncio
import math
import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sensor.errors import UsageError

if TYPE_CHECKING:
    from sensor.ble.virtual.radio import VirtualRadio

ENV_BLE = "REPBAND_BLE"
ENV_EXERCISE = "REPBAND_VIRTUAL_EXERCISE"
ENV_SEED = "REPBAND_VIRTUAL_SEED"
ENV_REPS = "REPBAND_VIRTUAL_REPS"
ENV_SPEED = "REPBAND_VIRTUAL_SPEED"

# One radio per event loop: bumble objects are bound to the loop that made
# them, and bleak gives a backend no other handle to find its radio. Weak keys
# let a closed loop take its radio with it. (This module stays free of bumble
# imports so that checking REPBAND_BLE costs nothing.)
_RADIOS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, VirtualRadio] = weakref.WeakKeyDictionary()


def virtual_selected(environ: Mapping[str, str] | None = None) -> bool:
    """Return True when ``REPBAND_BLE=virtual`` selects the virtual radio."""
    env = os.environ if environ is None else environ
    return env.get(ENV_BLE, "").strip().lower() == "virtual"


def _env_number(env: Mapping[str, str], name: str, kind: type[int] | type[float], default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        raise UsageError(f"{name}={text!r}: expected {'an integer' if kind is int else 'a number'}") from None


@dataclass(frozen=True, kw_only=True, slots=True)
class VirtualBandSettings:
    """What the default virtual band plays.

    Parameters
    ----------
    exercise : str
        Synthetic scenario name (``clamshell``, ``lateral-walk``,
        ``monster-walk`` or a distractor such as ``still``).
    seed : int
        Seed of the synthetic recording.
    reps : int
        Reps per set, ≥ 1.
    speed : float
        Playback speed factor, > 0 (1.0 = real time).
    """

    exercise: str = "clamshell"
    seed: int = 0
    reps: int = 12
    speed: float = 1.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> VirtualBandSettings:
        """Read the settings from ``REPBAND_VIRTUAL_*`` (unset ones keep their defaults).

        Raises
        ------
        UsageError
            If a variable is not a number or out of range.
        """
        env = os.environ if environ is None else environ
        defaults = cls()
        settings = cls(
            exercise=env.get(ENV_EXERCISE, "").strip() or defaults.exercise,
            seed=int(_env_number(env, ENV_SEED, int, defaults.seed)),
            reps=int(_env_number(env, ENV_REPS, int, defaults.reps)),
            speed=float(_env_number(env, ENV_SPEED, float, defaults.speed)),
        )
        if settings.reps < 1:
            raise UsageError(f"{ENV_REPS}={settings.reps}: must be at least 1")
        if not (settings.speed > 0 and math.isfinite(settings.speed)):
            raise UsageError(f"{ENV_SPEED}={settings.speed}: must be a finite number greater than 0")
        return settings


def build_default_radio(settings: VirtualBandSettings) -> VirtualRadio:
    """Build a radio with one virtual Verity Sense playing a synthetic set.

    Parameters
    ----------
    settings : VirtualBandSettings
        Exercise, seed, reps and playback speed.

    Returns
    -------
    VirtualRadio
        Not started yet; bleak backends start it on first use.

    Raises
    ------
    UsageError
        If the synthetic generator rejects the settings (e.g. an unknown exercise).
    """
    from sensor.ble.virtual.polar import VirtualPolarBand
    from sensor.ble.virtual.radio import VirtualRadio
    from sensor.synth import SimulationConfig, simulate

    try:
        recording = simulate(SimulationConfig(exercise=settings.exercise, reps=settings.reps, seed=settings.seed))
    except UsageError as exc:
        raise UsageError(f"virtual band ({ENV_EXERCISE}/{ENV_REPS}/{ENV_SEED}): {exc}") from None
    return VirtualRadio([VirtualPolarBand(source=recording.samples, speed=settings.speed)])


def use_radio(radio: VirtualRadio) -> VirtualRadio:
    """Make ``radio`` the one backends use in the running event loop.

    Returns
    -------
    VirtualRadio
        The same radio.
    """
    _RADIOS[asyncio.get_running_loop()] = radio
    return radio


def current_radio() -> VirtualRadio:
    """Return the running loop's radio, building the default one on first use.

    Raises
    ------
    UsageError
        If a ``REPBAND_VIRTUAL_*`` variable is invalid.
    """
    loop = asyncio.get_running_loop()
    radio = _RADIOS.get(loop)
    if radio is None:
        radio = _RADIOS[loop] = build_default_radio(VirtualBandSettings.from_env())
    return radio
