"""Uniform resampling and streaming filters: chunk invariance and gap handling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor.dsp.filters import RunningMedian, StreamingSOS
from sensor.dsp.resample import GridBlock, UniformResampler, holes, usual_step_s
from sensor.types import SampleBlock


def _jittered_block(n: int = 400, rate_hz: float = 52.0, seed: int = 1) -> SampleBlock:
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.7, 1.3, n)) / rate_hz
    acc = np.c_[np.sin(t), np.cos(2 * t), 9.81 + 0.1 * np.sin(5 * t)]
    return SampleBlock(t, acc, acc * 10)


def _run(block: SampleBlock, sizes: list[int]) -> list[GridBlock]:
    resampler = UniformResampler(25.0)
    out: list[GridBlock] = []
    for piece in block.split(sizes):
        out += resampler.push(piece)
    return out


def _join(pieces: list[GridBlock]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([p.t for p in pieces]), np.vstack([p.acc for p in pieces])


def _with_lost_packets(block: SampleBlock) -> SampleBlock:
    """``block`` less two packets of 0.2 s."""
    keep = ~(((block.t > 2.0) & (block.t < 2.2)) | ((block.t > 5.0) & (block.t < 5.2)))
    return SampleBlock(block.t[keep], block.acc[keep], None if block.gyro is None else block.gyro[keep])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=1, max_size=5))
def test_grid_output_does_not_depend_on_chunking(sizes: list[int]) -> None:
    block = _with_lost_packets(_jittered_block())
    whole = GridBlock.join(_run(block, [len(block)]))
    cut = GridBlock.join(_run(block, sizes))
    np.testing.assert_array_equal(cut.t, whole.t)
    np.testing.assert_allclose(cut.acc, whole.acc, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(cut.bridged, whole.bridged)


def test_only_samples_bridging_a_lost_packet_are_flagged() -> None:
    block = _with_lost_packets(_jittered_block())
    grid = GridBlock.join(_run(block, [37]))
    # The grid samples strictly inside each hole, and none elsewhere (jittered 52 Hz steps stay under 0.03 s).
    holes = np.flatnonzero(np.diff(block.t) > 0.1)
    inside = np.zeros(len(grid), dtype=bool)
    for k in holes:
        inside |= (grid.t > block.t[k]) & (grid.t < block.t[k + 1])
    assert len(holes) == 2 and inside.sum() >= 8
    np.testing.assert_array_equal(grid.bridged, inside)


def test_grid_is_uniform_and_interpolates_a_linear_signal_exactly() -> None:
    t = np.array([0.013, 0.05, 0.11, 0.2, 0.31])
    acc = np.c_[t * 2, t * 3, np.full(5, 9.81)]
    grid_t, grid_acc = _join(_run(SampleBlock(t, acc), [2]))
    np.testing.assert_allclose(grid_t, [0.04, 0.08, 0.12, 0.16, 0.2, 0.24, 0.28])
    np.testing.assert_allclose(grid_acc[:, 0], grid_t * 2, atol=1e-12)


def test_long_gap_is_not_bridged_and_is_flagged() -> None:
    t = np.r_[np.arange(0, 1, 0.02), np.arange(3, 4, 0.02)]
    block = SampleBlock(t, np.tile([0, 0, 9.81], (len(t), 1)))
    resampler = UniformResampler(25.0, max_gap_s=0.5)
    pieces = resampler.push(block)
    assert [p.gap_before for p in pieces] == [False, True]
    grid_t = np.concatenate([p.t for p in pieces])
    assert not ((grid_t > 1.0) & (grid_t < 3.0)).any()
    assert resampler.gaps == 1 and abs(resampler.missing_s - 2.02) < 1e-9


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=4))
def test_streaming_filter_matches_one_shot_filtering(sizes: list[int]) -> None:
    x = np.random.default_rng(3).normal(size=(300, 3)) + [0, 0, 9.81]
    whole = StreamingSOS.lowpass(2.0, 25.0, 3).push(x)
    filt = StreamingSOS.lowpass(2.0, 25.0, 3)
    parts, start, i = [], 0, 0
    while start < len(x):
        stop = start + sizes[i % len(sizes)]
        parts.append(filt.push(x[start:stop]))
        start, i = stop, i + 1
    np.testing.assert_allclose(np.vstack(parts), whole, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=4))
def test_running_median_gives_each_windows_median_and_centre_however_cut(sizes: list[int]) -> None:
    x = np.random.default_rng(4).normal(size=(200, 3))
    running = RunningMedian(0.28, 25.0, 3)
    assert running.size == 9 and running.delay == 4  # 0.28 s at 25 Hz, rounded to an odd count
    medians, centres, start, i = [], [], 0, 0
    while start < len(x):
        stop = start + sizes[i % len(sizes)]
        median, centre = running.push(x[start:stop])
        medians.append(median)
        centres.append(centre)
        start, i = stop, i + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, 9, axis=0)
    np.testing.assert_array_equal(np.vstack(medians), np.median(windows, axis=2))
    np.testing.assert_array_equal(np.vstack(centres), x[4:-4])


def test_filter_starts_at_steady_state_so_a_still_band_has_no_transient() -> None:
    x = np.tile([0.3, -0.2, 9.81], (50, 1))
    y = StreamingSOS.lowpass(1.5, 25.0, 3).push(x)
    np.testing.assert_allclose(y, x, atol=1e-9)


def test_the_usual_step_is_the_clocks_own_though_binned_to_1_ms_and_with_holes() -> None:
    rng = np.random.default_rng(3)
    # A 52 Hz band (19.23 ms steps) with timing jitter, a repeated timestamp and three lost packets.
    steps = 1.0 / 52.0 + rng.uniform(-0.002, 0.002, 3000)
    steps[[500, 1500, 2500]] = 0.7
    steps[1000] = 0.0
    binned, counts = np.unique(np.round(steps, 3), return_counts=True)
    median = float(binned[np.searchsorted(np.cumsum(counts), counts.sum() / 2.0)])
    assert 1.0 / median > 52.5  # the median bin alone is 19 ms
    usual = usual_step_s(binned, counts.astype(float), float(steps.sum()), median)
    assert 1.0 / usual == pytest.approx(52.0, rel=0.002)
    assert holes(binned, counts.astype(float), usual)[0] == 3
