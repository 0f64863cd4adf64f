"""Replay a recording through the live pipeline, paced like the original stream."""

from __future__ import annotations

import time
from collections.abc import Callable

from sensor.errors import UsageError
from sensor.pipeline import BATCH_BLOCK_SIZE, Pipeline, PipelineConfig, iter_blocks, with_recording_warnings
from sensor.recording.v1 import Recording
from sensor.session import LiveStatus, SessionResult
from sensor.types import SampleBlock

#: Data per pushed block when paced, s: about what a band delivers between screen refreshes.
PACED_BLOCK_S = 0.2
#: Fastest replay factor accepted (x real time); 0 means unpaced.
MAX_SPEED = 1000.0


def replay(
    recording: Recording,
    config: PipelineConfig | None = None,
    *,
    speed: float = 1.0,
    on_update: Callable[[LiveStatus], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SessionResult:
    """Push a recording through a :class:`Pipeline` at ``speed`` times real time.

    Parameters
    ----------
    recording : Recording
        Samples and events to play.
    config : PipelineConfig, optional
    speed : float, optional
        Playback factor (1 = as recorded); 0 plays as fast as possible.
    on_update : callable, optional
        Called with the pipeline's :class:`LiveStatus` after each block.
    sleep, clock : callable, optional
        Wall-clock functions, s (replaceable for a deterministic replay).

    Returns
    -------
    SessionResult
        Identical to :func:`sensor.pipeline.analyze_recording` on the same file.
    """
    if not (speed == 0 or 0.01 <= speed <= MAX_SPEED):
        raise UsageError(f"--speed {speed:g}: must be 0 (as fast as possible) or 0.01 to {MAX_SPEED:g}")
    pipeline = Pipeline(config)
    samples = recording.samples
    block_size = BATCH_BLOCK_SIZE
    if speed > 0 and len(samples) > 1:
        block_size = max(1, round(PACED_BLOCK_S * (len(samples) - 1) / max(samples.end_s - samples.start_s, 1e-9)))
    wall_start = clock()
    for item in iter_blocks(samples, recording.events, block_size):
        pipeline.push(item)
        if speed > 0 and isinstance(item, SampleBlock):
            wait = (item.end_s - samples.start_s) / speed - (clock() - wall_start)
            if wait > 0:
                sleep(wait)
        if on_update is not None:
            on_update(pipeline.status())
    pipeline.finish()
    if on_update is not None:
        on_update(pipeline.status())
    return with_recording_warnings(pipeline.result(), recording)
