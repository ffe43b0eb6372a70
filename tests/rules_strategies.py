"""Hypothesis strategies for problems with rules (used by the tests of tests/rules and others).

``ruled_problems(kinds, partial=...)`` draws a small random call (from
:func:`tests.conftest.problems`), gives its applications categories, applicants, project
costs, regions, pots and year shares, and adds one to three random rules of the given
kinds. Small enough for :mod:`tests.brute` to enumerate every portfolio.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from allocator import Application, Problem
from allocator.model.rules import RULE_KINDS
from tests.brute import grant_levels
from tests.conftest import problems

__all__ = ["KINDS", "decorated", "relaxed", "ruled_problems"]

KINDS = tuple(RULE_KINDS)
CATEGORIES = ("cluster: water", "cluster: it", "network")
ORGS = ("Org A", "Org B", "Org C")
REGIONS = ("Telemark", "Vestfold")


@st.composite
def decorated(draw: st.DrawFn, base: Problem) -> Problem:
    """``base`` with categories, applicants, costs and other columns for rules to use."""
    apps = []
    for a in base.applications:
        y1 = draw(st.sampled_from([0.5, 0.25, 1.0, 0.0, 0.75]))
        apps.append(
            Application(
                id=a.id,
                requested=a.requested,
                minimum=a.minimum,
                scores=a.scores,
                category=draw(st.sampled_from(CATEGORIES)),
                applicant=draw(st.sampled_from(ORGS)),
                tags=tuple(draw(st.lists(st.sampled_from(["new", "green", "rural"]), max_size=2, unique=True))),
                total_cost=a.requested * draw(st.sampled_from([1, 2, 2, 3]))
                + draw(st.sampled_from([0, 5_000, 15_000]) | st.integers(0, 20_000)),
                attributes={
                    "region": draw(st.sampled_from(REGIONS)),
                    "other": draw(st.sampled_from([0, 0, 10_000, 20_000]) | st.integers(0, 30_000)),
                    "pot": draw(st.sampled_from(["a", "b"])),
                    "y1": y1,
                    "y2": 1 - y1,
                },
            )
        )
    return base._rebuilt(applications=apps)


def _present(p: Problem, column: str) -> list[Any]:
    vals = [getattr(a, column) if column in ("category", "applicant") else a.attributes[column] for a in p.applications]
    return sorted(set(vals), key=str)


@st.composite
def _selector(draw: st.DrawFn, p: Problem, *, allow_all: bool = True) -> dict[str, Any]:
    how = draw(
        st.sampled_from(
            ["all", "category", "glob", "where", "ids", "tag"] if allow_all else ["category", "glob", "where", "ids"]
        )
    )
    if how == "category":
        return {"category": draw(st.sampled_from(_present(p, "category")))}
    if how == "glob":
        cats = _present(p, "category")
        if any(c.startswith("cluster") for c in cats):
            return {"category": "cluster*"}
        return {"category": cats[0]}
    if how == "where":
        return {"where": {"region": draw(st.sampled_from(_present(p, "region")))}}
    if how == "ids":
        ids = [a.id for a in p.applications]
        return {"ids": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=min(3, len(ids)), unique=True))}
    if how == "tag":
        tags = sorted({t for a in p.applications for t in a.tags})
        if tags:
            return {"tag": draw(st.sampled_from(tags))}
    return {}


def _amount(draw: st.DrawFn, p: Problem, hi: int | None = None) -> int:
    """A round amount (10 000 kr steps, some 5 000 above), or any whole amount up to ``hi``."""
    top = hi if hi is not None else p.total_requested
    if draw(st.booleans()):
        return draw(st.integers(0, max(1, top)))
    return draw(st.integers(0, max(1, top // 10_000))) * 10_000 + draw(st.sampled_from([0, 0, 5_000]))


def _years_back(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _edge_days(decision: dt.date) -> list[dt.date]:
    """Days at the edges of the de minimis windows of ``decision``: three and two years back
    and a day either side, the first days of the fiscal years, the decision and the day after."""
    one = dt.timedelta(days=1)
    three, two = _years_back(decision, 3), _years_back(decision, 2)
    return [
        three - one,
        three,
        three + one,
        two - one,
        two,
        two + one,
        dt.date(decision.year - 3, 12, 31),
        dt.date(decision.year - 2, 1, 1),
        dt.date(decision.year - 1, 1, 1),
        decision,
        decision + one,
    ]


@st.composite
def rule_of(draw: st.DrawFn, kind: str, p: Problem, *, shares: bool = True) -> dict[str, Any]:
    """A random rule (as a dict) of ``kind`` that fits the data of ``p``."""
    ids = [a.id for a in p.applications]
    r: dict[str, Any] = {"kind": kind}
    if kind == "group":
        r.update(draw(_selector(p)))
        r["per"] = draw(st.sampled_from([None, None, "category", "region", "applicant"]))
        limits = draw(
            st.lists(
                st.sampled_from(
                    ["max_amount", "min_amount", "max_share", "min_share", "max_count", "min_count"]
                    if shares
                    else ["max_amount", "min_amount", "max_count", "min_count"]
                ),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
        for lim in limits:
            if lim.endswith("amount"):
                r[lim] = _amount(draw, p, p.frame)
            elif lim.endswith("share"):
                r[lim] = draw(st.sampled_from([0.1, 0.25, 0.4, 0.5, 0.75]))
            else:
                r[lim] = draw(st.integers(0, 3))
        for a, b in (("min_amount", "max_amount"), ("min_share", "max_share"), ("min_count", "max_count")):
            if a in r and b in r and r[a] > r[b]:
                r[a], r[b] = r[b], r[a]
    elif kind == "count":
        r.update(draw(_selector(p)))
        lo = draw(st.one_of(st.none(), st.integers(0, 3)))
        hi = draw(st.one_of(st.none(), st.integers(0, 4)))
        if lo is None and hi is None:
            hi = 2
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        r.update({"min": lo, "max": hi})
    elif kind == "max_grant":
        r.update(draw(_selector(p)))
        r["per"] = draw(st.sampled_from(["application", "applicant", "region"]))
        if shares and draw(st.booleans()):
            r["share"] = draw(st.sampled_from([0.1, 0.2, 0.35, 0.5]))
        else:
            r["amount"] = _amount(draw, p, max(a.requested for a in p.applications))
    elif kind == "co_financing":
        r.update(draw(_selector(p)))
        r["share"] = draw(st.sampled_from([0.3, 0.5, 0.75, 1.0, 0.37, 0.333]))
        r["other_public"] = draw(st.sampled_from([None, "other"]))
    elif kind == "de_minimis":
        r.update(draw(_selector(p)))
        decision = draw(
            st.sampled_from(
                [
                    dt.date(2022, 11, 15),
                    dt.date(2023, 12, 31),
                    dt.date(2024, 1, 1),
                    dt.date(2024, 6, 1),
                    dt.date(2028, 2, 29),
                    dt.date(2027, 3, 1),
                ]
            )
        )
        r["decision_date"] = decision
        r["eur_nok"] = draw(st.sampled_from([10.0, 11.5, 11.37]))
        # ceilings and earlier aid of the size of the requests, so that every entry of the
        # ledger can decide what fits (and sometimes the regulation's own ceiling)
        biggest = max(a.requested for a in p.applications)
        if draw(st.integers(0, 3)):
            r["ceiling_eur"] = draw(st.integers(1, max(1, p.total_requested // 10)))
            amounts = st.integers(0, max(1, biggest // 10))
        else:
            amounts = st.integers(170_000, 200_000)
        r["window"] = draw(st.sampled_from(["auto", "auto", "rolling", "fiscal"]))
        r["ledger"] = []
        for _ in range(draw(st.integers(0, 4))):
            currency = draw(st.sampled_from(["EUR", "EUR", "NOK"]))
            r["ledger"].append(
                {
                    "organisation": draw(st.sampled_from(ORGS)),
                    "date": draw(st.sampled_from(_edge_days(decision))),
                    "amount": draw(amounts) * (1 if currency == "EUR" else 10),
                    "currency": currency,
                }
            )
    elif kind == "must_fund":
        i = draw(st.sampled_from(ids))
        r["ids"] = [i]
        if draw(st.booleans()):
            r["amount"] = draw(st.sampled_from(grant_levels(p, p.application(i))[1:]))
    elif kind == "must_not_fund":
        r["ids"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
    elif kind == "exclusive":
        r["ids"] = draw(
            st.lists(st.sampled_from(ids), min_size=min(2, len(ids)), max_size=min(3, len(ids)), unique=True)
        )
        r["at_most"] = draw(st.integers(0, 2))
    elif kind == "requires":
        b = draw(st.sampled_from(ids))
        r["ids"] = [b]
        r["requires"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
        r["mode"] = draw(st.sampled_from(["all", "any"]))
    elif kind == "pots":
        r["column"] = "pot"
        r["frames"] = {"a": _amount(draw, p, p.frame), "b": _amount(draw, p, p.frame)}
    elif kind == "multi_year":
        r["frames"] = {"2023": _amount(draw, p, p.frame), "2024": _amount(draw, p, p.frame)}
        if draw(st.booleans()):
            r["columns"] = {"2023": "y1", "2024": "y2"}
        else:
            s = draw(st.sampled_from([0.5, 0.3, 0.8]))
            r["split"] = {"2023": s, "2024": round(1 - s, 10)}
    else:  # pragma: no cover
        raise ValueError(kind)
    return {k: v for k, v in r.items() if v is not None}


@st.composite
def ruled_problems(
    draw: st.DrawFn,
    kinds: tuple[str, ...] = KINDS,
    *,
    partial: bool = False,
    max_rules: int = 2,
    thresholds: bool = False,
    shares: bool = True,
) -> Problem:
    """A small random problem with 1..max_rules rules drawn from ``kinds``."""
    base = draw(
        problems(
            max_n=4 if partial else 7, partial=partial, thresholds=thresholds, max_request_steps=4 if partial else 30
        )
    )
    p = draw(decorated(base))
    rules = [
        draw(rule_of(draw(st.sampled_from(kinds)), p, shares=shares)) for _ in range(draw(st.integers(1, max_rules)))
    ]
    for k, r in enumerate(rules):
        r["label"] = f"r{k}-{r['kind']}"
    return p._rebuilt(rules=rules)


def relaxed(p: Problem, keep: set[str]) -> Problem:
    """``p`` with only the rules labelled in ``keep``; without the frame (a frame of every
    request) unless ``"frame"`` is kept, and without thresholds unless ``"eligibility"`` is."""
    from allocator.model.validate import rule_labels

    labels = rule_labels(p.rules)
    rules = [_in_kroner(r, p.frame) for r, name in zip(p.rules, labels, strict=True) if name in keep]
    update: dict[str, Any] = {"rules": rules}
    if "frame" not in keep:
        update["frame"] = p.total_requested
    if "eligibility" not in keep:
        update["criteria"] = [c.model_copy(update={"threshold": None}) for c in p.criteria]
        update["options"] = p.options.model_copy(update={"min_total_score": None})
    return p._rebuilt(**update)


def _in_kroner(rule: Any, frame: int) -> Any:
    """``rule`` with its shares of the frame written as the amounts they stand for (rounded
    the safe way: caps down, floors up), so that it means the same under another frame."""
    from fractions import Fraction
    from math import ceil, floor

    def f(x: float) -> Fraction:
        return Fraction(repr(x)) * frame

    upd: dict[str, Any] = {}
    if rule.kind == "group":
        if rule.max_share is not None:
            cap = floor(f(rule.max_share))
            upd |= {"max_share": None, "max_amount": cap if rule.max_amount is None else min(cap, rule.max_amount)}
        if rule.min_share is not None:
            low = ceil(f(rule.min_share))
            upd |= {"min_share": None, "min_amount": low if rule.min_amount is None else max(low, rule.min_amount)}
        if (
            "max_amount" in upd
            and "min_amount" not in upd
            and rule.min_amount is not None
            and rule.min_amount > upd["max_amount"]
        ):
            pass  # a rule at odds with itself stays so
    elif rule.kind == "max_grant" and rule.share is not None:
        cap = floor(f(rule.share))
        upd = {"share": None, "amount": cap if rule.amount is None else min(cap, rule.amount)}
    if not upd:
        return rule
    data = rule.model_dump() | upd
    return type(rule).model_construct(**data)  # no validation: min > max must stay expressible
