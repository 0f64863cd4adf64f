"""Small vector helpers for single 3-vectors in hot paths."""

from __future__ import annotations

import numpy as np

from sensor.types import FloatArray


def cross3(a: FloatArray, b: FloatArray) -> FloatArray:
    """Cross product of two 3-vectors (any unit), written out.

    :func:`numpy.cross` (and any numpy indexing) has a fixed cost of several
    microseconds per call that dominates on single vectors; plain floats do not.
    """
    ax, ay, az = a.tolist()
    bx, by, bz = b.tolist()
    return np.array((ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx))
