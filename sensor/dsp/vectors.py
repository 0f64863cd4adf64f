"""Small vector helpers for single 3-vectors in hot paths."""

from __future__ import annotations

from sensor.types import FloatArray


def cross3(a: FloatArray, b: FloatArray) -> FloatArray:
    """Cross product of two 3-vectors (any unit), written out.

    :func:`numpy.cross` has a fixed cost of several microseconds per call that
    dominates on single vectors.
    """
    return a[[1, 2, 0]] * b[[2, 0, 1]] - a[[2, 0, 1]] * b[[1, 2, 0]]
