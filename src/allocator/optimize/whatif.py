"""What-if solves on one loaded model: the engine behind explain, frontier and alternatives.

:class:`WhatIf` builds the problem once (:func:`allocator.optimize.formulation.build`, so the call's
rules are part of every what-if), loads it into HiGHS once, and adds one extra row: the
*value row*, the objective as a constraint (free until a question bounds it). Each question
then changes only bounds or the objective and solves again:

* force applications in or out (bounds of their columns),
* move the frame (bounds of the frame row), or lift it,
* ask for a value of at least / more than / at most ``V`` (bounds of the value row),
* maximise the value, or minimise the total grant, each with a secondary preference.

Values are read back exactly: grants are whole kroner and the value of a grant vector is
the exact fraction :meth:`Formulation.exact_value`. When the objective is integer-scaled
(``Formulation.scale``) every bound on the value is exact too (``value >= V`` becomes
``scaled value >= ceil(V * scale) - 1/2``); otherwise it holds within 1e-9 relative.

Fast path: a call with all-or-nothing funding, no rules and an integer-scaled objective is
a plain knapsack; while no cut has been added, :mod:`allocator.optimize.knapsack` answers ``best``
and ``cheapest`` exactly by dynamic programming, and HiGHS is not even started
(``method="mip"`` turns this off; the tests compare both).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor
from typing import Literal

import numpy as np

from allocator.exceptions import AllocatorError, SolverError
from allocator.model.problem import Problem
from allocator.optimize import knapsack
from allocator.optimize.backends import make_backend
from allocator.optimize.backends.base import Backend
from allocator.optimize.formulation import Formulation, build
from allocator.optimize.linear import INF
from allocator.status import Status

__all__ = ["Outcome", "WhatIf"]

_EXACT = 2**50  # combined integer objectives stay below this (exact in a double)
_DP_EXACT = 2**62  # and below this in the int64 knapsack table


@dataclass(frozen=True)
class Outcome:
    """One what-if optimum: column values, grants (input order, kroner) and exact value."""

    x: np.ndarray
    grants: np.ndarray
    value: Fraction

    @property
    def funded(self) -> np.ndarray:
        """Boolean mask of the funded applications (input order)."""
        return self.grants > 0

    @property
    def total(self) -> int:
        """Total grant, whole kroner."""
        return int(self.grants.sum())


class WhatIf:
    """A problem's model loaded once, for many what-if solves.

    Parameters
    ----------
    problem
        The call. Its rules are included (the model comes from ``build(problem)``).
    time_limit
        Seconds per solve (``None``: no limit). A solve that ends without a proven optimum
        raises :class:`~allocator.exceptions.SolverError`: what-if answers must be exact.
    method
        ``"auto"`` (dynamic programming where the call is a plain knapsack, else HiGHS),
        ``"mip"`` (always HiGHS).

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...     applications=[Application(id="A", requested=60, scores={"g": 9}),
    ...                   Application(id="B", requested=50, scores={"g": 6}),
    ...                   Application(id="C", requested=50, scores={"g": 5})])
    >>> w = WhatIf(p)
    >>> w.best().value, w.best(fix_in=[0]).value
    (Fraction(11, 10), Fraction(9, 10))
    """

    def __init__(self, problem: Problem, *, time_limit: float | None = None, method: Literal["auto", "mip"] = "auto"):
        if method not in ("auto", "mip"):
            raise AllocatorError(f"method {method!r} is not known; use 'auto' or 'mip'")
        self.problem = problem
        self.f: Formulation = build(problem)
        self.time_limit = time_limit
        model = self.f.model
        self.c = model.objective.copy()
        self.amount = np.where(self.f.col_app >= 0, self.f.col_amount, 0.0)
        self._col_lo = model.col_lower.copy()
        self._col_hi = model.col_upper.copy()
        self.n = len(problem.applications)
        self.solves = 0
        self._backend: Backend | None = None
        self.value_row = -1
        self._frame: int | None = problem.frame
        self._value_lo: list[tuple[Fraction, bool]] = []
        self._value_hi: list[Fraction] = []
        self._value_bounds: tuple[float, float] = (-INF, INF)
        self._edited = 0  # cuts added / rows relaxed: the knapsack path no longer applies
        self._dp = method == "auto" and self._knapsack_setup()

    # ---------------------------------------------------------------- setup
    def _knapsack_setup(self) -> bool:
        f, p = self.f, self.problem
        if p.options.partial or f.scale is None or f.model.n_rows != 1 or np.any(self._col_lo > 0):
            return False
        sel = f.select
        self._vals = np.rint(self.c[sel]).astype(np.int64)  # exact: the scaled objective is integral
        req = [a.requested for a in p.applications]
        self._g = knapsack.divisor(req)
        self._w = np.array([r // self._g for r in req], dtype=np.int64)
        self._ok = self._col_hi[sel] >= 0.5
        total_units = int(self._w[self._ok].sum())
        if int(self._vals.sum()) * (self.n + 2) >= _DP_EXACT:
            return False
        return self.n * (total_units + 1) <= knapsack.MAX_CELLS

    @property
    def backend(self) -> Backend:
        """The HiGHS backend, started on first use with the current bounds applied."""
        if self._backend is None:

            b = make_backend(self.f.model, "highs", name=self.problem.name or "allocator")
            nz = np.flatnonzero(self.c)
            self.value_row = b.add_row(nz, self.c[nz], *self._value_bounds)
            if self._frame != self.problem.frame:
                b.set_row_bounds(self.f.frame_row, float(self.f.model.row_lower[self.f.frame_row]), self._frame_upper())
            self._backend = b
        return self._backend

    @property
    def uses_knapsack(self) -> bool:
        """Whether the next question is answered by dynamic programming."""
        return self._dp and not self._edited and not self._value_hi

    # ----------------------------------------------------------- value units
    def _gap(self) -> float:
        if self.f.scale is not None:
            return 0.999
        return 1e-9 * max(1.0, float(np.abs(self.c).sum()))

    def value_bound(self, value: Fraction, *, strict: bool = False) -> float:
        """Lower bound on the value row meaning ``value >= V`` (or ``> V`` when strict)."""
        if self.f.scale is not None:
            v = value * self.f.scale
            return (floor(v) + 0.5) if strict else (ceil(v) - 0.5)
        tol = 1e-9 * max(1.0, abs(float(value)))
        return float(value) + tol if strict else float(value) - tol

    def _frame_upper(self) -> float:
        return INF if self._frame is None else float(self._frame)

    # ------------------------------------------------------------- contexts
    @contextmanager
    def _fixed(self, cols: list[int], lower: float, upper: float) -> Iterator[None]:
        if not cols:
            yield
            return
        arr = np.asarray(cols, dtype=np.int64)
        self.backend.set_col_bounds(arr, np.full(len(arr), lower), np.full(len(arr), upper))
        try:
            yield
        finally:
            self.backend.set_col_bounds(arr, self._col_lo[arr], self._col_hi[arr])

    @contextmanager
    def _forced(self, fix_in: Sequence[int], fix_out: Sequence[int]) -> Iterator[None]:
        sel_in = [int(self.f.select[i]) for i in fix_in]
        out_cols = [int(j) for i in fix_out for j in np.flatnonzero(self.f.col_app == i)]
        with self._fixed(sel_in, 1.0, 1.0), self._fixed(out_cols, 0.0, 0.0):
            yield

    @contextmanager
    def at_frame(self, frame: int | None) -> Iterator[None]:
        """Temporarily solve with another frame (``None``: no frame at all)."""
        before = self._frame
        self._frame = frame
        row = self.f.frame_row
        lo0 = float(self.f.model.row_lower[row])
        if self._backend is not None:
            self._backend.set_row_bounds(row, lo0, self._frame_upper())
        try:
            yield
        finally:
            self._frame = before
            if self._backend is not None:
                self._backend.set_row_bounds(row, lo0, self._frame_upper())

    @contextmanager
    def value_at_least(self, value: Fraction | None, *, strict: bool = False) -> Iterator[None]:
        """Temporarily require a value of at least ``value`` (more than it when strict)."""
        if value is None:
            yield
            return
        before = self._value_bounds
        self._value_lo.append((value, strict))
        self._set_value_bounds(max(before[0], self.value_bound(value, strict=strict)), before[1])
        try:
            yield
        finally:
            self._value_lo.pop()
            self._set_value_bounds(*before)

    @contextmanager
    def value_at_most(self, value: Fraction) -> Iterator[None]:
        """Temporarily require a value of at most ``value`` (exact when scaled)."""
        before = self._value_bounds
        if self.f.scale is not None:
            hi = floor(value * self.f.scale) + 0.5
        else:
            hi = float(value) + 1e-9 * max(1.0, abs(float(value)))
        self._value_hi.append(value)
        self._set_value_bounds(before[0], min(before[1], hi))
        try:
            yield
        finally:
            self._value_hi.pop()
            self._set_value_bounds(*before)

    @contextmanager
    def relaxed_rows(self, rows: Sequence[int]) -> Iterator[None]:
        """Temporarily drop some rows of the model (a rule's rows, to see what it costs)."""
        m = self.f.model
        self._edited += 1
        for r in rows:
            self.backend.set_row_bounds(int(r), -INF, INF)
        try:
            yield
        finally:
            for r in rows:
                self.backend.set_row_bounds(int(r), float(m.row_lower[r]), float(m.row_upper[r]))
            self._edited -= 1

    def _set_value_bounds(self, lo: float, hi: float) -> None:
        self._value_bounds = (lo, hi)
        if self._backend is not None:
            self._backend.set_row_bounds(self.value_row, lo, hi)

    def add_row(self, cols: np.ndarray, coefs: np.ndarray, lower: float, upper: float) -> int:
        """Add a permanent row (a cut) to the loaded model."""
        self._edited += 1
        return self.backend.add_row(np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=float), lower, upper)

    # --------------------------------------------------------------- solving
    def _run(self, objective: np.ndarray, *, maximize: bool, gap: float) -> np.ndarray | None:
        self.backend.set_objective(objective, maximize=maximize)
        res = self.backend.solve(time_limit=self.time_limit, rel_gap=0.0, abs_gap=gap)
        self.solves += 1
        if res.status is Status.INFEASIBLE:
            return None
        if res.status is not Status.OPTIMAL or res.x is None:
            raise SolverError(
                f"a what-if solve ended {res.status.value} ({res.message}); raise time_limit "
                "(what-if answers need proven optima)"
            )
        x = res.x.copy()
        x[self.f.model.integer] = np.rint(x[self.f.model.integer])
        return x

    def _outcome(self, x: np.ndarray) -> Outcome:
        g = self.f.grants(x)
        if self.f.scale is not None:  # integer coefficients, sums below 2**50: exact
            units = np.rint(x[self.f.col_app >= 0])
            value = Fraction(int(np.rint(np.dot(self.c[self.f.col_app >= 0], units))), self.f.scale)
        else:
            value = self.f.exact_value(g)
        return Outcome(x=x, grants=g, value=value)

    def _lexicographic(self, first: np.ndarray, first_gap: float, second: np.ndarray | None, *, maximize: bool) -> Outcome | None:
        """Optimise ``first``; among its optima maximise ``second`` (non-negative)."""
        if second is None or not np.any(second):
            x = self._run(first, maximize=maximize, gap=first_gap)
            return None if x is None else self._outcome(x)

        def integral(v: np.ndarray) -> bool:
            return bool(np.all(v == np.rint(v)))

        m = float(np.abs(second).sum()) + 1.0
        if first_gap == 0.999 and integral(first) and integral(second) and float(np.abs(first).sum()) * m + m < _EXACT:
            x = self._run(first * m * (1.0 if maximize else -1.0) + second, maximize=True, gap=0.999)
            return None if x is None else self._outcome(x)
        x = self._run(first, maximize=maximize, gap=first_gap)
        if x is None:
            return None
        level = float(np.dot(first, x))
        tol = 0.5 if first_gap == 0.999 else first_gap
        lo, hi = (level - tol, INF) if maximize else (-INF, level + tol)
        nz = np.flatnonzero(first)
        row = self.backend.add_row(nz, first[nz], lo, hi)
        try:
            x2 = self._run(second, maximize=True, gap=0.5 if integral(second) else 1e-9 * m)
        finally:
            self.backend.set_row_bounds(row, -INF, INF)
        return self._outcome(x if x2 is None else x2)

    def best(self, *, fix_in: Sequence[int] = (), fix_out: Sequence[int] = (), prefer: np.ndarray | None = None) -> Outcome | None:
        """The highest value under the current bounds (``None`` if nothing is feasible).

        ``prefer``: a secondary objective per column (non-negative integers, maximised among
        the optima), e.g. :meth:`selection_vector` of a portfolio to stay close to it.
        """
        if not self.can_force(fix_in):
            return None
        if self.uses_knapsack:
            return self._dp_solve(fix_in, fix_out, prefer, cheapest=False)
        with self._forced(fix_in, fix_out):
            return self._lexicographic(self.c, self._gap(), prefer, maximize=True)

    def cheapest(
        self, *, fix_in: Sequence[int] = (), fix_out: Sequence[int] = (), prefer: np.ndarray | None = None
    ) -> Outcome | None:
        """The smallest total grant under the current bounds; among those the highest value,
        then (integer-scaled objectives only) the highest ``prefer``."""
        if not self.can_force(fix_in):
            return None
        if self.uses_knapsack:
            return self._dp_solve(fix_in, fix_out, prefer, cheapest=True)
        second = np.maximum(self.c, 0.0)
        if prefer is not None and np.any(prefer) and self.f.scale is not None:
            second = second * (float(np.abs(prefer).sum()) + 1.0) + prefer
        with self._forced(fix_in, fix_out):
            return self._lexicographic(self.amount, 0.999, second, maximize=False)

    def maximise(self, objective: np.ndarray, *, fix_in: Sequence[int] = (), fix_out: Sequence[int] = ()) -> Outcome | None:
        """Maximise an arbitrary column objective (floats, tight gap) with HiGHS."""
        if not self.can_force(fix_in):
            return None
        with self._forced(fix_in, fix_out):
            x = self._run(objective, maximize=True, gap=1e-9 * max(1.0, float(np.abs(objective).sum())))
        return None if x is None else self._outcome(x)

    # ------------------------------------------------------ knapsack path
    def _dp_solve(self, fix_in: Sequence[int], fix_out: Sequence[int], prefer: np.ndarray | None, *, cheapest: bool) -> Outcome | None:
        forced = sorted({int(i) for i in fix_in})
        banned = {int(i) for i in fix_out}
        if banned.intersection(forced):
            return None
        free = [int(i) for i in self.f.order if self._ok[i] and i not in banned and i not in forced]
        items = np.array(free, dtype=np.int64)
        req = np.array([a.requested for a in self.problem.applications], dtype=np.int64)
        forced_cost = int(req[forced].sum()) if forced else 0
        forced_val = int(self._vals[forced].sum()) if forced else 0
        if self._frame is None:
            cap = int(self._w[items].sum()) if len(items) else 0
        else:
            if forced_cost > self._frame:
                return None
            cap = (self._frame - forced_cost) // self._g
        pref = None if prefer is None else np.rint(np.asarray(prefer)[self.f.select]).astype(np.int64)
        target = self._dp_target()
        picked = knapsack.choose(
            items, self._w, self._vals, cap, prefer=pref, cheapest=cheapest,
            target=None if target is None else target - forced_val,
        )
        if picked is None:
            return None
        chosen = picked + forced
        x = np.zeros(self.f.model.n_cols)
        x[self.f.select[chosen]] = 1.0
        self.solves += 1
        return self._outcome(x)

    def _dp_target(self) -> int | None:
        """The smallest scaled value the current lower bounds allow (None: no bound)."""
        scale = self.f.scale
        assert scale is not None
        target: int | None = None
        for v, strict in self._value_lo:
            t = floor(v * scale) + 1 if strict else ceil(v * scale)
            target = t if target is None else max(target, t)
        return target

    # --------------------------------------------------------------- helpers
    def can_force(self, fix_in: Sequence[int]) -> bool:
        """Whether the bounds allow funding each of ``fix_in`` (not ineligible or locked out)."""
        return all(self._col_hi[self.f.select[i]] >= 0.5 for i in fix_in)

    def selection_vector(self, mask: np.ndarray) -> np.ndarray:
        """Column vector with 1 on the "funded" column of each application in ``mask``."""
        v = np.zeros(self.f.model.n_cols)
        v[self.f.select[np.asarray(mask, dtype=bool)]] = 1.0
        return v

    def share_vector(self, i: int) -> np.ndarray:
        """Per column, the share of application ``i``'s request one unit grants (0 elsewhere)."""
        req = self.problem.applications[i].requested
        cols = np.flatnonzero(self.f.col_app == i)
        v = np.zeros(self.f.model.n_cols)
        v[cols] = self.f.col_amount[cols] / req
        return v

    def rows_touching(self, i: int) -> list[int]:
        """Rows of the built model (not the frame row) with a column of application ``i``."""
        cols = np.flatnonzero(self.f.col_app == i)
        m = self.f.model
        hit = np.isin(m.index, cols)
        rows = np.searchsorted(m.start, np.flatnonzero(hit), side="right") - 1
        return sorted(int(r) for r in set(rows.tolist()) if r != self.f.frame_row)

    def rule_rows(self) -> dict[str, list[int]]:
        """The rows of each rule, by label."""
        out: dict[str, list[int]] = {}
        for r, label in sorted(self.f.row_rules.items()):
            out.setdefault(label, []).append(int(r))
        return out

    def binding_rules(self, x: np.ndarray) -> list[str]:
        """Labels of the rules with a row at one of its bounds in ``x``."""
        if not self.f.row_rules:
            return []
        act = self.f.model.activity(x)
        lo, hi = self.f.model.row_lower, self.f.model.row_upper
        out: list[str] = []
        for r, label in sorted(self.f.row_rules.items()):
            tol = 1e-6 * max(1.0, abs(float(act[r])))
            if (abs(act[r] - hi[r]) <= tol or abs(act[r] - lo[r]) <= tol) and label not in out:
                out.append(label)
        return out
