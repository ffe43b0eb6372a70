"""Exact 0/1 knapsack that also says whether its optimum is the only one.

A call with all-or-nothing funding whose only constraint is the frame (eligibility and
locks fix columns; nothing else) is a 0/1 knapsack with integer values (the integer-scaled
weighted scores) and integer weights (the requests in units of their greatest common
divisor, 10 000 kr for most calls). Dynamic programming over the *exact* cost of a
portfolio solves it in ``O(n * capacity)`` integer operations, and counting the optimal
portfolios along the way (capped at two) tells whether the optimum is unique. When it is,
every tie-break rule of :func:`allocator.solve` leaves it unchanged, so the sweep can take it
as the decision; when it is not, the caller falls back to the exact lexicographic stages.

Everything is integer arithmetic (int64): no tolerance is involved anywhere.

Examples
--------
>>> import numpy as np
>>> r = knapsack(np.array([9, 6, 5]), np.array([3, 2, 2]), 4)
>>> r.value, r.take.tolist(), r.unique
(11, [False, True, True], True)
>>> knapsack(np.array([5, 5]), np.array([1, 1]), 1).unique
False
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

__all__ = ["MAX_CELLS", "KnapsackResult", "cells", "divisor", "knapsack"]

MAX_CELLS = 30_000_000
"""Largest decision table (items x capacity units, one byte each) the fast path builds."""

_NEG = np.int64(-(2**62))


@dataclass(frozen=True)
class KnapsackResult:
    """The optimum of a 0/1 knapsack.

    Attributes
    ----------
    value
        The best total value (an exact integer).
    take
        Which items the optimum takes.
    unique
        Whether no other set of items reaches ``value``.
    """

    value: int
    take: np.ndarray
    unique: bool


def divisor(weights: np.ndarray) -> int:
    """Greatest common divisor of positive integer weights (1 if there are none).

    >>> divisor(np.array([150_000, 240_000, 90_000]))
    30000
    """
    g = 0
    for w in np.unique(np.asarray(weights, dtype=np.int64)).tolist():
        g = gcd(g, int(w))
        if g == 1:
            break
    return max(g, 1)


def cells(n_items: int, capacity: int) -> int:
    """Size of the decision table for ``n_items`` and ``capacity`` units."""
    return n_items * (capacity + 1)


def knapsack(values: np.ndarray, weights: np.ndarray, capacity: int) -> KnapsackResult:
    """Maximise ``values . x`` subject to ``weights . x <= capacity``, ``x`` in {0, 1}.

    Parameters
    ----------
    values
        Non-negative integers (int64); their total must stay below 2**62.
    weights
        Positive integers (int64), in the same units as ``capacity``.
    capacity
        A non-negative integer.

    The table ``best[c]`` holds the best value of a set of items weighing *exactly* ``c``
    and ``count[c]`` how many sets reach it (0, 1 or "2 or more").
    """
    v = np.asarray(values, dtype=np.int64)
    w = np.asarray(weights, dtype=np.int64)
    n = len(v)
    if len(w) != n:
        raise ValueError(f"{n} values for {len(w)} weights")
    if n and (w.min() <= 0 or v.min() < 0):
        raise ValueError("weights must be positive and values non-negative integers")
    cap = int(capacity)
    if cap < 0:
        raise ValueError(f"capacity {cap} must be at least 0")
    best = np.full(cap + 1, _NEG, dtype=np.int64)
    count = np.zeros(cap + 1, dtype=np.int8)
    best[0], count[0] = 0, 1
    keep = np.zeros((n, cap + 1), dtype=bool)
    reach = 0  # largest exact weight reachable so far: the table beyond it is empty
    for k in range(n):
        wk, vk = int(w[k]), int(v[k])
        if wk > cap:
            continue
        top = min(cap, reach + wk)
        src = slice(0, top - wk + 1)
        dst = slice(wk, top + 1)
        a, ca = best[src], count[src]
        cand = np.where(a > _NEG, a + vk, _NEG)
        b, cb = best[dst], count[dst]
        gt = cand > b
        eq = (cand == b) & (cand > _NEG)
        new_count = np.where(gt, ca, np.where(eq, np.minimum(cb + ca, 2), cb)).astype(np.int8)
        new_best = np.where(gt, cand, b)
        keep[k, dst] = gt
        best[dst] = new_best
        count[dst] = new_count
        reach = top
    top_value = int(best.max())
    at = np.flatnonzero(best == top_value)
    n_optima = min(int(count[at].astype(np.int64).sum()), 2)
    take = np.zeros(n, dtype=bool)
    c = int(at[0])
    for k in range(n - 1, -1, -1):
        if keep[k, c]:
            take[k] = True
            c -= int(w[k])
    return KnapsackResult(value=top_value, take=take, unique=n_optima == 1)
