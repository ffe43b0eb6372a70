"""The call's rules as rows of the integer program.

Each rule becomes one or more :class:`RuleRow`: a linear expression in the applications'
*grants* (kroner) and *funded indicators*, with bounds, written without knowing how the
formulation represents funding. :func:`allocator.optimize.formulation.to_columns` turns a
row into columns through the formulation's handles (``col_app``, ``col_amount``,
``select``), so every rule works with
all-or-nothing and with partial funding alike: a co-financing cap in partial mode lowers
the largest grant an application can get; in binary mode it forbids funding it if its
request is above the cap.

Coefficients are integers wherever the data allow (kroner, counts; shares of the frame are
rounded to whole kroner in the safe direction: caps down, floors up; multi-year shares are
scaled by their common denominator), so rows are checked exactly.

Rows that no portfolio can violate (a cap above everything the group can receive) are left
out: they cannot bind and cannot conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil, floor, lcm
from typing import Any

import numpy as np

from allocator.model.normalise import exact
from allocator.model.problem import Problem
from allocator.model.rules import (
    BudgetPots,
    CoFinancing,
    DeMinimis,
    Exclusive,
    FundedCount,
    GroupLimit,
    MaxGrant,
    MultiYear,
    MustFund,
    MustNotFund,
    Requires,
)
from allocator.model.scoring import score
from allocator.model.selectors import groups, rule_where, select
from allocator.model.validate import (
    other_public,
    pots,
    rule_labels,
    undertakings,
    year_shares,
)

__all__ = ["ELIGIBILITY", "FRAME", "RuleRow", "rule_rows"]

FRAME = "frame"
"""Label of the frame, a rule like the others in a diagnosis."""
ELIGIBILITY = "eligibility"
"""Label of the eligibility thresholds in a diagnosis."""

_INF = float("inf")
_MAX_SCALE = 10**9


@dataclass(frozen=True)
class RuleRow:
    """``lower <= sum_k grant[k] * g(apps[k]) + funded[k] * y(apps[k]) <= upper``.

    ``g`` is an application's grant in kroner, ``y`` its funded indicator (0/1). The row
    counts ``scale`` row units per ``unit`` (kroner or applications; > 1 only for
    multi-year rows, scaled to integers).
    """

    rule: int
    label: str
    part: str
    kind: str
    apps: np.ndarray
    grant: np.ndarray
    funded: np.ndarray
    lower: float
    upper: float
    unit: str
    scale: int = 1

    @property
    def name(self) -> str:
        """The row in words: the rule's label, and the part (theme, application, year)."""
        return f"{self.label} [{self.part}]" if self.part else self.label


def _row(
    rule: int,
    label: str,
    part: str,
    kind: str,
    apps: Sequence[int],
    *,
    grant: Any = 0.0,
    funded: Any = 0.0,
    lower: float = -_INF,
    upper: float = _INF,
    unit: str = "kr",
    scale: int = 1,
) -> RuleRow:
    a = np.fromiter(apps, dtype=np.int64)
    # np.full for the common scalar case: same arrays, a fraction of broadcast_to's cost
    g = (
        np.full(a.shape, float(grant))
        if isinstance(grant, (int, float))
        else np.broadcast_to(np.asarray(grant, dtype=float), a.shape).copy()
    )
    y = (
        np.full(a.shape, float(funded))
        if isinstance(funded, (int, float))
        else np.broadcast_to(np.asarray(funded, dtype=float), a.shape).copy()
    )
    return RuleRow(rule, label, part, kind, a, g, y, float(lower), float(upper), unit, scale)


def _rows_of(problem: Problem, k: int, rule: Any, label: str) -> list[RuleRow]:
    w = rule_where(rule, k)
    idx = select(rule, problem, where=w)
    apps = problem.applications
    frame = problem.frame
    kind = rule.kind
    out: list[RuleRow] = []
    if isinstance(rule, GroupLimit):
        hi = [
            v
            for v in (rule.max_amount, None if rule.max_share is None else floor(exact(rule.max_share) * frame))
            if v is not None
        ]
        lo = [
            v
            for v in (rule.min_amount, None if rule.min_share is None else ceil(exact(rule.min_share) * frame))
            if v is not None
        ]
        for part, members in groups(problem, idx, rule.per, w):
            if hi or lo:
                out.append(
                    _row(
                        k,
                        label,
                        part,
                        kind,
                        members,
                        grant=1.0,
                        lower=max(lo) if lo else -_INF,
                        upper=min(hi) if hi else _INF,
                    )
                )
            if rule.max_count is not None or rule.min_count is not None:
                out.append(
                    _row(
                        k,
                        label,
                        part,
                        kind,
                        members,
                        funded=1.0,
                        unit="applications",
                        lower=-_INF if rule.min_count is None else rule.min_count,
                        upper=_INF if rule.max_count is None else rule.max_count,
                    )
                )
    elif isinstance(rule, FundedCount):
        out.append(
            _row(
                k,
                label,
                "",
                kind,
                idx,
                funded=1.0,
                unit="applications",
                lower=-_INF if rule.min is None else rule.min,
                upper=_INF if rule.max is None else rule.max,
            )
        )
    elif isinstance(rule, MaxGrant):
        caps = [
            v for v in (rule.amount, None if rule.share is None else floor(exact(rule.share) * frame)) if v is not None
        ]
        for part, members in groups(problem, idx, rule.per, w):
            out.append(_row(k, label, part, kind, members, grant=1.0, upper=min(caps)))
    elif isinstance(rule, CoFinancing):
        other = other_public(problem, rule, w)
        share = exact(rule.share)  # once, not once per application
        for i in idx:
            cost = apps[i].total_cost
            assert cost is not None  # validated with the problem
            cap = floor(share * cost) - other[i]
            out.append(_row(k, label, apps[i].id, kind, [i], grant=1.0, upper=max(cap, 0)))
    elif isinstance(rule, DeMinimis):
        for u in undertakings(problem, rule, w):
            out.append(_row(k, label, u.name, kind, u.apps, grant=1.0, upper=u.room))
    elif isinstance(rule, MustFund):
        for i in idx:
            part = apps[i].id if len(idx) > 1 or not rule.ids else ""
            if rule.amount is not None:
                out.append(_row(k, label, part, kind, [i], grant=1.0, lower=rule.amount, upper=rule.amount))
            else:
                out.append(_row(k, label, part, kind, [i], funded=1.0, lower=1, unit="applications"))
    elif isinstance(rule, MustNotFund):
        for i in idx:
            part = apps[i].id if len(idx) > 1 or not rule.ids else ""
            out.append(_row(k, label, part, kind, [i], funded=1.0, upper=0, unit="applications"))
    elif isinstance(rule, Exclusive):
        out.append(_row(k, label, "", kind, idx, funded=1.0, upper=rule.at_most, unit="applications"))
    elif isinstance(rule, Requires):
        pos = {a.id: i for i, a in enumerate(apps)}
        need = [pos[r] for r in rule.requires]
        for b in idx:
            others = [a for a in need if a != b]
            if not others:
                continue
            if rule.mode == "all":
                for a in others:
                    out.append(
                        _row(
                            k,
                            label,
                            f"{apps[b].id} needs {apps[a].id}",
                            kind,
                            [b, a],
                            funded=[1.0, -1.0],
                            upper=0,
                            unit="applications",
                        )
                    )
            else:
                out.append(
                    _row(
                        k,
                        label,
                        apps[b].id,
                        kind,
                        [b, *others],
                        funded=[1.0] + [-1.0] * len(others),
                        upper=0,
                        unit="applications",
                    )
                )
    elif isinstance(rule, BudgetPots):
        pot = pots(problem, rule, w)
        for name, budget in rule.frames.items():
            members = [i for i, p in enumerate(pot) if p == name]
            out.append(_row(k, label, name, kind, members, grant=1.0, upper=budget))
    elif isinstance(rule, MultiYear):
        shares = year_shares(problem, rule, w)
        for year, budget in rule.frames.items():
            members = [i for i in idx if shares[i][year] != 0]
            sh = [shares[i][year] for i in members]
            d = 1
            for s in sh:
                d = lcm(d, s.denominator)
            if d > _MAX_SCALE:
                out.append(_row(k, label, year, kind, members, grant=[float(s) for s in sh], upper=budget))
            else:
                out.append(
                    _row(k, label, year, kind, members, grant=[float(s * d) for s in sh], upper=budget * d, scale=d)
                )
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"unknown rule {rule!r}")
    return out


def _all_extremes(rows: Sequence[RuleRow], highest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, bounds on the smallest and largest activity over every portfolio: each
    application is not funded (adds 0) or funded with a grant between 0 and ``highest``
    (0 for an application that cannot be funded). The grant's coefficient is never negative,
    so its term is largest at ``highest``; the smallest activity is bounded with a grant of 0,
    which can only be lower than the true one (a row is then kept, never wrongly left out)."""
    apps = np.concatenate([r.apps for r in rows])
    grant = np.concatenate([r.grant for r in rows])
    funded = np.concatenate([r.funded for r in rows])
    which = np.repeat(np.arange(len(rows)), [len(r.apps) for r in rows])
    top = highest[apps]
    can = top > 0
    lo = np.where(can, np.minimum(0.0, funded), 0.0)
    hi = np.where(can, np.maximum(0.0, grant * top + funded), 0.0)
    return np.bincount(which, weights=lo, minlength=len(rows)), np.bincount(which, weights=hi, minlength=len(rows))


def rule_rows(
    problem: Problem,
    *,
    eligible: Sequence[bool] | np.ndarray | None = None,
    keep_redundant: bool = False,
) -> list[RuleRow]:
    """Every row of every rule of ``problem`` (those no portfolio can violate left out).

    ``eligible`` (per application: whether it can be funded) is computed from the problem
    when not given.
    """
    labels = rule_labels(problem.rules)
    rows: list[RuleRow] = []
    for k, rule in enumerate(problem.rules):
        rows.extend(_rows_of(problem, k, rule, labels[k]))
    if keep_redundant or not rows:
        return rows
    if eligible is None:
        eligible = score(problem).eligible
    highest = np.where(
        np.asarray(eligible, dtype=bool), np.array([a.requested for a in problem.applications], dtype=float), 0.0
    )
    lo, hi = _all_extremes(rows, highest)
    return [row for row, a, b in zip(rows, lo.tolist(), hi.tolist(), strict=True) if b > row.upper or a < row.lower]
