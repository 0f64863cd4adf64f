"""The live view: what it shows in place on a terminal, and the plain lines it prints elsewhere."""

from __future__ import annotations

import io
import math

from rich.console import Console

from sensor.exercises.base import Rep
from sensor.render.live import LiveView, clock_text, status_panel, tempo_text
from sensor.session import LiveStatus

CLAM = Rep("clamshell", 3.2, 6.1, peak_s=4.3, open_s=1.0, hold_s=0.9, close_s=1.0, rom_deg=41.5)
STEP = Rep("lateral-walk", 10.0, 11.2, direction="left")


def status(count: int, rep: Rep | None, last_sample_s: float = 65.0) -> LiveStatus:
    return LiveStatus(
        count=count,
        set_number=1 if count else 0,
        exercise=None if rep is None else rep.exercise,
        last_rep=rep,
        last_sample_s=last_sample_s,
        received_rate_hz=51.96 if count else None,
    )


def text_of(renderable: object, *, width: int = 100) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_tempo_text_shows_what_each_exercise_has() -> None:
    assert tempo_text(CLAM) == "2.9 s (open 1.0 · hold 0.9 · close 1.0 s), ROM 42°"
    assert tempo_text(STEP) == "1.2 s, left"


def test_clock_text() -> None:
    assert [clock_text(s) for s in (math.nan, 5.9, 65.0, 3725.0)] == ["0:00", "0:05", "1:05", "1:02:05"]


def test_panel_for_a_band_shows_count_tempo_elapsed_and_link_facts() -> None:
    text = text_of(status_panel(status(3, CLAM), title="recording", battery_percent=87, link="reconnecting"))
    for expected in ("recording", "3", "clamshell", "ROM 42°", "1:05", "87 %", "52.0 Hz", "reconnecting"):
        assert expected in text


def test_panel_for_a_replay_leaves_out_the_link_rows() -> None:
    text = text_of(status_panel(status(0, None), title="replay"))
    assert "waiting for the first rep" in text
    assert "battery" not in text and "link" not in text


def test_without_a_terminal_one_line_per_rep_and_per_link_change() -> None:
    out = io.StringIO()
    with LiveView(title="recording", console=Console(file=out, width=200)) as view:
        view.update(status(0, None, 0.5), battery_percent=87, link="connected")
        view.update(status(0, None, 1.0), battery_percent=87, link="connected")
        view.update(status(1, CLAM, 6.5), battery_percent=87, link="connected")
        view.update(status(1, CLAM, 9.0), battery_percent=86, link="reconnecting")
    assert out.getvalue().splitlines() == [
        "link: connected",
        "1 counted (set 1, clamshell) at 0:06: 2.9 s (open 1.0 · hold 0.9 · close 1.0 s), ROM 42°",
        "link: reconnecting",
    ]


def test_on_a_terminal_the_panel_is_drawn_and_cleared() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with LiveView(title="recording", console=console) as view:
        view.update(status(2, STEP), battery_percent=50, link="connected")
    assert "1.2 s, left" in out.getvalue()
