"""Core data types that cross every seam: :class:`SampleBlock` and :class:`Event`.

Everything downstream of a source (BLE band, virtual band, file replay,
synthetic generator) speaks only these two types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np
import numpy.typing as npt

from sensor.errors import SampleBlockError

#: A float64 numpy array; shapes are given in each docstring.
FloatArray = npt.NDArray[np.float64]
#: A boolean numpy array.
BoolArray = npt.NDArray[np.bool_]


def _readonly_float(name: str, values: npt.ArrayLike, ndim: int) -> FloatArray:
    try:
        array = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise SampleBlockError(f"{name}: not numeric ({exc})") from None
    if array.ndim != ndim:
        if ndim == 2 and array.size == 0:
            array = array.reshape(0, 3)
        else:
            raise SampleBlockError(f"{name}: expected {ndim}-D array, got shape {array.shape}")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class SampleBlock:
    """An immutable block of IMU samples.

    Parameters
    ----------
    t : array, shape (N,)
        Sample times in s (float64), strictly increasing within the block.
        Seconds since the start of the session; gaps stay gaps.
    acc : array, shape (N, 3)
        Specific force in the band's frame, m/s² (gravity included: about
        +9.81 m/s² on the axis pointing up when still).
    gyro : array, shape (N, 3), or None
        Angular velocity in the band's frame, deg/s; None for bands without
        a gyroscope.

    Raises
    ------
    SampleBlockError
        If shapes disagree, ``t`` is not strictly increasing, or any value
        is not finite.

    Notes
    -----
    The arrays are copied and made read-only, so a block can be shared by the
    recorder and the pipeline without either being able to change it.
    """

    t: FloatArray
    acc: FloatArray
    gyro: FloatArray | None = None

    def __init__(
        self,
        t: npt.ArrayLike,
        acc: npt.ArrayLike,
        gyro: npt.ArrayLike | None = None,
    ) -> None:
        t_arr = _readonly_float("t", t, 1)
        acc_arr = _readonly_float("acc", acc, 2)
        gyro_arr = None if gyro is None else _readonly_float("gyro", gyro, 2)
        n = t_arr.shape[0]
        if acc_arr.shape != (n, 3):
            raise SampleBlockError(f"acc: expected shape ({n}, 3), got {acc_arr.shape}")
        if gyro_arr is not None and gyro_arr.shape != (n, 3):
            raise SampleBlockError(f"gyro: expected shape ({n}, 3), got {gyro_arr.shape}")
        for name, arr in (("t", t_arr), ("acc", acc_arr), ("gyro", gyro_arr)):
            if arr is not None and not np.isfinite(arr).all():
                bad = int(np.flatnonzero(~np.isfinite(arr).reshape(n, -1).all(axis=1))[0])
                raise SampleBlockError(f"{name}: non-finite value at sample {bad}")
        if n > 1:
            steps = np.diff(t_arr)
            if not (steps > 0).all():
                bad = int(np.flatnonzero(steps <= 0)[0]) + 1
                raise SampleBlockError(
                    f"t: not strictly increasing at sample {bad} "
                    f"({t_arr[bad - 1]:.6f} s then {t_arr[bad]:.6f} s)"
                )
        object.__setattr__(self, "t", t_arr)
        object.__setattr__(self, "acc", acc_arr)
        object.__setattr__(self, "gyro", gyro_arr)

    @classmethod
    def empty(cls, has_gyro: bool = False) -> SampleBlock:
        """Return a block with no samples (with or without a gyro channel)."""
        return cls(np.empty(0), np.empty((0, 3)), np.empty((0, 3)) if has_gyro else None)

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def has_gyro(self) -> bool:
        """True when the block carries gyroscope samples."""
        return self.gyro is not None

    @property
    def start_s(self) -> float:
        """Time of the first sample, s (NaN for an empty block)."""
        return float(self.t[0]) if len(self) else float("nan")

    @property
    def end_s(self) -> float:
        """Time of the last sample, s (NaN for an empty block)."""
        return float(self.t[-1]) if len(self) else float("nan")

    def __getitem__(self, index: slice) -> SampleBlock:
        """Return the samples selected by a slice of sample indices."""
        if not isinstance(index, slice):
            raise TypeError("SampleBlock supports slicing only, e.g. block[10:20]")
        return SampleBlock(
            self.t[index], self.acc[index], None if self.gyro is None else self.gyro[index]
        )

    def between(self, start_s: float, end_s: float) -> SampleBlock:
        """Return the samples with ``start_s <= t < end_s`` (times in s)."""
        lo, hi = np.searchsorted(self.t, [start_s, end_s], side="left")
        return self[int(lo) : int(hi)]

    def split(self, sizes: Sequence[int]) -> Iterator[SampleBlock]:
        """Cut the block into consecutive pieces of the given sample counts.

        The sizes are cycled until the block is used up, so ``split([1])``
        yields one block per sample and ``split([10, 40])`` alternates.
        """
        if not sizes or any(s <= 0 for s in sizes):
            raise ValueError("sizes must be positive integers")
        start, i = 0, 0
        while start < len(self):
            stop = start + int(sizes[i % len(sizes)])
            yield self[start:stop]
            start, i = stop, i + 1

    @staticmethod
    def concat(blocks: Sequence[SampleBlock]) -> SampleBlock:
        """Join blocks end to end; they must agree on gyro presence and stay in time order."""
        blocks = [b for b in blocks if len(b)]
        if not blocks:
            return SampleBlock.empty()
        gyro_flags = {b.has_gyro for b in blocks}
        if len(gyro_flags) != 1:
            raise SampleBlockError("cannot join blocks with and without gyro")
        gyro = np.concatenate([b.gyro for b in blocks]) if blocks[0].has_gyro else None  # type: ignore[misc]
        return SampleBlock(
            np.concatenate([b.t for b in blocks]),
            np.concatenate([b.acc for b in blocks]),
            gyro,
        )


@dataclass(frozen=True)
class Event:
    """Something that happened to the stream rather than a sample.

    Parameters
    ----------
    t : float
        Session time of the event, s.
    kind : str
        One of ``disconnected``, ``reconnected``, ``gap``, ``battery``,
        ``clock_reset``, ``decode_error``, ``note``.
    data : dict
        Extra JSON-serialisable fields (e.g. ``{"percent": 87}`` for battery).
    """

    t: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, Any]:
        """Return the event as the flat dict stored in recordings."""
        return {"t": round(float(self.t), 6), "kind": self.kind, **self.data}

    @classmethod
    def from_json_dict(cls, obj: dict[str, Any]) -> Event:
        """Build an event from the flat dict stored in recordings."""
        rest = {k: v for k, v in obj.items() if k not in ("t", "kind")}
        return cls(float(obj["t"]), str(obj["kind"]), rest)
