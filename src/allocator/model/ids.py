"""The order of application ids: the id tie-break and every listing sorted by id."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["id_order", "natural_key"]

_DIGITS = re.compile(r"([0-9]+)")


def natural_key(s: str) -> tuple[Any, ...]:
    """Sort key of the id order: runs of ASCII digits compared as numbers, then the raw text.

    ``'A-2' < 'A-10'``; ids equal as numbers (``'A-1'``, ``'A-01'``) are ordered by their
    text, so the order is total on distinct ids and decisions never depend on row order.
    Only ``0-9`` form numbers: other characters Unicode calls digits (``'²'``, ``'①'``)
    are compared as text.

    Examples
    --------
    >>> sorted(["A-10", "A-2", "A-1", "A-01", "B", "²"], key=natural_key)
    ['A-01', 'A-1', 'A-2', 'A-10', 'B', '²']
    """
    parts = tuple((0, int(t), "") if t[0] in "0123456789" else (1, 0, t) for t in _DIGITS.split(s) if t)
    return (parts, s)


def id_order(ids: Sequence[str]) -> np.ndarray:
    """The positions of ``ids`` in the id order (:func:`natural_key`): ``ids[order[0]]`` comes
    first. Kept for the last few lists of ids (a call's ids are ordered once, not by every
    step that needs the order); the array is read-only.

    Examples
    --------
    >>> id_order(["A-10", "A-2", "A-1"]).tolist()
    [2, 1, 0]
    """
    return _order(tuple(ids))


@lru_cache(maxsize=8)
def _order(ids: tuple[str, ...]) -> np.ndarray:
    order = np.array(sorted(range(len(ids)), key=lambda i: natural_key(ids[i])), dtype=np.int64)
    order.flags.writeable = False
    return order
