"""Stateful IIR filters that give the same output however the input is chunked."""

from __future__ import annotations

import numpy as np
from scipy import signal

from sensor.types import FloatArray


class StreamingSOS:
    """A causal second-order-sections filter applied column-wise, state carried between pushes.

    Parameters
    ----------
    sos : array (n_sections, 6)
        Filter from :func:`scipy.signal.butter` (``output="sos"``).
    n_channels : int
        Columns filtered independently.

    Notes
    -----
    The state starts at the steady state for the first sample seen (as if the
    signal had been constant before), so a still band produces no start-up
    transient; :meth:`reset` restarts it the same way after a gap.

    Blocks of up to ``SMALL_BLOCK`` samples (a BLE packet's worth) are filtered
    with the filter's exact block response as two small matrix products,
    because :func:`scipy.signal.sosfilt` costs about 100 µs per call however
    short the block; longer blocks go through ``sosfilt``. Both give the same
    output to rounding.
    """

    #: Longest block filtered by the precomputed block response, samples.
    SMALL_BLOCK = 32

    def __init__(self, sos: FloatArray, n_channels: int) -> None:
        self.sos = np.asarray(sos, dtype=np.float64)
        self.n_channels = n_channels
        self._zi_unit = signal.sosfilt_zi(self.sos)  # (n_sections, 2)
        # The state is kept as the rows the block response multiplies (n_sections * 2, n_channels),
        # so the per-block path needs no reshaping; sosfilt gets it as (n_sections, 2, n_channels).
        self._zi: FloatArray | None = None
        self._block_maps: dict[int, tuple[FloatArray, FloatArray]] = {}

    @classmethod
    def lowpass(cls, cutoff_hz: float, rate_hz: float, n_channels: int, order: int = 2) -> StreamingSOS:
        """Butterworth low-pass with cut-off ``cutoff_hz`` (Hz) at sample rate ``rate_hz`` (Hz)."""
        return cls(signal.butter(order, cutoff_hz, fs=rate_hz, output="sos"), n_channels)

    @classmethod
    def smooth_lowpass(cls, cutoff_hz: float, rate_hz: float, n_channels: int, order: int = 2) -> StreamingSOS:
        """Bessel low-pass (cut-off ``cutoff_hz``, Hz, at ``rate_hz``, Hz): no overshoot on steps.

        Used where the filtered level itself is measured (angles, ROM): a
        Butterworth filter overshoots a quick movement's end position.
        """
        return cls(signal.bessel(order, cutoff_hz, fs=rate_hz, output="sos", norm="mag"), n_channels)

    def reset(self) -> None:
        """Forget the state; the next sample restarts the filter at steady state."""
        self._zi = None

    def push(self, x: FloatArray) -> FloatArray:
        """Filter ``x`` (N, n_channels) and return the output of the same shape."""
        n = len(x)
        if n == 0:
            return np.empty((0, self.n_channels))
        if self._zi is None:
            self._zi = self._zi_unit.reshape(-1, 1) * x[0]
        if n > self.SMALL_BLOCK:
            y, zi = signal.sosfilt(self.sos, x, axis=0, zi=self._zi.reshape(self._zi_unit.shape + (self.n_channels,)))
            self._zi = zi.reshape(-1, self.n_channels)
            return y
        to_output, to_state = self._block_map(n)
        inputs = np.concatenate((self._zi, x))
        self._zi = to_state @ inputs
        return to_output @ inputs

    def _block_map(self, n: int) -> tuple[FloatArray, FloatArray]:
        """Linear maps from (state, n inputs) to the n outputs and to the next state.

        The filter is linear, so its response to a block is fixed matrices
        applied to the stacked initial state and inputs; the columns are the
        filter's own responses to each unit state and unit impulse.
        """
        if n not in self._block_maps:
            n_state = self._zi_unit.size
            basis = np.eye(n_state + n)
            zi = basis[:n_state].reshape(self._zi_unit.shape + (n_state + n,))
            outputs, states = signal.sosfilt(self.sos, basis[n_state:], axis=0, zi=zi)
            self._block_maps[n] = (outputs, states.reshape(n_state, n_state + n))
        return self._block_maps[n]

    def group_delay_s(self, rate_hz: float, at_hz: float = 0.0) -> float:
        """Group delay at ``at_hz`` (Hz; DC by default), s: how late movements at that rate appear at the output."""
        b, a = signal.sos2tf(self.sos)
        _, gd = signal.group_delay((b, a), w=[max(at_hz, 1e-4)], fs=rate_hz)
        return float(gd[0]) / rate_hz


class RunningMedian:
    """A causal running median of each column over an odd number of samples, state carried between pushes.

    Parameters
    ----------
    window_s : float
        Window length, s (rounded to an odd number of samples).
    rate_hz : float
        Sample rate, Hz.
    n_channels : int
        Columns filtered independently.

    Notes
    -----
    Each output belongs to the sample at its window's centre, ``delay``
    samples before the newest one, so the first ``delay * 2`` samples after a
    :meth:`reset` give no output. Foot strikes are shocks of a few tens of ms:
    the median removes them, and a sample's distance from its median measures
    them, where a low-pass filter would spread them into a swing.
    """

    def __init__(self, window_s: float, rate_hz: float, n_channels: int) -> None:
        self.size = 2 * round(window_s * rate_hz / 2) + 1
        self.delay = self.size // 2  # samples from a window's centre to its newest sample
        self.n_channels = n_channels
        self._offsets = np.arange(self.size)
        self.reset()

    def reset(self) -> None:
        """Forget the samples held; the next window starts with the next sample."""
        self._held = np.empty((0, self.n_channels))

    def push(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Take samples ``x`` (N, n_channels); return the medians completed and their centre samples (M, n_channels each)."""
        held = np.concatenate((self._held, x))
        self._held = held[max(0, len(held) - (self.size - 1)) :]
        n = len(held) - self.size + 1
        if n <= 0:
            return np.empty((0, self.n_channels)), np.empty((0, self.n_channels))
        # Windows (channel, sample, offset) gathered by index: sliding_window_view's own set-up
        # costs more than the gather on BLE-sized blocks, and the gathered copy can be
        # partitioned in place. The window is odd: its median is the middle order statistic
        # (np.median's own checks cost more than the partition on BLE-sized blocks).
        windows = held.T[:, np.arange(n)[:, None] + self._offsets]
        windows.partition(self.delay, axis=2)
        return windows[:, :, self.delay].T, held[self.delay : self.delay + n]
