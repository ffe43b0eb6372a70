"""The numbers behind :mod:`allocator.analysis.explain`: score margins under partial funding and the
largest grant at which an application is funded.

All-or-nothing funding needs no iteration: a margin is a difference of two optima. Under
partial funding an application's share of its request varies between portfolios, and:

* ``margin_up = min over portfolios P funding i of (V* - V(P)) / share_i(P)`` is found by
  Dinkelbach's iteration (each step solves ``max V(P) + delta * share_i(P)`` with *i*
  funded and lowers ``delta`` to the ratio of the portfolio found, until no portfolio beats
  ``V*``);
* ``margin_down``, the ``delta`` at which ``max over P funding i of V(P) - delta share_i(P)``
  falls to ``V_out``, by Newton's iteration on that convex, decreasing function.

Both end after finitely many steps (one per distinct share at most) with an exact fraction.

``max_grant``, the largest request at which funding the application in full is optimal:

* without rules, from one solve: the cheapest portfolio worth at least ``V_without`` with
  *i* forced in and the frame lifted costs ``C``; ``max_grant = frame - (C - request)``;
* with rules (all-or-nothing), from one solve of the model in which *i*'s request is an
  integer variable ``R``: *i*'s column is fixed at 1, and in the frame and in every rule
  row its grant coefficient moves to ``R`` (rule rows come from
  :func:`allocator.rules.rows.rule_rows`, redundant ones included, since a larger
  request can make them bind); maximise ``R`` subject to a value of at least ``V_without``;
* under partial funding, by bisection over whole kroner on re-built problems (the minimum
  lowered to the request if needed), assuming a smaller request never hurts.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from allocator.exceptions import SolverError
from allocator.model.problem import Problem
from allocator.optimize.backends import make_backend
from allocator.optimize.formulation import app_columns, to_columns
from allocator.optimize.linear import ModelBuilder
from allocator.optimize.engine import Engine, Outcome
from allocator.rules.rows import rule_rows
from allocator.status import Status

__all__ = ["margin_up_partial", "margin_down_partial", "max_grant", "with_request"]

_MAX_ITER = 200


def _share(w: Engine, o: Outcome, i: int) -> Fraction:
    return Fraction(int(o.grants[i]), w.problem.applications[i].requested)


def margin_up_partial(w: Engine, i: int, v_star: Fraction, first: Outcome) -> Fraction:
    """Dinkelbach: min over portfolios P funding ``i`` of (V* - V(P)) / share_i(P)."""
    share = w.share_vector(i)
    unit = w.f.scale or 1
    delta = (v_star - first.value) / _share(w, first, i)
    for _ in range(_MAX_ITER):
        q = w.maximise(w.c + float(delta) * unit * share, fix_in=[i])
        if q is None:
            break
        sq = _share(w, q, i)
        if q.value + delta * sq <= v_star:
            break
        delta = (v_star - q.value) / sq
    return delta


def margin_down_partial(w: Engine, i: int, sigma: Fraction, v_star: Fraction, v_out: Fraction) -> Fraction:
    """Newton: the delta at which max over P funding ``i`` of V(P) - delta share_i(P) is V_out."""
    share = w.share_vector(i)
    unit = w.f.scale or 1
    delta = (v_star - v_out) / sigma
    for _ in range(_MAX_ITER):
        q = w.maximise(w.c - float(delta) * unit * share, fix_in=[i])
        if q is None:
            break
        sq = _share(w, q, i)
        if q.value - delta * sq <= v_out:
            break
        delta = (q.value - v_out) / sq
    return delta


def with_request(problem: Problem, i: int, request: int) -> Problem:
    """A copy in which application ``i`` asks for ``request`` (its minimum capped by it)."""
    apps = list(problem.applications)
    a = apps[i]
    minimum = None if a.minimum is None else min(a.minimum, request)
    apps[i] = a.model_copy(update={"requested": request, "minimum": minimum})
    return problem.model_copy(update={"applications": tuple(apps)})


def _funded_at(problem: Problem, i: int, request: int, v_without: Fraction, time_limit: float | None) -> bool:
    """With ``request``, is a portfolio funding ``i`` worth at least ``v_without``?"""
    o = Engine.of(with_request(problem, i, request), time_limit=time_limit).best(fix_in=[i])
    return o is not None and o.value >= v_without


def _bisect(problem: Problem, i: int, lo: int, hi: int, v_without: Fraction, tl: float | None) -> int | None:
    """Largest request in [lo, hi] at which ``i`` is funded (assumed monotone), or None."""
    if not _funded_at(problem, i, lo, v_without, tl):
        return None
    if _funded_at(problem, i, hi, v_without, tl):
        return hi
    while hi - lo > 1:  # invariant: funded at lo, not at hi
        mid = (lo + hi) // 2
        if _funded_at(problem, i, mid, v_without, tl):
            lo = mid
        else:
            hi = mid
    return lo


def _max_request_with_rules(w: Engine, i: int, v_without: Fraction) -> int | None:
    """One MIP: maximise i's request R with i funded, its grant R in the frame and rules."""

    f, p = w.f, w.problem
    m = f.model
    sel = int(f.select[i])
    req = float(p.applications[i].requested)
    b = ModelBuilder()
    b.add_cols("x", m.n_cols, lower=m.col_lower, upper=m.col_upper, integer=True)
    b.set_bounds(sel, 1.0, 1.0)
    rho = int(b.add_cols("r", 1, lower=1.0, upper=float(p.frame), integer=True)[0])
    amount = w.amount.copy()
    amount[sel] = 0.0
    b.add_row(np.append(np.arange(m.n_cols), rho), np.append(amount, 1.0), upper=float(p.frame), name="frame")
    per_app = app_columns(f)
    for row in rule_rows(p, keep_redundant=True):
        cols, vals = to_columns(row, f, per_app)
        cg = float(row.grant[row.apps == i].sum())
        if cg:
            cols, vals = np.append(cols, [sel, rho]), np.append(vals, [-cg * req, cg])
        if len(cols):
            b.add_row(cols, vals, lower=row.lower, upper=row.upper, name="rule")
    nz = np.flatnonzero(w.c)
    b.add_row(nz, w.c[nz], lower=w.value_bound(v_without), name="value")
    obj = np.zeros(b.n_cols)
    obj[rho] = 1.0
    b.set_objective(obj)
    res = make_backend(b.build()).solve(time_limit=w.time_limit, rel_gap=0.0, abs_gap=0.999)
    w.solves += 1
    if res.status is Status.INFEASIBLE or res.x is None:
        return None
    if res.status is not Status.OPTIMAL:

        raise SolverError(f"the largest-grant solve ended {res.status.value}; raise time_limit")
    return int(np.rint(res.x[rho]))


def max_grant(w: Engine, i: int, v_without: Fraction, funded: bool) -> int | None:
    """The largest request at which funding ``i`` is worth at least ``v_without`` (the best
    value without it), or None when no request would do (or, under partial funding, for a
    funded application)."""
    p = w.problem
    app = p.applications[i]
    if p.options.partial:
        return None if funded else _bisect(p, i, 1, app.requested, v_without, w.time_limit)
    if w.f.row_rules and w.f.model.n_rows == 1 + len(w.f.row_rules):
        return _max_request_with_rules(w, i, v_without)
    if w.f.row_rules:  # pragma: no cover - rows the request model does not know: bisect
        return _bisect(p, i, 1, p.frame, v_without, w.time_limit)
    with w.at_frame(None), w.value_at_least(v_without):
        o = w.cheapest(fix_in=[i])
    if o is None:
        return None
    r0 = p.frame - (o.total - app.requested)
    return r0 if r0 >= 1 else None
