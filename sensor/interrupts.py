"""Ctrl-C as a request to stop: the session ends cleanly and keeps what it has.

The first Ctrl-C (SIGINT) or SIGTERM inside one of these blocks only sets a
flag, which the running loop checks at its next step. A second one is a way
out if a band stops answering: in asyncio code (:func:`stop_on_interrupt`:
recording, scanning) it cancels the task at once, which still closes files on
its way out, and the block ends with :class:`~sensor.errors.StoppedAtOnceError`;
in a plain loop (:func:`interrupt_stops`: replay) it interrupts as usual.
Either way the handlers are then put back, so one more interrupts as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator

from sensor.errors import StoppedAtOnceError


@contextlib.contextmanager
def stop_on_interrupt(stop: asyncio.Event) -> Iterator[None]:
    """Inside the block, the first Ctrl-C (SIGINT) or SIGTERM sets ``stop``; the second cancels the task at once.

    Parameters
    ----------
    stop : asyncio.Event
        Set by the first signal.

    Raises
    ------
    StoppedAtOnceError
        A second signal cancelled the task running the block (its
        ``finally`` clauses ran on the way out). The handlers are then
        removed, so a third Ctrl-C interrupts as usual.

    Notes
    -----
    Must run inside the event loop's thread, in a task. Where the loop
    cannot take signal handlers (Windows, a non-main thread) nothing is
    installed. Cancelling, rather than letting the second Ctrl-C raise
    KeyboardInterrupt wherever the loop happens to be, keeps asyncio from
    printing the tracebacks of tasks torn down half-way.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    installed: list[signal.Signals] = []
    signals_seen = 0

    def remove_handlers() -> None:
        while installed:
            loop.remove_signal_handler(installed.pop())

    def on_signal() -> None:
        nonlocal signals_seen
        signals_seen += 1
        stop.set()
        if signals_seen >= 2:
            remove_handlers()
            if task is not None:
                task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal)
        except (NotImplementedError, RuntimeError, ValueError):
            break
        installed.append(signum)
    try:
        yield
    except asyncio.CancelledError:
        if signals_seen < 2 or task is None:
            raise
        if sys.version_info >= (3, 11):
            # The cancellation was this block's own and ends here (3.11+ counts pending cancellations).
            task.uncancel()
        raise StoppedAtOnceError("stopped at once by a second Ctrl-C") from None
    finally:
        remove_handlers()


@contextlib.contextmanager
def interrupt_stops() -> Iterator[Callable[[], bool]]:
    """Inside the block, the first Ctrl-C (SIGINT) or SIGTERM is a request to stop, not an interruption.

    Yields a callable telling whether the request came (pass it as
    :func:`replay`'s ``stop``). The handlers are then put back, so a second
    Ctrl-C interrupts as usual. Outside the main thread nothing is
    installed: signals only reach that thread.
    """
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def on_signal(signum: int, frame: object) -> None:
        requested.set()
        restore()

    for signum in previous:
        signal.signal(signum, on_signal)
    try:
        yield requested.is_set
    finally:
        restore()
