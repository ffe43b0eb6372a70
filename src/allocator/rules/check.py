"""The independent checker: every rule evaluated directly on a set of decisions.

Nothing here uses the formulation or the solver: each rule is evaluated on the grants in
plain Python with exact fractions, so that the integer program and the checker can only
agree by both being right. Every solution in the test suite passes through it, and an
adviser can check a portfolio composed by hand::

    >>> from allocator import Problem, Criterion, Application, check
    >>> from allocator.rules import GroupLimit
    >>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1)],
    ...     applications=[Application(id="A", requested=60, category="network", scores={"g": 1}),
    ...                   Application(id="B", requested=50, category="cluster", scores={"g": 1})],
    ...     rules=[GroupLimit(category="network", min_count=1, label="one network")])
    >>> print(check(p, {"B": 50}))
    1 violation:
    - 'one network': 0 funded, at least 1 required (1 short)
    >>> check(p, {"A": 60}).ok
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from allocator.model.guards import expect_problem
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
    grant_levels,
    other_public,
    pots,
    rule_labels,
    undertakings,
    year_shares,
)
from allocator.rules.grants import grants_of
from allocator.rules.violations import CheckResult, Violation, kr

__all__ = ["CheckResult", "Checker", "Violation", "check", "grants_of"]


def check(problem: Problem, decisions: Any) -> CheckResult:
    """Every violation of the frame, eligibility, grant levels and the rules by ``decisions``."""
    expect_problem(problem, "check")
    return Checker(problem)(decisions)


class Checker:
    """:func:`check` with the data read once: call it on many sets of decisions.

    >>> from allocator.data import load_example
    >>> p = load_example()
    >>> Checker(p)({"2022-R2-01": 400_000}).ok
    True
    """

    def __init__(self, problem: Problem) -> None:

        self.problem = problem
        self.levels = [set(grant_levels(problem, i)) for i in range(len(problem.applications))]
        s = score(problem)
        self.eligible = s.eligible.tolist()
        self.reasons = s.reasons
        labels = rule_labels(problem.rules)
        self.rules = [_check_rule(problem, k, rule, labels[k]) for k, rule in enumerate(problem.rules)]

    def __call__(self, decisions: Any) -> CheckResult:
        """Check one set of decisions (a Solution, a dict id -> grant or a DataFrame)."""
        g = grants_of(self.problem, decisions)
        grant = [g[a.id] for a in self.problem.applications]
        out = self.violations(grant)
        return CheckResult(violations=tuple(out), total_granted=sum(grant), n_funded=sum(1 for x in grant if x))

    def violations(self, grant: list[int]) -> list[Violation]:
        """The violations of a grant vector in input order (whole kroner, not validated)."""
        problem = self.problem
        apps = problem.applications
        out: list[Violation] = []
        add = out.append
        for i, a in enumerate(apps):  # grant levels: 0, or a grant the application can receive
            if grant[i] and grant[i] not in self.levels[i]:
                lv = sorted(self.levels[i])
                why = (
                    f"all-or-nothing funding grants 0 or the request {a.requested}"
                    if not problem.options.partial
                    else f"possible grants are 0, {lv[0]} to {lv[-1]} in steps of {problem.options.step}"
                )
                add(
                    Violation(
                        rule="grant levels",
                        kind="levels",
                        part=a.id,
                        ids=(a.id,),
                        excess=abs(grant[i] - a.requested),
                        message=f"application {a.id!r}: a grant of {kr(grant[i])} is not possible; {why}",
                    )
                )
        total = sum(grant)
        if total > problem.frame:
            add(
                Violation(
                    rule="frame",
                    kind="frame",
                    excess=total - problem.frame,
                    message=f"the frame: {kr(total)} granted, the frame is {kr(problem.frame)} "
                    f"({kr(total - problem.frame)} over)",
                )
            )
        for i, a in enumerate(apps):
            if grant[i] and not self.eligible[i]:
                add(
                    Violation(
                        rule="eligibility",
                        kind="eligibility",
                        part=a.id,
                        ids=(a.id,),
                        excess=1,
                        unit="applications",
                        message=f"application {a.id!r} is funded but ineligible: {self.reasons[i]}",
                    )
                )
        for rule in self.rules:
            out.extend(rule(grant))
        return out


def _check_rule(problem: Problem, k: int, rule: Any, label: str) -> Callable[[list[int]], list[Violation]]:
    """A function evaluating ``rule`` on a grant vector, with the rule's data read once."""
    apps = problem.applications
    w = rule_where(rule, k)
    idx = select(rule, problem, where=w)
    frame = Fraction(problem.frame)
    kind = rule.kind

    def bad(
        out: list[Violation], part: str, members: Sequence[int], excess: Fraction | int, unit: str, text: str
    ) -> None:
        name = f"{label!r} [{part}]" if part else repr(label)
        out.append(
            Violation(
                rule=label,
                kind=kind,
                part=part,
                ids=tuple(apps[i].id for i in members),
                excess=float(excess),
                unit=unit,
                message=f"{name}: {text}",
            )
        )

    def amounts(
        out: list[Violation],
        part: str,
        members: Sequence[int],
        total: Fraction | int,
        hi: Fraction | int | None,
        lo: Fraction | int | None,
    ) -> None:
        if hi is not None and total > hi:
            bad(
                out,
                part,
                members,
                total - hi,
                "kr",
                f"{kr(total)} granted, at most {kr(hi)} allowed ({kr(total - hi)} over)",
            )
        if lo is not None and total < lo:
            bad(
                out,
                part,
                members,
                lo - total,
                "kr",
                f"{kr(total)} granted, at least {kr(lo)} required ({kr(lo - total)} short)",
            )

    def counts(out: list[Violation], part: str, members: Sequence[int], n: int, hi: int | None, lo: int | None) -> None:
        if hi is not None and n > hi:
            bad(out, part, members, n - hi, "applications", f"{n} funded, at most {hi} allowed ({n - hi} too many)")
        if lo is not None and n < lo:
            bad(out, part, members, lo - n, "applications", f"{n} funded, at least {lo} required ({lo - n} short)")

    def least(*xs: Fraction | int | None) -> Fraction | int | None:
        given = [x for x in xs if x is not None]
        return min(given) if given else None

    def most(*xs: Fraction | int | None) -> Fraction | int | None:
        given = [x for x in xs if x is not None]
        return max(given) if given else None

    if isinstance(rule, GroupLimit):
        hi = least(rule.max_amount, None if rule.max_share is None else exact(rule.max_share) * frame)
        lo = most(rule.min_amount, None if rule.min_share is None else exact(rule.min_share) * frame)
        parts = groups(problem, idx, rule.per, w)

        def run(grant: list[int]) -> list[Violation]:
            out: list[Violation] = []
            for part, members in parts:
                amounts(out, part, members, sum(grant[i] for i in members), hi, lo)
                counts(out, part, members, sum(1 for i in members if grant[i]), rule.max_count, rule.min_count)
            return out

    elif isinstance(rule, (FundedCount, Exclusive)):
        hi_n = rule.max if isinstance(rule, FundedCount) else rule.at_most
        lo_n = rule.min if isinstance(rule, FundedCount) else None

        def run(grant: list[int]) -> list[Violation]:
            out: list[Violation] = []
            counts(out, "", idx, sum(1 for i in idx if grant[i]), hi_n, lo_n)
            return out

    elif isinstance(rule, MaxGrant):
        cap = least(rule.amount, None if rule.share is None else exact(rule.share) * frame)
        parts = groups(problem, idx, rule.per, w)

        def run(grant: list[int]) -> list[Violation]:
            out: list[Violation] = []
            for part, members in parts:
                amounts(out, part, members, sum(grant[i] for i in members), cap, None)
            return out

    elif isinstance(rule, CoFinancing):
        other = other_public(problem, rule, w)
        sh = exact(rule.share)
        limit = {i: sh * (apps[i].total_cost or 0) for i in idx}

        def run(grant: list[int]) -> list[Violation]:
            out: list[Violation] = []
            for i in idx:
                if grant[i] and grant[i] + other[i] > limit[i]:
                    what = f"grant {kr(grant[i])}" + (f" + other public funding {kr(other[i])}" if other[i] else "")
                    over = grant[i] + other[i] - limit[i]
                    bad(
                        out,
                        apps[i].id,
                        [i],
                        over,
                        "kr",
                        f"{what} exceeds {rule.share * 100:g} % of the project cost {kr(apps[i].total_cost or 0)} "
                        f"= {kr(limit[i])} (by {kr(over)})",
                    )
            return out

    elif isinstance(rule, DeMinimis):
        unders = undertakings(problem, rule, w)

        def run(grant: list[int]) -> list[Violation]:
            out: list[Violation] = []
            for u in unders:
                total = sum(grant[i] for i in u.apps)
                if total and total + u.received_nok > u.ceiling_nok:
                    over = total + u.received_nok - u.ceiling_nok
                    bad(
                        out,
                        u.name,
                        u.apps,
                        over,
                        "kr",
                        f"{kr(total)} granted + {kr(u.received_nok)} de minimis aid received in the window exceeds "
                        f"the ceiling {kr(u.ceiling_nok)} (by {kr(over)})",
                    )
            return out

    elif isinstance(rule, (MustFund, MustNotFund)):
        named = {i: apps[i].id if len(idx) > 1 or not rule.ids else "" for i in idx}
        amount = rule.amount if isinstance(rule, MustFund) else None
        fund = isinstance(rule, MustFund)

        def run(grant: list[int]) -> list[Violation]:
            out: list[Violation] = []
            for i in idx:
                if fund and amount is None and not grant[i]:
                    bad(out, named[i], [i], 1, "applications", f"application {apps[i].id!r} must be funded and is not")
                elif fund and amount is not None and grant[i] != amount:
                    bad(
                        out,
                        named[i],
                        [i],
                        abs(grant[i] - amount),
                        "kr",
                        f"application {apps[i].id!r} must receive {kr(amount)} and receives {kr(grant[i])}",
                    )
                elif not fund and grant[i]:
                    bad(
                        out,
                        named[i],
                        [i],
                        1,
                        "applications",
                        f"application {apps[i].id!r} must not be funded and receives {kr(grant[i])}",
                    )
            return out

    elif isinstance(rule, Requires):
        pos = {a.id: i for i, a in enumerate(apps)}
        need = {b: [pos[r] for r in rule.requires if pos[r] != b] for b in idx}
        joiner = " and " if rule.mode == "all" else " or "

        def run(grant: list[int]) -> list[Violation]:
            out: list[Violation] = []
            for b in idx:
                if not grant[b] or not need[b]:
                    continue
                missing = [a for a in need[b] if not grant[a]]
                if (rule.mode == "all" and missing) or (rule.mode == "any" and len(missing) == len(need[b])):
                    names = joiner.join(repr(apps[a].id) for a in missing)
                    bad(
                        out,
                        apps[b].id,
                        [b, *missing],
                        1,
                        "applications",
                        f"application {apps[b].id!r} is funded without {names}, which it requires",
                    )
            return out

    elif isinstance(rule, BudgetPots):
        pot = pots(problem, rule, w)
        members_of = {name: [i for i, p in enumerate(pot) if p == name] for name in rule.frames}

        def run(grant: list[int]) -> list[Violation]:
            out: list[Violation] = []
            for name, budget in rule.frames.items():
                members = members_of[name]
                amounts(out, name, members, sum(grant[i] for i in members), budget, None)
            return out

    elif isinstance(rule, MultiYear):
        shares = year_shares(problem, rule, w)

        def run(grant: list[int]) -> list[Violation]:
            out: list[Violation] = []
            for year, budget in rule.frames.items():
                members = [i for i in idx if shares[i][year] and grant[i]]
                total = sum((shares[i][year] * grant[i] for i in members), Fraction(0))
                amounts(out, year, members, total, budget, None)
            return out

    else:  # pragma: no cover - the union is closed
        raise TypeError(f"unknown rule {rule!r}")
    return run
