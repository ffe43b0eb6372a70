"""An independent oracle for the call's rules, written from their documentation.

Nothing here comes from :mod:`allocator.rules` (selectors, ledger, validation, rows or the
checker), :mod:`allocator.model.scoring` or the formulation: the rules are read from the problem's
data (the rule objects' fields, the applications' fields and columns) and evaluated in plain
Python with exact fractions, from what the README, the rule classes' docstrings and the
module docstrings of ``allocator.rules`` say:

selectors
    ``ids``, ``category``, ``tag`` and ``where`` must all hold; a list means any of its
    values; no field selects every application. Text is matched ignoring case and extra
    spaces, ``*`` and ``?`` are wildcards, numbers compare as numbers; a tag matches if the
    application has it; ``where`` reads a field (``applicant``, ``category``, ...) or a
    column of the input table.
``per``
    One group per value of the column (empty cells in no group; values compared ignoring
    case and spaces); ``per="application"``: one group per application.
group
    The total granted to each group within ``[min_amount, max_amount]`` and within
    ``[min_share, max_share]`` of the frame; the number funded within
    ``[min_count, max_count]``.
count, exclusive
    The number funded among the selected within ``[min, max]`` / at most ``at_most``.
max_grant
    The total to each group (default per application) at most ``amount`` and at most
    ``share`` of the frame.
co_financing
    A funded application's grant, plus the other public funding in the ``other_public``
    column when given (empty: 0), at most ``share`` of its project cost. An application
    not funded receives nothing and breaks nothing.
de_minimis
    Per single undertaking (the ``undertaking`` column, default the applicant): what it is
    granted now plus the de minimis aid it received inside the window, in kroner at the rate
    as typed, at most the ceiling (``ceiling_eur``, else EUR 300 000 for decisions from
    2024-01-01 and EUR 200 000 before) times the rate. The window ends on the decision date;
    ``rolling``: it holds the days after the same date three years earlier (from 29 February
    counted back to 28 February), ``fiscal``: the decision's year and the two before;
    ``auto``: rolling from 2024-01-01, fiscal before. Ledger organisations match the
    undertaking ignoring case and extra spaces. An undertaking granted nothing now breaks
    nothing.
must_fund, must_not_fund
    Each selected application funded (at exactly ``amount`` when given) / not funded.
requires
    A selected application funded only if every (``mode="all"``) or at least one (``"any"``)
    of the applications it requires is funded; an application is never its own requirement.
pots
    Each selected application draws on the pot its ``column`` names (empty: the ``default``
    pot); each pot's total at most its frame.
multi_year
    Each year, the sum over the selected applications of the grant times the application's
    share of that year (its column in ``columns``, else ``split``) at most the year's frame.

Frame, grant levels and eligibility are left to :mod:`tests.brute`, which enumerates only
portfolios that respect them; :meth:`RuleOracle.admissible` checks those too, for a
portfolio from anywhere else.

Hand cases at the edges of the de minimis window and ceiling are in
``tests/rules/test_oracle.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from fractions import Fraction
from typing import Any

from allocator.model import Application, Problem
from tests.brute import grant_levels, ineligibility

__all__ = ["RuleOracle", "ceiling_eur", "de_minimis_counts"]

_FIELDS = ("id", "title", "applicant", "category", "tags", "requested", "minimum", "total_cost")


def _text(v: Any) -> str:
    return " ".join(str(v).split()).casefold()


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _number(v: Any) -> Fraction | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, float):
        return Fraction(repr(v)) if v == v else None
    if isinstance(v, str):
        try:
            return Fraction(v.strip().replace(",", ".").replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _exact(x: float | int) -> Fraction:
    return Fraction(x) if isinstance(x, int) else Fraction(repr(x))


def _cell_matches(cell: Any, wanted: Any) -> bool:
    if isinstance(cell, tuple):
        return any(_cell_matches(c, wanted) for c in cell)
    if _empty(cell):
        return _empty(wanted)
    wild = isinstance(wanted, str) and any(ch in wanted for ch in "*?")
    a, b = _number(cell), _number(wanted)
    if not wild and a is not None and b is not None and not isinstance(cell, bool) and not isinstance(wanted, bool):
        return a == b
    if wild:
        return fnmatchcase(_text(cell), _text(wanted))
    return _text(cell) == _text(wanted)


def _column(app: Application, name: str) -> Any:
    for f in _FIELDS:
        if _text(f) == _text(name):
            return getattr(app, f)
    for k, v in app.attributes.items():
        if k == name:
            return v
    for k, v in app.attributes.items():
        if _text(k) == _text(name):
            return v
    raise KeyError(name)


def _selected(rule: Any, apps: list[Application]) -> list[int]:
    out = []
    for i, a in enumerate(apps):
        ok = True
        if getattr(rule, "ids", ()):
            ok = a.id in rule.ids
        if ok and getattr(rule, "category", ()):
            ok = any(_cell_matches(a.category, c) for c in rule.category)
        if ok and getattr(rule, "tag", ()):
            ok = any(_cell_matches(a.tags, t) for t in rule.tag)
        for col, values in (getattr(rule, "where", None) or {}).items():
            ok = ok and any(_cell_matches(_column(a, col), v) for v in values)
        if ok:
            out.append(i)
    return out


def _groups(apps: list[Application], members: list[int], per: str | None) -> list[list[int]]:
    if per is None:
        return [members]
    if _text(per) == "application":
        return [[i] for i in members]
    by: dict[str, list[int]] = {}
    for i in members:
        v = _column(apps[i], per)
        for x in v if isinstance(v, tuple) else (v,):
            if not _empty(x):
                by.setdefault(_text(x), []).append(i)
    return list(by.values())


def ceiling_eur(decision: dt.date) -> int:
    """EUR 300 000 for aid granted from 1 January 2024, EUR 200 000 before."""
    return 300_000 if (decision.year, decision.month, decision.day) >= (2024, 1, 1) else 200_000


def de_minimis_counts(day: dt.date, decision: dt.date, window: str = "auto") -> bool:
    """Whether aid granted on ``day`` counts against a grant decided on ``decision``.

    Rolling: ``day`` is after the date three years before the decision (29 February goes
    back to 28 February), and not after the decision; compared as (year, month, day) with
    three years added to ``day``, so no date arithmetic is shared with the library.
    """
    if window == "auto":
        window = "rolling" if (decision.year, decision.month, decision.day) >= (2024, 1, 1) else "fiscal"
    if (day.year, day.month, day.day) > (decision.year, decision.month, decision.day):
        return False
    if window == "fiscal":
        return day.year >= decision.year - 2
    back = (decision.year - 3, decision.month, decision.day)
    if (decision.month, decision.day) == (2, 29):
        back = (decision.year - 3, 2, 28)
    return (day.year, day.month, day.day) > back


Check = Callable[[dict[str, int]], bool]


class RuleOracle:
    """Every rule of ``problem`` as a predicate on grants by id (see the module docstring)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.apps = list(problem.applications)
        self.checks: list[tuple[str, Check]] = [
            (getattr(r, "label", "") or f"rule {k + 1}", self._compile(r)) for k, r in enumerate(problem.rules)
        ]

    # ------------------------------------------------------------------ verdicts
    def broken(self, grants: Mapping[str, int]) -> list[str]:
        """Labels of the rules ``grants`` breaks (ids not given get 0)."""
        g = {a.id: int(grants.get(a.id, 0)) for a in self.apps}
        return [name for name, ok in self.checks if not ok(g)]

    def __call__(self, grants: Mapping[str, int]) -> bool:
        """True when ``grants`` breaks no rule (a ``feasible`` predicate for tests.brute)."""
        g = {a.id: int(grants.get(a.id, 0)) for a in self.apps}
        return all(ok(g) for _, ok in self.checks)

    def admissible(self, grants: Mapping[str, int]) -> bool:
        """Also the frame, each grant a possible level and no ineligible application funded."""
        p = self.problem
        g = {a.id: int(grants.get(a.id, 0)) for a in self.apps}
        if sum(g.values()) > p.frame:
            return False
        for a in self.apps:
            if g[a.id] and (g[a.id] not in grant_levels(p, a) or ineligibility(p, a)):
                return False
        return self(g)

    # ------------------------------------------------------------------ the rules
    def _compile(self, rule: Any) -> Check:
        apps = self.apps
        ids = [a.id for a in apps]
        frame = Fraction(self.problem.frame)
        kind = rule.kind
        sel = [ids[i] for i in _selected(rule, apps)]

        def within(x: Fraction | int, lo: Fraction | int | None, hi: Fraction | int | None) -> bool:
            return (lo is None or x >= lo) and (hi is None or x <= hi)

        def share(x: float | None) -> Fraction | None:
            return None if x is None else _exact(x) * frame

        def tightest(values: Iterable[Fraction | int | None], pick: Callable[..., Any]) -> Fraction | int | None:
            given = [v for v in values if v is not None]
            return pick(given) if given else None

        if kind == "group":
            parts = [[ids[i] for i in grp] for grp in _groups(apps, _selected(rule, apps), rule.per)]
            hi = tightest((rule.max_amount, share(rule.max_share)), min)
            lo = tightest((rule.min_amount, share(rule.min_share)), max)
            return lambda g: all(
                within(sum(g[i] for i in part), lo, hi)
                and within(sum(1 for i in part if g[i]), rule.min_count, rule.max_count)
                for part in parts
            )
        if kind == "count":
            return lambda g: within(sum(1 for i in sel if g[i]), rule.min, rule.max)
        if kind == "exclusive":
            return lambda g: sum(1 for i in sel if g[i]) <= rule.at_most
        if kind == "max_grant":
            parts = [[ids[i] for i in grp] for grp in _groups(apps, _selected(rule, apps), rule.per)]
            cap = tightest((rule.amount, share(rule.share)), min)
            return lambda g: all(sum(g[i] for i in part) <= cap for part in parts)  # type: ignore[operator]
        if kind == "co_financing":
            limit: dict[str, Fraction] = {}
            for i in _selected(rule, apps):
                a = apps[i]
                other = 0 if rule.other_public is None else _column(a, rule.other_public)
                other = 0 if _empty(other) else _number(other)
                limit[a.id] = _exact(rule.share) * (a.total_cost or 0) - other
            return lambda g: all(not g[i] or g[i] <= limit[i] for i in limit)
        if kind == "de_minimis":
            rate = _exact(rule.eur_nok)
            cap = Fraction(rule.ceiling_eur if rule.ceiling_eur is not None else ceiling_eur(rule.decision_date)) * rate
            unders: dict[str, list[str]] = {}
            for i in _selected(rule, apps):
                unders.setdefault(_text(_column(apps[i], rule.undertaking)), []).append(ids[i])
            received = {
                u: sum(
                    (
                        Fraction(e.amount) * (rate if e.currency.upper() == "EUR" else 1)
                        for e in rule.ledger
                        if _text(e.organisation) == u and de_minimis_counts(e.date, rule.decision_date, rule.window)
                    ),
                    Fraction(0),
                )
                for u in unders
            }
            return lambda g: all(
                not sum(g[i] for i in m) or sum(g[i] for i in m) + received[u] <= cap for u, m in unders.items()
            )
        if kind == "must_fund":
            return lambda g: all(g[i] > 0 and (rule.amount is None or g[i] == rule.amount) for i in sel)
        if kind == "must_not_fund":
            return lambda g: all(g[i] == 0 for i in sel)
        if kind == "requires":
            need = {b: [r for r in rule.requires if r != b] for b in sel}
            want = all if rule.mode == "all" else any
            return lambda g: all(not g[b] or not need[b] or want(g[r] > 0 for r in need[b]) for b in sel)
        if kind == "pots":
            pot_of: dict[str, str] = {}
            names = {_text(k): k for k in rule.frames}
            for i in _selected(rule, apps):
                v = _column(apps[i], rule.column)
                pot_of[ids[i]] = rule.default if _empty(v) else names[_text(v)]
            return lambda g: all(
                sum(g[i] for i, pot in pot_of.items() if pot == name) <= budget for name, budget in rule.frames.items()
            )
        if kind == "multi_year":
            shares: dict[str, dict[str, Fraction]] = {}
            for i in _selected(rule, apps):
                a = apps[i]
                if rule.columns:
                    shares[a.id] = {}
                    for y in rule.frames:
                        v = _column(a, rule.columns[y]) if y in rule.columns else None
                        shares[a.id][y] = Fraction(0) if _empty(v) else _share_cell(v)
                else:
                    shares[a.id] = {y: _exact(rule.split.get(y, 0.0)) for y in rule.frames}
            return lambda g: all(
                sum((s[y] * g[i] for i, s in shares.items()), Fraction(0)) <= budget
                for y, budget in rule.frames.items()
            )
        raise AssertionError(f"the oracle does not know rule kind {kind!r}")


def _share_cell(v: Any) -> Fraction:
    """A share typed in a cell: 0.25, "25 %" or "0,25"."""
    if isinstance(v, str) and v.strip().endswith("%"):
        return Fraction(v.strip().rstrip("%").strip().replace(",", ".")) / 100
    x = _number(v)
    assert x is not None, v
    return x
