"""Rich tables of a session summary: one line per set, then one per rep."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from sensor.session import SessionResult, SetResult


def render_summary(result: SessionResult, console: Console, *, file: str | None = None) -> None:
    """Print the analyze summary: a set table, a rep table per set and the quality line.

    Parameters
    ----------
    result : SessionResult
        What the pipeline found.
    console : rich.console.Console
        Where to print.
    file : str, optional
        Recording name for the heading.
    """
    heading = f"{file}: " if file else ""
    # Plain lines are soft-wrapped: a long path must not split the headline in a pipe or log.
    console.print(
        f"[bold]{heading}{result.exercise}, {result.count} counted in {len(result.sets)} set(s)[/bold]",
        soft_wrap=True,
    )
    if result.sets:
        console.print(_sets_table(result.sets))
        for number, s in enumerate(result.sets, start=1):
            console.print(_reps_table(number, s))
    q = result.quality
    console.print(
        f"quality: {q.rate_hz:.1f} Hz, {q.duration_s:.1f} s, "
        f"{'gyro' if q.has_gyro else 'no gyro'}, {q.gaps} gap(s) ({q.missing_s:.1f} s missing)",
        soft_wrap=True,
    )
    for warning in q.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)


def _fmt(value: float | str | None, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}{unit}"


def _sets_table(sets: tuple[SetResult, ...]) -> Table:
    # One column per set keeps the table narrow whatever the exercise.
    table = Table(title="Sets", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("")
    for number in range(1, len(sets) + 1):
        table.add_column(f"set {number}", justify="right")
    rows: dict[str, list[str]] = {}
    for s in sets:
        tempo = s.tempo
        values = {
            "exercise": s.exercise if s.confidence is None else f"{s.exercise} ({s.confidence:.0%} sure)",
            "count": str(s.count),
            "strides": _fmt(s.strides, 0) if s.strides is not None else "–",
            "time (s)": f"{s.start_s:.1f} – {s.end_s:.1f}",
            "rest before (s)": _fmt(s.rest_before_s),
            "cadence (per min)": _fmt(tempo.get("cadence_per_min")),
            "rep duration, mean (s)": _fmt(tempo.get("rep_s_mean"), 2),
            # The coefficient of variation: how regular the reps are (0 = all alike).
            "rep duration, CV": _fmt(tempo.get("rep_s_cv"), 2),
            "time under tension (s)": _fmt(tempo.get("tut_s")),
            "open / hold / close (s)": " / ".join(_fmt(tempo.get(k), 2) for k in ("open_s", "hold_s", "close_s")),
            "tempo": _fmt(tempo.get("tempo")),
            "ROM mean / min (deg)": f"{_fmt(tempo.get('rom_deg_mean'))} / {_fmt(tempo.get('rom_deg_min'))}",
            "ROM drop, last vs first third (%)": _fmt(tempo.get("rom_drop_pct")),
        }
        for key, value in values.items():
            rows.setdefault(key, []).append(value)
    for key, cells in rows.items():
        if any(v not in ("–", "– / –", "– / – / –") for v in cells):
            table.add_row(key, *cells)
    return table


def _reps_table(number: int, s: SetResult) -> Table:
    table = Table(title=f"Set {number}: {s.exercise}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    clamshell = s.exercise == "clamshell"
    columns = ["#", "start s", "end s", "rep s"]
    if clamshell:
        columns += ["open s", "hold s", "close s", "ROM deg", "partial"]
    elif s.exercise == "lateral-walk":
        columns += ["direction"]
    elif s.exercise == "monster-walk":
        columns += ["leg", "direction"]
    for name in columns:
        table.add_column(name, justify="right")
    for index, (rep, partial) in enumerate(zip(s.reps, s.partial), start=1):
        row = [str(index), _fmt(rep.start_s, 2), _fmt(rep.end_s, 2), _fmt(rep.duration_s, 2)]
        if clamshell:
            row += [_fmt(rep.open_s, 2), _fmt(rep.hold_s, 2), _fmt(rep.close_s, 2), _fmt(rep.rom_deg),
                    "yes" if partial else ""]
        elif s.exercise == "lateral-walk":
            row += [rep.direction or "–"]
        elif s.exercise == "monster-walk":
            row += [rep.leg or "–", rep.direction or "–"]
        table.add_row(*row)
    return table
