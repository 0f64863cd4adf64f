"""Join separately delivered accelerometer and gyroscope samples into SampleBlocks.

Bands such as Polar PMD send the accelerometer and the gyroscope as separate
notifications stamped on one band clock. :class:`ImuMerger` buffers both,
resamples the gyroscope onto the accelerometer times (linear interpolation)
and emits only samples covered by both streams, so every block is six-axis.
Without a gyroscope the accelerometer samples pass straight through.

Times given to the merger are *band seconds*: any clock in seconds shared by
both streams (e.g. band nanoseconds minus a reference, divided by 1e9). The
merger maps them to session seconds so that the first emitted sample lands on
``t0_s``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sensor.bands.base import StreamItem
from sensor.types import Event, FloatArray, SampleBlock

#: A bracketing gyro interval longer than this many nominal steps is a gyro gap.
_GAP_STEPS = 1.5


class ImuMerger:
    """Buffer accelerometer and gyroscope samples and emit six-axis blocks.

    Parameters
    ----------
    has_gyro : bool
        True when a gyroscope stream is expected; False emits acc-only blocks
        immediately.
    gyro_step_s : float, optional
        Nominal gyroscope sample period, s. Accelerometer samples whose
        bracketing gyroscope samples are further apart than 1.5 periods, and
        more than half a period from both, lie in a gyroscope gap and are
        dropped (the decoder reports the gap).
    t0_s : float
        Session time of the first emitted sample, s.
    max_wait_s : float
        Longest time accelerometer samples wait for gyroscope coverage, s;
        older ones are dropped and reported as a ``gap`` event, so memory
        stays bounded when the gyroscope stalls.

    Notes
    -----
    Output order: each :meth:`pop` returns at most one block followed by the
    events whose time is not after the last handled sample.
    """

    def __init__(
        self,
        *,
        has_gyro: bool,
        gyro_step_s: float | None = None,
        t0_s: float = 0.0,
        max_wait_s: float = 5.0,
    ) -> None:
        self.has_gyro = has_gyro
        self._gyro_step_s = gyro_step_s
        self._t0_s = t0_s
        self._max_wait_s = max_wait_s
        self._origin: float | None = None
        self._last_emitted: float | None = None
        self._horizon = -np.inf
        self._acc_t: FloatArray = np.empty(0)
        self._acc: FloatArray = np.empty((0, 3))
        self._gyro_t: FloatArray = np.empty(0)
        self._gyro: FloatArray = np.empty((0, 3))
        self._events: list[tuple[float, str, dict[str, Any]]] = []

    @property
    def pending_samples(self) -> int:
        """Accelerometer samples waiting for gyroscope coverage."""
        return int(self._acc_t.shape[0])

    @property
    def last_emitted_s(self) -> float | None:
        """Session time of the last emitted sample, s (None before the first)."""
        return self._last_emitted

    def session_time(self, band_s: float) -> float:
        """Map band seconds to session seconds (``t0_s`` before the first sample)."""
        if self._origin is None:
            return self._t0_s
        return max(self._t0_s, band_s - self._origin + self._t0_s)

    def add_acc(self, t_band_s: FloatArray, acc_ms2: FloatArray) -> None:
        """Queue accelerometer samples (band seconds, strictly increasing; m/s², shape (N, 3))."""
        self._acc_t = np.concatenate([self._acc_t, t_band_s])
        self._acc = np.concatenate([self._acc, acc_ms2])

    def add_gyro(self, t_band_s: FloatArray, gyro_dps: FloatArray) -> None:
        """Queue gyroscope samples (band seconds, strictly increasing; deg/s, shape (N, 3))."""
        if self.has_gyro:
            self._gyro_t = np.concatenate([self._gyro_t, t_band_s])
            self._gyro = np.concatenate([self._gyro, gyro_dps])

    def add_event(self, t_band_s: float, kind: str, data: dict[str, Any]) -> None:
        """Queue an event at a band time (s); it is released in time order by :meth:`pop`."""
        self._events.append((t_band_s, kind, data))

    def pop(self) -> list[StreamItem]:
        """Return the block that can be emitted now, then the events up to it."""
        out: list[StreamItem] = []
        block = self._take_acc_only() if not self.has_gyro else self._take_covered()
        if block is not None:
            out.append(block)
        out.extend(self._release_events())
        return out

    def flush_events(self) -> list[Event]:
        """Release every queued event regardless of sample coverage (end of stream)."""
        self._horizon = np.inf
        return self._release_events()

    # -- internals -----------------------------------------------------------------

    def _emit(self, t: FloatArray, acc: FloatArray, gyro: FloatArray | None) -> SampleBlock | None:
        if t.shape[0] == 0:
            return None
        if self._origin is None:
            self._origin = float(t[0])
        self._horizon = max(self._horizon, float(t[-1]))
        session_t = t - self._origin + self._t0_s
        self._last_emitted = float(session_t[-1])
        return SampleBlock(session_t, acc, gyro)

    def _take_acc_only(self) -> SampleBlock | None:
        t, acc = self._acc_t, self._acc
        self._acc_t, self._acc = np.empty(0), np.empty((0, 3))
        return self._emit(t, acc, None)

    def _take_covered(self) -> SampleBlock | None:
        at, gt = self._acc_t, self._gyro_t
        if at.shape[0] == 0:
            return None
        if gt.shape[0] == 0:
            self._drop_stale(at[-1] - self._max_wait_s)
            return None
        # 1. accelerometer samples before any gyroscope sample can never be covered
        first = int(np.searchsorted(at, gt[0], side="left"))
        if first:
            self._drop(first, at[first - 1] if self._origin is not None else None)
            at = self._acc_t
        # 2. samples inside the gyroscope span get interpolated gyroscope values
        n_cov = int(np.searchsorted(at, gt[-1], side="right"))
        t_cov, acc_cov = at[:n_cov], self._acc[:n_cov]
        gyro_cov = np.column_stack([np.interp(t_cov, gt, self._gyro[:, k]) for k in range(3)])
        keep = self._outside_gyro_gaps(t_cov)
        block = self._emit(t_cov[keep], acc_cov[keep], gyro_cov[keep])
        if n_cov:
            self._horizon = max(self._horizon, float(t_cov[-1]))
        self._acc_t, self._acc = at[n_cov:], self._acc[n_cov:]
        # 3. keep the last gyroscope sample at or before the horizon for interpolation
        cut = max(0, int(np.searchsorted(gt, self._horizon, side="right")) - 1)
        self._gyro_t, self._gyro = gt[cut:], self._gyro[cut:]
        if self._acc_t.shape[0]:
            self._drop_stale(self._acc_t[-1] - self._max_wait_s)
        return block

    def _outside_gyro_gaps(self, t: FloatArray) -> np.ndarray:
        gt = self._gyro_t
        if self._gyro_step_s is None or t.shape[0] == 0:
            return np.ones(t.shape[0], dtype=bool)
        idx = np.searchsorted(gt, t, side="left")
        after, before = gt[idx], gt[np.maximum(idx - 1, 0)]
        # within half a period of a real gyroscope sample is as good as on it
        near = np.minimum(after - t, np.abs(t - before)) <= 0.5 * self._gyro_step_s
        return near | (after - before <= _GAP_STEPS * self._gyro_step_s)

    def _drop_stale(self, oldest_kept_s: float) -> None:
        n = int(np.searchsorted(self._acc_t, oldest_kept_s, side="left"))
        if n:
            self._drop(n, self._acc_t[n - 1])

    def _drop(self, n: int, last_dropped_s: float | None) -> None:
        """Forget the first ``n`` waiting samples; report a gap once streaming has begun."""
        if last_dropped_s is not None and self._origin is not None:
            start = float(self._acc_t[0])
            self._events.append(
                (
                    start,
                    "gap",
                    {
                        "stream": "gyro",
                        "duration_s": round(float(last_dropped_s) - start, 6),
                        "missing_samples": n,
                        "reason": "no gyroscope samples for these accelerometer samples",
                    },
                )
            )
            self._horizon = max(self._horizon, float(last_dropped_s))
        self._acc_t, self._acc = self._acc_t[n:], self._acc[n:]

    def _release_events(self) -> list[Event]:
        ready = sorted((e for e in self._events if e[0] <= self._horizon), key=lambda e: e[0])
        self._events = [e for e in self._events if e[0] > self._horizon]
        return [Event(round(self.session_time(t), 6), kind, data) for t, kind, data in ready]
