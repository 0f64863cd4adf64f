"""The live view shared by ``repband record`` and ``repband replay``.

:func:`status_panel` turns a :class:`~sensor.session.LiveStatus` (and, for a
band, its link facts) into a rich renderable and does nothing else.
:class:`LiveView` shows that panel in place on a terminal; on anything else (a
pipe, a log file, a test runner) it prints one plain line per counted rep and
per link change instead, so the output stays readable without cursor tricks.
"""

from __future__ import annotations

import math
from typing import Any

from rich import box
from rich.console import Console, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from sensor.exercises.base import Rep
from sensor.session import LiveStatus

#: Screen refreshes per second of the in-place view.
REFRESH_PER_SECOND = 4.0


def clock_text(seconds: float) -> str:
    """Format a duration in s as ``m:ss`` (``h:mm:ss`` from one hour; ``0:00`` for NaN)."""
    total = 0 if not math.isfinite(seconds) else max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def tempo_text(rep: Rep) -> str:
    """Describe one rep's tempo: duration, then whichever of phases, ROM and direction it has.

    Parameters
    ----------
    rep : Rep
        A counted rep (times in s, ROM in deg).

    Returns
    -------
    str
        e.g. ``2.9 s (open 1.0 · hold 0.9 · close 1.0 s), ROM 41°`` for a
        clamshell or ``1.2 s, right`` for a lateral step.
    """
    parts = [f"{rep.duration_s:.1f} s"]
    phases = (rep.open_s, rep.hold_s, rep.close_s)
    if all(p is not None for p in phases):
        parts[0] += f" (open {rep.open_s:.1f} · hold {rep.hold_s:.1f} · close {rep.close_s:.1f} s)"
    if rep.rom_deg is not None:
        parts.append(f"ROM {rep.rom_deg:.0f}°")
    if rep.direction is not None:
        parts.append(rep.direction)
    return ", ".join(parts)


def status_panel(
    status: LiveStatus,
    *,
    title: str,
    battery_percent: int | None = None,
    link: str | None = None,
) -> RenderableType:
    """Build the live panel: count, set, exercise, last rep's tempo, elapsed time and link facts.

    Parameters
    ----------
    status : LiveStatus
        The pipeline's running state (times in s, rate in Hz).
    title : str
        Panel title.
    battery_percent : int, optional
        Band battery, %.
    link : str, optional
        Link state (``connected``, ``reconnecting`` ...); given for a live
        band, whose rows for battery, received rate and link are then shown.

    Returns
    -------
    rich.console.RenderableType
    """
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", justify="right")
    grid.add_column()
    grid.add_row("count", f"[bold]{status.count}[/bold]")
    grid.add_row("set", str(status.set_number) if status.set_number else "–")
    grid.add_row("exercise", status.exercise or "waiting for the first rep")
    grid.add_row("last rep", tempo_text(status.last_rep) if status.last_rep is not None else "–")
    grid.add_row("elapsed", clock_text(status.last_sample_s))
    if link is not None:
        rate = status.received_rate_hz
        grid.add_row("battery", "–" if battery_percent is None else f"{battery_percent} %")
        grid.add_row("received", "–" if rate is None else f"{rate:.1f} Hz")
        grid.add_row("link", link)
    return Panel(grid, title=title, title_align="left", box=box.ROUNDED, expand=False)


def rep_line(status: LiveStatus) -> str:
    """One plain line for the newest counted rep, e.g. ``3 counted (set 1, clamshell) at 0:12: 2.9 s ...``."""
    rep = status.last_rep
    tempo = f": {tempo_text(rep)}" if rep is not None else ""
    return (
        f"{status.count} counted (set {status.set_number}, {status.exercise or 'unknown'}) "
        f"at {clock_text(status.last_sample_s)}{tempo}"
    )


class LiveView:
    """Show a session's :class:`~sensor.session.LiveStatus` while it runs.

    Parameters
    ----------
    title : str
        Heading of the panel.
    console : rich.console.Console, optional
        Where to draw (default: a new console on stdout).

    Notes
    -----
    Use as a context manager and call :meth:`update` after every pushed item.
    On a terminal the panel is redrawn in place at most
    :data:`REFRESH_PER_SECOND` times a second and cleared on exit (the
    summary that follows says everything it said). Elsewhere one line is
    printed per change of the count and per change of the link state.
    """

    def __init__(self, *, title: str, console: Console | None = None) -> None:
        self.title = title
        self.console = console if console is not None else Console()
        self._live: Live | None = None
        self._printed_count = 0
        self._printed_link: str | None = None

    def __enter__(self) -> LiveView:
        if self.console.is_terminal:
            self._live = Live(
                f"{self.title}: waiting for data",
                console=self.console,
                refresh_per_second=REFRESH_PER_SECOND,
                transient=True,
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc_info)
            self._live = None

    def update(self, status: LiveStatus, *, battery_percent: int | None = None, link: str | None = None) -> None:
        """Show a new status.

        Parameters
        ----------
        status : LiveStatus
            The pipeline's running state.
        battery_percent : int, optional
            Band battery, % (live band only).
        link : str, optional
            Link state (live band only).
        """
        if self._live is not None:
            self._live.update(status_panel(status, title=self.title, battery_percent=battery_percent, link=link))
            return
        if link is not None and link != self._printed_link:
            self._printed_link = link
            self.console.print(f"link: {link}", highlight=False, soft_wrap=True)
        if status.count != self._printed_count:
            self._printed_count = status.count
            self.console.print(rep_line(status), highlight=False, soft_wrap=True)
