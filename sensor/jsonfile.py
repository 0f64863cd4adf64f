"""Reading small JSON files that must hold one object (settings, truth sidecars)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sensor.errors import RepbandError


def read_json_object(path: str | os.PathLike[str], what: str, error: type[RepbandError]) -> dict[str, Any]:
    """Return the JSON object stored in ``path``.

    Parameters
    ----------
    path : path-like
        File to read (UTF-8).
    what : str
        What the file is, for messages (e.g. ``"truth sidecar"``).
    error : type of RepbandError
        Raised, with one line naming the file, when the file is missing,
        unreadable, not JSON, or not a JSON object.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise error(f"{source}: cannot read {what} ({reason})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{source}: line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise error(f"{source}: {what} must hold a JSON object, found {type(obj).__name__}")
    return obj
