"""The call's feasible portfolios, exactly, and the integer programs robustness asks.

This is the one module of :mod:`allocator.robust` that reaches into allocator's internals
(the formulation, the array model and the HiGHS backend); everything else talks to
:class:`ExactModel` and :func:`solve_mip`.

:func:`load` formulates the call with all-or-nothing funding and reads the rows back as
**integers** over the applications (input order): ``lower <= A x <= upper`` with
``x_i in {0, 1}`` the funded indicator of application *i*. Rows on one application only
(co-financing and grant caps in all-or-nothing funding) become column fixings; ineligible
applications and locks are fixings too. Feasibility of a portfolio is then checked exactly,
in integers, without a solver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from allocator.exceptions import AllocatorError, InfeasibleError, InputError, SolverError
from allocator.model.ids import natural_key
from allocator.model.scoring import eligibility
from allocator.optimize.backends import make_backend
from allocator.optimize.formulation import build
from allocator.optimize.linear import LinearModel
from allocator.status import Status

if TYPE_CHECKING:
    from allocator.model import Problem

__all__ = ["ExactModel", "MipRow", "ineligible", "load", "natural_key", "solve_mip"]

_MAX_ROW_SCALE = 10**6
_MAX_EXACT = 2**52


def ineligible(problem: Problem) -> dict[str, str]:
    """The applications an eligibility threshold rules out (scores as given), with the reason."""
    return eligibility(problem)


@dataclass(frozen=True)
class ExactModel:
    """The feasible portfolios of a call: ``lower <= A x <= upper``, ``fixed`` columns.

    Attributes
    ----------
    problem
        The call (all-or-nothing funding).
    ids
        Application ids, input order.
    A
        Integer rows, shape ``(rows, applications)``, int64.
    lower, upper
        Row bounds (integers, or -inf / inf).
    labels
        Each row in words (the frame, a rule and its part).
    lo, hi
        Column bounds (0/1): ``hi == 0`` never funded (ineligible, a rule forbids it),
        ``lo == 1`` always funded (a lock).
    why_fixed
        For a fixed application, the reason in words.
    """

    problem: Problem
    ids: tuple[str, ...]
    A: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    labels: tuple[str, ...]
    lo: np.ndarray
    hi: np.ndarray
    why_fixed: dict[int, str]

    @property
    def n(self) -> int:
        """Number of applications."""
        return len(self.ids)

    @property
    def free(self) -> np.ndarray:
        """Applications neither fixed in nor out."""
        return np.asarray((self.lo == 0) & (self.hi == 1))

    def activity(self, x: np.ndarray) -> np.ndarray:
        """``A x`` for one portfolio (n,) or many (k, n) -> (rows,) or (k, rows)."""
        return np.asarray(x.astype(np.int64) @ self.A.T)

    def feasible(self, x: np.ndarray) -> np.ndarray | bool:
        """Whether each portfolio (0/1 rows) satisfies every row and fixing, exactly."""
        xs = np.atleast_2d(x).astype(np.int64)
        act = xs @ self.A.T
        ok = ((act >= self.lower) & (act <= self.upper)).all(axis=1)
        ok &= ((xs >= self.lo) & (xs <= self.hi)).all(axis=1)
        return bool(ok[0]) if np.ndim(x) == 1 else ok

    @property
    def row_min(self) -> np.ndarray:
        """Smallest activity of each row over 0/1 portfolios within the fixings."""
        neg = np.where(self.A < 0, self.A, 0) * self.hi + np.where(self.A > 0, self.A, 0) * self.lo
        return np.asarray(neg.sum(axis=1))

    @property
    def row_max(self) -> np.ndarray:
        """Largest activity of each row over 0/1 portfolios within the fixings."""
        pos = np.where(self.A > 0, self.A, 0) * self.hi + np.where(self.A < 0, self.A, 0) * self.lo
        return np.asarray(pos.sum(axis=1))

    @property
    def row_gcd(self) -> np.ndarray:
        """Greatest common divisor of each row's coefficients (activities are its multiples)."""
        return np.array(
            [int(np.gcd.reduce(np.abs(r[r != 0]))) if (r != 0).any() else 1 for r in self.A], dtype=np.int64
        )


def load(problem: Problem) -> ExactModel:
    """The exact model of ``problem`` with all-or-nothing funding (see the module docstring)."""
    if problem.options.partial:
        raise InputError(
            "robustness analysis and the draw select whole applications, but this call allows partial funding "
            "(options.partial = true); use problem.with_options(partial=False)"
        )
    f = build(problem)
    m = f.model
    n = len(problem.applications)
    col_app = np.full(m.n_cols, -1, dtype=np.int64)
    col_app[f.select] = np.arange(n)
    if (col_app < 0).any():  # pragma: no cover - all-or-nothing: one column per application
        raise AllocatorError("unexpected columns in the all-or-nothing formulation")
    lo = np.rint(m.col_lower[f.select]).astype(np.int64)
    hi = np.rint(m.col_upper[f.select]).astype(np.int64)
    why: dict[int, str] = {}
    for i in np.flatnonzero(~f.scores.eligible):
        why[int(i)] = f.scores.reasons[int(i)] or "not eligible"
    rows: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []
    labels: list[str] = []
    for r in range(m.n_rows):
        idx, val = m.row(r)
        coef = [Fraction(float(v)) for v in val]
        d = 1
        for q in coef:
            d = math.lcm(d, q.denominator)
        if d > _MAX_ROW_SCALE:
            raise InputError(
                f"rule row {m.row_names[r]!r} has coefficients that are not short fractions; "
                "robustness needs rules in whole kroner or counts"
            )
        dense = np.zeros(n, dtype=np.int64)
        for j, q in zip(idx.tolist(), coef, strict=True):
            dense[col_app[j]] += int(q * d)
        L = -math.inf if math.isinf(m.row_lower[r]) else math.ceil(Fraction(float(m.row_lower[r])) * d)
        U = math.inf if math.isinf(m.row_upper[r]) else math.floor(Fraction(float(m.row_upper[r])) * d)
        label = "frame" if r == f.frame_row else f.row_rules.get(r, m.row_names[r])
        nz = np.flatnonzero(dense)
        if len(nz) == 0:
            continue
        if len(nz) == 1:  # a row on one application: a fixing
            j, c = int(nz[0]), int(dense[nz[0]])
            if not (L <= c <= U):
                if hi[j] == 1:
                    why.setdefault(j, label)
                hi[j] = 0
            if not (L <= 0 <= U):
                lo[j] = 1
            continue
        rows.append(dense)
        lower.append(L)
        upper.append(U)
        labels.append(label)
    A = np.array(rows, dtype=np.int64).reshape(len(rows), n)
    if A.size and int(np.abs(A).sum(axis=1).max()) > _MAX_EXACT:
        raise InputError("rule rows too large for exact integer arithmetic")
    if (lo > hi).any():
        j = int(np.flatnonzero(lo > hi)[0])
        raise InfeasibleError(
            f"application {problem.applications[j].id!r} must be funded and cannot be: no portfolio satisfies every rule"
        )
    return ExactModel(
        problem=problem,
        ids=tuple(problem.ids),
        A=A,
        lower=np.array(lower, dtype=float),
        upper=np.array(upper, dtype=float),
        labels=tuple(labels),
        lo=lo,
        hi=hi,
        why_fixed=why,
    )


@dataclass(frozen=True)
class MipRow:
    """``lower <= coefs . v[cols] <= upper`` over the columns of a :func:`solve_mip` model."""

    cols: np.ndarray
    coefs: np.ndarray
    lower: float
    upper: float


def solve_mip(
    n_cols: int,
    objective: np.ndarray,
    rows: list[MipRow],
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    *,
    maximize: bool = True,
    rel_gap: float = 0.0,
    time_limit: float | None = None,
    presolve: bool = False,
) -> np.ndarray | None:
    """Solve a small MIP with HiGHS; the column values, or None when it is infeasible.

    The objective should be integer-valued (``abs_gap`` just below 1 proves optimality).
    A time limit reached without a proof raises :class:`~allocator.exceptions.SolverError`.
    """
    merged_idx: list[np.ndarray] = []
    merged_val: list[np.ndarray] = []
    for r in rows:
        idx = np.asarray(r.cols, dtype=np.int64)
        val = np.asarray(r.coefs, dtype=float)
        if len(idx) != len(np.unique(idx)):
            u, inv = np.unique(idx, return_inverse=True)
            val = np.bincount(inv, weights=val, minlength=len(u))
            idx = u
        merged_idx.append(idx)
        merged_val.append(val)
    start = np.zeros(len(rows) + 1, dtype=np.int64)
    start[1:] = np.cumsum([len(i) for i in merged_idx])
    model = LinearModel(
        objective=np.asarray(objective, dtype=float),
        col_lower=np.asarray(col_lower, dtype=float),
        col_upper=np.asarray(col_upper, dtype=float),
        integer=np.asarray(integer, dtype=bool),
        col_names=tuple(f"c_{k:05d}" for k in range(n_cols)),
        start=start,
        index=np.concatenate(merged_idx) if merged_idx else np.zeros(0, dtype=np.int64),
        value=np.concatenate(merged_val) if merged_val else np.zeros(0),
        row_lower=np.array([r.lower for r in rows], dtype=float),
        row_upper=np.array([r.upper for r in rows], dtype=float),
        row_names=tuple(f"r_{k:05d}" for k in range(len(rows))),
    )
    backend = make_backend(model, options={} if presolve else {"presolve": "off"})
    if not maximize:
        backend.set_objective(model.objective, maximize=False)
    res = backend.solve(time_limit=time_limit, rel_gap=rel_gap, abs_gap=0.999)
    if res.status is Status.INFEASIBLE:
        return None
    if not res.status.has_solution or res.x is None:
        raise SolverError(f"HiGHS ended without an answer ({res.status.value}: {res.message})")
    if res.status is Status.FEASIBLE and rel_gap == 0:
        raise SolverError(f"HiGHS stopped before proving optimality ({res.message})")
    return np.asarray(res.x)
