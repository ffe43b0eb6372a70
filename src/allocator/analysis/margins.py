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

from fractions import Fraction

import numpy as np

from allocator.model.problem import Problem
from allocator.optimize.engine import QUESTIONS, Engine, Outcome
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


class Requests:
    """The model in which each application's grant can be its own integer column ``R_i``:
    built once for all the largest-request questions of an explanation.

    Columns: the engine's, then ``R_1 .. R_n`` (held at 0 until asked). ``R_i`` has ``i``'s
    grant coefficient in the frame and in every rule row, the redundant ones included (a
    larger request can make them bind: a co-financing cap, a de minimis ceiling). Asking for
    ``i`` holds ``i``'s own columns at 0, frees ``R_i`` (at least 1, at most the frame),
    moves ``i``'s funded indicator into the bounds of the rows that count it, requires the
    value of the others to reach ``V_without`` minus the value of funding ``i`` in full, and
    maximises ``R_i``: bounds and the objective change, nothing is rebuilt.
    """

    def __init__(self, w: Engine) -> None:
        f, p = w.f, w.problem
        self.w = w
        n = len(p.applications)
        m = w.current(w.c)
        b = ModelBuilder()
        b.add_cols("x", m.n_cols, lower=m.col_lower, upper=m.col_upper, integer=True)
        self.r0 = int(b.add_cols("r", n, lower=0.0, upper=0.0, integer=True)[0])
        for r in range(m.n_rows):  # partial-funding links and rows added for questions stay as they are
            if r != f.frame_row and r not in f.row_rules:
                cols, vals = m.row(r)
                b.add_row(cols, vals, lower=float(m.row_lower[r]), upper=float(m.row_upper[r]), name="keep")
        frame_cols, frame_vals = m.row(f.frame_row)
        b.add_row(
            np.append(frame_cols, self.r0 + np.arange(n)),
            np.append(frame_vals, np.ones(n)),
            upper=float(m.row_upper[f.frame_row]),
            name="frame",
        )
        per_app = app_columns(f)
        self.shift: list[list[tuple[int, float]]] = [[] for _ in range(n)]  # per application: (row, funded coefficient)
        self.alone: set[int] = set()  # applications a rule of their own rules out at any request
        for row in rule_rows(p, keep_redundant=True):
            cols, vals = to_columns(row, f, per_app)
            cols = np.concatenate([cols, self.r0 + row.apps])
            vals = np.concatenate([vals, row.grant])
            r = b.add_row(cols, vals, lower=row.lower, upper=row.upper, name="rule")
            for i_, cy in zip(row.apps.tolist(), row.funded.tolist(), strict=True):
                if cy:
                    self.shift[i_].append((r, float(cy)))
                if len(row.apps) == 1 and not row.grant.any() and not (row.lower - 1e-9 <= cy <= row.upper + 1e-9):
                    self.alone.add(i_)
        nz = np.flatnonzero(w.c)
        self.value_row = b.add_row(nz, w.c[nz], name="value")
        self.model = LoadedModel(b.build(), time_limit=w.time_limit, options=QUESTIONS)

    def largest(self, i: int, v_without: Fraction, start: np.ndarray | None = None) -> int | None:
        """The largest request at which funding ``i`` in full is worth at least ``v_without``;
        ``start``: column values of the engine's model in which ``i`` is funded and which
        are worth at least ``v_without`` (its grant becomes ``R_i``: a warm start)."""
        w, f = self.w, self.w.f
        if not f.scores.eligible[i] or w.col_upper[f.select[i]] < 0.5 or i in self.alone:
            return None
        m = self.model
        mine = w.columns_of(i)
        full = np.zeros(w.model.n_cols)
        full[mine] = w.model.col_upper[mine]
        s_full = float(np.dot(w.c, full))  # the value of funding i in full, in objective units
        rho = self.r0 + i
        rows = [r for r, _ in self.shift[i]] + [self.value_row]
        before = [(r, m.row_lower[r], m.row_upper[r]) for r in rows]
        try:
            for r, cy in self.shift[i]:
                m.set_row_bounds(r, m.row_lower[r] - cy, m.row_upper[r] - cy)
            m.set_row_bounds(self.value_row, w.value_bound(v_without) - s_full, np.inf)
            with m.fixed(mine, 0.0, 0.0), m.fixed([rho], 1.0, float(w.problem.frame)):
                obj = np.zeros(m.model.n_cols)
                obj[rho] = 1.0
                warm = None
                if start is not None:
                    warm = np.concatenate([start, np.zeros(m.model.n_cols - len(start))])
                    warm[rho] = float(np.dot(f.col_amount[mine], start[mine]))
                    warm[mine] = 0.0
                x = m.proven(obj, gap=0.999, start=warm)
        finally:
            for r, lo, hi in before:
                m.set_row_bounds(r, lo, hi)
        w.solves += 1
        return None if x is None else int(np.rint(x[rho]))


def max_grant(
    w: Engine, i: int, v_without: Fraction, requests: Requests | None = None, start: np.ndarray | None = None
) -> int | None:
    """The largest request at which funding ``i`` in full is worth at least ``v_without``;
    see the module documentation. ``requests``: a :class:`Requests` model kept by the caller
    for many applications (built here when needed and not given)."""
    p = w.problem
    if not p.options.partial and not p.rules:
        with w.at_frame(None), w.value_at_least(v_without):
            o = w.cheapest(fix_in=[i])
        if o is None:
            return None
        r0 = p.frame - (o.total - p.applications[i].requested)
        return r0 if r0 >= 1 else None
    return (requests or Requests(w)).largest(i, v_without, start)
