"""The tie-break: among portfolios of the optimal value, the one the documented rule prefers.

The rule (:class:`TieBreak`), in order:

1. the tie-break keys of ``Options.tie_break``; by default the higher total green-transition
   score (when a criterion ``green`` exists: the sum of the funded applications' normalised,
   unweighted ``green`` scores, each times the share granted), then the lower total grant;
2. then the application ids in their natural order (``A-2`` before ``A-10``; equal digit
   runs compared as text, ``A-01`` before ``A-1``): prefer funding the smaller id, then the
   next, and so on;
3. under partial funding, then the larger grant to the smaller id, and so on.

:meth:`TieBreak.settle` applies it exactly to an optimum ``x`` found by any means, without
re-solving the whole model once per key:

* the decisions that no optimal portfolio can change are fixed first
  (:func:`allocator.optimize.fixing.candidates`, from the relaxation's duals); when none is
  left free the optimum is unique and every key would keep it;
* on the few columns left free (a small model, value held exactly), a first solve looks for
  any other optimal selection; when there is none, the optimum is unique;
* otherwise the keys are optimised with the value held (exactly, as integers, when the
  objective is integer-scaled; exact keys in one solve of a combined objective where their
  ranges allow it), then the ids in chunks of 40 (``2**40`` stays exact in a double), then
  the grants by id.

The result is the same portfolio as optimising every stage on the whole model; it is found in
a fraction of the time, because the stages run on the free columns only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from allocator.exceptions import SolverError
from allocator.model import Problem
from allocator.model.scoring import integer_parts, integer_totals, normalised_score
from allocator.optimize import fixing
from allocator.optimize.formulation import Formulation, common_scale, value_objective
from allocator.optimize.linear import INF
from allocator.optimize.loaded import EXACT, QUESTIONS, LoadedModel, integral
from allocator.status import Status

__all__ = ["Key", "Settled", "TieBreak"]

_CHUNK = 40

_COMBINED_MAX = 2.0**20
"""Keys are combined into one objective only while its coefficients sum below this."""


@dataclass(frozen=True)
class Key:
    """One tie-break key on a formulation's columns: maximise (or minimise) ``coefs . x``.

    ``exact``: the coefficients are integers (a positive multiple of the key), so the key
    is held exactly between stages.
    """

    name: str
    coefs: np.ndarray
    maximize: bool
    exact: bool


@dataclass(frozen=True)
class Settled:
    """What :meth:`TieBreak.settle` gives: the decision, the keys of the rule, whether other
    portfolios had the same value, the solver runs it took, and whether every stage was proven."""

    x: np.ndarray
    keys: tuple[str, ...]
    tied: bool
    solves: int
    complete: bool = True
    """False when a stage ended without a proof (a time limit): ``x`` is optimal, but among
    the portfolios of its value it may not be the one the rule prefers."""


@dataclass(frozen=True)
class TieBreak:
    """The tie-break rule: ``keys`` in order, then the ids (see the module documentation).

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=100, criteria=[Criterion(name="green", weight=1, scale_max=5)],
    ...     applications=[Application(id="A", requested=50, scores={"green": 4})])
    >>> TieBreak.of(p).keys
    ('green', '-granted')
    """

    keys: tuple[str, ...]

    @classmethod
    def of(cls, problem: Problem) -> TieBreak:
        """The rule in force: the problem's keys, else ``('green', '-granted')`` as available."""
        if problem.options.tie_break is not None:
            return cls(tuple(problem.options.tie_break))
        names = {c.name for c in problem.criteria}
        return cls(tuple(k for k in ("green", "-granted") if k.lstrip("-") in names | {"granted"}))

    def vectors(self, f: Formulation) -> list[Key]:
        """The keys as column vectors of ``f`` (keys that are zero everywhere left out).

        A criterion key is integer-scaled exactly like the value objective
        (:func:`~allocator.optimize.formulation.value_objective` of the criterion's
        normalised scores), so it can be held exactly between stages.
        """
        parts = integer_parts(f.problem)
        names = [c.name for c in f.problem.criteria]
        ones = [Fraction(1)] * len(names)
        normalised: list[tuple[np.ndarray, int]] | None = None
        out = []
        for key in self.keys:
            name = key.lstrip("-")
            maximize = not key.startswith("-")
            if name == "granted":
                amounts = np.where(f.col_app >= 0, f.col_amount, 0.0)
                g = int(np.gcd.reduce(amounts[amounts > 0].astype(np.int64))) if np.any(amounts > 0) else 1
                out.append(Key(key, amounts / g, maximize, True))
                continue
            j = names.index(name)
            if parts is not None:
                if normalised is None:  # each criterion's normalised numerators (Python ints where int64 overflows)
                    normalised = [(num, d) for num, d, _ in integer_totals(parts, ones, contributions=True)[2]]
                num, d = normalised[j]
                floats = np.asarray(num, dtype=float) / float(d)
                coefs, scale = value_objective(f.problem, f.col_app, f.col_amount, num, d, floats)
            else:
                crit = f.problem.criteria[j]
                norm = f.problem.options.normalisation
                exact = f.exact_coefficients(
                    [normalised_score(crit, a.scores[name], norm) for a in f.problem.applications]
                )
                scale = common_scale(exact)
                coefs = np.array([float(v * scale) if scale else float(v) for v in exact])
            if scale is not None and np.any(coefs):
                coefs = coefs / float(np.gcd.reduce(np.abs(coefs[coefs != 0]).astype(np.int64)))
            out.append(Key(key, coefs, maximize, scale is not None))
        return [k for k in out if np.any(k.coefs)]

    def settle(
        self,
        m: LoadedModel,
        f: Formulation,
        c: np.ndarray,
        x: np.ndarray,
        *,
        unique: bool = False,
        keys: list[Key] | None = None,
        free: np.ndarray | None = None,
    ) -> Settled:
        """The portfolio the rule prefers among those worth as much as ``x`` under ``c``.

        ``m`` is the loaded model (bounds and rows in force: the optimum's); ``x`` must be
        optimal for ``c``. With a non-integral ``c`` the value is held within 1e-9 relative.
        ``unique``: ``x`` is known to be the only optimum (nothing to settle). ``keys``: the
        rule's :meth:`vectors` of ``f``, when the caller keeps them. ``free``: the columns
        other optimal portfolios may set differently, when the caller has proved it (as
        :func:`allocator.optimize.large.proof.exact_optimum` does); otherwise
        :func:`allocator.optimize.fixing.candidates` finds them.
        """
        keys = self.vectors(f) if keys is None else keys
        names = (*(k.name for k in keys), "id")
        if unique:
            return Settled(x, names, False, 0)
        binary = not f.problem.options.partial
        exact = integral(c) and float(np.abs(c).sum()) < EXACT
        if free is None or not exact:
            free = fixing.candidates(m, c, x, float(np.dot(c, x))) if exact else np.ones(len(x), dtype=bool)
        if binary and not free[f.select].any():
            return Settled(x, names, False, 1)  # the relaxation fixed every decision
        sub, cols = m.restricted(free, x, options=QUESTIONS)
        stage = _Stages(sub, x[cols].copy(), exact)
        stage.hold(c[cols], maximize=True)
        tied = stage.other_selection(_positions(cols, f.select)) if binary else True
        if tied and stage.keys([(k.coefs[cols], k.maximize, k.exact) for k in keys]):
            stage.ids(f, cols, x)
        out = x.copy()
        out[cols] = stage.y
        if exact and float(np.dot(c, out)) != float(np.dot(c, x)):  # integers: exact comparison
            raise SolverError(
                "a tie-break stage left the optimal value (a numerical tolerance); please report this call"
            )
        return Settled(out, names, tied, 1 + sub.solves, stage.complete)


def _positions(cols: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions in ``cols`` of the columns in ``wanted`` that are there (in ``wanted``'s order)."""
    where = {int(j): k for k, j in enumerate(cols.tolist())}
    return np.array([where[int(j)] for j in wanted.tolist() if int(j) in where], dtype=np.int64)


class _Stages:
    """The lexicographic stages on the free columns; ``y`` is the current portfolio."""

    def __init__(self, sub: LoadedModel, y: np.ndarray, exact: bool) -> None:
        self.sub = sub
        self.y = y
        self.exact = exact
        self.complete = True  # every stage proven so far

    def hold(self, coefs: np.ndarray, *, maximize: bool, exact: bool | None = None) -> None:
        """A row keeping ``coefs . y`` at least (at most) its value now."""
        exact = self.exact if exact is None else exact
        nz = np.flatnonzero(coefs)
        if not len(nz):
            return
        v = float(np.dot(coefs, self.y))
        tol = 0.5 if exact else 1e-9 * max(1.0, abs(v))
        lo, hi = (v - tol, INF) if maximize else (-INF, v + tol)
        self.sub.add_row(nz, coefs[nz], lo, hi)

    def _solve(self, objective: np.ndarray, *, maximize: bool = True, gap: float | None = None) -> bool:
        res = self.sub.run(objective, maximize=maximize, gap=gap, start=self.y)
        if res.status is not Status.OPTIMAL or res.x is None:
            self.complete = False
            return False
        self.y = self.sub.clean(res.x)
        return True

    def other_selection(self, sel: np.ndarray) -> bool:
        """Whether another selection keeps the value held (the farthest from ``y``)."""
        if not len(sel):
            return False
        dist = np.zeros(len(self.y))
        dist[sel] = np.where(self.y[sel] > 0.5, -1.0, 1.0)
        before = self.y.copy()
        if not self._solve(dist, gap=0.5):
            return True  # not proven: settle by the stages
        moved = float(np.dot(dist, self.y)) + float((before[sel] > 0.5).sum()) > 0.5
        if not moved:
            self.y = before
        return moved

    def keys(self, keys: list[tuple[np.ndarray, bool, bool]]) -> bool:
        """Every key in turn (False: a stage without proof). Exact keys whose ranges allow it
        are combined into one objective, ``sum_k M_k key_k`` with each ``M_k`` above the range
        of the keys after it: one solve instead of one per key."""
        keys = [k for k in keys if np.any(k[0])]
        if len(keys) > 1 and all(exact for _, _, exact in keys):
            combined, m = np.zeros(len(self.y)), 1.0
            for coefs, maximize, _ in reversed(keys):
                combined += m * (coefs if maximize else -coefs)
                m *= float(np.abs(coefs).sum()) + 1.0
            # held afterwards as one row "combined . y >= v - 1/2": only while the row's
            # activity is small enough for the solver's feasibility tolerances to keep that
            # half unit (a call with 220 000 kr requests and green scores held it at 2.4e7 and
            # HiGHS then passed over the better ids)
            if float(np.abs(combined).sum()) < _COMBINED_MAX:
                keys = [(combined, True, True)]
        return all(self.optimise(coefs, maximize=maximize, exact=exact) for coefs, maximize, exact in keys)

    def optimise(self, coefs: np.ndarray, *, maximize: bool, exact: bool) -> bool:
        """One key: optimise it with everything before held, then hold it (False: no proof)."""
        if not np.any(coefs):
            return True
        gap = 0.999 if exact else 1e-9 * max(1.0, float(np.abs(coefs).sum()))
        if not self._solve(coefs, maximize=maximize, gap=gap):
            return False
        self.hold(coefs, maximize=maximize, exact=exact)
        return True

    def ids(self, f: Formulation, cols: np.ndarray, x: np.ndarray) -> None:
        """Prefer funding the smaller id, then (partial funding) the larger grant to it
        (``x``: the whole portfolio, for the columns held outside ``cols``)."""
        sel = _positions(cols, f.select[f.order])  # funded indicators, in id order
        sub = self.sub
        for a in range(0, len(sel), _CHUNK):
            chunk = sel[a : a + _CHUNK]
            w = np.zeros(len(self.y))
            w[chunk] = 2.0 ** np.arange(len(chunk) - 1, -1, -1)
            if not self._solve(w, gap=0.5):
                return
            sub.hold_columns(chunk, self.y[chunk])
        sub.hold_columns(sel, self.y[sel])
        if not f.problem.options.partial:
            return
        where = {int(j): k for k, j in enumerate(cols.tolist())}
        for i in f.order.tolist():
            mine = np.flatnonzero(f.col_app == i)
            own = np.array([where[int(j)] for j in mine if int(j) in where], dtype=np.int64)
            if not len(own):
                continue
            held = np.array([int(j) not in where for j in mine])
            amount = f.col_amount[cols[own]]
            granted = float(np.dot(amount, self.y[own])) + float(np.dot(f.col_amount[mine[held]], x[mine[held]]))
            full = f.problem.applications[i].requested
            if 0 < granted < full - 0.5:  # else already the only (or the largest) grant
                g = np.zeros(len(self.y))
                g[own] = amount
                if not self._solve(g, gap=0.5):
                    return
            sub.hold_columns(own, self.y[own])
