"""The rows each rule kind becomes, field by field, worked out by hand from the documentation.

The brute-force tests (test_rows_brute) judge the rows by the decisions they lead to; a
row's words (its part, its unit), its scale and the rows left out as redundant reach the
user through the diagnosis, the rule usage table and the report instead. Here one call with
three applications carries one rule of every kind, and :func:`allocator.rules.rows.rule_rows`
must give exactly the rows written below: which applications, the coefficient on each one's
grant and funded indicator, the bounds, the unit and the scale.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from allocator import Application, Criterion, Problem
from allocator.model.ledger import LedgerEntry
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
from allocator.rules.rows import rule_rows
from allocator.rules.usage import rule_usage

INF = float("inf")
FRAME = 1_000_000


def _apps() -> list[Application]:
    common: dict[str, Any] = {"scores": {"g": 5}}
    return [
        Application(
            id="A-1",
            requested=300_000,
            category="klynge prosess",
            applicant="Org1",
            total_cost=800_000,
            tags=("green",),
            attributes={"pot": "nord", "other": 100_000, "f1": 0.1234567891, "f2": 0.8765432109},
            **common,
        ),
        Application(
            id="A-2",
            requested=200_000,
            category="klynge vann",
            applicant="Org2",
            total_cost=300_000,
            attributes={"pot": "sør", "other": 0, "f1": 0.5, "f2": 0.5},
            **common,
        ),
        Application(
            id="B-1",
            requested=150_000,
            category="nettverk",
            applicant="Org1",
            total_cost=1_000_000,
            attributes={"pot": "nord", "other": 600_000, "f1": 0, "f2": 1},
            **common,
        ),
    ]


# (rule, the rows it must give: part, apps, grant coefficients, funded coefficients, lower, upper, unit, scale)
CASES: list[tuple[Any, list[tuple[str, list[int], list[float], list[float], float, float, str, int]]]] = [
    (
        # 35 % of 1 000 000 = 350 000; at least 100 000 and at most one application per theme
        GroupLimit(category="klynge*", per="category", max_share=0.35, min_amount=100_000, max_count=1),
        [
            ("klynge prosess", [0], [1.0], [0.0], 100_000, 350_000, "kr", 1),
            ("klynge prosess", [0], [0.0], [1.0], -INF, 1, "applications", 1),
            ("klynge vann", [1], [1.0], [0.0], 100_000, 350_000, "kr", 1),
            ("klynge vann", [1], [0.0], [1.0], -INF, 1, "applications", 1),
        ],
    ),
    (
        # the smaller of an amount and a share: 250 000 < 260 000; a floor of counts only
        GroupLimit(max_amount=260_000, max_share=0.25, min_count=2),
        [
            ("", [0, 1, 2], [1.0] * 3, [0.0] * 3, -INF, 250_000, "kr", 1),
            ("", [0, 1, 2], [0.0] * 3, [1.0] * 3, 2, INF, "applications", 1),
        ],
    ),
    (
        # shares of the frame rounded to whole kroner in the safe direction: floors up, caps down
        GroupLimit(min_share=0.1234567, max_share=0.3333333),
        [("", [0, 1, 2], [1.0] * 3, [0.0] * 3, 123_457, 333_333, "kr", 1)],
    ),
    (GroupLimit(min_share=0.1), [("", [0, 1, 2], [1.0] * 3, [0.0] * 3, 100_000, INF, "kr", 1)]),
    (FundedCount(min=1, max=2), [("", [0, 1, 2], [0.0] * 3, [1.0] * 3, 1, 2, "applications", 1)]),
    (FundedCount(max=2), [("", [0, 1, 2], [0.0] * 3, [1.0] * 3, -INF, 2, "applications", 1)]),
    (
        MaxGrant(share=0.25, amount=260_000),
        [(a, [i], [1.0], [0.0], -INF, 250_000, "kr", 1) for i, a in enumerate(["A-1", "A-2", "B-1"])],
    ),
    (
        MaxGrant(amount=120_000, per="applicant"),
        [
            ("Org1", [0, 2], [1.0] * 2, [0.0] * 2, -INF, 120_000, "kr", 1),
            ("Org2", [1], [1.0], [0.0], -INF, 120_000, "kr", 1),
        ],
    ),
    (
        # half the project cost less other public funding; never below 0
        CoFinancing(share=0.5, other_public="other"),
        [
            ("A-1", [0], [1.0], [0.0], -INF, 400_000 - 100_000, "kr", 1),
            ("A-2", [1], [1.0], [0.0], -INF, 150_000, "kr", 1),
            ("B-1", [2], [1.0], [0.0], -INF, 0, "kr", 1),
        ],
    ),
    (
        # EUR 50 000 at 10 kr = 500 000 kr; Org1 received EUR 10 000 in the window
        DeMinimis(
            decision_date=dt.date(2025, 1, 1),
            eur_nok=10,
            ceiling_eur=50_000,
            ledger=[LedgerEntry(organisation="Org1", date=dt.date(2024, 6, 1), amount=10_000, currency="EUR")],
        ),
        [
            ("Org1", [0, 2], [1.0] * 2, [0.0] * 2, -INF, 400_000, "kr", 1),
            ("Org2", [1], [1.0], [0.0], -INF, 500_000, "kr", 1),
        ],
    ),
    (MustFund(ids=["A-1"]), [("", [0], [0.0], [1.0], 1, INF, "applications", 1)]),
    (
        MustFund(ids=["A-1", "A-2"]),
        [("A-1", [0], [0.0], [1.0], 1, INF, "applications", 1), ("A-2", [1], [0.0], [1.0], 1, INF, "applications", 1)],
    ),
    (MustFund(tag="green"), [("A-1", [0], [0.0], [1.0], 1, INF, "applications", 1)]),
    (
        # an amount (all-or-nothing: the request itself) fixes the grant
        MustFund(category="klynge p*", amount=300_000),
        [("A-1", [0], [1.0], [0.0], 300_000, 300_000, "kr", 1)],
    ),
    (MustNotFund(ids=["B-1"]), [("", [2], [0.0], [1.0], -INF, 0, "applications", 1)]),
    (
        MustNotFund(ids=["A-1", "B-1"]),
        [
            ("A-1", [0], [0.0], [1.0], -INF, 0, "applications", 1),
            ("B-1", [2], [0.0], [1.0], -INF, 0, "applications", 1),
        ],
    ),
    (Exclusive(ids=["A-1", "A-2"]), [("", [0, 1], [0.0] * 2, [1.0] * 2, -INF, 1, "applications", 1)]),
    (
        Exclusive(ids=["A-1", "A-2", "B-1"], at_most=2),
        [("", [0, 1, 2], [0.0] * 3, [1.0] * 3, -INF, 2, "applications", 1)],
    ),
    (
        Requires(ids=["B-1"], requires=["A-1", "A-2"]),
        [
            ("B-1 needs A-1", [2, 0], [0.0] * 2, [1.0, -1.0], -INF, 0, "applications", 1),
            ("B-1 needs A-2", [2, 1], [0.0] * 2, [1.0, -1.0], -INF, 0, "applications", 1),
        ],
    ),
    (
        # an application that is itself required needs only the others
        Requires(ids=["A-1", "B-1"], requires=["A-1", "A-2"], mode="any"),
        [
            ("A-1", [0, 1], [0.0] * 2, [1.0, -1.0], -INF, 0, "applications", 1),
            ("B-1", [2, 0, 1], [0.0] * 3, [1.0, -1.0, -1.0], -INF, 0, "applications", 1),
        ],
    ),
    (Requires(ids=["A-1"], requires=["A-1"]), []),
    (
        Requires(ids=["A-1", "B-1"], requires=["A-1"]),
        [("B-1 needs A-1", [2, 0], [0.0] * 2, [1.0, -1.0], -INF, 0, "applications", 1)],
    ),
    (
        BudgetPots(column="pot", frames={"nord": 400_000, "sør": 300_000}),
        [
            ("nord", [0, 2], [1.0] * 2, [0.0] * 2, -INF, 400_000, "kr", 1),
            ("sør", [1], [1.0], [0.0], -INF, 300_000, "kr", 1),
        ],
    ),
    (
        # shares in tenths: the rows count tenths of kroner, the frames scaled alike
        MultiYear(frames={"2025": 150_000, "2026": 600_000}, split={"2025": 0.3, "2026": 0.7}),
        [
            ("2025", [0, 1, 2], [3.0] * 3, [0.0] * 3, -INF, 1_500_000, "kr", 10),
            ("2026", [0, 1, 2], [7.0] * 3, [0.0] * 3, -INF, 6_000_000, "kr", 10),
        ],
    ),
    (
        # fifths: the scale is the least common denominator, 5
        MultiYear(frames={"2025": 150_000, "2026": 600_000}, split={"2025": 0.2, "2026": 0.8}),
        [
            ("2025", [0, 1, 2], [1.0] * 3, [0.0] * 3, -INF, 750_000, "kr", 5),
            ("2026", [0, 1, 2], [4.0] * 3, [0.0] * 3, -INF, 3_000_000, "kr", 5),
        ],
    ),
    (
        # billionths: the largest scale still used
        MultiYear(frames={"2025": 150_000, "2026": 600_000}, split={"2025": 0.000000001, "2026": 0.999999999}),
        [
            ("2025", [0, 1, 2], [1.0] * 3, [0.0] * 3, -INF, 150_000 * 10**9, "kr", 10**9),
            ("2026", [0, 1, 2], [999_999_999.0] * 3, [0.0] * 3, -INF, 600_000 * 10**9, "kr", 10**9),
        ],
    ),
    (
        # shares in 1e-10: too fine to scale to integers, kept as they are; a share of 0 leaves the row
        MultiYear(frames={"2025": 150_000, "2026": 600_000}, columns={"2025": "f1", "2026": "f2"}),
        [
            ("2025", [0, 1], [0.1234567891, 0.5], [0.0] * 2, -INF, 150_000, "kr", 1),
            ("2026", [0, 1, 2], [0.8765432109, 0.5, 1.0], [0.0] * 3, -INF, 600_000, "kr", 1),
        ],
    ),
]


def _problem(*rules: Any) -> Problem:
    return Problem(
        frame=FRAME,
        criteria=[Criterion(name="g", weight=1, scale_max=7)],
        applications=_apps(),
        rules=list(rules),
    )


def _fields(row: Any) -> tuple[str, list[int], list[float], list[float], float, float, str, int]:
    return (
        row.part,
        row.apps.tolist(),
        row.grant.tolist(),
        row.funded.tolist(),
        row.lower,
        row.upper,
        row.unit,
        row.scale,
    )


@pytest.mark.parametrize(("rule", "expected"), CASES, ids=lambda v: getattr(v, "kind", ""))
def test_each_rule_kind_gives_the_rows_worked_out_by_hand(rule: Any, expected: list[Any]) -> None:
    rule = rule.model_copy(update={"label": "the rule"})
    rows = rule_rows(_problem(MustNotFund(ids=["A-2"], label="first"), rule), keep_redundant=True)
    mine = [r for r in rows if r.rule == 1]
    assert [_fields(r) for r in mine] == expected
    assert all(r.label == "the rule" and r.kind == rule.kind for r in mine)
    assert [r.name for r in mine] == [f"the rule [{e[0]}]" if e[0] else "the rule" for e in expected]
    assert all(r.apps.dtype == np.int64 and r.grant.dtype == np.float64 and r.funded.dtype == np.float64 for r in mine)


def test_rows_no_portfolio_can_break_are_left_out() -> None:
    """All-or-nothing, every application eligible: a row stays if some mix of funded and not
    funded applications (each at its full request) can break it."""
    rules = [
        GroupLimit(category="klynge*", per="category", min_amount=100_000, max_count=1, label="theme"),
        GroupLimit(max_amount=250_000, min_count=2, label="all"),
        GroupLimit(max_amount=650_000, min_amount=0, min_count=0, label="loose"),
        FundedCount(min=0, max=3, label="any number"),
        FundedCount(min=1, max=2, label="one or two"),
        MaxGrant(amount=250_000, label="cap"),
        CoFinancing(share=0.5, other_public="other", label="cof"),
        DeMinimis(
            decision_date=dt.date(2025, 1, 1),
            eur_nok=10,
            ceiling_eur=50_000,
            ledger=[LedgerEntry(organisation="Org1", date=dt.date(2024, 6, 1), amount=10_000, currency="EUR")],
            label="dm",
        ),
        MustFund(ids=["A-1"], label="must"),
        MustNotFund(ids=["B-1"], label="not"),
        Exclusive(ids=["A-1", "A-2"], label="one of two"),
        Exclusive(ids=["A-1", "A-2"], at_most=2, label="both"),
        Requires(ids=["B-1"], requires=["A-1"], label="needs"),
        BudgetPots(column="pot", frames={"nord": 400_000, "sør": 300_000}, label="pots"),
        MultiYear(frames={"2025": 150_000, "2026": 600_000}, split={"2025": 0.3, "2026": 0.7}, label="years"),
        MultiYear(frames={"2025": 150_000, "2026": 600_000}, columns={"2025": "f1", "2026": "f2"}, label="fine"),
    ]
    kept = [r.name for r in rule_rows(_problem(*rules))]
    assert kept == [
        "theme [klynge prosess]",  # 0 is below the floor of 100 000 (one application: the count cannot break)
        "theme [klynge vann]",
        "all",  # 650 000 above 250 000
        "all",  # fewer than 2 funded
        # loose: 650 000 is all there is; a floor of 0 kr or 0 funded cannot break; any number likewise
        "one or two",  # three funded is above 2; none below 1
        "cap [A-1]",  # 300 000 above 250 000; A-2 and B-1 ask for less
        "cof [A-2]",  # 200 000 above 150 000; A-1 asks for exactly its cap of 300 000
        "cof [B-1]",
        "dm [Org1]",  # 450 000 above 400 000; Org2's 200 000 fits its 500 000
        "must",
        "not",
        "one of two",  # both: two of two cannot break
        "needs [B-1 needs A-1]",
        "pots [nord]",  # 450 000 above 400 000; sør's 200 000 fits 300 000
        "years [2025]",  # 0.3 x 650 000 = 195 000 above 150 000; 0.7 x 650 000 fits 600 000
        # fine: 0.1234567891 x 300 000 + 0.5 x 200 000 = 137 037 fits 150 000, and 512 963 fits 600 000
    ]


def test_an_application_that_cannot_be_funded_breaks_no_row() -> None:
    p = _problem(CoFinancing(share=0.5, other_public="other", label="cof"))
    assert [r.name for r in rule_rows(p)] == ["cof [A-2]", "cof [B-1]"]
    assert [r.name for r in rule_rows(p, eligible=[True, False, True])] == ["cof [B-1]"]
    assert [r.name for r in rule_rows(p, eligible=np.array([False, False, False]))] == []
    # counts: two who can be funded cannot break "at most 2"; a requirement binds if its
    # requirer can be funded (it must then stay out), and cannot break if the requirer cannot
    p = _problem(
        FundedCount(max=2, label="two"),
        Requires(ids=["B-1"], requires=["A-2"], label="needs"),
        Requires(ids=["A-2"], requires=["B-1"], label="back"),
    )
    assert [r.name for r in rule_rows(p)] == ["two", "needs [B-1 needs A-2]", "back [A-2 needs B-1]"]
    assert [r.name for r in rule_rows(p, eligible=[True, False, True])] == ["needs [B-1 needs A-2]"]
    # a floor stays even when no application can be funded: it is then broken for certain
    p = _problem(GroupLimit(min_amount=100_000, label="floor"))
    assert [r.name for r in rule_rows(p, eligible=[False, False, False])] == ["floor"]


def test_rule_usage_reports_scaled_rows_in_kroner() -> None:
    """A multi-year row counts tenths of kroner; its usage is in kroner."""
    p = _problem(MultiYear(frames={"2025": 150_000, "2026": 600_000}, split={"2025": 0.3, "2026": 0.7}, label="y"))
    use = rule_usage(p, {"A-1": 300_000, "B-1": 150_000})
    assert [(u.part, u.used, u.limit, u.unit, u.at_limit) for u in use] == [
        ("2025", 135_000, 150_000, "kr", False),
        ("2026", 315_000, 600_000, "kr", False),
    ]
    use = rule_usage(p, {"A-1": 300_000, "B-1": 200_000})
    assert use[0].used == 150_000 and use[0].at_limit
