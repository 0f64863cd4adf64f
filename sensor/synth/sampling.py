"""When the band samples, what timestamps it reports, and which packets are lost."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensor.types import FloatArray


@dataclass(frozen=True, kw_only=True, slots=True)
class Timing:
    """The band's clock and radio link.

    Parameters
    ----------
    rate_hz : float
        Nominal sample rate, Hz.
    clock_error : float
        Relative error of the band's clock (0.003 = its samples come 0.3 %
        slower than nominal).
    jitter_s : float
        Standard deviation of timestamp noise, s (clipped to ±0.4 sample
        periods so timestamps stay increasing).
    drop_rate : float
        Share of radio packets lost, 0 to 1.
    packet_s : float
        Duration of the samples one packet carries, s.
    """

    rate_hz: float
    clock_error: float = 0.0
    jitter_s: float = 0.0
    drop_rate: float = 0.0
    packet_s: float = 0.25

    @classmethod
    def draw(
        cls,
        rng: np.random.Generator,
        rate_hz: float,
        jitter_s: float | None,
        drop_rate: float | None,
    ) -> Timing:
        """Draw a realistic clock and link; given values are kept."""
        clock_error = rng.uniform(-0.005, 0.005)
        jitter = rng.uniform(0.0, 0.15) / rate_hz
        drops = float(rng.choice((0.0, rng.uniform(0.0, 0.01))))
        packet = rng.uniform(0.1, 0.5)
        return cls(
            rate_hz=rate_hz,
            clock_error=clock_error,
            jitter_s=jitter if jitter_s is None else float(jitter_s),
            drop_rate=drops if drop_rate is None else float(drop_rate),
            packet_s=packet,
        )


def sample_times(
    start_s: float, end_s: float, timing: Timing, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Sampling instants and the timestamps the band reports for them.

    Parameters
    ----------
    start_s, end_s : float
        Span to cover, s.
    timing : Timing
        Clock and link.
    rng : numpy.random.Generator
        Source of jitter and losses.

    Returns
    -------
    instants : ndarray, shape (N,)
        True moments the band sampled, s.
    timestamps : ndarray, shape (N,)
        Reported times, s, strictly increasing, rounded to 1 µs; samples in
        lost packets are absent from both arrays (gaps stay gaps).
    """
    period = (1.0 + timing.clock_error) / timing.rate_hz
    instants = start_s + period * np.arange(int(np.floor((end_s - start_s) / period)) + 1)
    limit = 0.4 / timing.rate_hz
    jitter = np.clip(rng.normal(0.0, 1.0, instants.shape[0]) * timing.jitter_s, -limit, limit)
    # The first timestamp is the session's zero.
    jitter[0] = 0.0
    stamps = np.round(instants + jitter, 6)
    per_packet = max(1, int(round(timing.packet_s * timing.rate_hz)))
    packet = np.arange(instants.shape[0]) // per_packet
    lost = rng.random(int(packet[-1]) + 1) < timing.drop_rate
    # The first packet always arrives: a recording starts when data starts.
    lost[0] = False
    keep = ~lost[packet]
    return np.asarray(instants[keep], dtype=np.float64), stamps[keep]
