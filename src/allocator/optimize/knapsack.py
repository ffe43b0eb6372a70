"""Exact 0/1 knapsack by dynamic programming: the fast path of the what-if solves.

A call with all-or-nothing funding, no rules and an integer-scaled objective is a plain
0/1 knapsack: integer values (the scaled weighted scores), integer costs (the requests).
When the requests share a large common divisor (whole 5 000 or 10 000 kr, as they usually
do) the table over the frame is small and dynamic programming answers a what-if question in
well under a millisecond, exactly, where a MIP solve takes several. The solver notes ask for
this: "where the problem is a plain knapsack, dedicated algorithms are orders of magnitude
faster than any MIP: exploit that where the rules allow it, and check it against the MIP"
(the tests do).

:func:`table` computes, for every budget ``c`` (in units of the common divisor) up to a
capacity, the best total of an integer objective; :func:`pick` reads back the chosen items.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

__all__ = ["Table", "table", "pick", "choose", "divisor"]

MAX_CELLS = 20_000_000  # items x budget cells of the choice table (bytes)


def divisor(costs: list[int]) -> int:
    """The greatest common divisor of the costs (1 for none).

    Examples
    --------
    >>> divisor([150_000, 240_000, 95_000])
    5000
    """
    g = 0
    for c in costs:
        g = gcd(g, int(c))
    return max(g, 1)


@dataclass(frozen=True)
class Table:
    """Best objective per budget, and which item each budget's optimum took last."""

    best: np.ndarray  # best[c]: the highest total with cost <= c units
    take: np.ndarray  # take[k, c]: item k is in the optimum of budget c over items 0..k
    weights: np.ndarray
    items: np.ndarray


def table(items: np.ndarray, weights: np.ndarray, values: np.ndarray, capacity: int) -> Table:
    """The 0/1 knapsack table over ``items`` (indices) for budgets 0..capacity (units).

    ``values`` are non-negative integers (int64), ``weights`` positive integer units, both
    indexed by item. Among equal totals the earlier decision (not taking) is kept, so the
    optimum read back by :func:`pick` is deterministic.

    Examples
    --------
    >>> t = table(np.array([0, 1, 2]), np.array([3, 2, 2]), np.array([9, 6, 5]), 4)
    >>> t.best.tolist(), pick(t, 4)
    ([0, 0, 6, 9, 11], [1, 2])
    """
    best = np.zeros(capacity + 1, dtype=np.int64)
    take = np.zeros((len(items), capacity + 1), dtype=bool)
    for k, i in enumerate(items.tolist()):
        w, v = int(weights[i]), int(values[i])
        if w > capacity:
            continue
        cand = best[: capacity + 1 - w] + v
        better = cand > best[w:]
        take[k, w:] = better
        best[w:] = np.where(better, cand, best[w:])
    return Table(best=best, take=take, weights=weights, items=items)


def pick(t: Table, budget: int) -> list[int]:
    """The items of the optimum for ``budget`` units (ascending item index)."""
    out = []
    c = budget
    for k in range(len(t.items) - 1, -1, -1):
        if t.take[k, c]:
            i = int(t.items[k])
            out.append(i)
            c -= int(t.weights[i])
    return sorted(out)


def choose(
    items: np.ndarray,
    weights: np.ndarray,
    values: np.ndarray,
    capacity: int,
    *,
    prefer: np.ndarray | None = None,
    target: int | None = None,
    cheapest: bool = False,
) -> list[int] | None:
    """The items of an optimum, or None when ``target`` cannot be reached.

    Maximise the total value within ``capacity`` units (among equal values, the highest
    total ``prefer``, non-negative integers); with ``cheapest``, the smallest budget whose
    best value reaches ``target``, then the highest value and ``prefer`` there. ``target``
    (optional) is a lower bound on the total value.

    Examples
    --------
    >>> items, w, v = np.array([0, 1, 2]), np.array([3, 2, 2]), np.array([9, 6, 5])
    >>> choose(items, w, v, 4), choose(items, w, v, 4, target=7, cheapest=True)
    ([1, 2], [0])
    """
    m = 1
    vals = values
    if prefer is not None and np.any(prefer):
        m = int(prefer[items].sum()) + 1 if len(items) else 1
        vals = values * m + prefer
    t = table(items, weights, vals, capacity)
    if cheapest:
        if target is None:
            return pick(t, 0)
        reach = np.flatnonzero(t.best // m >= target)
        return pick(t, int(reach[0])) if len(reach) else None
    if target is not None and int(t.best[capacity]) // m < target:
        return None
    return pick(t, capacity)
