"""Rules against the problem's data: validation, and the per-application values rules read.

:func:`validate_rules` runs when a :class:`~allocator.model.problem.Problem` is built, so a rule
naming an unknown column, category or id, a co-financing rule on an application without a
project cost, a lock at an amount the application cannot receive, or a pot nobody funds is
reported at once, as one :class:`~allocator.exceptions.PolicyError`.

The readers (:func:`other_public`, :func:`year_shares`, :func:`pots`, :func:`undertakings`)
interpret the data the same way for the constraints and for the independent checker: what
a cell *means* is defined once; how a rule is *enforced* and how it is *checked* are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from allocator.exceptions import PolicyError
from allocator.model.call import Call
from allocator.model.ledger import ceiling_eur, received_nok
from allocator.model.levels import levels
from allocator.model.normalise import exact
from allocator.model.rules import (
    BudgetPots,
    CoFinancing,
    DeMinimis,
    GroupLimit,
    MaxGrant,
    MultiYear,
    MustFund,
    Requires,
    parse_share,
)
from allocator.model.selectors import (
    _key,
    _missing,
    column_values,
    groups,
    resolve_column,
    rule_where,
    select,
    unknown,
)

__all__ = [
    "Undertaking",
    "grant_levels",
    "other_public",
    "pots",
    "rule_labels",
    "undertakings",
    "validate_rules",
    "year_shares",
]


def rule_labels(rules: Sequence[Any]) -> list[str]:
    """The name of each rule in messages: its label, else its description; unique."""
    names = [r.display for r in rules]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [f"{n} (rule {k + 1})" if seen[n] > 1 else n for k, n in enumerate(names)]


def grant_levels(problem: Call, i: int) -> list[int]:
    """The grants application ``i`` can receive above 0, ascending."""
    return levels(problem.applications[i], problem.options).amounts()


def _whole(v: Any, where: str) -> int:
    if _missing(v):
        return 0
    if isinstance(v, bool):
        raise PolicyError(f"{where}: {v!r} is not an amount; give whole kroner (0 if none)")
    if isinstance(v, str):
        s = v.replace("\u00a0", "").replace(" ", "").replace("_", "")
        if s.isdigit():
            return int(s)
        raise PolicyError(f"{where}: {v!r} is not a whole amount; give whole kroner (0 if none)")
    if isinstance(v, float):
        if not v.is_integer():
            raise PolicyError(f"{where}: {v!r} is not a whole amount; give whole kroner (0 if none)")
        v = int(v)
    if not isinstance(v, int) or v < 0:
        raise PolicyError(f"{where}: {v!r} is not an amount of at least 0; give whole kroner (0 if none)")
    return v


def other_public(problem: Call, rule: CoFinancing, where: str | None = None) -> list[int]:
    """Other public funding declared by each application (0 without the column or a value)."""
    where = where or rule_where(rule)
    if rule.other_public is None:
        return [0] * len(problem.applications)
    col = resolve_column(problem, rule.other_public, where)
    vals = column_values(problem, col)
    return [
        _whole(v, f"{where}, application {a.id!r}, column {col!r}")
        for a, v in zip(problem.applications, vals, strict=True)
    ]


def year_shares(problem: Call, rule: MultiYear, where: str | None = None) -> list[dict[str, Fraction]]:
    """Each application's share of its grant per year, exact, adding up to 1."""
    where = where or rule_where(rule)
    years = list(rule.frames)
    default = {y: exact(rule.split.get(y, 0.0)) for y in years}
    cols = {y: resolve_column(problem, c, where) for y, c in rule.columns.items()}
    data = {y: column_values(problem, c) for y, c in cols.items()}
    out = []
    for i, a in enumerate(problem.applications):
        if not cols:
            out.append(dict(default))
            continue
        sh: dict[str, Fraction] = {}
        for y in years:
            v = data[y][i] if y in data else None
            if _missing(v):
                sh[y] = default[y] if not rule.columns else Fraction(0)
                continue
            try:
                sh[y] = exact(parse_share(v))
            except ValueError as exc:
                raise PolicyError(f"{where}, application {a.id!r}, column {cols[y]!r}: {exc}") from None
        if sum(sh.values()) != 1:
            if all(v == 0 for v in sh.values()) and rule.split:
                sh = dict(default)
            else:
                total = float(sum(sh.values()))
                raise PolicyError(
                    f"{where}, application {a.id!r}: its shares per year add up to {total:.4g}, not 1; "
                    f"make the columns {list(cols.values())} add up to 100 % in every row"
                )
        out.append(sh)
    return out


def pots(problem: Call, rule: BudgetPots, where: str | None = None) -> list[str | None]:
    """The pot each application draws on (its key in ``rule.frames``; None if unselected)."""
    where = where or rule_where(rule)
    col = resolve_column(problem, rule.column, where)
    vals = column_values(problem, col)
    keys = {_key(k): k for k in rule.frames}
    chosen = set(select(rule, problem, where=where))
    out: list[str | None] = []
    for i, (a, v) in enumerate(zip(problem.applications, vals, strict=True)):
        if i not in chosen:
            out.append(None)
            continue
        if _missing(v):
            if rule.default is None:
                raise PolicyError(
                    f"{where}, application {a.id!r}: column {col!r} is empty; name its pot, "
                    "or give the rule a default pot"
                )
            out.append(rule.default)
            continue
        k = keys.get(_key(v))
        if k is None:
            raise unknown(
                f"{where}, application {a.id!r}, column {col!r}", "names the pot", v, list(rule.frames), "pots"
            )
        out.append(k)
    return out


@dataclass(frozen=True)
class Undertaking:
    """One single undertaking under a de minimis rule: its applications and room left."""

    name: str
    apps: tuple[int, ...]
    received_nok: Fraction
    ceiling_nok: Fraction
    room: int


def undertakings(problem: Call, rule: DeMinimis, where: str | None = None) -> list[Undertaking]:
    """The undertakings among the selected applications, with the de minimis room of each."""
    from math import floor

    where = where or rule_where(rule)
    rate = exact(rule.eur_nok)
    cap = Fraction(rule.ceiling_eur if rule.ceiling_eur is not None else ceiling_eur(rule.decision_date)) * rate
    idx = select(rule, problem, where=where)
    col = resolve_column(problem, rule.undertaking, where)
    names = column_values(problem, col)
    for i in idx:
        if _missing(names[i]):
            raise PolicyError(
                f"{where}, application {problem.applications[i].id!r}: column {col!r} is empty; "
                "name the undertaking (organisation) of every application the de minimis rule covers"
            )
    out = []
    for name, members in groups(problem, idx, rule.undertaking, where):
        got = received_nok(rule.ledger, name, decision_date=rule.decision_date, eur_nok=rate, window=rule.window)
        out.append(Undertaking(name, tuple(members), got, cap, max(0, floor(cap - got))))
    return out


def validate_rules(problem: Call, rules: Sequence[Any] | None = None, *, where: Sequence[str] | None = None) -> None:
    """Check every rule against the problem's data; one PolicyError for the first mistake."""
    rules = problem.rules if rules is None else rules
    explicit: dict[str, int] = {}
    for k, rule in enumerate(rules):
        w = where[k] if where is not None else rule_where(rule, k)
        if rule.label:
            if rule.label in explicit:
                raise PolicyError(
                    f"{w}: rules {explicit[rule.label] + 1} and {k + 1} are both labelled {rule.label!r}; "
                    "give each rule its own label"
                )
            explicit[rule.label] = k
        idx = select(rule, problem, where=w)
        if isinstance(rule, (GroupLimit, MaxGrant)) and rule.per is not None:
            groups(problem, idx, rule.per, w)
        if isinstance(rule, CoFinancing):
            for i in idx:
                a = problem.applications[i]
                if a.total_cost is None:
                    raise PolicyError(
                        f"{w}: application {a.id!r} has no project cost; the co-financing rule needs "
                        "the total cost of every application it covers (the total_cost column)"
                    )
            other_public(problem, rule, w)
        elif isinstance(rule, DeMinimis):
            resolve_column(problem, rule.undertaking, w)
            undertakings(problem, rule, w)
        elif isinstance(rule, MustFund) and rule.amount is not None:
            for i in idx:
                lv = grant_levels(problem, i)
                if rule.amount not in lv:
                    a = problem.applications[i]
                    if not problem.options.partial:
                        fix = f"with all-or-nothing funding the only grant is its request {a.requested}"
                    else:
                        fix = f"its possible grants are {lv[0]} to {lv[-1]} in steps of {problem.options.step}"
                        if len(lv) > 1 and (lv[-1] - lv[0]) % problem.options.step:
                            fix += f" (and its request {a.requested})"
                    raise PolicyError(f"{w}: application {a.id!r} cannot receive {rule.amount}; {fix}")
        elif isinstance(rule, Requires):
            ids = {a.id for a in problem.applications}
            for r in rule.requires:
                if r not in ids:
                    raise unknown(w, "requires unknown application id", r, sorted(ids), "ids")
        elif isinstance(rule, BudgetPots):
            pots(problem, rule, w)
        elif isinstance(rule, MultiYear):
            year_shares(problem, rule, w)
