"""Problem -> integer program. Builds the model; does not solve it.

Variables, per application *i* (in canonical order: applications sorted by id, so that the
model, and therefore the solver's path, does not depend on the input's row order):

* all-or-nothing funding: ``x_i`` binary, grant ``r_i x_i``;
* partial funding, with minimum ``m_i`` and step ``t``: ``y_i`` binary (funded at all),
  ``k_i`` integer in ``[0, K_i]`` (steps above the minimum, ``K_i = (r_i - m_i) // t``) and,
  when ``r_i - m_i`` is not a multiple of ``t``, ``f_i`` binary (topped up to the request);
  grant ``m_i y_i + t k_i + e_i f_i`` with ``e_i = r_i - m_i - t K_i``, and the links
  ``k_i <= K_i y_i``, ``f_i <= y_i``, ``K_i f_i <= k_i``. The grants are exactly
  ``{0} u {m_i, m_i + t, ..., m_i + t K_i} u {r_i}``.

Objective: maximise ``sum_i s_i * grant_i / r_i``, the weighted scores of what is funded,
each in proportion to the share of its request it receives. When the exact values share a
manageable common denominator ``D`` the objective is multiplied by ``D`` so that every
coefficient is an integer (see :mod:`allocator.model.scoring`).

Constraints: the frame (``sum_i grant_i <= frame``), eligibility (ineligible applications
have their columns fixed at 0), and every rule of the problem (:mod:`allocator.rules`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd, lcm
from typing import TYPE_CHECKING, Any

import numpy as np

from allocator.model import Problem
from allocator.model.ids import id_order
from allocator.model.levels import Levels, levels
from allocator.model.scoring import Scores, reduced_denominator, score
from allocator.optimize.linear import LinearModel, ModelBuilder
from allocator.rules.rows import RuleRow, rule_rows

if TYPE_CHECKING:
    import pulp

__all__ = ["Formulation", "app_columns", "build", "common_scale", "to_columns", "value_objective"]

_MAX_SCALE = 10**12
_MAX_INT_TOTAL = 2**40
_MAX_INT_COEF = 2**31
"""An integer-scaled objective is used only while its sum stays below the first (the
engine's ``EXACT``, below which it holds values exactly) and its largest coefficient at most
the second: beyond them the solver's own tolerances (about 1e-9 relative, after its row
scaling) exceed half a unit, and "worth at least V" could no longer be held exactly. The
objective is then left in floats and held within 1e-9 relative."""


def common_scale(coefs: list[Fraction]) -> int | None:
    """Least D making every ``D * c`` an integer, or None when D or the sums grow too large."""
    d = 1
    for c in coefs:
        d = lcm(d, c.denominator)
        if d > _MAX_SCALE:
            return None
    if sum(abs(c) for c in coefs) * d >= _MAX_INT_TOTAL or max((abs(c) for c in coefs), default=0) * d > _MAX_INT_COEF:
        return None
    return d


@dataclass
class Formulation:
    """The built model and the handles needed to read a solution back.

    Attributes
    ----------
    problem, scores
        What was formulated.
    model
        The integer program (:class:`allocator.optimize.linear.LinearModel`), objective maximised.
    order
        Canonical order: ``order[k]`` is the input index of the k-th application by id.
    select
        Per application (input order): the column of its "funded" indicator.
    col_app, col_amount
        Per column: the application it belongs to (-1 for none) and the grant, in kroner,
        one unit of the column adds (``r_i`` for ``x_i``; ``m_i``, ``t``, ``e_i`` in partial).
    scale
        Integer scale of the objective (``None``: float objective).
    frame_row
        Index of the frame constraint.
    row_rules
        For each rule row, the rule's label (for binding rules and diagnosis).
    """

    problem: Problem
    scores: Scores
    model: LinearModel
    order: np.ndarray
    select: np.ndarray
    col_app: np.ndarray
    col_amount: np.ndarray
    levels: tuple[Levels, ...]
    scale: int | None
    frame_row: int
    row_rules: dict[int, str] = field(default_factory=dict)

    # ----------------------------------------------------------- objectives
    def share_per_col(self) -> np.ndarray:
        """Share of its request one unit of each column grants (0 for non-application columns)."""
        req = np.array([a.requested for a in self.problem.applications], dtype=float)
        out = np.zeros(self.model.n_cols)
        mask = self.col_app >= 0
        out[mask] = self.col_amount[mask] / req[self.col_app[mask]]
        return out

    def objective_for(self, values: np.ndarray) -> np.ndarray:
        """Column objective for per-application full-funding values (for scenarios)."""
        out = np.zeros(self.model.n_cols)
        mask = self.col_app >= 0
        out[mask] = values[self.col_app[mask]] * self.share_per_col()[mask]
        return out

    def exact_coefficients(self, values: list[Fraction]) -> list[Fraction]:
        """Exact column coefficients for per-application full-funding values (fractions)."""
        return _exact_coefficients(self.problem, values, self.col_app, self.col_amount)

    # ------------------------------------------------------------- read back
    def grants(self, x: np.ndarray) -> np.ndarray:
        """Granted amount per application (input order, whole kroner) from column values."""
        units = np.rint(x).astype(np.int64)
        mask = self.col_app >= 0
        g = np.zeros(len(self.problem.applications), dtype=np.int64)
        np.add.at(g, self.col_app[mask], units[mask] * self.col_amount[mask].astype(np.int64))
        return g

    def columns(self, granted: np.ndarray) -> np.ndarray:
        """Column values granting ``granted`` (per application, input order; each 0 or one of
        its grant levels): the inverse of :meth:`grants`."""
        x = np.zeros(self.model.n_cols)
        for i, g in enumerate(np.asarray(granted, dtype=np.int64).tolist()):
            if g <= 0:
                continue
            lv = self.levels[i]
            cols = np.flatnonzero(self.col_app == i)
            for j in cols.tolist():
                if j == self.select[i]:
                    x[j] = 1.0
                elif self.col_amount[j] == lv.step and lv.K > 0 and j != self.select[i]:
                    x[j] = float(lv.K if (g == lv.requested and lv.rest) else (g - lv.minimum) // lv.step)
                else:  # the top-up to the request
                    x[j] = 1.0 if (g == lv.requested and lv.rest) else 0.0
        return x

    def value(self, granted: np.ndarray) -> float:
        """Objective value (sum of weighted score x share granted) of a grant vector."""
        req = np.array([a.requested for a in self.problem.applications], dtype=float)
        return float(np.dot(self.scores.weighted, granted / req))

    def exact_value(self, granted: np.ndarray) -> Fraction:
        """The same, as an exact fraction."""
        return sum(
            (
                s * int(g) / a.requested
                for s, g, a in zip(self.scores.exact, granted, self.problem.applications, strict=True)
            ),
            Fraction(0),
        )

    def to_pulp(self) -> tuple[pulp.LpProblem, list[Any]]:
        """The same model as a PuLP ``LpProblem`` (PuLP 3 or 4) and its variables."""
        from allocator.optimize.backends.pulp import to_pulp

        return to_pulp(self.model, name=self.problem.name or "allocator")


def build(problem: Problem, *, scores: Scores | None = None) -> Formulation:
    """Formulate ``problem`` as an integer program (no solving).

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=10)],
    ...             applications=[Application(id="B", requested=60, scores={"g": 7}),
    ...                           Application(id="A", requested=50, scores={"g": 5})])
    >>> f = build(p)
    >>> f.model.col_names, f.model.objective.tolist(), f.scale
    (('x_0000', 'x_0001'), [5.0, 7.0], 10)
    """
    scores = scores or score(problem)
    apps = problem.applications
    n = len(apps)
    order = id_order([a.id for a in apps])
    lv = tuple(levels(a, problem.options) for a in apps)
    b = ModelBuilder()
    col_app: list[np.ndarray] = []
    col_amount: list[np.ndarray] = []
    select = np.zeros(n, dtype=np.int64)

    if not problem.options.partial:
        cols = b.add_cols("x", n)
        select[order] = cols
        col_app.append(order)
        col_amount.append(np.array([apps[i].requested for i in order], dtype=float))
    else:
        cols = b.add_cols("y", n)
        select[order] = cols
        col_app.append(order)
        col_amount.append(np.array([lv[i].minimum for i in order], dtype=float))
        with_k = [i for i in order if lv[i].K > 0]
        kcols = b.add_cols("k", len(with_k), upper=np.array([lv[i].K for i in with_k], dtype=float))
        col_app.append(np.array(with_k, dtype=np.int64))
        col_amount.append(np.full(len(with_k), float(problem.options.step)))
        with_f = [i for i in order if lv[i].rest > 0]
        fcols = b.add_cols("f", len(with_f))
        col_app.append(np.array(with_f, dtype=np.int64))
        col_amount.append(np.array([lv[i].rest for i in with_f], dtype=float))
        kcol = dict(zip(with_k, kcols.tolist(), strict=True))
        if with_k:  # k_i - K_i y_i <= 0
            b.add_rows(
                np.column_stack([kcols, select[with_k]]),
                np.column_stack([np.ones(len(with_k)), -np.array([lv[i].K for i in with_k], dtype=float)]),
                upper=0.0,
                prefix="link_k",
            )
        if with_f:  # f_i - y_i <= 0
            b.add_rows(
                np.column_stack([fcols, select[with_f]]),
                np.column_stack([np.ones(len(with_f)), -np.ones(len(with_f))]),
                upper=0.0,
                prefix="link_f",
            )
            both = [(fc, kcol[i], lv[i].K) for i, fc in zip(with_f, fcols.tolist(), strict=True) if i in kcol]
            if both:  # K_i f_i - k_i <= 0: topped up only from the last step
                arr = np.array(both, dtype=float)
                b.add_rows(
                    arr[:, :2].astype(np.int64),
                    np.column_stack([arr[:, 2], -np.ones(len(both))]),
                    upper=0.0,
                    prefix="link_fk",
                )
    col_app_arr = np.concatenate(col_app).astype(np.int64)
    col_amount_arr = np.concatenate(col_amount)

    ineligible_cols = np.flatnonzero((col_app_arr >= 0) & ~scores.eligible[np.maximum(col_app_arr, 0)])
    b.fix_cols(ineligible_cols, 0.0, 0.0)

    frame_row = b.add_row(np.arange(b.n_cols), col_amount_arr, upper=float(problem.frame), name="frame")

    # Objective: exact, integer-scaled when the denominators allow it.
    if scores.numerators is not None:
        objective, scale = value_objective(
            problem, col_app_arr, col_amount_arr, scores.numerators, scores.common, scores.weighted
        )
    else:
        exact_coefs = _exact_coefficients(problem, list(scores.exact), col_app_arr, col_amount_arr)
        scale = common_scale(exact_coefs)
        objective = np.array([float(c * scale) if scale else float(c) for c in exact_coefs])
    # (values no solver can tell apart were refused when the Problem was built: limits.check_value_spread)
    b.set_objective(objective)

    f = Formulation(
        problem=problem,
        scores=scores,
        model=None,  # type: ignore[arg-type]  # set below, once the rules have added their rows
        order=order,
        select=select,
        col_app=col_app_arr,
        col_amount=col_amount_arr,
        levels=lv,
        scale=scale,
        frame_row=frame_row,
    )
    if problem.rules:
        f.row_rules = _add_rules(f, b)
    f.model = b.build()
    return f


def value_objective(
    problem: Problem,
    col_app: np.ndarray,
    col_amount: np.ndarray,
    numerators: np.ndarray,
    common: int,
    weighted: np.ndarray,
) -> tuple[np.ndarray, int | None]:
    """The objective and its integer scale for exact values ``numerators[i] / common``.

    Column *j* of application *i* is worth ``value_i * amount_j / requested_i``: the
    smallest ``D`` that makes every such coefficient an integer is the scale, and the
    objective is the integers (``None`` and the float values ``weighted`` (per application)
    when ``D`` or the sums would be too large to stay exact). Used by :func:`build` and by
    scenario sweeps that re-weight a loaded model, so both give the same objective.
    """
    req = np.array([a.requested for a in problem.applications], dtype=np.int64)
    mask = col_app >= 0
    amounts = np.where(mask, col_amount, 0.0).astype(np.int64)
    floats = np.where(mask, weighted[np.maximum(col_app, 0)] * amounts / req[np.maximum(col_app, 0)], 0.0)
    if numerators.dtype != object and not problem.options.partial:
        d = reduced_denominator(numerators, common)
        per_col = numerators[np.maximum(col_app, 0)] // (common // d)
        if (
            d > _MAX_SCALE
            or int(np.abs(per_col[mask]).sum()) >= _MAX_INT_TOTAL
            or int(np.abs(per_col[mask]).max(initial=0)) > _MAX_INT_COEF
        ):
            return floats, None
        return np.where(mask, per_col, 0).astype(float), d
    # partial funding (or very large numerators): one exact fraction per column
    nums = [
        int(numerators[i]) * int(a) if i >= 0 else 0 for i, a in zip(col_app.tolist(), amounts.tolist(), strict=True)
    ]
    dens = [common * int(req[i]) if i >= 0 else 1 for i in col_app.tolist()]
    d = 1
    for p, q in zip(nums, dens, strict=True):
        d = lcm(d, q // gcd(p, q))
        if d > _MAX_SCALE:
            return floats, None
    ints = [p * d // q for p, q in zip(nums, dens, strict=True)]
    if sum(abs(v) for v in ints) >= _MAX_INT_TOTAL or max((abs(v) for v in ints), default=0) > _MAX_INT_COEF:
        return floats, None
    return np.array(ints, dtype=float), d


def _exact_coefficients(
    problem: Problem, values: list[Fraction], col_app: np.ndarray, col_amount: np.ndarray
) -> list[Fraction]:
    """Exact column coefficients for per-application full-funding values."""
    apps = problem.applications
    return [
        Fraction(0) if i < 0 else values[i] * int(a) / apps[i].requested
        for i, a in zip(col_app.tolist(), col_amount.tolist(), strict=True)
    ]


def app_columns(f: Formulation) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per application: its columns and the kroner one unit of each grants."""
    n = len(f.problem.applications)
    order = np.argsort(f.col_app, kind="stable")
    ca = f.col_app[order]
    bounds = np.searchsorted(ca, np.arange(n + 1))
    return [(order[bounds[i] : bounds[i + 1]], f.col_amount[order[bounds[i] : bounds[i + 1]]]) for i in range(n)]


def to_columns(
    row: RuleRow, f: Formulation, per_app: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and coefficients of ``row`` in formulation ``f`` (columns may repeat);
    ``per_app``: :func:`app_columns` of ``f``, computed once for all the rows."""
    if not f.problem.options.partial:  # one column per application: its funded indicator
        own = f.select[row.apps]
        return own.astype(np.int64), row.grant * f.col_amount[own] + row.funded
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for i, cg, cy in zip(row.apps.tolist(), row.grant.tolist(), row.funded.tolist(), strict=True):
        if cg:
            c, amt = per_app[i]
            cols.append(c)
            vals.append(cg * amt)
        if cy:
            cols.append(np.array([f.select[i]], dtype=np.int64))
            vals.append(np.array([cy]))
    if not cols:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(cols).astype(np.int64), np.concatenate(vals)


def _add_rules(formulation: Formulation, builder: ModelBuilder) -> dict[int, str]:
    """Add the rows of every rule of ``formulation.problem``; ``{row index: row name}``.

    Called by :func:`build` when the problem has rules.
    """
    per_app = app_columns(formulation)
    out: dict[int, str] = {}
    eligible = formulation.scores.eligible
    for n, row in enumerate(rule_rows(formulation.problem, eligible=eligible)):
        cols, vals = to_columns(row, formulation, per_app)
        r = builder.add_row(cols, vals, lower=row.lower, upper=row.upper, name=f"rule_{row.rule:03d}_{n:05d}")
        out[r] = row.name
    return out
