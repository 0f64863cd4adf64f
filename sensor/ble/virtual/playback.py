"""What a virtual band measures and what it sent: a paced sample source and a sent-sample log.

:class:`Playback` turns a :class:`~sensor.types.SampleBlock` (synthetic
motion or a recording) into the band's sensor: the motion plays on the event
loop's clock at a speed factor, and each stream samples it on its own
uniform grid by linear interpolation, so a band can stream at any rate the
client asks for. :class:`SentLog` keeps every frame a band notified, with the
sample times and values it carried, so tests can check that nothing was lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sensor.types import FloatArray, SampleBlock


class Playback:
    """A sample source played on the event loop's clock.

    Parameters
    ----------
    source : SampleBlock
        The motion to play: at least 2 samples; times in s, acc m/s²,
        gyro deg/s (None for no gyroscope).
    speed : float
        Playback speed, finite and > 0: 1.0 plays in real time, 10.0 ten
        times faster; a very large value sends frames as fast as the link
        carries them.

    Notes
    -----
    Playback position 0 is the first source sample. The position starts
    running at the first :meth:`begin` (the band's first started stream) and
    never pauses, like time for a person wearing a band: samples measured
    while no one listens are lost, not delayed.
    """

    def __init__(self, source: SampleBlock, speed: float = 1.0) -> None:
        if len(source) < 2:
            raise ValueError(f"a playback source needs at least 2 samples, got {len(source)}")
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError(f"speed must be finite and > 0, got {speed}")
        self.source = source
        self.speed = float(speed)
        self._t_rel = source.t - source.t[0]
        self._origin: float | None = None

    @property
    def duration_s(self) -> float:
        """Length of the source, s (first to last sample)."""
        return float(self._t_rel[-1])

    @property
    def has_gyro(self) -> bool:
        """True when the source carries gyroscope samples."""
        return self.source.has_gyro

    @property
    def started(self) -> bool:
        """True once :meth:`begin` was called."""
        return self._origin is not None

    def begin(self, loop_time_s: float) -> None:
        """Start the playback clock at this loop time, s (later calls do nothing)."""
        if self._origin is None:
            self._origin = loop_time_s

    def position_s(self, loop_time_s: float) -> float:
        """Playback position at a loop time, s (0 before :meth:`begin`)."""
        if self._origin is None:
            return 0.0
        return (loop_time_s - self._origin) * self.speed

    def loop_time_at(self, position_s: float) -> float:
        """Loop time at which the playback reaches ``position_s``, s."""
        if self._origin is None:
            raise RuntimeError("playback has not begun")
        return self._origin + position_s / self.speed

    def first_index(self, loop_time_s: float, rate_hz: float) -> int:
        """Index on a ``rate_hz`` grid of the first sample at or after a loop time."""
        return max(0, math.ceil(self.position_s(loop_time_s) * rate_hz - 1e-9))

    def last_index(self, rate_hz: float) -> int:
        """Index on a ``rate_hz`` grid of the last sample inside the source."""
        return math.floor(self.duration_s * rate_hz + 1e-9)

    def sample(self, positions_s: npt.ArrayLike, gyro: bool) -> FloatArray:
        """Interpolate the source at playback positions.

        Parameters
        ----------
        positions_s : array_like, shape (N,)
            Playback positions, s, inside ``[0, duration_s]``.
        gyro : bool
            Sample the gyroscope (deg/s) instead of the accelerometer (m/s²).

        Returns
        -------
        ndarray, shape (N, 3)
        """
        values = self.source.gyro if gyro else self.source.acc
        if values is None:
            raise ValueError("the playback source has no gyroscope samples")
        t = np.asarray(positions_s, dtype=np.float64)
        return np.stack([np.interp(t, self._t_rel, values[:, axis]) for axis in range(3)], axis=1)


@dataclass(frozen=True, eq=False)
class SentFrame:
    """One data notification a band sent.

    Parameters
    ----------
    measurement : int
        What the frame carries (PMD measurement type: 2 ACC, 5 GYRO).
    timestamp_ns : int
        Band clock stamp of the frame, ns.
    t_s : ndarray, shape (N,)
        Playback position of each sample, s.
    values : ndarray, shape (N, 3)
        What the band measured, before quantisation: m/s² (ACC) or deg/s (GYRO).
    raw : ndarray, shape (N, 3)
        The integers on the wire.
    payload : bytes
        The notification as sent (possibly malformed on purpose).
    malformed : bool
        True when a fault replaced the frame with a malformed one.
    """

    measurement: int
    timestamp_ns: int
    t_s: FloatArray
    values: FloatArray
    raw: npt.NDArray[np.int64]
    payload: bytes
    malformed: bool = False

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


class SentLog:
    """Every frame a band notified, in sending order.

    Notes
    -----
    A frame goes into the log once it was handed to every subscribed
    connection; frames produced while nobody was subscribed are not sent and
    not logged.
    """

    def __init__(self) -> None:
        self._frames: list[SentFrame] = []

    def record(self, frame: SentFrame) -> None:
        """Append a sent frame."""
        self._frames.append(frame)

    @property
    def frames(self) -> tuple[SentFrame, ...]:
        """All frames sent so far."""
        return tuple(self._frames)

    def count(self, measurement: int, *, include_malformed: bool = False) -> int:
        """Number of samples sent for a measurement (intact frames unless asked)."""
        return sum(len(f) for f in self._select(measurement, include_malformed))

    def samples(self, measurement: int, *, include_malformed: bool = False) -> tuple[FloatArray, FloatArray]:
        """All samples sent for a measurement, concatenated.

        Parameters
        ----------
        measurement : int
            PMD measurement type (2 ACC, 5 GYRO).
        include_malformed : bool
            Also return the samples of frames sent malformed (which a
            receiver could not decode).

        Returns
        -------
        t_s : ndarray, shape (N,)
            Playback positions, s.
        values : ndarray, shape (N, 3)
            Values before quantisation, m/s² or deg/s.
        """
        frames = self._select(measurement, include_malformed)
        if not frames:
            return np.empty(0), np.empty((0, 3))
        return np.concatenate([f.t_s for f in frames]), np.concatenate([f.values for f in frames])

    def _select(self, measurement: int, include_malformed: bool) -> list[SentFrame]:
        return [
            f for f in self._frames if f.measurement == measurement and (include_malformed or not f.malformed)
        ]
