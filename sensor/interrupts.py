"""Ctrl-C as a request to stop: the session ends cleanly and keeps what it has.

The first Ctrl-C (SIGINT) or SIGTERM inside one of these blocks only sets a
flag, which the running loop checks at its next step; the handlers are then
put back, so a second Ctrl-C interrupts as usual (a way out if a band stops
answering). :func:`stop_on_interrupt` serves asyncio code (recording,
scanning), :func:`interrupt_stops` plain loops (replay).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def stop_on_interrupt(stop: asyncio.Event) -> Iterator[None]:
    """Inside the block, the first Ctrl-C (SIGINT) or SIGTERM sets ``stop`` instead of killing the program.

    Parameters
    ----------
    stop : asyncio.Event
        Set by the first signal. The handlers are then removed, so a second
        Ctrl-C interrupts as usual (a way out if the band stops answering).

    Notes
    -----
    Must run inside the event loop's thread. Where the loop cannot take
    signal handlers (Windows, a non-main thread) nothing is installed.
    """
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def on_signal() -> None:
        stop.set()
        while installed:
            loop.remove_signal_handler(installed.pop())

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal)
        except (NotImplementedError, RuntimeError, ValueError):
            break
        installed.append(signum)
    try:
        yield
    finally:
        while installed:
            loop.remove_signal_handler(installed.pop())


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
