"""One scenario's decision on a loaded engine, by the fastest exact means that applies.

1. **Knapsack**: when the frame is the only row, exact dynamic programming, which also says
   whether the optimum is unique.
2. **MIP**, warm-started. With an integer objective one solve both proves the optimum and
   tests that it is the only one: it maximises ``K * value + distance to the start`` (``K``
   above any distance), so the start comes back exactly when no other portfolio reaches
   its value.
3. **Ties** (several portfolios of the optimal value) are settled by the rule of
   :class:`~allocator.optimize.tiebreak.TieBreak`, as :func:`allocator.solve` settles them.
   Under partial funding a first solve asks whether any other portfolio reaches the value
   (:mod:`allocator.scenarios.unique`); only then do the stages run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from allocator.optimize import knapsack
from allocator.optimize.engine import Engine
from allocator.optimize.large import LARGE_COLS, near_optimal
from allocator.optimize.loaded import EXACT
from allocator.optimize.tiebreak import Key, TieBreak
from allocator.status import Status

__all__ = ["PRESOLVE_OFF_MAX_COLS", "Decided", "decide", "greedy_start", "same_matrix", "tuned_options"]

PRESOLVE_OFF_MAX_COLS = 2000
"""Models up to this many columns are solved with HiGHS presolve off (it dominates their time)."""


def tuned_options(n_cols: int) -> dict[str, Any]:
    """HiGHS options for repeated small solves of a model of ``n_cols`` columns, warm started.

    Warm starts make the heuristics moot; on these small models the root node is most of a
    solve: without RINS, RENS and the root reduced-cost heuristic, and presolve only at the
    root, the sweep's solves took 12 % less (measured on both benchmark calls). They change
    the path, never the optimum.

    >>> tuned_options(100)["presolve"]
    'off'
    """
    options: dict[str, Any] = {
        "mip_heuristic_run_feasibility_jump": False,
        "mip_heuristic_effort": 0.0,
        "mip_heuristic_run_rins": False,
        "mip_heuristic_run_rens": False,
        "mip_heuristic_run_root_reduced_cost": False,
        "mip_root_presolve_only": True,
        "mip_detect_symmetry": False,
    }
    if n_cols <= PRESOLVE_OFF_MAX_COLS:
        options["presolve"] = "off"
    return options


@dataclass(frozen=True)
class Decided:
    """A scenario's portfolio (``x`` None: none found), how, and what the tie-break did."""

    x: np.ndarray | None
    status: Status
    method: str
    bound: float | None = None
    keys: tuple[str, ...] = ()
    tied: bool | None = None
    message: str = ""
    solves: int = 0  # solver runs outside the engine (tie test, tie-break stages)


def decide(
    e: Engine,
    *,
    rule: TieBreak | None,
    keys: list[Key] | None,
    start: np.ndarray | None,
    rel_gap: float = 0.0,
    time_limit: float | None = None,
    other: Callable[[np.ndarray], bool | None] | None = None,
) -> Decided:
    """The decision under the engine's objective and bounds (``start``: a warm start).

    ``other``: under partial funding, whether a portfolio other than the given optimum
    reaches its value (:func:`allocator.scenarios.unique.other_portfolio`), asked before the
    tie-break stages run.
    """
    f, c = e.f, e.c
    exact_ties = rule is not None and rel_gap == 0
    binary = not f.problem.options.partial
    x, method, status, bound, tied = None, "mip", Status.OPTIMAL, None, None
    if rel_gap == 0 and e.uses_knapsack:
        x, unique = knapsack.optimum(f, c, e.col_lower, e.col_upper, e.frame)
        if x is not None:
            method, tied = "knapsack", not unique
    if x is None and rel_gap > 0 and binary and f.model.n_cols >= LARGE_COLS:
        r = near_optimal(e.current(c), rel_gap=rel_gap, time_limit=time_limit)
        if r is not None and r.gap <= rel_gap:
            x, method, status, bound = e.clean(r.x), "lagrange", Status.FEASIBLE, r.bound / (e.scale or 1)
    if x is None:
        x, status, bound, tied = _mip(e, start, binary and exact_ties, rel_gap, time_limit)
        if x is None:
            return Decided(None, status, method, message="no portfolio")
    names: tuple[str, ...] = ()
    solves = 0
    if exact_ties and status is Status.OPTIMAL:
        assert rule is not None
        if tied is None and binary and e.scale is not None:
            tied = _other_optimum(e, x, time_limit)
        if tied is None and not binary and other is not None:
            tied, solves = other(x), 1
        before = e.solves
        settled = rule.settle(e, f, c, x, unique=tied is False, keys=keys)
        x, names, tied = settled.x, settled.keys, settled.tied
        solves += max(settled.solves - (e.solves - before), 0)
    return Decided(x, status, method, bound, names, tied, solves=solves)


def greedy_start(e: Engine, prev: np.ndarray | None) -> np.ndarray | None:
    """``prev`` if still feasible, else (all-or-nothing) a greedy portfolio by value for money."""
    if prev is not None and e.feasible(prev):
        return prev
    f = e.f
    if f.problem.options.partial:
        return None
    sel = f.select
    amount = f.col_amount[sel]
    ratio = np.where(e.col_upper[sel] > 0, e.c[sel] / amount, -np.inf)
    x = np.where(e.col_lower > 0, e.col_lower, 0.0)
    left = e.frame - float(np.dot(x, e.amount))
    for k in np.argsort(-ratio, kind="stable").tolist():
        if ratio[k] == -np.inf:
            break
        if x[sel[k]] == 0 and amount[k] <= left:
            x[sel[k]] = 1.0
            left -= amount[k]
    return x if e.feasible(x) else None


def _mip(
    e: Engine, start: np.ndarray | None, combined: bool, rel_gap: float, time_limit: float | None
) -> tuple[np.ndarray | None, Status, float | None, bool | None]:
    """The MIP from ``start``; with ``combined`` one solve also says whether the optimum is unique."""
    f, c = e.f, e.c
    K = float(len(f.select) + 1)
    if combined and start is not None and e.scale is not None and K * (float(np.abs(c).sum()) + 1.0) < EXACT:
        dist = np.zeros(len(c))
        dist[f.select] = np.where(start[f.select] > 0.5, -1.0, 1.0)
        res = e.run(K * c + dist, gap=0.999, start=start, time_limit=time_limit)
        if res.status is Status.OPTIMAL and res.x is not None:
            x = e.clean(res.x)
            if np.array_equal(x[f.select] > 0.5, start[f.select] > 0.5):
                return x, Status.OPTIMAL, None, False  # nothing else reaches its value
            tied = True if float(np.dot(c, x)) == float(np.dot(c, start)) else None
            return x, Status.OPTIMAL, None, tied
    res = e.run(c, rel_gap=rel_gap, start=start, time_limit=time_limit)
    if not res.status.has_solution or res.x is None:
        return None, res.status, None, None
    bound = None if res.bound is None else res.bound / (e.scale or 1)
    return e.clean(res.x), res.status, bound, None


def _other_optimum(e: Engine, x: np.ndarray, time_limit: float | None) -> bool | None:
    """Whether another selection reaches the value of the optimum ``x``: one solve of
    ``K * value + distance to x`` (None when that cannot be held exactly)."""
    f, c = e.f, e.c
    K = float(len(f.select) + 1)
    if K * (float(np.abs(c).sum()) + 1.0) >= EXACT:
        return None
    dist = np.zeros(len(c))
    dist[f.select] = np.where(x[f.select] > 0.5, -1.0, 1.0)
    res = e.run(K * c + dist, gap=0.999, start=x, time_limit=time_limit)
    if res.status is not Status.OPTIMAL or res.x is None:
        return None
    return not np.array_equal(e.clean(res.x)[f.select] > 0.5, x[f.select] > 0.5)


def same_matrix(a: Any, b: Any) -> bool:
    """Whether two linear models have the same matrix and integrality (bounds and objective aside)."""
    return bool(
        a.n_cols == b.n_cols
        and a.n_rows == b.n_rows
        and np.array_equal(a.start, b.start)
        and np.array_equal(a.index, b.index)
        and np.array_equal(a.value, b.value)
        and np.array_equal(a.integer, b.integer)
    )
