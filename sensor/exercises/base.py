"""What every exercise counter shares: the Rep record and the Counter interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sensor.dsp.resample import GridBlock

#: Exercise names as used on the command line and in JSON.
EXERCISES: tuple[str, ...] = ("clamshell", "lateral-walk", "monster-walk")
#: The band walks (told apart under ``auto`` over a whole set at once).
WALKS: tuple[str, ...] = ("lateral-walk", "monster-walk")


@dataclass(frozen=True)
class Rep:
    """One counted unit: a clamshell rep, a lateral step cycle or a monster-walk step.

    Attributes
    ----------
    exercise : str
        ``clamshell``, ``lateral-walk`` or ``monster-walk``.
    start_s, end_s : float
        Start and end of the movement, s (session time).
    peak_s : float or None
        Clamshell: time of the top of the rep, s.
    open_s, hold_s, close_s : float or None
        Clamshell phases, s (design.md §2: 90 % of peak angle splits them).
    rom_deg : float or None
        Clamshell range of motion, deg.
    direction : str or None
        Lateral walk: ``right`` or ``left`` in the person's frame, when it can
        be told; monster walk: ``forward`` or ``backward``.
    leg : str or None
        Monster walk: which leg stepped, ``banded`` (seen swinging) or
        ``other`` (inferred between two swings of the banded thigh).
    position : int or None
        Clamshell: number of the lying position the rep was made from (the
        counter starts a new one when the closed thigh's direction moves far);
        reps from different positions belong to different sets.
    emitted_at_s : float
        Session time of the last sample seen when the rep was emitted, s
        (live latency = ``emitted_at_s - end_s``).
    """

    exercise: str
    start_s: float
    end_s: float
    peak_s: float | None = None
    open_s: float | None = None
    hold_s: float | None = None
    close_s: float | None = None
    rom_deg: float | None = None
    direction: str | None = None
    leg: str | None = None
    position: int | None = None
    # When a rep was reported says nothing about the rep itself: not part of equality.
    emitted_at_s: float = field(default=float("nan"), compare=False)

    @property
    def duration_s(self) -> float:
        """Rep duration, s."""
        return self.end_s - self.start_s


class Counter(Protocol):
    """A causal counter on the uniform grid: ``push(block) -> reps``, ``finish() -> reps``.

    The reps it pushes out are what a live view counts; once a set is over,
    ``revise`` may recount it with all of it in view.
    """

    exercise: str

    def push(self, block: GridBlock) -> list[Rep]:
        """Consume grid samples; return the reps that became certain."""
        ...

    def finish(self) -> list[Rep]:
        """End of stream: return reps still pending that are complete."""
        ...

    def warnings(self) -> list[str]:
        """Plain-language problems with how the band was worn that the signal shows (empty if none)."""
        ...

    def revise(self, reps: tuple[Rep, ...]) -> tuple[Rep, ...]:
        """A finished set's reps (in time order), revised with the whole set in view."""
        ...
