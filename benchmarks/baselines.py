"""The paths allocator is measured against.

* :func:`plain_pulp` - what an analyst writes with PuLP: one variable per application, the
  weighted scores as float objective coefficients, every constraint written with ``lpSum``
  over a generator, the whole model rebuilt for every scenario and solved by HiGHS through
  PuLP to a proven optimum (``gapRel=0``, HiGHS's own default threads and absolute gap).
  Works with PuLP 3 (``LpVariable``) and PuLP 4 (``prob.add_variable``).
* :func:`highspy_direct` - the very model allocator builds (its :class:`LinearModel`, with
  the exact integer-scaled objective) passed straight to ``highspy``'s matrix API, with
  allocator's settings (one thread, relative gap 0, absolute gap 0.999 on the integer
  objective): HiGHS alone, without allocator around it.

The constraint rows (frame, rules) are taken from allocator's formulation once, outside any
timing: the baselines get the rules for free and pay only for modelling and solving.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from allocator.model.problem import Problem
from allocator.optimize.linear import LinearModel

__all__ = ["Rows", "float_values", "highspy_direct", "plain_pulp", "rows_of"]


@dataclass(frozen=True)
class Rows:
    """Constraint rows over application columns (binary funding): ``lo <= sum a x <= hi``."""

    rows: list[tuple[list[int], list[float], float, float]]
    upper: list[float]  # column upper bounds (0 for ineligible applications)
    lower: list[float]
    col_app: np.ndarray  # column -> application (input order)


def rows_of(model: LinearModel, col_app: np.ndarray) -> Rows:
    """Plain Python rows of allocator's model (computed once, outside the timings)."""
    out = []
    for r in range(model.n_rows):
        idx, val = model.row(r)
        out.append((idx.tolist(), val.tolist(), float(model.row_lower[r]), float(model.row_upper[r])))
    return Rows(out, model.col_upper.tolist(), model.col_lower.tolist(), col_app)


def float_values(problem: Problem, weights: dict[str, float] | None = None) -> np.ndarray:
    """Weighted scores as an analyst computes them: floats, score / scale_max."""
    w = {c.name: c.weight for c in problem.criteria} | dict(weights or {})
    crit = problem.criteria
    if problem.options.normalisation == "range":
        return np.array(
            [
                sum(w[c.name] * (a.scores[c.name] - c.scale_min) / (c.scale_max - c.scale_min) for c in crit)
                for a in problem.applications
            ]
        )
    return np.array([sum(w[c.name] * a.scores[c.name] / c.scale_max for c in crit) for a in problem.applications])


def plain_pulp(
    rows: Rows, values: np.ndarray, *, time_limit: float | None = None
) -> tuple[str, np.ndarray | None, float]:
    """Build and solve the plain PuLP model; returns (status, column values, seconds)."""
    import pulp

    t0 = time.perf_counter()
    prob = pulp.LpProblem("plain", pulp.LpMaximize)
    n = len(rows.upper)
    if hasattr(prob, "add_variable"):  # PuLP 4
        x = [prob.add_variable(f"x{j}", rows.lower[j], rows.upper[j], "Integer") for j in range(n)]
    else:
        x = [pulp.LpVariable(f"x{j}", rows.lower[j], rows.upper[j], cat="Integer") for j in range(n)]
    obj = values[rows.col_app]
    prob += pulp.lpSum(float(obj[j]) * x[j] for j in range(n))
    for idx, val, lo, hi in rows.rows:
        expr = pulp.lpSum(a * x[j] for j, a in zip(idx, val, strict=True))
        if np.isfinite(hi):
            prob += expr <= hi
        if np.isfinite(lo):
            prob += expr >= lo
    kw: dict[str, Any] = {"msg": False, "gapRel": 0.0}
    if time_limit:
        kw["timeLimit"] = time_limit
    from allocator.optimize.backends.base import quiet_stdout

    with quiet_stdout():
        res = prob.solve(pulp.HiGHS(**kw))
    elapsed = time.perf_counter() - t0
    status_name = getattr(getattr(res, "status", None), "name", None) or pulp.LpStatus.get(
        prob.status, str(prob.status)
    )
    values_out = [v.varValue for v in x]
    if any(v is None for v in values_out):
        return str(status_name), None, elapsed
    return str(status_name), np.array(values_out, dtype=float), elapsed


def highspy_direct(
    model: LinearModel,
    *,
    threads: int = 1,
    abs_gap: float = 0.999,
    rel_gap: float = 0.0,
    time_limit: float | None = None,
) -> tuple[str, np.ndarray | None, float, float | None, float | None]:
    """Pass ``model`` to highspy and solve; returns (status, x, seconds, objective, bound)."""
    import highspy

    from allocator.optimize.backends.highs import new_highs

    t0 = time.perf_counter()
    h = new_highs(threads)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = model.n_cols, model.n_rows
    lp.col_cost_ = model.objective
    lp.col_lower_ = np.where(np.isinf(model.col_lower), -inf, model.col_lower)
    lp.col_upper_ = np.where(np.isinf(model.col_upper), inf, model.col_upper)
    lp.row_lower_ = np.where(np.isinf(model.row_lower), -inf, model.row_lower)
    lp.row_upper_ = np.where(np.isinf(model.row_upper), inf, model.row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = model.start.astype(np.int32)
    lp.a_matrix_.index_ = model.index.astype(np.int32)
    lp.a_matrix_.value_ = model.value
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = model.n_cols, model.n_rows
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.integrality_ = [highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous for k in model.integer]
    h.passModel(lp)
    h.setOptionValue("mip_rel_gap", rel_gap)
    h.setOptionValue("mip_abs_gap", abs_gap)
    if time_limit:
        h.setOptionValue("time_limit", float(time_limit))
    h.run()
    elapsed = time.perf_counter() - t0
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if info.primal_solution_status != 2:
        return status, None, elapsed, None, None
    x = np.array(h.getSolution().col_value)
    return status, x, elapsed, float(info.objective_function_value), float(info.mip_dual_bound)
