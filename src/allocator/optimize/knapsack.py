"""Exact 0/1 knapsack by dynamic programming, with a count of the optima.

A call with all-or-nothing funding whose only constraint is the frame (eligibility and
locks fix columns; nothing else) is a 0/1 knapsack with integer values (the integer-scaled
weighted scores) and integer weights (the requests in units of their greatest common
divisor, 10 000 kr for most calls). Dynamic programming over the *exact* cost of a
portfolio solves it in ``O(n * capacity)`` integer operations, and counting the optimal
portfolios along the way (capped at two) tells whether the optimum is the only one. The
solver notes ask for this: "where the problem is a plain knapsack, dedicated algorithms are
orders of magnitude faster than any MIP: exploit that where the rules allow it, and check it
against the MIP" (the tests do).

Everything is integer arithmetic (int64): no tolerance is involved anywhere.

* :func:`knapsack`: the optimum and whether it is unique (scenario sweeps);
* :func:`choose`: an optimum with a secondary preference, a value target, or the cheapest
  portfolio reaching a target (the engine's what-if questions);
* :func:`applies` / :func:`what_if`: the same on a formulation's columns and bounds.

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

from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from allocator.optimize.formulation import Formulation

__all__ = [
    "MAX_CELLS",
    "KnapsackResult",
    "Table",
    "applies",
    "cells",
    "choose",
    "divisor",
    "knapsack",
    "optimum",
    "table",
    "what_if",
]

MAX_CELLS = 30_000_000
"""Largest decision table (items x capacity units, one byte each) dynamic programming builds."""

_NEG = np.int64(-(2**62))
_INT64_SAFE = 2**62


def divisor(weights: Sequence[int] | np.ndarray) -> int:
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


@dataclass(frozen=True)
class Table:
    """The dynamic program over exact costs.

    ``best[c]``: the best value of a set of items costing exactly ``c`` units (``-2**62``
    where no set does); ``count[c]``: how many sets reach it (0, 1 or 2 for "two or more");
    ``keep[k, c]``: item ``k`` is in the best set of cost ``c`` over items ``0..k``.
    """

    best: np.ndarray
    count: np.ndarray
    keep: np.ndarray
    weights: np.ndarray

    def items(self, cost: int) -> np.ndarray:
        """Which items the best set of exactly ``cost`` units takes."""
        take = np.zeros(len(self.weights), dtype=bool)
        c = int(cost)
        for k in range(len(self.weights) - 1, -1, -1):
            if self.keep[k, c]:
                take[k] = True
                c -= int(self.weights[k])
        return take


def table(values: np.ndarray, weights: np.ndarray, capacity: int) -> Table:
    """The dynamic program for ``values`` (non-negative int64) and ``weights`` (positive int64).

    Among sets of equal value and cost the one found first is kept (not taking the later
    item), so every read-back is deterministic.
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
    reach = 0  # largest exact cost reachable so far: the table beyond it is empty
    for k in range(n):
        wk, vk = int(w[k]), int(v[k])
        if wk > cap:
            continue
        top = min(cap, reach + wk)
        src, dst = slice(0, top - wk + 1), slice(wk, top + 1)
        a, ca = best[src], count[src]
        cand = np.where(a > _NEG, a + vk, _NEG)
        b, cb = best[dst], count[dst]
        gt = cand > b
        eq = (cand == b) & (cand > _NEG)
        count[dst] = np.where(gt, ca, np.where(eq, np.minimum(cb + ca, 2), cb)).astype(np.int8)
        best[dst] = np.where(gt, cand, b)
        keep[k, dst] = gt
        reach = top
    return Table(best=best, count=count, keep=keep, weights=w)


@dataclass(frozen=True)
class KnapsackResult:
    """The optimum of a 0/1 knapsack: its value, the items it takes, whether it is the only one."""

    value: int
    take: np.ndarray
    unique: bool


def knapsack(values: np.ndarray, weights: np.ndarray, capacity: int) -> KnapsackResult:
    """Maximise ``values . x`` subject to ``weights . x <= capacity``, ``x`` in {0, 1}.

    ``values``: non-negative integers whose total stays below 2**62; ``weights``: positive
    integers in the units of ``capacity``.
    """
    t = table(values, weights, capacity)
    top = int(t.best.max())
    at = np.flatnonzero(t.best == top)
    n_optima = min(int(t.count[at].astype(np.int64).sum()), 2)
    return KnapsackResult(value=top, take=t.items(int(at[0])), unique=n_optima == 1)


def choose(
    values: np.ndarray,
    weights: np.ndarray,
    capacity: int,
    *,
    prefer: np.ndarray | None = None,
    target: int | None = None,
    cheapest: bool = False,
) -> np.ndarray | None:
    """The items of an optimum (a boolean mask), or None when ``target`` cannot be reached.

    Maximise the total value within ``capacity`` units (among equal values, the highest
    total ``prefer``, non-negative integers); with ``cheapest``, the smallest cost at which a
    set reaches ``target`` (any set when there is no target: the empty one), then the highest
    value and ``prefer`` at that cost. ``target`` is a lower bound on the total value.

    Examples
    --------
    >>> v, w = np.array([9, 6, 5]), np.array([3, 2, 2])
    >>> choose(v, w, 4).tolist(), choose(v, w, 4, target=7, cheapest=True).tolist()
    ([False, True, True], [True, False, False])
    """
    m = 1
    vals = np.asarray(values, dtype=np.int64)
    if prefer is not None and np.any(prefer):
        m = int(np.asarray(prefer).sum()) + 1
        vals = vals * m + np.asarray(prefer, dtype=np.int64)
    t = table(vals, weights, capacity)
    reached = t.best > _NEG
    if cheapest:
        ok = reached if target is None else reached & (t.best // m >= target)
        at = np.flatnonzero(ok)
        return t.items(int(at[0])) if len(at) else None
    top = int(t.best.max())
    if target is not None and top // m < target:
        return None
    return t.items(int(np.flatnonzero(t.best == top)[0]))


# ------------------------------------------------------------ on a formulation's columns
def _units(f: Formulation) -> tuple[np.ndarray, int]:
    req = f.col_amount[f.select].astype(np.int64)
    g = divisor(req)
    return req // g, g


def applies(
    f: Formulation, c: np.ndarray, scale: int | None, lower: np.ndarray, upper: np.ndarray, frame: float
) -> bool:
    """Whether :func:`what_if` can answer on these bounds: all-or-nothing funding, the frame
    the model's only row, integer non-negative values, and a table of manageable size."""
    m = f.model
    if f.problem.options.partial or scale is None or m.n_rows != 1 or np.any(lower < 0) or np.any(upper > 1):
        return False
    vals = c[f.select]
    if (
        np.any(vals < 0)
        or not np.array_equal(vals, np.rint(vals))
        or float(vals.sum()) * (len(vals) + 2) >= _INT64_SAFE
    ):
        return False
    w, g = _units(f)
    free = upper[f.select] >= 0.5
    cap = int(w[free].sum()) if not np.isfinite(frame) else int(frame) // g
    return cells(int(free.sum()), min(cap, int(w[free].sum()))) <= MAX_CELLS


def what_if(
    f: Formulation,
    c: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    frame: float,
    fix_in: Sequence[int],
    fix_out: Sequence[int],
    prefer: np.ndarray | None,
    target: int | None,
    cheapest: bool,
) -> np.ndarray | None:
    """Column values of the best (or cheapest) portfolio under the bounds, or None."""
    sel = f.select
    w, g = _units(f)
    vals = np.rint(c[sel]).astype(np.int64)
    forced = (lower[sel] >= 0.5).copy()
    forced[list(fix_in)] = True
    allowed = upper[sel] >= 0.5
    allowed[list(fix_out)] = False
    if np.any(forced & ~allowed):
        return None
    free = np.flatnonzero(allowed & ~forced)
    free = free[np.argsort(f.order.argsort()[free], kind="stable")]  # in id order: deterministic
    fixed_cost = int(w[forced].sum())
    if np.isfinite(frame):
        if fixed_cost * g > frame:
            return None
        cap = (int(frame) // g) - fixed_cost
    else:
        cap = int(w[free].sum())
    cap = min(cap, int(w[free].sum()))
    pref = None if prefer is None else np.rint(np.asarray(prefer)[sel][free]).astype(np.int64)
    goal = None if target is None else target - int(vals[forced].sum())
    take = choose(vals[free], w[free], cap, prefer=pref, target=goal, cheapest=cheapest)
    if take is None:
        return None
    x = np.zeros(f.model.n_cols)
    x[sel[forced]] = 1.0
    x[sel[free[take]]] = 1.0
    return x


def optimum(
    f: Formulation, c: np.ndarray, lower: np.ndarray, upper: np.ndarray, frame: float
) -> tuple[np.ndarray | None, bool]:
    """Column values of the optimum under the bounds (None: nothing fits) and whether it is
    the only portfolio of its value; call only where :func:`applies`."""
    sel = f.select
    w, g = _units(f)
    vals = np.rint(c[sel]).astype(np.int64)
    forced = lower[sel] >= 0.5
    free = np.flatnonzero((upper[sel] >= 0.5) & ~forced)
    cap = int(w[free].sum()) if not np.isfinite(frame) else int(frame) // g - int(w[forced].sum())
    if cap < 0:
        return None, False
    r = knapsack(vals[free], w[free], min(cap, int(w[free].sum())))
    x = np.zeros(f.model.n_cols)
    x[sel[forced]] = 1.0
    x[sel[free[r.take]]] = 1.0
    return x, r.unique
