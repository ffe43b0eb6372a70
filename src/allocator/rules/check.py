"""The independent checker: every rule evaluated directly on a set of decisions.

Nothing here uses the formulation or the solver: each rule is evaluated on the grants in
plain Python with exact fractions, so that the integer program and the checker can only
agree by both being right. Every solution in the test suite passes through it, and an
adviser can check a portfolio composed by hand::

    >>> from allocator import Problem, Criterion, Application
    >>> from allocator.rules.models import GroupLimit
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1)],
    ...     applications=[Application(id="A", requested=60, category="network", scores={"g": 1}),
    ...                   Application(id="B", requested=50, category="cluster", scores={"g": 1})],
    ...     rules=[GroupLimit(category="network", min_count=1, label="one network")])
    >>> print(p.check({"B": 50}))
    1 violation:
    - 'one network': 0 funded, at least 1 required (1 short)
    >>> p.check({"A": 60}).ok
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from allocator.exceptions import AllocatorError
from allocator.rules.models import (
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
from allocator.rules.selectors import groups, rule_where, select
from allocator.rules.validate import grant_levels, other_public, pots, rule_labels, undertakings, year_shares

if TYPE_CHECKING:
    import pandas as pd

    from allocator.model import Problem

__all__ = ["Violation", "CheckResult", "check", "grants_of"]


def _kr(v: Fraction | int | float) -> str:
    if isinstance(v, Fraction) and v.denominator != 1:
        return f"{float(v):,.2f}".replace(",", " ") + " kr"
    return f"{int(v):,}".replace(",", " ") + " kr"


class Violation(BaseModel):
    """One rule broken by the decisions.

    Attributes
    ----------
    rule
        The rule's label (``"frame"``, ``"eligibility"`` and ``"grant levels"`` for the
        call's own conditions).
    kind
        The rule's kind (``group``, ``co_financing`` ...).
    part
        Which part of the rule: a theme, an application, an undertaking, a year.
    ids
        The applications concerned.
    excess
        By how much the rule is broken, in ``unit`` (kroner or applications).
    message
        The violation in words.
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    kind: str
    part: str = ""
    ids: tuple[str, ...] = ()
    excess: float = 0.0
    unit: str = "kr"
    message: str


class CheckResult(BaseModel):
    """The outcome of :func:`check`: the violations, empty when every rule holds."""

    model_config = ConfigDict(frozen=True)

    violations: tuple[Violation, ...] = ()
    total_granted: int = 0
    n_funded: int = 0

    @property
    def ok(self) -> bool:
        """True when no rule is broken."""
        return not self.violations

    @property
    def rules(self) -> list[str]:
        """Labels of the broken rules, each once, in order."""
        return list(dict.fromkeys(v.rule for v in self.violations))

    def to_frame(self) -> pd.DataFrame:
        """One row per violation: rule, kind, part, ids, excess, unit, message."""
        import pandas as pd

        cols = list(Violation.model_fields)
        df = pd.DataFrame([v.model_dump() for v in self.violations], columns=cols)
        if len(df):
            df["ids"] = ["; ".join(x) for x in df["ids"]]
        return df

    def __str__(self) -> str:
        if self.ok:
            return "no violation"
        n = len(self.violations)
        head = f"{n} violation{'s' if n > 1 else ''}:"
        return "\n".join([head, *(f"- {v.message}" for v in self.violations)])

    __repr__ = __str__


def grants_of(problem: Problem, decisions: Any) -> dict[str, int]:
    """Grant per application id from a Solution, a dict id -> grant or a DataFrame.

    Applications not mentioned get 0. Unknown ids and amounts that are not whole kroner of
    at least 0 raise :class:`AllocatorError`.
    """
    if hasattr(decisions, "decisions") and hasattr(decisions, "status"):
        if not decisions.status.has_solution:
            raise AllocatorError(
                f"the solution has status {decisions.status.value!r} and no decisions to check; "
                "check a solved portfolio or a dict of grants"
            )
        raw: Mapping[Any, Any] = decisions.grants
    elif isinstance(decisions, Mapping):
        raw = decisions
    elif type(decisions).__name__ == "DataFrame":
        col = next((c for c in ("granted", "grant", "amount") if c in decisions.columns), None)
        if "id" not in decisions.columns or col is None:
            raise AllocatorError(
                f"decisions table has columns {[str(c) for c in decisions.columns]}; "
                "give a table with columns 'id' and 'granted'"
            )
        raw = dict(zip(decisions["id"].tolist(), decisions[col].tolist(), strict=True))
    else:
        raise AllocatorError(
            f"cannot check {type(decisions).__name__}; give a Solution, a dict id -> grant "
            "or a DataFrame with columns 'id' and 'granted'"
        )
    known = {a.id for a in problem.applications}
    out = {a.id: 0 for a in problem.applications}
    for k, v in raw.items():
        key = str(int(k)) if isinstance(k, float) and k.is_integer() else str(k)
        if key not in known:
            from allocator.rules.selectors import did_you_mean

            raise AllocatorError(f"decisions: unknown application id {key!r}{did_you_mean(key, sorted(known))}")
        if isinstance(v, bool) or v is None:
            v = 0 if not v else None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or v < 0:
            raise AllocatorError(
                f"decisions: application {key!r}: grant {v!r} is not whole kroner of at least 0; give the grant in kroner"
            )
        out[key] = v
    return out


def check(problem: Problem, decisions: Any) -> CheckResult:
    """Every violation of the frame, eligibility, grant levels and the rules by ``decisions``."""
    g = grants_of(problem, decisions)
    apps = problem.applications
    grant = [g[a.id] for a in apps]
    out: list[Violation] = []
    add = out.append

    # grant levels: 0, or a grant the application can receive
    for i, a in enumerate(apps):
        if grant[i] and grant[i] not in grant_levels(problem, i):
            lv = grant_levels(problem, i)
            why = (
                f"all-or-nothing funding grants 0 or the request {a.requested}"
                if not problem.options.partial
                else f"possible grants are 0, {lv[0]} to {lv[-1]} in steps of {problem.options.step}"
            )
            add(Violation(rule="grant levels", kind="levels", part=a.id, ids=(a.id,), excess=abs(grant[i] - a.requested),
                          message=f"application {a.id!r}: a grant of {_kr(grant[i])} is not possible; {why}"))
    total = sum(grant)
    if total > problem.frame:
        add(Violation(rule="frame", kind="frame", excess=total - problem.frame,
                      message=f"the frame: {_kr(total)} granted, the frame is {_kr(problem.frame)} "
                              f"({_kr(total - problem.frame)} over)"))
    from allocator.scoring import score

    s = score(problem)
    for i, a in enumerate(apps):
        if grant[i] and not s.eligible[i]:
            add(Violation(rule="eligibility", kind="eligibility", part=a.id, ids=(a.id,), excess=1, unit="applications",
                          message=f"application {a.id!r} is funded but ineligible: {s.reasons[i]}"))

    labels = rule_labels(problem.rules)
    for k, rule in enumerate(problem.rules):
        for v in _check_rule(problem, k, rule, labels[k], grant):
            add(v)
    return CheckResult(violations=tuple(out), total_granted=total, n_funded=sum(1 for x in grant if x))


def _check_rule(problem: Problem, k: int, rule: Any, label: str, grant: list[int]) -> list[Violation]:
    apps = problem.applications
    w = rule_where(rule, k)
    idx = select(rule, problem, where=w)
    frame = Fraction(problem.frame)
    out: list[Violation] = []

    def bad(part: str, members: list[int], excess: Fraction | int, unit: str, text: str) -> None:
        name = f"{label!r} [{part}]" if part else repr(label)
        out.append(Violation(rule=label, kind=rule.kind, part=part, ids=tuple(apps[i].id for i in members),
                             excess=float(excess), unit=unit, message=f"{name}: {text}"))

    def amount_limits(part: str, members: list[int], total: int, hi: Fraction | None, lo: Fraction | None) -> None:
        if hi is not None and total > hi:
            bad(part, members, total - hi, "kr", f"{_kr(total)} granted, at most {_kr(hi)} allowed ({_kr(total - hi)} over)")
        if lo is not None and total < lo:
            bad(part, members, lo - total, "kr", f"{_kr(total)} granted, at least {_kr(lo)} required ({_kr(lo - total)} short)")

    def count_limits(part: str, members: list[int], n: int, hi: int | None, lo: int | None) -> None:
        if hi is not None and n > hi:
            bad(part, members, n - hi, "applications", f"{n} funded, at most {hi} allowed ({n - hi} too many)")
        if lo is not None and n < lo:
            bad(part, members, lo - n, "applications", f"{n} funded, at least {lo} required ({lo - n} short)")

    def share(x: float | None) -> Fraction | None:
        return None if x is None else Fraction(repr(x))

    if isinstance(rule, GroupLimit):
        caps = [c for c in (rule.max_amount, None if rule.max_share is None else share(rule.max_share) * frame) if c is not None]
        floors = [c for c in (rule.min_amount, None if rule.min_share is None else share(rule.min_share) * frame) if c is not None]
        for part, members in groups(problem, idx, rule.per, w):
            total = sum(grant[i] for i in members)
            amount_limits(part, members, total, min(caps) if caps else None, max(floors) if floors else None)
            count_limits(part, members, sum(1 for i in members if grant[i]), rule.max_count, rule.min_count)
    elif isinstance(rule, FundedCount):
        count_limits("", idx, sum(1 for i in idx if grant[i]), rule.max, rule.min)
    elif isinstance(rule, MaxGrant):
        caps = [c for c in (rule.amount, None if rule.share is None else share(rule.share) * frame) if c is not None]
        for part, members in groups(problem, idx, rule.per, w):
            amount_limits(part, members, sum(grant[i] for i in members), min(caps), None)
    elif isinstance(rule, CoFinancing):
        other = other_public(problem, rule, w)
        sh = share(rule.share)
        assert sh is not None
        for i in idx:
            cost = apps[i].total_cost
            assert cost is not None
            limit = sh * cost
            if grant[i] and grant[i] + other[i] > limit:
                what = f"grant {_kr(grant[i])}" + (f" + other public funding {_kr(other[i])}" if other[i] else "")
                bad(apps[i].id, [i], grant[i] + other[i] - limit, "kr",
                    f"{what} exceeds {rule.share * 100:g} % of the project cost {_kr(cost)} = {_kr(limit)} "
                    f"(by {_kr(grant[i] + other[i] - limit)})")
    elif isinstance(rule, DeMinimis):
        for u in undertakings(problem, rule, w):
            total = sum(grant[i] for i in u.apps)
            if total and total + u.received_nok > u.ceiling_nok:
                over = total + u.received_nok - u.ceiling_nok
                bad(u.name, list(u.apps), over, "kr",
                    f"{_kr(total)} granted + {_kr(u.received_nok)} de minimis aid received in the window exceeds "
                    f"the ceiling {_kr(u.ceiling_nok)} (by {_kr(over)})")
    elif isinstance(rule, MustFund):
        for i in idx:
            part = apps[i].id if len(idx) > 1 or not rule.ids else ""
            if rule.amount is None and not grant[i]:
                bad(part, [i], 1, "applications", f"application {apps[i].id!r} must be funded and is not")
            elif rule.amount is not None and grant[i] != rule.amount:
                bad(part, [i], abs(grant[i] - rule.amount), "kr",
                    f"application {apps[i].id!r} must receive {_kr(rule.amount)} and receives {_kr(grant[i])}")
    elif isinstance(rule, MustNotFund):
        for i in idx:
            if grant[i]:
                part = apps[i].id if len(idx) > 1 or not rule.ids else ""
                bad(part, [i], 1, "applications", f"application {apps[i].id!r} must not be funded and receives {_kr(grant[i])}")
    elif isinstance(rule, Exclusive):
        count_limits("", idx, sum(1 for i in idx if grant[i]), rule.at_most, None)
    elif isinstance(rule, Requires):
        pos = {a.id: i for i, a in enumerate(apps)}
        for b in idx:
            need = [pos[r] for r in rule.requires if pos[r] != b]
            if not grant[b] or not need:
                continue
            missing = [a for a in need if not grant[a]]
            if (rule.mode == "all" and missing) or (rule.mode == "any" and len(missing) == len(need)):
                names = (" and " if rule.mode == "all" else " or ").join(repr(apps[a].id) for a in missing)
                bad(apps[b].id, [b, *missing], 1, "applications",
                    f"application {apps[b].id!r} is funded without {names}, which it requires")
    elif isinstance(rule, BudgetPots):
        pot = pots(problem, rule, w)
        for name, budget in rule.frames.items():
            members = [i for i, p in enumerate(pot) if p == name]
            amount_limits(name, members, sum(grant[i] for i in members), Fraction(budget), None)
    elif isinstance(rule, MultiYear):
        shares = year_shares(problem, rule, w)
        for year, budget in rule.frames.items():
            members = [i for i in idx if shares[i][year] and grant[i]]
            total = sum((shares[i][year] * grant[i] for i in members), Fraction(0))
            amount_limits(year, members, total, Fraction(budget), None)  # type: ignore[arg-type]
    return out
