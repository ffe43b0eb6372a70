"""How much of each rule's limit a set of grants uses: caps and floors against their totals.

One :class:`RuleUse` per row of a rule (:func:`allocator.rules.rows.rule_rows`, every row,
also those that cannot bind): the rule's label and part, what the grants use (kroner or
applications), the limit, and whether the use is at the limit. Rules whose rows are not
totals (locks, dependencies) are left out: they hold or not, and the checker says which.

Examples
--------
>>> from allocator import Problem, Criterion, Application
>>> from allocator.model.rules import GroupLimit
>>> p = Problem(frame=300, criteria=[Criterion(name="g", weight=1)], applications=[
...     Application(id="A", requested=200, category="klynge", scores={"g": 1}),
...     Application(id="B", requested=100, category="nett", scores={"g": 1})],
...     rules=[GroupLimit(category="klynge", max_amount=200, label="clusters at most 200")])
>>> [(u.label, u.used, u.limit, u.bound, u.at_limit) for u in rule_usage(p, {"A": 200, "B": 100})]
[('clusters at most 200', 200, 200, 'max', True)]
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import isfinite
from typing import Any

from pydantic import BaseModel, ConfigDict

from allocator.model.problem import Problem
from allocator.model.solution import RuleRef
from allocator.rules.rows import rule_rows

__all__ = ["TOTAL_KINDS", "RuleUse", "rule_usage"]

TOTAL_KINDS = (
    "group",
    "count",
    "max_grant",
    "co_financing",
    "de_minimis",
    "exclusive",
    "pots",
    "multi_year",
)
"""Rule kinds whose rows are totals against a cap or a floor."""


class RuleUse(BaseModel):
    """One row of a rule against the grants.

    Attributes
    ----------
    label, part, kind
        The rule's label, the part of it (theme, application, undertaking, year), its kind.
    used, limit, unit
        What the grants use and the limit (kroner, or applications), as whole numbers when
        they are (multi-year shares may give fractions of a krone).
    bound
        ``"max"`` (a cap), ``"min"`` (a floor) or ``"exact"``.
    at_limit
        The use equals the limit: the rule binds.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    part: str = ""
    kind: str
    used: int | float
    limit: int | float
    unit: str
    bound: str
    at_limit: bool

    @property
    def ref(self) -> RuleRef:
        """The rule and part as a :class:`~allocator.model.solution.RuleRef`."""
        return RuleRef(label=self.label, part=self.part)


def _whole(x: Fraction) -> int | float:
    return int(x) if x.denominator == 1 else float(x)


def rule_usage(problem: Problem, grants: Mapping[str, int] | Any) -> list[RuleUse]:
    """Every cap and floor of the call's rules against ``grants`` (a mapping id -> kroner, or
    a Solution), in the rules' order."""
    if hasattr(grants, "grants"):
        grants = grants.grants
    g = [int(grants.get(a.id, 0)) for a in problem.applications]
    out: list[RuleUse] = []
    for row in rule_rows(problem, keep_redundant=True):
        if row.kind not in TOTAL_KINDS:
            continue
        act = Fraction(0)
        for i, cg, cy in zip(row.apps.tolist(), row.grant.tolist(), row.funded.tolist(), strict=True):
            if g[i]:
                act += Fraction(repr(cg)) * g[i] + Fraction(repr(cy))
        lo, hi = row.lower, row.upper
        if isfinite(lo) and isfinite(hi):
            bound, limit = ("exact" if lo == hi else "max"), Fraction(repr(hi))
        elif isfinite(hi):
            bound, limit = "max", Fraction(repr(hi))
        elif isfinite(lo):
            bound, limit = "min", Fraction(repr(lo))
        else:  # pragma: no cover - a row always has a bound
            continue
        scale = row.scale or 1
        used, lim = act / scale, limit / scale
        out.append(
            RuleUse(
                label=row.label,
                part=row.part,
                kind=row.kind,
                used=_whole(used),
                limit=_whole(lim),
                unit=row.unit,
                bound=bound,
                at_limit=act == limit,
            )
        )
    return out
