"""Small vector helpers for hot paths: single 3-vectors and short blocks of rows."""

from __future__ import annotations

import math

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


def cross_rows(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise cross product of two (n, 3) arrays, C-ordered (n, 3).

    The same products and differences as :func:`numpy.cross`, so the same
    result to the bit, without its axis handling, which costs more than the
    maths on blocks of a few samples.
    """
    ax, ay, az = a.T
    bx, by, bz = b.T
    return np.column_stack((ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx))


def row_norms(x: FloatArray) -> FloatArray:
    """Euclidean length of each row of ``x`` (n, k), shape (n,).

    The sum of squares :func:`numpy.linalg.norm` computes along ``axis=1``,
    so the same result to the bit, without its argument handling.
    """
    return np.sqrt(np.add.reduce(x * x, axis=1))


def row_steps(x: FloatArray, before: FloatArray) -> FloatArray:
    """Change from each row of ``x`` (n, k) to the next, the first from ``before`` (1, k); shape (n, k).

    ``np.diff`` with ``prepend`` to the bit, without stacking the rows first.
    """
    return x - np.concatenate((before, x[:-1]))


def norm3(v: FloatArray) -> float:
    """Euclidean length of a single vector: :func:`numpy.linalg.norm`'s own dot product, without its checks."""
    return math.sqrt(v.dot(v))


def first_true(mask: np.ndarray) -> int | None:
    """Index of the first True in the 1-D boolean ``mask``, or None."""
    # argmax stops at the first True; flatnonzero would list every hit.
    return int(mask.argmax()) if mask.any() else None
