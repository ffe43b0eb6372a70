"""solve(problem) -> Solution: the optimum, ties settled by the documented rule, read back.

The value is maximised first, by the fastest exact means that applies (all on one
:class:`~allocator.optimize.engine.Engine`):

* a plain knapsack (all-or-nothing, the frame the only row): exact dynamic programming
  (:mod:`allocator.optimize.knapsack`), which also says whether the optimum is unique;
* large all-or-nothing calls (5 000 columns or more): Lagrangian bounds fix most decisions
  and a small MIP settles the rest (:mod:`allocator.optimize.large`); with a relative gap
  allowed (20 000 columns or more), a portfolio within the gap of a Lagrangian bound;
* otherwise the MIP, proven optimal (an absolute gap below one unit of the integer-scaled
  objective).

Then, among the portfolios of that exact value, the tie-break rule of
:class:`~allocator.optimize.tiebreak.TieBreak` picks one (by default the higher total
green-transition score, then the lower total grant, then the smaller ids), so the decision
depends neither on the input's row order nor on the solver.
"""

from __future__ import annotations

import math
import time
from typing import Any, NamedTuple

import numpy as np

from allocator.exceptions import InfeasibleError, SolverError
from allocator.model import Problem
from allocator.model.guards import check_solve
from allocator.model.solution import Decision, Reason, Solution
from allocator.optimize import knapsack
from allocator.optimize.backends import solver_info
from allocator.optimize.diagnose import diagnose
from allocator.optimize.effects import rule_effects
from allocator.optimize.engine import Engine, Outcome
from allocator.optimize.formulation import Formulation, build
from allocator.optimize.large import EXACT_COLS, LARGE_COLS, exact_optimum, near_optimal
from allocator.optimize.tiebreak import TieBreak
from allocator.status import Status
from allocator.words import problem_notes

__all__ = ["NoPortfolio", "optimum", "solve"]


class NoPortfolio(Exception):
    """The value solve ended without a portfolio: its status and the solver's message."""

    def __init__(self, status: Status, message: str, solves: int) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.solves = solves


def solve(
    problem: Problem,
    *,
    solver: Any = "highs",
    time_limit: float | None = None,
    rel_gap: float = 0.0,
    threads: int | None = 1,
    tie_break: bool = True,
    raise_on_failure: bool = True,
) -> Solution:
    """Find the best portfolio for ``problem``.

    Parameters
    ----------
    problem
        The call to decide.
    solver
        ``"highs"`` (default: HiGHS in-process through highspy), ``"cbc"`` (through PuLP;
        bundled with PuLP 3, ``pip install 'pulp[cbc]'`` on PuLP 4), ``"pulp-highs"``
        (HiGHS through PuLP), or any PuLP solver object (used as configured).
    time_limit
        Seconds for the whole solve. On time-out the best portfolio found is returned with
        status FEASIBLE and its gap.
    rel_gap
        Relative optimality gap; 0 (default) proves optimality. Tie-breaking needs a proven
        optimum and is skipped when ``rel_gap > 0``.
    threads
        HiGHS threads (1 is fastest on small machines).
    tie_break
        Settle ties among optimal portfolios by the rule of
        :class:`~allocator.optimize.tiebreak.TieBreak`. ``False`` returns the first optimum
        found (the same value).
    raise_on_failure
        Raise :class:`~allocator.exceptions.InfeasibleError` /
        :class:`~allocator.exceptions.SolverError` when no portfolio is found; with
        ``False`` the failure is returned as a Solution with that status.

    Examples
    --------
    >>> from allocator import solve
    >>> from allocator.data import small_example
    >>> p = small_example()  # frame 100; A asks 60 (score 0.9), B and C 50 (0.6, 0.5)
    >>> solve(p).funded_ids
    ['B', 'C']
    """
    check_solve("solve", problem, time_limit=time_limit, rel_gap=rel_gap, threads=threads)
    t0 = time.perf_counter()
    f = build(problem)
    engine = Engine(
        f, solver=solver, threads=threads, knapsack=solver in (None, "highs")
    )  # another solver asked for: it decides
    name, version = solver_info(solver)
    try:
        out = optimum(
            engine, tie_break=TieBreak.of(problem) if tie_break else None, rel_gap=rel_gap, time_limit=time_limit
        )
    except NoPortfolio as exc:
        return _failure(f, exc, name, version, t0, raise_on_failure)
    return _solution(f, out, name, version, t0, engine.notes)


UNSETTLED = (
    "the tie-break stopped before it was proven (the time limit ran out): the portfolio is optimal, but among "
    "the portfolios of the same value it may not be the one the tie-break rule prefers; raise time_limit"
)


def optimum(
    engine: Engine,
    *,
    tie_break: TieBreak | None,
    rel_gap: float = 0.0,
    time_limit: float | None = None,
    start: np.ndarray | None = None,
) -> Outcome:
    """The optimum of the engine's value objective, ties settled by ``tie_break`` (if any).

    Raises :class:`NoPortfolio` when no portfolio is found (infeasible, time limit, error).
    """
    t0 = time.perf_counter()

    def remaining() -> float | None:
        return None if time_limit is None else max(0.01, time_limit - (time.perf_counter() - t0))

    f, c = engine.f, engine.c
    before = engine.solves
    status, bound, method, tied = Status.OPTIMAL, None, "mip", None
    x, free = None, None
    if rel_gap == 0 and engine.uses_knapsack:
        x, unique = knapsack.optimum(f, c, engine.col_lower, engine.col_upper, engine.frame)
        if x is not None:
            method, tied = "knapsack", not unique
    if x is None:
        x, status, bound, method, free = _large(engine, rel_gap, remaining())
    if x is None:
        res = engine.run(c, rel_gap=rel_gap, start=start, time_limit=remaining())
        if not res.status.has_solution or res.x is None:
            raise NoPortfolio(res.status, res.message, engine.solves - before)
        x, status = engine.clean(res.x), res.status
        if res.bound is not None and (status is Status.FEASIBLE or rel_gap > 0):
            raw = math.floor(res.bound + 1e-6) if engine.scale else res.bound  # an integer objective's bound
            bound = raw / (engine.scale or 1)
    keys: tuple[str, ...] = ()
    solves = engine.solves - before
    if tie_break is not None and status is Status.OPTIMAL and rel_gap == 0:
        before_deadline = engine.deadline
        if time_limit is not None:  # the tie-break's runs share what is left of the time limit
            engine.deadline = t0 + time_limit
        try:
            settled = tie_break.settle(engine, f, c, x, unique=tied is False, free=free)
        finally:
            engine.deadline = before_deadline
        x, keys, tied, solves = settled.x, settled.keys, settled.tied, solves + settled.solves
        if not settled.complete and UNSETTLED not in engine.notes:
            engine.notes.append(UNSETTLED)
    return engine.outcome(
        x, status=status, bound=bound, method=method, solves=max(solves, 1), tie_break=keys, tied=tied
    )


class _Found(NamedTuple):
    """What :func:`_large` found: a portfolio (None: solve the model as usual) and how."""

    x: np.ndarray | None
    status: Status = Status.OPTIMAL
    bound: float | None = None
    method: str = "mip"
    free: np.ndarray | None = None  # the columns other optimal portfolios may set differently


def _large(engine: Engine, rel_gap: float, time_limit: float | None) -> _Found:
    """Large all-or-nothing calls by Lagrangian decomposition (see :mod:`allocator.optimize.large`)."""
    f = engine.f
    if f.problem.options.partial or engine.n_rows != f.model.n_rows:
        return _Found(None)
    m = engine.current(engine.c)
    if rel_gap == 0:
        if engine.scale is None or m.n_cols < EXACT_COLS:
            return _Found(None)
        budget = max(2.0, m.n_cols / 2000)
        e = exact_optimum(m, time_limit=min(budget, time_limit) if time_limit else budget)
        return _Found(None) if e is None else _Found(engine.clean(e.x), method="lagrange", free=e.tied)
    if m.n_cols < LARGE_COLS:
        return _Found(None)
    r = near_optimal(m, rel_gap=rel_gap, time_limit=time_limit)
    if r is None or r.gap > rel_gap:
        return _Found(None)
    return _Found(engine.clean(r.x), Status.FEASIBLE, r.bound / (engine.scale or 1), "lagrange")


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1 = highest score; ties share the better rank."""
    order = np.sort(scores)[::-1]
    return np.searchsorted(-order, -scores, side="left") + 1


def _solution(f: Formulation, out: Outcome, solver: str, version: str, t0: float, notes: list[str]) -> Solution:
    p = f.problem
    x = out.x
    grants = out.grants
    total = int(grants.sum())
    if total > p.frame:  # never trust a solver blindly with public money
        raise SolverError(f"the solver returned grants of {total} over the frame {p.frame}; this is a bug")
    ranks = _ranks(f.scores.weighted)
    effects = None
    if p.rules:  # rules: locks, blocked applications, binding rules (allocator.optimize.effects)
        effects = rule_effects(f, x)
    decisions = []
    for i, a in enumerate(p.applications):
        g = int(grants[i])
        s = float(f.scores.weighted[i])
        lv = f.levels[i]
        if g == a.requested:
            reason, note = Reason.FUNDED, "funded in full"
        elif g > 0:
            reason, note = Reason.FUNDED_PARTIALLY, f"funded {g / a.requested:.0%} of the request"
        elif not f.scores.eligible[i]:
            reason, note = Reason.INELIGIBLE, f"ineligible: {f.scores.reasons[i]}"
        elif lv.minimum > p.frame:
            reason, note = (
                Reason.TOO_LARGE,
                f"its {'minimum' if p.options.partial else 'request'} {lv.minimum:,} exceeds the frame {p.frame:,}",
            )
        else:
            reason, note = Reason.OUTRANKED, "not funded: the frame gives more value spent on the funded applications"
        binding: tuple[str, ...] = ()
        if effects is not None:
            reason, note, binding = effects.decide(i, reason, note, g)
        decisions.append(
            Decision.of(
                a,
                granted=g,
                score=s,
                rank=int(ranks[i]),
                eligible=bool(f.scores.eligible[i]),
                reason=reason,
                note=note,
                binding_rules=binding,
            )
        )
    objective = f.value(grants)
    bound: float | None
    gap: float | None
    if out.status is Status.OPTIMAL and out.bound is None:
        bound, gap = objective, 0.0
    else:
        bound = max(out.bound, objective) if out.bound is not None else None
        gap = max(0.0, (bound - objective) / max(abs(bound), 1e-12)) if bound is not None else None
    message = "; ".join([_status_words(out), *notes])
    return Solution(
        status=out.status,
        message=message,
        problem_name=p.name,
        currency=p.currency,
        objective=objective,
        bound=bound,
        gap=gap,
        frame=p.frame,
        total_granted=total,
        frame_left=p.frame - total,
        n_funded=int((grants > 0).sum()),
        solver=solver,
        solver_version=version,
        runtime_s=time.perf_counter() - t0,
        solves=out.solves,
        method=out.method,
        tie_break=out.tie_break,
        tied=out.tied,
        binding_rules=effects.binding if effects is not None else (),
        notes=tuple(problem_notes(p)),
        decisions=tuple(decisions),
    )


def _status_words(out: Outcome) -> str:
    if out.status is Status.OPTIMAL:
        return {
            "knapsack": "optimal (exact dynamic program)",
            "lagrange": "optimal (Lagrangian fixing and a restricted MIP)",
        }.get(out.method, "optimal")
    if out.method == "lagrange":
        return "within the requested gap of a Lagrangian bound"
    return "feasible: the best portfolio found, not proven optimal (see gap)"


def _failure(
    f: Formulation, res: NoPortfolio, solver: str, version: str, t0: float, raise_on_failure: bool
) -> Solution:
    p = f.problem
    diagnosis = None
    msg = res.message
    if res.status is Status.INFEASIBLE:
        msg = "no portfolio satisfies every rule"
        if p.rules:
            diagnosis = diagnose(p)
            msg = f"{msg}: {diagnosis.summary}" if hasattr(diagnosis, "summary") else msg
    elif res.status is Status.NO_SOLUTION:
        msg = "the time limit ran out before any portfolio was found; raise time_limit"
    sol = Solution(
        status=res.status,
        message=msg,
        problem_name=p.name,
        currency=p.currency,
        frame=p.frame,
        frame_left=p.frame,
        solver=solver,
        solver_version=version,
        runtime_s=time.perf_counter() - t0,
        solves=res.solves,
        notes=tuple(problem_notes(p)),
        diagnosis=diagnosis,
    )
    if raise_on_failure:
        if res.status is Status.INFEASIBLE:
            raise InfeasibleError(msg, diagnosis=diagnosis, solution=sol)
        raise SolverError(f"{res.status.value}: {msg}")
    return sol
