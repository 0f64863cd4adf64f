"""The ``repband`` command line: parse options, call ``sensor``, render.

All logic lives in the ``sensor`` package; this module only wires it up and
turns :class:`sensor.errors.RepbandError` into one line on stderr and an exit
code (1 bad data or device, 2 bad usage, 130 cut short by Ctrl-C).
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import typer

from sensor import __version__
from sensor.__main__ import STOPPED_LINE
from sensor.errors import RepbandError, StoppedError

app = typer.Typer(
    name="repband",
    help="Count lateral band walks, monster walks and clamshells from a thigh-worn IMU band, with tempo.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn Repband errors into one line on stderr and the error's exit code (a Ctrl-C stop is not called an error)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _take_over_ctrl_c()
        try:
            return func(*args, **kwargs)
        except RepbandError as exc:
            typer.echo(_error_line(exc), err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            # A Ctrl-C before a command installs its own handling (while it starts up).
            typer.echo(STOPPED_LINE, err=True)
            raise typer.Exit(StoppedError.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _take_over_ctrl_c() -> None:
    """From here a Ctrl-C raises KeyboardInterrupt, which the command turns into a clean stop.

    Until now the entry point's start-up handler exited at once (see
    :mod:`sensor.__main__`); a command may have files to close.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _error_line(exc: RepbandError) -> str:
    """The one line a Repband error prints on stderr."""
    kind = "" if isinstance(exc, StoppedError) else "error: "
    return f"repband: {kind}{exc}"


class _Readable:
    """The recordings of ``paths``, read one at a time as they are iterated: ``(path, recording)``.

    Of several paths, one that cannot be read (missing, cut, not a recording) is reported on its
    own line and skipped, so it does not cost the others; :meth:`exit_if_any_failed` then ends
    the command with its exit code. A single path fails as any error does.
    """

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.failed: RepbandError | None = None

    def __iter__(self) -> Iterator[tuple[Path, Any]]:
        from sensor.recording import read_recording

        for path in self.paths:
            try:
                recording = read_recording(path)
            except RepbandError as exc:
                if len(self.paths) == 1:
                    raise
                typer.echo(_error_line(exc), err=True)
                self.failed = exc
                continue
            yield path, recording

    def exit_if_any_failed(self) -> None:
        """End the command with the exit code of the last recording that could not be read, if any."""
        if self.failed is not None:
            raise typer.Exit(self.failed.exit_code)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"repband {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Count lateral band walks, monster walks and clamshells from a thigh-worn IMU band."""


@app.command()
@friendly_errors
def simulate(
    exercise: str = typer.Argument(
        ...,
        help="clamshell, lateral-walk or monster-walk; or a movement that must count 0: "
        "still, lying, walk-forward, fidget.",
    ),
    reps: int = typer.Option(
        12, "--reps", help="Per set, 1 to 200: clamshell reps, lateral-walk step cycles, monster-walk steps (made even)."
    ),
    sets: int = typer.Option(1, "--sets", help="Number of sets, 1 to 4."),
    rate: float = typer.Option(52.0, "--rate", help="Sample rate, 25 to 200 Hz."),
    seed: int = typer.Option(0, "--seed", help="Seed, 0 or more: the same seed gives the same recording."),
    leg: str = typer.Option("right", "--leg", help="Thigh wearing the band: right or left."),
    no_gyro: bool = typer.Option(False, "--no-gyro", help="Accelerometer only, like bands without a gyroscope."),
    out: Optional[Path] = typer.Option(  # noqa: UP007 (typer needs Optional on 3.10)
        None, "--out", help="Recording to write (default: EXERCISE-SEED.csv in the current directory)."
    ),
) -> None:
    """Write a synthetic recording (v1 CSV) and its ground truth (NAME.truth.json beside it)."""
    from sensor.synth import SimulationConfig
    from sensor.synth import simulate as run_simulation

    config = SimulationConfig(
        exercise=exercise, reps=reps, sets=sets, rate_hz=rate, seed=seed, leg=leg, has_gyro=not no_gyro
    )
    recording = run_simulation(config)
    csv_path, truth_path = recording.write(out if out is not None else Path(f"{exercise}-{seed}.csv"))
    typer.echo(
        f"wrote {csv_path} ({len(recording.samples)} samples, {recording.samples.end_s:.1f} s) "
        f"and {truth_path} (count {recording.truth.count})"
    )


@app.command()
@friendly_errors
def info(
    paths: list[Path] = typer.Argument(..., help="Recordings to describe (v1 or plain t,ax,ay,az[,gx,gy,gz] CSV)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Summarise recordings: band, rate, duration, gaps, events and, for synthetic ones, the true count.

    Of several recordings, one that cannot be read is reported on its own
    line and the others are still described; the exit code is then 1.
    """
    import json

    from sensor.recording.summary import summarize_recording

    recordings = _Readable(paths)
    summaries = [summarize_recording(recording).to_json_dict() for _, recording in recordings]
    if as_json:
        typer.echo(json.dumps(summaries[0] if len(paths) == 1 else summaries, indent=1))
    else:
        for summary in summaries:
            typer.echo(summary.pop("file"))
            for key, value in summary.items():
                typer.echo(f"  {key:<22} {value}")
    recordings.exit_if_any_failed()


_EXERCISE_HELP = (
    "auto (recognise per set), clamshell, lateral-walk or monster-walk "
    "(default: what the recording was made for, else auto)."
)
_LEG_HELP = "Thigh wearing the band: right or left (default: the recording's, else right)."
_MIN_ROM_HELP = "Smallest clamshell opening counted as a rep, 2 to 60 deg (default: the recording's, else 10)."


def _pipeline_config(
    exercise: Optional[str], leg: Optional[str], min_rom: Optional[float], metadata: dict[str, Any]  # noqa: UP007
) -> Any:
    from sensor.pipeline import config_for_recording

    return config_for_recording(metadata, exercise=exercise, leg=leg, min_rom_deg=min_rom)


@app.command()
@friendly_errors
def analyze(
    paths: list[Path] = typer.Argument(..., help="Recordings to analyse (v1 or plain t,ax,ay,az[,gx,gy,gz] CSV)."),
    exercise: Optional[str] = typer.Option(None, "--exercise", "-e", help=_EXERCISE_HELP),  # noqa: UP007
    leg: Optional[str] = typer.Option(None, "--leg", help=_LEG_HELP),  # noqa: UP007
    min_rom: Optional[float] = typer.Option(None, "--min-rom", help=_MIN_ROM_HELP),  # noqa: UP007
    as_json: bool = typer.Option(False, "--json", help="Print JSON (design §5) instead of tables."),
    plot: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--plot", help="Write a PNG of the thigh angle with every rep marked (several files: one PNG each)."
    ),
) -> None:
    """Count reps and steps in recordings and report sets and tempo.

    Of several recordings, one that cannot be read is reported on its own
    line and the others are still analysed; the exit code is then 1.
    """
    import json

    from rich.console import Console

    from sensor.pipeline import analyze_recording
    from sensor.render.tables import render_summary

    console = Console()
    documents = []
    recordings = _Readable(paths)
    for path, recording in recordings:
        result = analyze_recording(recording, _pipeline_config(exercise, leg, min_rom, recording.metadata))
        if plot is not None:
            from sensor.render.plot import plot_session

            target = plot if len(paths) == 1 else plot.with_name(f"{plot.stem}-{path.stem}{plot.suffix}")
            plot_session(recording.samples, result, target, title=f"{path.name}: {result.exercise}, {result.count}")
            if not as_json:
                console.print(f"plot written to {target}", highlight=False, soft_wrap=True)
        if as_json:
            documents.append(result.to_json_dict(str(path)))
        else:
            render_summary(result, console, file=str(path))
    if as_json:
        typer.echo(json.dumps(documents[0] if len(paths) == 1 else documents, indent=1))
    recordings.exit_if_any_failed()


@app.command()
@friendly_errors
def replay(
    path: Path = typer.Argument(..., help="Recording to play."),
    exercise: Optional[str] = typer.Option(None, "--exercise", "-e", help=_EXERCISE_HELP),  # noqa: UP007
    leg: Optional[str] = typer.Option(None, "--leg", help=_LEG_HELP),  # noqa: UP007
    min_rom: Optional[float] = typer.Option(None, "--min-rom", help=_MIN_ROM_HELP),  # noqa: UP007
    speed: float = typer.Option(1.0, "--speed", help="Times real time; 0 plays as fast as possible."),
) -> None:
    """Play a recording through the live view, then print the same summary as analyze; Ctrl-C stops early."""
    from rich.console import Console

    from sensor.recording import read_recording
    from sensor.render.live import LiveView
    from sensor.render.tables import render_summary
    from sensor.interrupts import interrupt_stops
    from sensor.replay import replay as run_replay

    recording = read_recording(path)
    config = _pipeline_config(exercise, leg, min_rom, recording.metadata)
    console = Console()
    pace = "full speed" if speed == 0 else f"{speed:g}x"
    with LiveView(title=f"replay {path.name} at {pace} (Ctrl-C stops)", console=console) as view, \
            interrupt_stops() as stopped:
        result = run_replay(recording, config, speed=speed, on_update=view.update, stop=stopped)
    render_summary(result, console, file=str(path))


def _scan_timeout(timeout: float) -> float:
    if not 0 < timeout <= 60:
        from sensor.errors import UsageError

        raise UsageError(f"--timeout {timeout:g}: must be more than 0 and at most 60 s")
    return timeout


@app.command()
@friendly_errors
def scan(
    timeout: float = typer.Option(5.0, "--timeout", help="Seconds to listen, more than 0 and at most 60."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
) -> None:
    """List nearby bands Repband can speak to: name, address, band type, RSSI."""
    import asyncio
    import json

    from sensor.ble.scan import scan_until_interrupted

    found = asyncio.run(scan_until_interrupted(_scan_timeout(timeout)))
    if as_json:
        typer.echo(json.dumps([f.to_json_dict() for f in found], indent=1))
        return
    if not found:
        typer.echo("no supported band found (is it awake and not connected to another app?)")
        return
    typer.echo(f"{'NAME':<24} {'ADDRESS':<20} {'BAND':<12} {'MODEL':<16} RSSI")
    for f in found:
        rssi = "" if f.rssi is None else f"{f.rssi} dBm"
        typer.echo(f"{f.name:<24} {f.address:<20} {f.band:<12} {f.model:<16} {rssi}")


@app.command()
@friendly_errors
def pair(
    target: str = typer.Argument(
        ..., help="Address, name, a unique part of the name, or the model (see repband scan)."
    ),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds to look for it, more than 0 and at most 60."),
) -> None:
    """Connect once, read battery and capabilities, and remember the band as the default."""
    import asyncio

    from sensor.ble.scan import FoundBand, find_band
    from sensor.ble.transport import probe
    from sensor.config import save_default_band
    from sensor.interrupts import stop_on_interrupt

    async def connect_once() -> tuple[FoundBand, int | None]:
        stop = asyncio.Event()
        with stop_on_interrupt(stop):
            found = await find_band(target, timeout_s, stop=stop)
        return found, await probe(found.device, found.protocol)

    timeout_s = _scan_timeout(timeout)
    typer.echo(f"looking for {target!r} (up to {timeout_s:g} s; Ctrl-C stops)")
    found, battery = asyncio.run(connect_once())
    caps = found.protocol.capabilities(found.advert)
    path = save_default_band(found.address, found.name, found.band)
    rates = ", ".join(f"{r:g}" for r in caps.rates_hz)
    ranges = ", ".join(f"±{g}" for g in caps.ranges_g)
    typer.echo(f"paired {found.name} ({found.address}), {found.model}, band {found.band}")
    typer.echo(f"  battery   {'unknown' if battery is None else f'{battery} %'}")
    typer.echo(f"  rates     {rates} Hz; ranges {ranges} g; gyroscope {'yes' if caps.has_gyro else 'no'}")
    typer.echo(f"  saved as the default band in {path}")


@app.command()
@friendly_errors
def record(
    band: Optional[str] = typer.Option(  # noqa: UP007
        None,
        "--band",
        help="Address, name or model of the band, or 'virtual' for the emulated one (default: the band saved by pair).",
    ),
    exercise: Optional[str] = typer.Option(None, "--exercise", "-e", help=_EXERCISE_HELP),  # noqa: UP007
    leg: str = typer.Option("right", "--leg", help="Thigh wearing the band: right or left."),
    min_rom: Optional[float] = typer.Option(  # noqa: UP007
        None, "--min-rom", help="Smallest clamshell opening counted as a rep, 2 to 60 deg (default 10)."
    ),
    rate: Optional[float] = typer.Option(  # noqa: UP007
        None, "--rate", help="Sample rate, Hz (the closest the band offers; default: the band's usual rate)."
    ),
    duration: Optional[float] = typer.Option(  # noqa: UP007
        None, "--duration", help="Stop after this many seconds (default: at Ctrl-C)."
    ),
    out: Optional[Path] = typer.Option(  # noqa: UP007
        None, "--out", help="Recording to write (default: recordings/<date>T<time>-<exercise>.csv)."
    ),
    timeout: float = typer.Option(5.0, "--timeout", help="Seconds to look for the band, more than 0 and at most 60."),
) -> None:
    """Record from a band with a live view of counts and tempo; Ctrl-C stops and prints the summary."""
    import asyncio
    from datetime import datetime

    from rich.console import Console

    from sensor.recorder import RecordSettings, record_band, stopped_at_once
    from sensor.render.live import LiveView
    from sensor.render.tables import render_summary

    settings = RecordSettings(
        band=band,
        pipeline=_pipeline_config(exercise, leg, min_rom, {}),
        rate_hz=rate,
        duration_s=duration,
        out=out,
        scan_timeout_s=_scan_timeout(timeout),
    ).with_default_out(datetime.now())
    console = Console()
    try:
        with LiveView(title="recording (Ctrl-C stops)", console=console) as view:
            outcome = asyncio.run(record_band(settings, view=view))
        render_summary(outcome.result, console, file=str(outcome.path))
        skipped = f"; {outcome.decode_errors} corrupt packet(s) skipped" if outcome.decode_errors else ""
        console.print(
            f"recording saved to {outcome.path} ({outcome.samples} samples from {outcome.band_name}{skipped})",
            highlight=False,
            soft_wrap=True,
        )
    except KeyboardInterrupt:
        assert settings.out is not None
        raise stopped_at_once(settings.out) from None


@app.command()
@friendly_errors
def bands() -> None:
    """List the band families Repband supports and what each streams."""
    from sensor.bands.registry import bands_table

    for row in bands_table():
        typer.echo(f"{row.name:<12} {row.display_name:<34} gyro {'yes' if row.has_gyro else 'no ':<4} {row.streams}")


def main() -> None:
    """Console-script entry point: a command-line mistake (unknown option, unparsable value) is one line too.

    Once the command is over, Ctrl-C is ignored: the process is only exiting,
    and a signal landing in the interpreter's shutdown would print a traceback.
    """
    _show_unencodable_characters_as_question_marks()
    try:
        code = _run_app()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


def _show_unencodable_characters_as_question_marks() -> None:
    """On a terminal or file whose encoding lacks a character we print (°, ×, –), print '?' instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def _run_app() -> int:
    """Run the command line; return the exit code."""
    try:
        code = app(prog_name="repband", standalone_mode=False)
    except typer.TyperException as exc:
        # Typer's own usage errors would otherwise print the usage and a framed box.
        message = exc.format_message().rstrip(".")
        if message:  # empty after the help shown for a bare `repband`
            command = getattr(getattr(exc, "ctx", None), "command_path", "repband")
            typer.echo(f"repband: error: {message}; see '{command} --help'", err=True)
        return exc.exit_code
    except typer.Abort:
        return 1
    except KeyboardInterrupt:
        # Between Typer's own handling and the command's, e.g. right after the command returned.
        typer.echo(STOPPED_LINE, err=True)
        return StoppedError.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    main()
