"""The engine: one formulation loaded in one solver, and every question the library asks of it.

An :class:`Engine` loads a :class:`~allocator.optimize.formulation.Formulation` into a
backend once. Each question then changes only what it needs, and puts it back afterwards:

* the objective (:meth:`Engine.set_values`: other weights or scores, exactly integer-scaled);
* column bounds (:meth:`Engine.forced`: applications forced in or out);
* the frame (:meth:`Engine.at_frame`, ``None`` lifts it);
* the value (:meth:`Engine.value_at_least`, :meth:`Engine.value_at_most`: a *value row*,
  the objective as a constraint, added on first use);
* rows relaxed (:meth:`Engine.relaxed`) or added for a while (:meth:`Engine.extra_rows`).

and asks: :meth:`Engine.best` (the highest value, optionally preferring a secondary
objective among the optima), :meth:`Engine.cheapest` (the smallest total grant),
:meth:`Engine.maximise` (any objective), :meth:`Engine.optimum` (the decision: the highest
value with ties settled by the documented rule, :mod:`allocator.optimize.tiebreak`).

Values are read back exactly: grants are whole kroner and, with an integer-scaled objective
(``scale``), the value of a portfolio is an exact fraction; every bound on the value is then
exact too (``value >= V`` becomes ``scaled value >= ceil(V * scale) - 1/2``).

Where the call is a plain knapsack (all-or-nothing, the frame its only row, an integer
objective) and no row has been added, :meth:`best` and :meth:`cheapest` are answered by the
exact dynamic program of :mod:`allocator.optimize.knapsack` without starting the solver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from math import ceil, floor
from typing import Any

import numpy as np

from allocator.exceptions import AllocatorError, SolverError
from allocator.model import Problem
from allocator.optimize import knapsack
from allocator.optimize.formulation import Formulation, build
from allocator.optimize.linear import INF
from allocator.optimize.loaded import QUESTIONS, LoadedModel
from allocator.optimize.outcome import Outcome

__all__ = ["FLOAT_MARGIN", "QUESTIONS", "Engine", "Outcome"]

FLOAT_MARGIN = 1e-6
"""Under a float objective (one that cannot be integer-scaled), "worth more than V" is held as
"worth at least V + 1e-6 * max(1, |V|)": a hundred times the solver's feasibility
tolerance, so that a portfolio worth exactly V cannot pass; a portfolio worth more than V by less than
that is missed. (It was 1e-5 when HiGHS ran at 1e-6; on a call of values near 0.03 the
cheapest portfolio worth 3e-6 more than V was missed.)"""


class Engine(LoadedModel):
    """A formulation loaded once, for many exact questions about its applications.

    Parameters
    ----------
    f
        The formulation (rules included).
    solver, threads, options, time_limit
        As for :class:`~allocator.optimize.loaded.LoadedModel`.
    knapsack
        Answer :meth:`best` and :meth:`cheapest` by dynamic programming where the call is a
        plain knapsack (``False``: always the solver; the tests compare both).

    Examples
    --------
    >>> from allocator.data import small_example
    >>> p = small_example()  # frame 100; A asks 60 (score 0.9), B and C 50 (0.6, 0.5)
    >>> e = Engine.of(p)
    >>> e.best().value, e.best(fix_in=[0]).value
    (Fraction(11, 10), Fraction(9, 10))
    >>> with e.at_frame(160):
    ...     e.best().funded.tolist()
    [True, True, True]
    """

    def __init__(
        self,
        f: Formulation,
        *,
        solver: Any = "highs",
        threads: int | None = 1,
        time_limit: float | None = None,
        options: dict[str, Any] | None = None,
        knapsack: bool = True,
    ) -> None:
        super().__init__(
            f.model,
            solver=solver,
            threads=threads,
            time_limit=time_limit,
            options=options,
            name=f.problem.name or "allocator",
        )
        self.f = f
        self.c = f.model.objective.astype(float).copy()
        self.scale = f.scale
        self._values: Sequence[Fraction] | Callable[[], Sequence[Fraction]] = f.scores.exact
        self.amount = np.where(f.col_app >= 0, f.col_amount, 0.0)
        self.value_row = -1
        self._use_dp = knapsack
        self._value_lo: list[tuple[Fraction, bool]] = []
        self._value_hi: list[Fraction] = []
        self._relaxed = 0

    @classmethod
    def of(cls, problem: Problem, *, time_limit: float | None = None, method: str = "auto", **kw: Any) -> Engine:
        """The engine of ``problem`` (formulated here). ``method``: ``"auto"`` (dynamic
        programming where the call is a plain knapsack, else the solver) or ``"mip"``."""
        if method not in ("auto", "mip"):
            raise AllocatorError(f"method {method!r} is not known; use 'auto' or 'mip'")
        return cls(build(problem), time_limit=time_limit, knapsack=method == "auto", **kw)

    @property
    def problem(self) -> Problem:
        """The problem formulated."""
        return self.f.problem

    # --------------------------------------------------------------- objective
    def set_values(
        self, c: np.ndarray, scale: int | None, values: Sequence[Fraction] | Callable[[], Sequence[Fraction]]
    ) -> None:
        """Change the value objective: column coefficients ``c`` (integers when ``scale``)
        and the exact value of funding each application in full (other weights or scores;
        a function that gives them, called only if a value must be computed without
        ``scale``)."""
        self.c = np.asarray(c, dtype=float)
        self.scale = scale
        self._values = values
        if self.value_row >= 0:  # the value row follows the objective
            if self.n_rows != self.value_row + 1:
                raise SolverError("the objective cannot change while rows are added; this is a bug")
            self._truncate(self.value_row)
            nz = np.flatnonzero(self.c)
            self.add_row(nz, self.c[nz], -INF, INF)

    # ------------------------------------------------------------- application edits
    def columns_of(self, i: int) -> np.ndarray:
        """The columns of application ``i``."""
        return np.flatnonzero(self.f.col_app == i)

    @contextmanager
    def forced(self, fix_in: Sequence[int] = (), fix_out: Sequence[int] = ()) -> Iterator[None]:
        """Applications ``fix_in`` funded (at least their minimum), ``fix_out`` not funded."""
        sel = [int(self.f.select[i]) for i in fix_in]
        out = [int(j) for i in fix_out for j in self.columns_of(int(i))]
        with self.fixed(sel, 1.0, 1.0), self.fixed(out, 0.0, 0.0):
            yield

    def can_force(self, fix_in: Sequence[int]) -> bool:
        """Whether the bounds allow funding each of ``fix_in`` (not ineligible or locked out)."""
        return all(self.col_upper[self.f.select[i]] >= 0.5 for i in fix_in)

    @contextmanager
    def at_frame(self, frame: int | None) -> Iterator[None]:
        """Another frame inside the block (``None``: no frame at all)."""
        r = self.f.frame_row
        before = (self.row_lower[r], self.row_upper[r])
        self.set_row_bounds(r, before[0], INF if frame is None else float(frame))
        try:
            yield
        finally:
            self.set_row_bounds(r, *before)

    @property
    def frame(self) -> float:
        """The frame in force (``inf`` when lifted)."""
        return float(self.row_upper[self.f.frame_row])

    def _ensure_value_row(self) -> int:
        if self.value_row < 0:
            if self.n_rows != self.model.n_rows:
                raise SolverError("the value row must come first among added rows; this is a bug")
            nz = np.flatnonzero(self.c)
            self.value_row = self.add_row(nz, self.c[nz], -INF, INF)
        return self.value_row

    def value_bound(self, value: Fraction, *, strict: bool = False) -> float:
        """Lower bound of the value row meaning ``value >= V`` (``> V`` when strict)."""
        if self.scale is not None:
            scaled = value * self.scale
            return (floor(scaled) + 0.5) if strict else (ceil(scaled) - 0.5)
        v = float(value)
        if strict:  # in floats, "more than V" must clear the solver's feasibility tolerance (1e-8)
            return v + FLOAT_MARGIN * max(1.0, abs(v))
        return v - 1e-9 * max(1.0, abs(v))

    @contextmanager
    def value_at_least(self, value: Fraction | None, *, strict: bool = False) -> Iterator[None]:
        """Only portfolios worth at least ``value`` (more than it when strict) inside the block."""
        if value is None:
            yield
            return
        r = self._ensure_value_row()
        before = (self.row_lower[r], self.row_upper[r])
        self._value_lo.append((value, strict))
        self.set_row_bounds(r, max(before[0], self.value_bound(value, strict=strict)), before[1])
        try:
            yield
        finally:
            self._value_lo.pop()
            self.set_row_bounds(r, *before)

    @contextmanager
    def value_at_most(self, value: Fraction) -> Iterator[None]:
        """Only portfolios worth at most ``value`` inside the block."""
        r = self._ensure_value_row()
        before = (self.row_lower[r], self.row_upper[r])
        if self.scale is not None:
            hi = floor(value * self.scale) + 0.5
        else:
            hi = float(value) + 1e-9 * max(1.0, abs(float(value)))
        self._value_hi.append(value)
        self.set_row_bounds(r, before[0], min(before[1], hi))
        try:
            yield
        finally:
            self._value_hi.pop()
            self.set_row_bounds(r, *before)

    @contextmanager
    def relaxed(self, rows: Sequence[int]) -> Iterator[None]:
        """Some rows of the model dropped inside the block (a rule's rows, to see what it costs)."""
        self._relaxed += 1
        try:
            with super().relaxed(rows):
                yield
        finally:
            self._relaxed -= 1

    # ----------------------------------------------------------------- reading
    @property
    def values(self) -> Sequence[Fraction]:
        """The exact value of funding each application in full, under the current objective."""
        if callable(self._values):
            self._values = tuple(self._values())
        return self._values

    def value_of(self, x: np.ndarray) -> Fraction:
        """The exact value of column values ``x`` under the current objective."""
        if self.scale is not None:  # integer coefficients, sums below 2**50: exact
            return Fraction(int(np.rint(np.dot(self.c, np.rint(x)))), self.scale)
        g = self.f.grants(x)
        apps = self.f.problem.applications
        return sum((v * int(gi) / a.requested for v, gi, a in zip(self.values, g, apps, strict=True)), Fraction(0))

    def outcome(self, x: np.ndarray, **fields: Any) -> Outcome:
        """The :class:`Outcome` of column values ``x``, checked exactly against the value
        bounds in force (a solver's tolerance must never pass for an answer)."""
        x = self.clean(x)
        value = self.value_of(x)
        if self.scale is not None:
            low = [v for v, strict in self._value_lo if (value <= v if strict else value < v)]
            high = [v for v in self._value_hi if value > v]
            if low or high:
                raise SolverError(
                    f"the solver returned a portfolio worth {float(value):.9g} outside the bounds it was given "
                    f"({'above ' + format(float(low[0]), '.9g') if low else 'at most ' + format(float(high[0]), '.9g')}): "
                    "a numerical tolerance; please report this call"
                )
        return Outcome(x=x, grants=self.f.grants(x), value=value, **fields)

    def gap(self, c: np.ndarray | None = None) -> float:
        """Absolute gap that still proves optimality (of the value objective by default)."""
        return super().gap(self.c if c is None else c)

    # ---------------------------------------------------------------- questions
    @property
    def uses_knapsack(self) -> bool:
        """Whether :meth:`best` and :meth:`cheapest` are answered by dynamic programming now."""
        return (
            self._use_dp
            and self.model.n_rows == 1
            and len(self.extra) <= (1 if self.value_row >= 0 else 0)
            and not self._value_hi
            and not self._relaxed
            and knapsack.applies(self.f, self.c, self.scale, self.col_lower, self.col_upper, self.frame)
        )

    def best(
        self, *, fix_in: Sequence[int] = (), fix_out: Sequence[int] = (), prefer: np.ndarray | None = None
    ) -> Outcome | None:
        """The highest value under the bounds in force (``None``: nothing is feasible).

        ``prefer``: a secondary objective per column (non-negative integers, maximised among
        the optima), e.g. :meth:`selection_vector` of a portfolio, to stay close to it.
        """
        if not self.can_force(fix_in):
            return None
        if self.uses_knapsack:
            return self._dp(fix_in, fix_out, prefer, cheapest=False)
        with self.forced(fix_in, fix_out):
            x = self.lexicographic(self.c, prefer)
        return None if x is None else self.outcome(x)

    def cheapest(
        self, *, fix_in: Sequence[int] = (), fix_out: Sequence[int] = (), prefer: np.ndarray | None = None
    ) -> Outcome | None:
        """The smallest total grant under the bounds in force; among those the highest value,
        then (integer objectives only) the highest ``prefer``."""
        if not self.can_force(fix_in):
            return None
        if self.uses_knapsack:
            return self._dp(fix_in, fix_out, prefer, cheapest=True)
        second = np.maximum(self.c, 0.0)
        if prefer is not None and np.any(prefer) and self.scale is not None:
            second = second * (float(np.abs(prefer).sum()) + 1.0) + prefer
        with self.forced(fix_in, fix_out):
            x = self.lexicographic(self.amount, second, maximize=False, first_gap=0.999)
        return None if x is None else self.outcome(x)

    def maximise(
        self, objective: np.ndarray, *, fix_in: Sequence[int] = (), fix_out: Sequence[int] = ()
    ) -> Outcome | None:
        """The portfolio that maximises any column objective (floats, tight gap)."""
        if not self.can_force(fix_in):
            return None
        with self.forced(fix_in, fix_out):
            x = self.proven(objective, gap=1e-9 * max(1.0, float(np.abs(objective).sum())))
        return None if x is None else self.outcome(x)

    def _dp(
        self, fix_in: Sequence[int], fix_out: Sequence[int], prefer: np.ndarray | None, *, cheapest: bool
    ) -> Outcome | None:
        target = None
        if self._value_lo:
            assert self.scale is not None
            target = max(floor(v * self.scale) + 1 if strict else ceil(v * self.scale) for v, strict in self._value_lo)
        x = knapsack.what_if(
            self.f, self.c, self.col_lower, self.col_upper, self.frame, fix_in, fix_out, prefer, target, cheapest
        )
        self.solves += 1
        return None if x is None else self.outcome(x, method="knapsack")

    # ---------------------------------------------------------------- helpers
    def selection_vector(self, mask: np.ndarray) -> np.ndarray:
        """Column vector with 1 on the "funded" column of each application in ``mask``."""
        v = np.zeros(self.model.n_cols)
        v[self.f.select[np.asarray(mask, dtype=bool)]] = 1.0
        return v

    def share_vector(self, i: int) -> np.ndarray:
        """Per column, the share of application ``i``'s request one unit grants (0 elsewhere)."""
        cols = self.columns_of(i)
        v = np.zeros(self.model.n_cols)
        v[cols] = self.f.col_amount[cols] / self.f.problem.applications[i].requested
        return v

    def rule_rows(self) -> dict[str, list[int]]:
        """The rows of each rule, by name."""
        out: dict[str, list[int]] = {}
        for r, label in sorted(self.f.row_rules.items()):
            out.setdefault(label, []).append(int(r))
        return out

    def binding_rules(self, x: np.ndarray) -> list[str]:
        """Names of the rules with a row at one of its bounds in ``x``."""
        if not self.f.row_rules:
            return []
        act = self.model.activity(x)
        lo, hi = self.model.row_lower, self.model.row_upper
        out: list[str] = []
        for r, label in sorted(self.f.row_rules.items()):
            tol = 1e-6 * max(1.0, abs(float(act[r])))
            if (abs(act[r] - hi[r]) <= tol or abs(act[r] - lo[r]) <= tol) and label not in out:
                out.append(label)
        return out
