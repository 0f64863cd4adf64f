"""Replay a recording through the live pipeline, paced like the original stream."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from sensor.errors import UsageError
from sensor.pipeline import BATCH_BLOCK_SIZE, Pipeline, PipelineConfig, iter_blocks, with_recording_warnings
from sensor.recording.v1 import Recording
from sensor.session import LiveStatus, SessionResult
from sensor.types import SampleBlock

#: Data per pushed block when paced, s: about what a band delivers between screen refreshes.
PACED_BLOCK_S = 0.2
#: Fastest replay factor accepted (x real time); 0 means unpaced.
MAX_SPEED = 1000.0
#: Longest single wait between stop checks, s: a slow replay still stops promptly.
_MAX_WAIT_S = 0.25


def replay(
    recording: Recording,
    config: PipelineConfig | None = None,
    *,
    speed: float = 1.0,
    on_update: Callable[[LiveStatus], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    stop: Callable[[], bool] | None = None,
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
    stop : callable, optional
        Checked before each block and while waiting: once it returns True
        the replay ends there, as a recording stopped at that moment would
        (see :func:`interrupt_stops`).

    Returns
    -------
    SessionResult
        Identical to :func:`sensor.pipeline.analyze_recording` on the same
        file when played to the end; a stopped replay says in its warnings
        how far it played.
    """
    if not (speed == 0 or 0.01 <= speed <= MAX_SPEED):
        raise UsageError(f"--speed {speed:g}: must be 0 (as fast as possible) or 0.01 to {MAX_SPEED:g}")
    pipeline = Pipeline(config)
    samples = recording.samples
    block_size = BATCH_BLOCK_SIZE
    if speed > 0 and len(samples) > 1:
        block_size = max(1, round(PACED_BLOCK_S * (len(samples) - 1) / max(samples.end_s - samples.start_s, 1e-9)))
    stopped = stop or (lambda: False)
    interrupted = False
    played_to_s = samples.start_s if len(samples) else 0.0
    wall_start = clock()
    for item in iter_blocks(samples, recording.events, block_size):
        if stopped():
            interrupted = True
            break
        pipeline.push(item)
        if isinstance(item, SampleBlock):
            played_to_s = item.end_s
            if speed > 0:
                due_s = (item.end_s - samples.start_s) / speed
                while (wait := due_s - (clock() - wall_start)) > 0 and not stopped():
                    sleep(min(wait, _MAX_WAIT_S))
        if on_update is not None:
            on_update(pipeline.status())
    pipeline.finish()
    if on_update is not None:
        on_update(pipeline.status())
    result = with_recording_warnings(pipeline.result(), recording)
    if not interrupted:
        return result
    played, whole = played_to_s - samples.start_s, samples.end_s - samples.start_s
    warning = f"replay stopped after {played:.1f} s of {whole:.1f} s: the rest was not counted"
    return replace(result, quality=replace(result.quality, warnings=(*result.quality.warnings, warning)))
