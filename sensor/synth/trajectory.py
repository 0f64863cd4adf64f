"""Smooth scalar trajectories through keyframes, and a script that builds them.

Every degree of freedom of the synthetic body (pelvis position and attitude,
hip angles, foot position, band slip) is one scalar channel. A channel moves
between knots along a quintic Hermite segment with zero acceleration at the
knots; with zero knot velocities this is the minimum-jerk profile that human
point-to-point movements follow (Flash & Hogan 1985). Non-zero knot velocities
let a channel pass through a knot without stopping (the pelvis in normal gait).
The result is twice continuously differentiable, so its second derivative (an
acceleration) is physical everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import numpy.typing as npt

from sensor.types import FloatArray

#: Fraction of a minimum-jerk move after which 90 % of the distance is covered:
#: the root of 10τ³ − 15τ⁴ + 6τ⁵ = 0.9 in [0, 1].
MIN_JERK_TAU90: float = 0.7533635


def min_jerk_fraction(tau: npt.ArrayLike) -> FloatArray:
    """Share of the distance covered by a minimum-jerk move.

    Parameters
    ----------
    tau : array_like
        Normalised time, 0 at the start and 1 at the end of the move (clipped).

    Returns
    -------
    ndarray
        Covered share, 0 to 1.
    """
    x = np.clip(np.asarray(tau, dtype=np.float64), 0.0, 1.0)
    return x**3 * (10.0 - 15.0 * x + 6.0 * x**2)


@dataclass(frozen=True)
class Trajectory:
    """A channel's path: quintic Hermite segments through strictly increasing knots.

    Parameters
    ----------
    t : ndarray, shape (K,)
        Knot times, s, strictly increasing.
    value : ndarray, shape (K,)
        Channel value at each knot (the channel's unit: m or deg).
    velocity : ndarray, shape (K,)
        Rate of change at each knot (unit per s). Acceleration is zero at
        every knot.

    Notes
    -----
    Before the first knot the channel holds its first value, after the last
    knot its last value.
    """

    t: FloatArray
    value: FloatArray
    velocity: FloatArray

    def __call__(self, times: npt.ArrayLike) -> FloatArray:
        """Evaluate the channel at ``times`` (s); vectorised."""
        times = np.asarray(times, dtype=np.float64)
        if self.t.shape[0] == 1:
            return np.full(times.shape, self.value[0])
        i = np.clip(np.searchsorted(self.t, times, side="right") - 1, 0, self.t.shape[0] - 2)
        span = self.t[i + 1] - self.t[i]
        x = np.clip((times - self.t[i]) / span, 0.0, 1.0)
        x3 = x**3
        x4 = x3 * x
        x5 = x4 * x
        h1 = 10.0 * x3 - 15.0 * x4 + 6.0 * x5
        g0 = x - 6.0 * x3 + 8.0 * x4 - 3.0 * x5
        g1 = -4.0 * x3 + 7.0 * x4 - 3.0 * x5
        return (
            self.value[i]
            + (self.value[i + 1] - self.value[i]) * h1
            + span * (self.velocity[i] * g0 + self.velocity[i + 1] * g1)
        )


class MotionScript:
    """Builder of a set of named channels, move by move.

    Parameters
    ----------
    initial : mapping of str to float
        Every channel the script knows and its value at t = 0.

    Notes
    -----
    A move takes some channels from their current values to targets between
    two times. A channel that has not moved since before the move's start is
    held at its value until the start, so moves never bleed into the
    preceding pause. Moves of one channel must not overlap in time; moves of
    different channels may.
    """

    def __init__(self, initial: Mapping[str, float]) -> None:
        self._knots: dict[str, tuple[list[float], list[float], list[float]]] = {
            name: ([0.0], [float(value)], [0.0]) for name, value in initial.items()
        }

    def value(self, name: str) -> float:
        """Return the channel's value at its latest knot."""
        return self._knots[name][1][-1]

    def free_from(self, name: str) -> float:
        """Return the time (s) of the channel's latest knot: the earliest start of its next move."""
        return self._knots[name][0][-1]

    def move(
        self,
        t0: float,
        t1: float,
        *,
        velocity: Mapping[str, float] | None = None,
        **targets: float,
    ) -> None:
        """Move channels to targets between ``t0`` and ``t1`` (s).

        Parameters
        ----------
        t0, t1 : float
            Start and end of the move, s; ``t1 > t0``.
        velocity : mapping, optional
            Channel rate at ``t1`` (unit per s); 0 for channels not named.
        **targets : float
            Channel name to value at ``t1``.

        Raises
        ------
        ValueError
            If ``t1 <= t0``, a channel is unknown, or the move starts before
            the channel's previous move ended.
        """
        if not t1 > t0:
            raise ValueError(f"move must end after it starts ({t0:.3f} s to {t1:.3f} s)")
        rates = velocity or {}
        for name, target in targets.items():
            if name not in self._knots:
                raise ValueError(f"unknown channel {name!r}")
            ts, vs, ds = self._knots[name]
            if t0 < ts[-1] - 1e-9:
                raise ValueError(
                    f"channel {name!r}: move from {t0:.3f} s overlaps the previous one ending at {ts[-1]:.3f} s"
                )
            if t0 > ts[-1] + 1e-9:
                ts.append(float(t0))
                vs.append(vs[-1])
                ds.append(0.0)
            ts.append(float(t1))
            vs.append(float(target))
            ds.append(float(rates.get(name, 0.0)))

    def shift(self, t0: float, t1: float, **offsets: float) -> None:
        """Move channels by offsets (rather than to targets) between ``t0`` and ``t1`` (s)."""
        self.move(t0, t1, velocity=None, **{name: self.value(name) + d for name, d in offsets.items()})

    def freeze(self) -> Motion:
        """Return the immutable channels built so far."""
        return Motion(
            {
                name: Trajectory(np.array(ts), np.array(vs), np.array(ds))
                for name, (ts, vs, ds) in self._knots.items()
            }
        )


@dataclass(frozen=True)
class Motion:
    """Immutable named channels; see :class:`MotionScript`.

    Parameters
    ----------
    channels : dict of str to Trajectory
        One trajectory per degree of freedom.
    """

    channels: dict[str, Trajectory]

    @property
    def end_s(self) -> float:
        """Time of the last knot of any channel, s."""
        return max(float(tr.t[-1]) for tr in self.channels.values())

    def sample(self, times: npt.ArrayLike) -> dict[str, FloatArray]:
        """Evaluate every channel at ``times`` (s)."""
        return {name: tr(times) for name, tr in self.channels.items()}
