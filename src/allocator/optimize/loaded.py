"""A linear model loaded in a solver, edited in place between solves.

:class:`LoadedModel` is the one place where a solver model is held between solves. It
keeps, beside the backend, the bounds and rows in force now, so that every edit can be
undone (the context managers put back what they changed) and so that a portfolio can be
checked against exactly what the solver sees (:meth:`LoadedModel.feasible`). The backend
is started on first use: questions answered without a solver (dynamic programming,
certificates) never pay for loading it.

:class:`allocator.optimize.engine.Engine` builds on it with questions about applications.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import numpy as np

from allocator.exceptions import SolverError
from allocator.optimize.backends import Backend, RawResult, make_backend
from allocator.optimize.linear import INF, LinearModel
from allocator.status import Status

__all__ = ["EXACT", "QUESTIONS", "LoadedModel", "integral"]

EXACT = 2.0**40
"""Integer objectives stay below this in absolute sum (exact in a double, with room)."""


QUESTIONS: dict[str, Any] = {
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_effort": 0.0,
    "mip_detect_symmetry": False,
}
"""HiGHS settings for many small questions on one model (explanations, tie-break stages,
sweeps): the start heuristics cost more than they find when the questions are small and
often warm."""


ROUNDED_TOL = 1e-6
"""How far a solver's point, integer columns rounded, may lie outside a row before it is
solved again more tightly. Rows of integers miss by half a unit or more; 1e-6 leaves room
for the rounding of rows with decimal coefficients (co-financing shares)."""


def integral(v: np.ndarray) -> bool:
    """Whether every entry of ``v`` is a whole number."""
    return bool(np.all(v == np.rint(v)))


class LoadedModel:
    """A :class:`~allocator.optimize.linear.LinearModel` in a solver, edited in place.

    Parameters
    ----------
    model
        The model (maximised).
    solver, threads, options
        As for :func:`allocator.optimize.backends.make_backend`.
    time_limit
        Seconds per solve (``None``: no limit). :meth:`proven` raises
        :class:`~allocator.exceptions.SolverError` when a solve ends without a proof.
        ``deadline`` (an attribute, a :func:`time.perf_counter` time or ``None``) limits
        every solve further, so that a sequence of solves ends by it; restricted models
        inherit it.
    name
        A name for the solver's model (never user text inside it).
    """

    def __init__(
        self,
        model: LinearModel,
        *,
        solver: Any = "highs",
        threads: int | None = 1,
        time_limit: float | None = None,
        options: dict[str, Any] | None = None,
        name: str = "allocator",
    ) -> None:
        self.model = model
        self.solver = solver
        self.threads = threads
        self.time_limit = time_limit
        self.deadline: float | None = None
        self._options = options
        self._name = name
        self.solves = 0
        self.col_lower = model.col_lower.astype(float).copy()
        self.col_upper = model.col_upper.astype(float).copy()
        self.row_lower = model.row_lower.astype(float).copy()
        self.row_upper = model.row_upper.astype(float).copy()
        self.extra: list[tuple[np.ndarray, np.ndarray]] = []  # rows added after the model's
        self._backend: Backend | None = None
        self.notes: list[str] = []

    # ------------------------------------------------------------------ backend
    @property
    def backend(self) -> Backend:
        """The solver, loaded on first use with the current bounds and rows."""
        if self._backend is None:
            b = make_backend(self.model, self.solver, threads=self.threads, name=self._name, options=self._options)
            changed = np.flatnonzero(
                (self.col_lower != self.model.col_lower) | (self.col_upper != self.model.col_upper)
            )
            if len(changed):
                b.set_col_bounds(changed, self.col_lower[changed], self.col_upper[changed])
            for r in np.flatnonzero(
                (self.row_lower[: self.model.n_rows] != self.model.row_lower)
                | (self.row_upper[: self.model.n_rows] != self.model.row_upper)
            ).tolist():
                b.set_row_bounds(r, self.row_lower[r], self.row_upper[r])
            for k, (cols, coefs) in enumerate(self.extra):
                r = self.model.n_rows + k
                b.add_row(cols, coefs, self.row_lower[r], self.row_upper[r])
            self._backend = b
        return self._backend

    @property
    def n_rows(self) -> int:
        """Rows loaded now: the model's and those added since."""
        return self.model.n_rows + len(self.extra)

    @cached_property
    def _row_of(self) -> np.ndarray:
        """The row of each entry of the loaded model's matrix (its rows never change)."""
        m = self.model
        return np.repeat(np.arange(m.n_rows), np.diff(m.start))

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The constraint matrix as loaded now: ``(start, index, value, lower, upper)``."""
        m = self.model
        if not self.extra:
            return m.start, m.index, m.value, self.row_lower, self.row_upper
        lengths = np.array([len(c) for c, _ in self.extra], dtype=np.int64)
        start = np.concatenate([m.start, m.start[-1] + np.cumsum(lengths)])
        index = np.concatenate([m.index, *[c for c, _ in self.extra]])
        value = np.concatenate([m.value, *[v for _, v in self.extra]])
        return start, index, value, self.row_lower, self.row_upper

    # --------------------------------------------------------------- edits
    def set_row_bounds(self, r: int, lo: float, hi: float) -> None:
        """Change row ``r``'s bounds (from now on)."""
        self.row_lower[r], self.row_upper[r] = lo, hi
        if self._backend is not None:
            self._backend.set_row_bounds(r, lo, hi)

    def set_col_bounds(self, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Change the bounds of ``cols`` (from now on)."""
        self.col_lower[cols], self.col_upper[cols] = lo, hi
        if self._backend is not None and len(cols):
            self._backend.set_col_bounds(cols, self.col_lower[cols], self.col_upper[cols])

    def hold_columns(self, cols: np.ndarray, values: np.ndarray) -> None:
        """Fix columns at ``values`` from now on."""
        v = np.asarray(values, dtype=float)
        self.set_col_bounds(np.asarray(cols, dtype=np.int64), v, v)

    def add_row(self, cols: np.ndarray, coefs: np.ndarray, lower: float, upper: float) -> int:
        """Add a row at the end (a cut that stays; see :meth:`extra_rows` to take it back)."""
        cols = np.asarray(cols, dtype=np.int64)
        coefs = np.asarray(coefs, dtype=float)
        self.extra.append((cols, coefs))
        self.row_lower = np.append(self.row_lower, float(lower))
        self.row_upper = np.append(self.row_upper, float(upper))
        if self._backend is not None:
            self._backend.add_row(cols, coefs, lower, upper)
        return self.n_rows - 1

    def _truncate(self, n_rows: int) -> None:
        del self.extra[n_rows - self.model.n_rows :]
        self.row_lower, self.row_upper = self.row_lower[:n_rows], self.row_upper[:n_rows]
        if self._backend is not None:
            self._backend.truncate_rows(n_rows)

    @contextmanager
    def extra_rows(self) -> Iterator[None]:
        """Rows added inside the block are deleted at its end."""
        keep = self.n_rows
        try:
            yield
        finally:
            self._truncate(keep)

    @contextmanager
    def fixed(
        self, cols: Sequence[int] | np.ndarray, lower: float | np.ndarray, upper: float | np.ndarray
    ) -> Iterator[None]:
        """Columns held within new bounds inside the block."""
        arr = np.asarray(cols, dtype=np.int64)
        if len(arr) == 0:
            yield
            return
        lo0, hi0 = self.col_lower[arr].copy(), self.col_upper[arr].copy()
        self.set_col_bounds(
            arr, np.broadcast_to(lower, arr.shape).astype(float), np.broadcast_to(upper, arr.shape).astype(float)
        )
        try:
            yield
        finally:
            self.set_col_bounds(arr, lo0, hi0)

    @contextmanager
    def relaxed(self, rows: Sequence[int]) -> Iterator[None]:
        """Some rows of the model dropped inside the block (a rule's rows, to see what it costs)."""
        before = [(int(r), self.row_lower[r], self.row_upper[r]) for r in rows]
        for r, _, _ in before:
            self.set_row_bounds(r, -INF, INF)
        try:
            yield
        finally:
            for r, lo, hi in before:
                self.set_row_bounds(r, lo, hi)

    def current(self, objective: np.ndarray | None = None) -> LinearModel:
        """The model as loaded now (bounds, added rows), with ``objective`` if given."""
        start, index, value, lo, hi = self.rows()
        return LinearModel(
            objective=self.model.objective if objective is None else np.asarray(objective, dtype=float),
            col_lower=self.col_lower.copy(),
            col_upper=self.col_upper.copy(),
            integer=self.model.integer,
            col_names=self.model.col_names,
            start=start,
            index=index,
            value=value,
            row_lower=lo.copy(),
            row_upper=hi.copy(),
            row_names=self.model.row_names + tuple(f"added_{k:04d}" for k in range(len(self.extra))),
        )

    def relaxation(self, objective: np.ndarray) -> RawResult:
        """The linear relaxation of the model as loaded now, maximising ``objective``, with
        its row duals (HiGHS, whatever solver answers the integer questions)."""
        lp = make_backend(self.current(objective), "highs", threads=self.threads, relax=True)
        return lp.solve(time_limit=self._limit(None), rel_gap=0.0, abs_gap=0.0)

    def _limit(self, time_limit: float | None) -> float | None:
        """Seconds for the next solve: ``time_limit`` (else the model's), within the deadline."""
        limit = self.time_limit if time_limit is None else time_limit
        if self.deadline is None:
            return limit
        left = max(0.01, self.deadline - time.perf_counter())
        return left if limit is None else min(limit, left)

    def restricted(
        self, free: np.ndarray, x: np.ndarray, *, options: dict[str, Any] | None = None
    ) -> tuple[LoadedModel, np.ndarray]:
        """A model over the columns in ``free`` only, the others held at their values in ``x``.

        Rows lose their fixed part to their bounds; rows left without a column are dropped
        (``x`` satisfies them). Returns the loaded sub-model (same solver) and the indices
        of its columns in this model.
        """
        cols = np.flatnonzero(free)
        start, index, value, lo, hi = self.rows()
        row_of = np.repeat(np.arange(len(lo)), np.diff(start))
        keep = free[index]
        fixed_act = np.bincount(row_of[~keep], weights=value[~keep] * x[index[~keep]], minlength=len(lo))
        has = np.bincount(row_of[keep], minlength=len(lo)) > 0
        rows = np.flatnonzero(has)
        new_col = np.full(self.model.n_cols, -1, dtype=np.int64)
        new_col[cols] = np.arange(len(cols))
        sel = keep & has[row_of]
        counts = np.bincount(row_of[sel], minlength=len(lo))[rows]
        sub_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        sub = LinearModel(
            objective=np.zeros(len(cols)),
            col_lower=self.col_lower[cols].copy(),
            col_upper=self.col_upper[cols].copy(),
            integer=self.model.integer[cols].copy(),
            col_names=tuple(f"x_{k:05d}" for k in range(len(cols))),
            start=sub_start,
            index=new_col[index[sel]],
            value=value[sel].copy(),
            row_lower=lo[rows] - fixed_act[rows],
            row_upper=hi[rows] - fixed_act[rows],
            row_names=tuple(f"r_{k:05d}" for k in range(len(rows))),
        )
        child = LoadedModel(
            sub, solver=self.solver, threads=self.threads, time_limit=self.time_limit, name=self._name, options=options
        )
        child.deadline = self.deadline
        return child, cols

    # ----------------------------------------------------------------- reading
    def feasible(self, x: np.ndarray, *, tol: float = 1e-6) -> bool:
        """Whether column values ``x`` satisfy the bounds and rows in force now."""
        if np.any(x < self.col_lower - tol) or np.any(x > self.col_upper + tol):
            return False
        m = self.model
        act = np.bincount(self._row_of, weights=m.value * x[m.index], minlength=m.n_rows)
        if self.extra:
            act = np.concatenate([act, [float(np.dot(v, x[c])) for c, v in self.extra]])
        lo, hi = self.row_lower, self.row_upper
        return bool(np.all(act >= lo - tol) and np.all(act <= hi + tol))

    def clean(self, x: np.ndarray) -> np.ndarray:
        """``x`` with integer columns rounded (solvers return 0.9999999 and -0.0)."""
        out = np.array(x, dtype=float)
        out[self.model.integer] = np.rint(out[self.model.integer])
        return out

    # ----------------------------------------------------------------- solving
    def gap(self, c: np.ndarray | None = None) -> float:
        """Absolute gap that still proves optimality: just below 1 on an integer objective."""
        c = self.model.objective if c is None else c
        if integral(c) and float(np.abs(c).sum()) < EXACT:
            return 0.999
        return 1e-9 * max(1.0, float(np.abs(c).sum()))

    # ----------------------------------------------------------------- solving
    def run(
        self,
        objective: np.ndarray,
        *,
        maximize: bool = True,
        gap: float | None = None,
        rel_gap: float = 0.0,
        start: np.ndarray | None = None,
        time_limit: float | None = None,
    ) -> RawResult:
        """One solver run with ``objective``; the result as the backend gives it.

        A solver other than HiGHS that reports "infeasible" while the point with every column
        at its lower bound (nothing funded but the locks) satisfies every row is not trusted:
        the same model is solved by HiGHS and a note says so (CBC fails this way on amounts
        of very different magnitudes).
        """
        b = self.backend
        b.set_objective(objective, maximize=maximize)
        limit = self._limit(time_limit)
        abs_gap = self.gap(objective) if gap is None else gap
        res = b.solve(time_limit=limit, rel_gap=rel_gap, abs_gap=abs_gap, start=start)
        self.solves += 1
        if res.x is not None and b.name == "highs" and not self.feasible(self.clean(res.x), tol=ROUNDED_TOL):
            # HiGHS's tolerance let a point pass a row that it breaks once its integers are
            # rounded (a half-unit margin on large coefficients): solve again, tighter
            res = b.solve(time_limit=limit, rel_gap=rel_gap, abs_gap=abs_gap, start=None, tight=True)
            self.solves += 1
        if res.status is Status.INFEASIBLE and self.solver not in (None, "highs") and self.feasible(self.col_lower):
            sign = 1.0 if maximize else -1.0
            fallback = make_backend(
                self.current(sign * np.asarray(objective, dtype=float)), "highs", threads=self.threads
            )
            res = fallback.solve(time_limit=limit, rel_gap=rel_gap, abs_gap=abs_gap, start=start)
            if res.objective is not None:
                res = RawResult(
                    res.status,
                    res.x,
                    sign * res.objective,
                    None if res.bound is None else sign * res.bound,
                    res.runtime,
                    res.message,
                )
            note = (
                f"{b.name} reported no portfolio although funding nothing satisfies every rule; HiGHS solved it instead"
            )
            if note not in self.notes:
                self.notes.append(note)
        return res

    def proven(
        self, objective: np.ndarray, *, maximize: bool = True, gap: float | None = None, start: np.ndarray | None = None
    ) -> np.ndarray | None:
        """Column values of a proven optimum of ``objective`` (``None``: nothing is feasible)."""
        res = self.run(objective, maximize=maximize, gap=gap, start=start)
        if res.status is Status.INFEASIBLE:
            return None
        if res.status is not Status.OPTIMAL or res.x is None:
            raise SolverError(
                f"a solve ended {res.status.value} ({res.message}); raise time_limit (this answer needs a proven optimum)"
            )
        return self.clean(res.x)

    def lexicographic(
        self, first: np.ndarray, second: np.ndarray | None, *, maximize: bool = True, first_gap: float | None = None
    ) -> np.ndarray | None:
        """Optimise ``first``; among its optima maximise ``second`` (non-negative)."""
        if second is None or not np.any(second):
            return self.proven(first, maximize=maximize, gap=first_gap)
        gap = self.gap(first) if first_gap is None else first_gap
        m = float(np.abs(second).sum()) + 1.0
        if gap == 0.999 and integral(first) and integral(second) and float(np.abs(first).sum()) * m + m < EXACT:
            return self.proven(first * m * (1.0 if maximize else -1.0) + second, gap=0.999)
        x = self.proven(first, maximize=maximize, gap=gap)
        if x is None:
            return None
        level = float(np.dot(first, x))
        tol = 0.5 if gap == 0.999 else gap
        lo, hi = (level - tol, INF) if maximize else (-INF, level + tol)
        nz = np.flatnonzero(first)
        with self.extra_rows():
            self.add_row(nz, first[nz], lo, hi)
            x2 = self.proven(second, gap=0.5 if integral(second) else 1e-9 * m)
        return x if x2 is None else x2
