"""A PNG of a session: the thigh angle, each rep shaded and numbered, tempo under each set."""

from __future__ import annotations

from pathlib import Path

from sensor.dsp.trace import thigh_angle_trace
from sensor.errors import UsageError
from sensor.session import SessionResult
from sensor.types import SampleBlock


def plot_session(samples: SampleBlock, result: SessionResult, path: Path, *, title: str = "") -> Path:
    """Write a PNG of the thigh angle (deg) against time (s) with every counted rep marked.

    Parameters
    ----------
    samples : SampleBlock
        The analysed samples.
    result : SessionResult
        What the pipeline counted on them.
    path : Path
        PNG to write (parent directories are created).
    title : str, optional
        Plot title.

    Raises
    ------
    UsageError
        When matplotlib (the ``plot`` extra) is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib: install it with  pip install 'repband[plot]'"
        ) from None
    t, angle = thigh_angle_trace(samples, [s.start_s for s in result.sets])
    fig, ax = plt.subplots(figsize=(max(8.0, min(40.0, samples.end_s / 8.0)), 4.0), layout="constrained")
    ax.plot(t, angle, lw=0.8, color="#1f4e79")
    top = float(angle.max()) if angle.size else 1.0
    for number, s in enumerate(result.sets, start=1):
        for index, rep in enumerate(s.reps, start=1):
            ax.axvspan(rep.start_s, rep.end_s, color="#f4a261" if index % 2 else "#e9c46a", alpha=0.35, lw=0)
            ax.text((rep.start_s + rep.end_s) / 2, top * 1.02, str(index), ha="center", va="bottom", fontsize=7)
        tempo = s.tempo
        parts = [f"set {number}: {s.exercise}, {s.count}"]
        if "cadence_per_min" in tempo:
            parts.append(f"{tempo['cadence_per_min']}/min")
        if "tempo" in tempo:
            parts.append(f"tempo {tempo['tempo']}")
        if "rom_deg_mean" in tempo:
            parts.append(f"ROM {tempo['rom_deg_mean']}°")
        ax.annotate(", ".join(parts), xy=((s.start_s + s.end_s) / 2, 0), xycoords=("data", "axes fraction"),
                    xytext=(0, -28), textcoords="offset points", ha="center", va="top", fontsize=8)
    ax.set_xlabel("time (s)", labelpad=24)
    ax.set_ylabel("thigh angle from rest (deg)")
    ax.set_ylim(bottom=min(0.0, float(angle.min()) if angle.size else 0.0), top=top * 1.12 + 1.0)
    ax.set_title(title or f"{result.exercise}: {result.count} counted")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
