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
    """

    def __init__(self, sos: FloatArray, n_channels: int) -> None:
        self.sos = np.asarray(sos, dtype=np.float64)
        self.n_channels = n_channels
        self._zi_unit = signal.sosfilt_zi(self.sos)  # (n_sections, 2)
        self._zi: FloatArray | None = None

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
        if len(x) == 0:
            return np.empty((0, self.n_channels))
        if self._zi is None:
            self._zi = self._zi_unit[:, :, None] * x[0][None, None, :]
        y, self._zi = signal.sosfilt(self.sos, x, axis=0, zi=self._zi)
        return y

    def group_delay_s(self, rate_hz: float) -> float:
        """Group delay at DC, s: how late slow movements appear at the output."""
        b, a = signal.sos2tf(self.sos)
        _, gd = signal.group_delay((b, a), w=[1e-4], fs=rate_hz)
        return float(gd[0]) / rate_hz
