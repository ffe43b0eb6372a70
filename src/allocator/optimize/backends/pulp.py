"""PuLP backend: the same model as a PuLP ``LpProblem``, solved by any PuLP solver.

Works with PuLP 3 (``LpVariable``, ``LpAffineExpression(pairs)``, bundled CBC) and PuLP 4
(``prob.add_variable``, ``LpAffineExpression.from_list``, no bundled CBC, ``solve()``
returning statistics). Expressions are always built from coefficient lists, never by
adding terms one at a time, and never with ``lpSum`` over ``(var, coef)`` tuples (which
silently adds the coefficients as constants).
"""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np

from allocator.exceptions import SolverError
from allocator.optimize.backends.base import RawResult, quiet_stdout
from allocator.optimize.linear import LinearModel
from allocator.status import Status

__all__ = ["PULP4", "PulpBackend", "cbc_available", "cbc_solver", "pulp_version", "to_pulp"]

import pulp

PULP4 = int(getattr(pulp, "__version__", "3").split(".")[0]) >= 4 or not hasattr(pulp, "LpStatus")
_FROM_LIST = hasattr(pulp.LpAffineExpression, "from_list")


@functools.cache
def pulp_version() -> str:
    """Installed PuLP version."""
    from importlib.metadata import version

    return version("pulp")


def _affine(pairs: list[tuple[Any, float]]) -> Any:
    if _FROM_LIST:
        return pulp.LpAffineExpression.from_list(pairs)
    return pulp.LpAffineExpression(pairs)


def _variables(prob: Any, model: LinearModel) -> list[Any]:
    out = []
    for name, lo, hi, is_int in zip(
        model.col_names, model.col_lower.tolist(), model.col_upper.tolist(), model.integer.tolist(), strict=True
    ):
        lo_ = None if np.isinf(lo) else lo
        hi_ = None if np.isinf(hi) else hi
        cat = "Integer" if is_int else "Continuous"
        if is_int and lo_ == 0 and hi_ == 1:
            cat = "Binary"
        if PULP4:
            out.append(prob.add_variable(name, lo_, hi_, cat))
        else:
            out.append(pulp.LpVariable(name, lo_, hi_, cat))
    return out


def _add_row(prob: Any, expr: Any, lower: float, upper: float, name: str) -> None:
    if np.isfinite(lower) and np.isfinite(upper) and lower == upper:
        prob += (expr == lower, name)
        return
    if np.isfinite(upper):
        prob += (expr <= upper, name if not np.isfinite(lower) else f"{name}_hi")
    if np.isfinite(lower):
        prob += (expr >= lower, name if not np.isfinite(upper) else f"{name}_lo")


def to_pulp(model: LinearModel, *, name: str = "allocator") -> tuple[Any, list[Any]]:
    """Build a PuLP ``LpProblem`` (maximisation) from the arrays; returns it and its variables."""
    safe = "".join(ch if ch.isalnum() else "_" for ch in name) or "allocator"
    prob = pulp.LpProblem(safe, pulp.LpMaximize)
    xs = _variables(prob, model)
    prob.setObjective(_affine([(xs[j], c) for j, c in enumerate(model.objective.tolist()) if c != 0]))
    for r in range(model.n_rows):
        idx, val = model.row(r)
        expr = _affine([(xs[j], v) for j, v in zip(idx.tolist(), val.tolist(), strict=True)])
        _add_row(prob, expr, float(model.row_lower[r]), float(model.row_upper[r]), model.row_names[r])
    return prob, xs


def cbc_available() -> bool:
    """Whether a CBC binary is reachable through PuLP."""
    return cbc_solver(None, 0.0, 0.0, probe=True) is not None


def cbc_solver(time_limit: float | None, rel_gap: float, abs_gap: float, *, probe: bool = False) -> Any:
    """A PuLP CBC solver object (bundled in PuLP 3, ``COIN_CMD`` in PuLP 4), or None/error."""
    kw: dict[str, Any] = {"msg": False, "gapRel": rel_gap, "gapAbs": abs_gap, "threads": 1}
    if time_limit:
        kw["timeLimit"] = time_limit
    for cls_name in ("PULP_CBC_CMD", "COIN_CMD"):
        cls = getattr(pulp, cls_name, None)
        if cls is None:
            continue
        try:
            solver = cls(**kw)
            if solver.available():
                return solver
        except Exception:
            continue
    if probe:
        return None
    raise SolverError(
        "CBC is not available: PuLP 4 no longer bundles it. Install it with `pip install 'pulp[cbc]'` "
        "or use the default solver 'highs'"
    )


def named_solver(name: str, time_limit: float | None, rel_gap: float, abs_gap: float) -> Any:
    """A PuLP solver object for 'cbc' or 'pulp-highs'."""
    if name == "cbc":
        return cbc_solver(time_limit, rel_gap, abs_gap)
    if name == "pulp-highs":
        kw: dict[str, Any] = {"msg": False, "gapRel": rel_gap, "gapAbs": abs_gap, "threads": 1}
        if time_limit:
            kw["timeLimit"] = time_limit
        return pulp.HiGHS(**kw)
    raise SolverError(f"unknown solver {name!r}; use 'highs', 'cbc', 'pulp-highs' or a PuLP solver object")


class PulpBackend:
    """A model solved by a PuLP solver, rebuilt as a PuLP problem at each solve.

    The model is held as arrays and every edit (objective, bounds, rows added and deleted)
    changes the arrays; :meth:`solve` writes the current model as an ``LpProblem`` (PuLP 3
    or 4) and runs the solver. PuLP 4 cannot delete a constraint, and an external solver
    reads the whole problem at every solve anyway.

    Parameters
    ----------
    solver
        A PuLP solver object, used as given, or a name ('cbc', 'pulp-highs') built with the
        time limit and gaps of each ``solve`` call.
    """

    def __init__(self, model: LinearModel, solver: Any, *, name: str = "allocator"):
        self._model = model
        self._name = name
        self._solver = solver
        self.name = solver if isinstance(solver, str) else type(solver).__name__
        self.version = f"PuLP {pulp_version()}"
        self._objective = model.objective.astype(float).copy()
        self._maximize = True
        self._col_lower = model.col_lower.astype(float).copy()
        self._col_upper = model.col_upper.astype(float).copy()
        self._row_lower = model.row_lower.astype(float).copy()
        self._row_upper = model.row_upper.astype(float).copy()
        self._extra: list[tuple[np.ndarray, np.ndarray]] = []
        self.n_rows = model.n_rows

    def set_objective(self, c: np.ndarray, *, maximize: bool = True) -> None:
        """Replace the objective."""
        self._objective = np.asarray(c, dtype=float).copy()
        self._maximize = maximize

    def add_row(self, cols: np.ndarray, coefs: np.ndarray, lower: float, upper: float) -> int:
        """Add a row at the end."""
        self._extra.append((np.asarray(cols, dtype=np.int64).copy(), np.asarray(coefs, dtype=float).copy()))
        self._row_lower = np.append(self._row_lower, float(lower))
        self._row_upper = np.append(self._row_upper, float(upper))
        self.n_rows += 1
        return self.n_rows - 1

    def truncate_rows(self, n_rows: int) -> None:
        """Delete every row from index ``n_rows`` on (never a row of the loaded model)."""
        if n_rows < self._model.n_rows:
            raise SolverError(
                f"cannot delete rows of the loaded model (asked to keep {n_rows} of {self._model.n_rows})"
            )
        del self._extra[n_rows - self._model.n_rows :]
        self._row_lower = self._row_lower[:n_rows]
        self._row_upper = self._row_upper[:n_rows]
        self.n_rows = min(self.n_rows, n_rows)

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change one row's bounds."""
        self._row_lower[row] = lower
        self._row_upper[row] = upper

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change column bounds."""
        cols = np.asarray(cols, dtype=np.int64)
        self._col_lower[cols] = lower
        self._col_upper[cols] = upper

    def current(self) -> LinearModel:
        """The model as edited (objective negated when minimising: the model maximises)."""
        m = self._model
        lengths = [len(c) for c, _ in self._extra]
        start = np.concatenate([m.start, m.start[-1] + np.cumsum(lengths, dtype=np.int64)])
        index = np.concatenate([m.index, *[c for c, _ in self._extra]]) if self._extra else m.index
        value = np.concatenate([m.value, *[v for _, v in self._extra]]) if self._extra else m.value
        sign = 1.0 if self._maximize else -1.0
        return LinearModel(
            objective=sign * self._objective,
            col_lower=self._col_lower,
            col_upper=self._col_upper,
            integer=m.integer,
            col_names=m.col_names,
            start=start,
            index=index,
            value=value,
            row_lower=self._row_lower,
            row_upper=self._row_upper,
            row_names=m.row_names + tuple(f"stage_{k:04d}" for k in range(len(self._extra))),
        )

    def solve(
        self,
        *,
        time_limit: float | None,
        rel_gap: float,
        abs_gap: float,
        start: np.ndarray | None = None,
        tight: bool = False,  # CBC and PuLP's solvers keep their own tolerances
    ) -> RawResult:
        """Solve with the PuLP solver; check the status before reading any value."""
        if isinstance(self._solver, str):
            solver = named_solver(self._solver, time_limit, rel_gap, abs_gap)
        else:
            solver = self._solver
        t0 = time.perf_counter()
        prob, xs = to_pulp(self.current(), name=self._name)
        try:
            with quiet_stdout():
                res = prob.solve(solver)
        except pulp.PulpSolverError as exc:
            return RawResult(Status.ERROR, None, None, None, time.perf_counter() - t0, f"PuLP: {exc}")
        runtime = time.perf_counter() - t0
        status, bound = self._status(prob, res)
        if not status.has_solution:
            return RawResult(status, None, None, None, runtime, str(status.value))
        x = np.array([v.varValue if v.varValue is not None else np.nan for v in xs], dtype=float)
        if np.isnan(x).any():
            return RawResult(Status.ERROR, None, None, None, runtime, "the solver returned no value for some variables")
        objective = float(np.dot(self._objective, x))
        if bound is not None and not self._maximize:
            bound = -bound
        return RawResult(status, x, objective, bound, runtime)

    @staticmethod
    def _status(prob: Any, res: Any) -> tuple[Status, float | None]:
        if PULP4:
            st = res.status
            name = getattr(st, "name", str(st))
            bound = getattr(res, "best_bound", None)
            if name == "Optimal" and res.has_solution:
                return Status.OPTIMAL, bound
            if name == "Infeasible":
                return Status.INFEASIBLE, None
            if res.has_solution:
                return Status.FEASIBLE, bound
            if name in (
                "TimeLimit",
                "NodeLimit",
                "IterationLimit",
                "SolutionLimit",
                "GapLimit",
                "NotSolved",
                "Stopped",
                "Interrupted",
            ):
                return Status.NO_SOLUTION, None
            return Status.ERROR, None
        status, sol = prob.status, getattr(prob, "sol_status", None)
        if status == -1 or sol == -1:
            return Status.INFEASIBLE, None
        if sol == 1 or (sol is None and status == 1):
            return Status.OPTIMAL, None
        if sol == 2:
            return Status.FEASIBLE, None
        if status == 0 or sol == 0:
            return Status.NO_SOLUTION, None
        return Status.ERROR, None
