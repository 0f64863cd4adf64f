"""The ``repband`` command line: parse options, call ``sensor``, render.

All logic lives in the ``sensor`` package; this module only wires it up and
turns :class:`sensor.errors.RepbandError` into one line on stderr and an exit
code (1 bad data or device, 2 bad usage).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

import typer

from sensor import __version__
from sensor.errors import RepbandError

app = typer.Typer(
    name="repband",
    help="Count lateral band walks, monster walks and clamshells from a thigh-worn IMU band, with tempo.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn Repband errors into one line on stderr and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RepbandError as exc:
            typer.echo(f"repband: error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


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


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
