"""HiGHS in-process through highspy's matrix API: the default backend.

The model's arrays go to HiGHS in one ``passModel`` call; edits (objective, rows, bounds)
change the loaded model in place, so a sweep pays for loading once.
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

__all__ = ["HighsBackend", "highs_version"]


def _highspy() -> Any:
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a dependency
        raise SolverError("highspy is not installed; pip install highspy") from exc
    return highspy


@functools.cache
def highs_version() -> str:
    """Version of the HiGHS library behind highspy (read once per process)."""
    hs = _highspy()
    try:
        from importlib.metadata import version

        return version("highspy")
    except Exception:  # pragma: no cover
        return str(getattr(hs, "__version__", "unknown"))


PRESOLVE_RULES_OFF = (1 << 15) | (1 << 16) | (1 << 19)
"""HiGHS presolve reductions switched off (``presolve_rule_off``). With them, HiGHS 1.16
returned a portfolio worth 0.378 as optimal where one worth 0.406 was feasible (7
applications, a group floor, a dependency and four no-good cuts: issue 9, defect 3); any
one of the three off gives the true optimum. The test ``test_k_best_is_in_value_order``
keeps the case."""


MIP_FEASIBILITY_TOLERANCE = 1e-8
"""HiGHS's tolerance on rows and integrality. At 1e-9 (used here until this stop) HiGHS
1.16's presolve and search cut off true optima: on five calls drawn by the tests at random
(partial funding, 1 kr minimums, frames a krone short) 1e-9 gave two wrong optima with
presolve and four without (its maintainers warn that 1e-9 "is asking for trouble": HiGHS
issues 1958, 2033). At 1e-7 those five were right, but three calls with float objectives
drawn next were off by 1e-7 in value; at 1e-8 seven of those eight are right (the eighth
is the float path's margin for "more than V"). A looser tolerance can let a point pass a
row by a little: every point HiGHS returns is checked against the rows with its integer
columns rounded (:meth:`allocator.optimize.loaded.LoadedModel.run`), and one that fails
is solved again with :data:`TIGHT_FEASIBILITY_TOLERANCE`."""

TIGHT_FEASIBILITY_TOLERANCE = 1e-9
"""The tolerance of a second solve when the first one's point broke a row once rounded
(a row "value at least V + 1/2" on coefficients near 1e6 passed at V with 1e-6)."""


def new_highs(threads: int | None = 1):  # type: ignore[no-untyped-def]
    """A silent ``Highs`` instance (no banner, no log)."""
    hs = _highspy()
    with quiet_stdout():
        h = hs.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve_rule_off", PRESOLVE_RULES_OFF)
        # see MIP_FEASIBILITY_TOLERANCE (and the tighter second try)
        h.setOptionValue("mip_feasibility_tolerance", MIP_FEASIBILITY_TOLERANCE)
        # amounts are whole kroner below 2**53 (the input refuses more); HiGHS's default
        # refuses matrix values above 1e15
        h.setOptionValue("large_matrix_value", 2.0**53)
    if threads:
        h.setOptionValue("threads", int(threads))
    return h


class HighsBackend:
    """A :class:`~allocator.optimize.linear.LinearModel` loaded into HiGHS.

    ``relax=True`` loads its linear relaxation (every column continuous): its solves return
    row duals, from which the engine proves which decisions no optimum can change.
    """

    name = "highs"

    def __init__(
        self,
        model: LinearModel,
        *,
        threads: int | None = 1,
        options: dict[str, object] | None = None,
        relax: bool = False,
    ):
        hs = _highspy()
        self._hs = hs
        self.version = highs_version()
        self._h = new_highs(threads)
        for k, v in (options or {}).items():
            self._h.setOptionValue(k, v)
        self.n_cols = model.n_cols
        self._cost = model.objective.astype(float).copy()
        inf = hs.kHighsInf
        lp = hs.HighsLp()
        lp.num_col_ = model.n_cols
        lp.num_row_ = model.n_rows
        lp.col_cost_ = model.objective.astype(float)
        lp.col_lower_ = np.where(np.isinf(model.col_lower), -inf, model.col_lower)
        lp.col_upper_ = np.where(np.isinf(model.col_upper), inf, model.col_upper)
        lp.row_lower_ = np.where(np.isinf(model.row_lower), -inf, model.row_lower)
        lp.row_upper_ = np.where(np.isinf(model.row_upper), inf, model.row_upper)
        lp.a_matrix_.format_ = hs.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = model.start.astype(np.int32)
        lp.a_matrix_.index_ = model.index.astype(np.int32)
        lp.a_matrix_.value_ = model.value.astype(float)
        lp.a_matrix_.num_col_ = model.n_cols
        lp.a_matrix_.num_row_ = model.n_rows
        lp.sense_ = hs.ObjSense.kMaximize
        self.relaxed = relax or not model.integer.any()
        if not relax:
            lp.integrality_ = [
                hs.HighsVarType.kInteger if flag else hs.HighsVarType.kContinuous for flag in model.integer
            ]
        status = self._h.passModel(lp)
        if status == hs.HighsStatus.kError:
            raise SolverError("HiGHS refused the model (passModel returned an error)")
        self.n_rows = model.n_rows

    def set_objective(self, c: np.ndarray, *, maximize: bool = True) -> None:
        """Replace the objective; ``maximize=False`` minimises."""
        hs = self._hs
        idx = np.arange(self.n_cols, dtype=np.int32)
        self._cost = np.asarray(c, dtype=float).copy()
        self._h.changeColsCost(self.n_cols, idx, self._cost)
        self._h.changeObjectiveSense(hs.ObjSense.kMaximize if maximize else hs.ObjSense.kMinimize)

    def add_row(self, cols: np.ndarray, coefs: np.ndarray, lower: float, upper: float) -> int:
        """Add a row ``lower <= coefs . x[cols] <= upper``."""
        inf = self._hs.kHighsInf
        lo = -inf if np.isinf(lower) else float(lower)
        hi = inf if np.isinf(upper) else float(upper)
        cols = np.asarray(cols, dtype=np.int32)
        self._h.addRow(lo, hi, len(cols), cols, np.asarray(coefs, dtype=float))
        self.n_rows += 1
        return self.n_rows - 1

    def truncate_rows(self, n_rows: int) -> None:
        """Delete every row from index ``n_rows`` on (rows added since the model had that many)."""
        extra = self.n_rows - n_rows
        if extra > 0:
            self._h.deleteRows(extra, np.arange(n_rows, self.n_rows, dtype=np.int32))
            self.n_rows = n_rows

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change one row's bounds."""
        inf = self._hs.kHighsInf
        self._h.changeRowBounds(row, -inf if np.isinf(lower) else lower, inf if np.isinf(upper) else upper)

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change column bounds."""
        cols = np.asarray(cols, dtype=np.int32)
        self._h.changeColsBounds(len(cols), cols, np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))

    def solve(
        self,
        *,
        time_limit: float | None,
        rel_gap: float,
        abs_gap: float,
        start: np.ndarray | None = None,
        tight: bool = False,
    ) -> RawResult:
        """Run HiGHS; map its model status to :class:`Status`. ``tight``: with
        :data:`TIGHT_FEASIBILITY_TOLERANCE` for this run."""
        if tight:
            self._h.setOptionValue("mip_feasibility_tolerance", TIGHT_FEASIBILITY_TOLERANCE)
            try:
                return self.solve(time_limit=time_limit, rel_gap=rel_gap, abs_gap=abs_gap, start=start)
            finally:
                self._h.setOptionValue("mip_feasibility_tolerance", MIP_FEASIBILITY_TOLERANCE)
        hs, h = self._hs, self._h
        h.setOptionValue("mip_rel_gap", float(rel_gap))
        h.setOptionValue("mip_abs_gap", float(abs_gap))
        h.setOptionValue("time_limit", float(time_limit) if time_limit else float("inf"))
        if start is not None:
            sol = hs.HighsSolution()
            sol.col_value = list(np.asarray(start, dtype=float))
            sol.value_valid = True
            h.setSolution(sol)
        t0 = time.perf_counter()
        run = h.run()
        if run == hs.HighsStatus.kError and h.getModelStatus() == hs.HighsModelStatus.kNotset:
            # HiGHS refuses to run with a thread count other than that of the process-wide
            # scheduler, which an earlier HiGHS run in this process (PuLP's, with default
            # threads) may have started: reset the scheduler and run again.
            hs.Highs.resetGlobalScheduler(True)
            run = h.run()
        runtime = time.perf_counter() - t0
        ms = h.getModelStatus()
        info = h.getInfo()
        has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
        S = hs.HighsModelStatus
        if run == hs.HighsStatus.kError and not has_x:
            return RawResult(Status.ERROR, None, None, None, runtime, f"HiGHS error: {h.modelStatusToString(ms)}")
        if ms == S.kOptimal:
            status = Status.OPTIMAL
        elif ms in (S.kInfeasible, S.kUnboundedOrInfeasible):
            return RawResult(Status.INFEASIBLE, None, None, None, runtime, h.modelStatusToString(ms))
        elif has_x:
            status = Status.FEASIBLE
        elif ms in (S.kTimeLimit, S.kIterationLimit, S.kInterrupt, S.kSolutionLimit):
            return RawResult(Status.NO_SOLUTION, None, None, None, runtime, h.modelStatusToString(ms))
        else:
            return RawResult(Status.ERROR, None, None, None, runtime, f"HiGHS: {h.modelStatusToString(ms)}")
        if not has_x:
            return RawResult(Status.ERROR, None, None, None, runtime, "HiGHS reported a status without a solution")
        x = np.array(h.getSolution().col_value, dtype=float)
        objective = float(info.objective_function_value)
        if start is not None and abs(float(self._cost @ x) - objective) > 1e-6 * max(1.0, abs(objective)):
            # HiGHS 1.16: when presolve alone solves the MIP, getSolution() can return the
            # start given with setSolution() while the objective is the true optimum's.
            # Drop the start and solve again.
            h.clearSolver()
            return self.solve(time_limit=time_limit, rel_gap=rel_gap, abs_gap=abs_gap, start=None)
        if self.relaxed:
            duals = None
            if info.dual_solution_status == 2:  # kSolutionStatusFeasible
                duals = np.array(h.getSolution().row_dual, dtype=float)
            return RawResult(status, x, objective, objective, runtime, h.modelStatusToString(ms), duals)
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
        return RawResult(status, x, objective, bound, runtime, h.modelStatusToString(ms))
