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

``max_grant``, the largest request at which funding the application in full is optimal
(worth at least ``V_without``, the best value without it; ties included):

* all-or-nothing funding without rules, from one question: the cheapest portfolio worth at
  least ``V_without`` with *i* forced in and the frame lifted costs ``C``;
  ``max_grant = frame - (C - request)`` (a knapsack answered by dynamic programming);
* otherwise from one solve of a model in which *i*'s grant is an integer column ``R``:
  *i*'s own columns are held at 0, ``R`` takes its place in the frame and in every rule row
  (from :func:`allocator.rules.rows.rule_rows`, redundant ones included, since a larger
  request can make them bind), and the value of funding *i* in full joins the value row;
  maximise ``R`` subject to a value of at least ``V_without``. No monotonicity is assumed:
  ``R`` is the largest request that works, whatever happens below it.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from allocator.model.problem import Problem
from allocator.optimize.engine import Engine, Outcome
from allocator.optimize.formulation import app_columns, to_columns
from allocator.optimize.linear import ModelBuilder
from allocator.optimize.loaded import LoadedModel
from allocator.rules.rows import rule_rows

__all__ = ["margin_down_partial", "margin_up_partial", "max_grant", "with_request"]

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


def max_grant(w: Engine, i: int, v_without: Fraction) -> int | None:
    """The largest request at which funding ``i`` in full is worth at least ``v_without``;
    see the module documentation."""
    p = w.problem
    if not p.options.partial and not p.rules:
        with w.at_frame(None), w.value_at_least(v_without):
            o = w.cheapest(fix_in=[i])
        if o is None:
            return None
        r0 = p.frame - (o.total - p.applications[i].requested)
        return r0 if r0 >= 1 else None
    return _max_request(w, i, v_without)


def _max_request(w: Engine, i: int, v_without: Fraction) -> int | None:
    """The largest request at which funding ``i`` in full is worth at least ``v_without``
    (the best value without it), all else equal; None when no request would do.

    One MIP: ``i``'s own columns are held at 0 and its grant becomes an integer column ``R``
    (at least 1, at most the frame) in the frame and in every rule row, the redundant ones
    included (a larger request can make them bind: a co-financing cap, a de minimis
    ceiling); the rows that say ``i`` is funded count it as funded; the value of funding it
    in full (its weighted score) is added to the value row. Maximise ``R``.
    """
    f, p = w.f, w.problem
    if not f.scores.eligible[i] or w.col_upper[f.select[i]] < 0.5:
        return None
    mine = w.columns_of(i)
    full = np.zeros(w.model.n_cols)
    full[mine] = w.model.col_upper[mine]
    s_full = float(np.dot(w.c, full))  # the value of funding i in full, in objective units
    m = w.current(w.c)
    keep = np.array([r != f.frame_row and r not in f.row_rules for r in range(m.n_rows)])
    b = ModelBuilder()
    b.add_cols("x", m.n_cols, lower=m.col_lower, upper=m.col_upper, integer=True)
    b.fix_cols(mine, 0.0, 0.0)
    rho = int(b.add_cols("r", 1, lower=1.0, upper=float(p.frame), integer=True)[0])
    for r in np.flatnonzero(keep).tolist():  # partial-funding links, and rows added for questions
        cols, vals = m.row(r)
        b.add_row(cols, vals, lower=float(m.row_lower[r]), upper=float(m.row_upper[r]), name="keep")
    frame_cols, frame_vals = m.row(f.frame_row)
    others = ~np.isin(frame_cols, mine)
    b.add_row(np.append(frame_cols[others], rho), np.append(frame_vals[others], 1.0), upper=float(m.row_upper[f.frame_row]), name="frame")
    per_app = app_columns(f)
    for row in rule_rows(p, keep_redundant=True):
        at = row.apps == i
        cols, vals = to_columns(replace(row, apps=row.apps[~at], grant=row.grant[~at], funded=row.funded[~at]), f, per_app)
        cg, cy = float(row.grant[at].sum()), float(row.funded[at].sum())
        if cg:
            cols, vals = np.append(cols, rho), np.append(vals, cg)
        if len(cols):
            b.add_row(cols, vals, lower=row.lower - cy, upper=row.upper - cy, name="rule")
        elif not (row.lower - 1e-9 <= cy <= row.upper + 1e-9):
            return None  # a rule on i alone that funding it breaks whatever its request
    nz = np.flatnonzero(w.c)
    nz = nz[~np.isin(nz, mine)]
    b.add_row(nz, w.c[nz], lower=w.value_bound(v_without) - s_full, name="value")
    obj = np.zeros(b.n_cols)
    obj[rho] = 1.0
    b.set_objective(obj)
    x = LoadedModel(b.build(), time_limit=w.time_limit).proven(obj, gap=0.999)
    w.solves += 1
    return None if x is None else int(np.rint(x[rho]))
