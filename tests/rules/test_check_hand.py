"""Every field of every violation ``check`` reports, worked out by hand.

The verdicts of the checker are compared with an independent oracle elsewhere
(``test_oracle``); here each rule kind is broken once (and met exactly at its limit) on one
small call, and each violation is written out in full: rule, kind, part, the applications
concerned, the excess, its unit and the sentence an adviser reads.

The call (frame 1 000 000 kr; one criterion ``g`` on 0-7, threshold 2):

==  ==============  ======  =======  =======  ==========  =====  =====  ====  ====  ====
id  category        org     request  minimum  total cost  score  Annen  Pott  Y1    Y2
==  ==============  ======  =======  =======  ==========  =====  =====  ====  ====  ====
A   cluster: water  Org A   200 000  100 000  500 000     6      50 000 p1    0.25  0.75
B   cluster: water  Org A   150 000  100 000  260 000     5      0      p1    0.25  0.75
C   cluster: it     Org B   250 000  150 000  600 000     4      0      p1    0.25  0.75
D   network         Org C   100 000  50 000   180 000     5      20 000 p2    0.25  0.75
E   network         Org C   80 000   40 000   200 000     1      0      p2    0.25  0.75
==  ==============  ======  =======  =======  ==========  =====  =====  ====  ====  ====

E scores 1, below the threshold: it is ineligible.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from allocator import Application, Criterion, Problem, check
from allocator.rules import (
    BudgetPots,
    CoFinancing,
    DeMinimis,
    Exclusive,
    FundedCount,
    GroupLimit,
    LedgerEntry,
    MaxGrant,
    MultiYear,
    MustFund,
    MustNotFund,
    Requires,
)

ROWS = [
    ("A", "cluster: water", "Org A", 200_000, 100_000, 500_000, 6, 50_000, "p1"),
    ("B", "cluster: water", "Org A", 150_000, 100_000, 260_000, 5, 0, "p1"),
    ("C", "cluster: it", "Org B", 250_000, 150_000, 600_000, 4, 0, "p1"),
    ("D", "network", "Org C", 100_000, 50_000, 180_000, 5, 20_000, "p2"),
    ("E", "network", "Org C", 80_000, 40_000, 200_000, 1, 0, "p2"),
]


def call(*rules: Any, partial: bool = False, frame: int = 1_000_000) -> Problem:
    apps = [
        Application(
            id=i,
            category=c,
            applicant=o,
            requested=r,
            minimum=m,
            total_cost=t,
            scores={"g": s},
            attributes={"Annen": other, "Pott": pot, "Y1": 0.25, "Y2": 0.75},
        )
        for i, c, o, r, m, t, s, other, pot in ROWS
    ]
    return Problem(
        frame=frame,
        criteria=[Criterion(name="g", weight=1, scale_max=7, threshold=2)],
        applications=apps,
        rules=list(rules),
        options={"partial": partial, "step": 10_000},
    )


def found(p: Problem, grants: dict[str, int]) -> list[dict[str, Any]]:
    return [v.model_dump() for v in check(p, grants).violations]


def v(rule: str, kind: str, part: str, ids: tuple[str, ...], excess: float, unit: str, message: str) -> dict[str, Any]:
    return {"rule": rule, "kind": kind, "part": part, "ids": ids, "excess": excess, "unit": unit, "message": message}


# ------------------------------------------------------------------ the call's own conditions
def test_frame_levels_and_eligibility_in_full() -> None:
    p = call(frame=500_000)
    result = check(p, {"A": 200_000, "B": 120_000, "E": 80_000, "C": 250_000})
    assert [x.model_dump() for x in result.violations] == [
        v(
            "grant levels",
            "levels",
            "B",
            ("B",),
            30_000,
            "kr",
            "application 'B': a grant of 120 000 kr is not possible; all-or-nothing funding grants 0 or the request 150000",
        ),
        v(
            "frame",
            "frame",
            "",
            (),
            150_000,
            "kr",
            "the frame: 650 000 kr granted, the frame is 500 000 kr (150 000 kr over)",
        ),
        v(
            "eligibility",
            "eligibility",
            "E",
            ("E",),
            1,
            "applications",
            "application 'E' is funded but ineligible: g scored 1, below the threshold 2",
        ),
    ]
    assert (result.total_granted, result.n_funded) == (650_000, 4)
    assert str(result).splitlines()[0] == "3 violations:"


def test_grant_levels_with_partial_funding() -> None:
    # B: 100 000 to 150 000 in steps of 10 000; 125 000 is 25 000 from the request
    p = call(partial=True)
    assert found(p, {"B": 125_000}) == [
        v(
            "grant levels",
            "levels",
            "B",
            ("B",),
            25_000,
            "kr",
            "application 'B': a grant of 125 000 kr is not possible; possible grants are 0, 100000 to 150000 in "
            "steps of 10000",
        )
    ]
    assert found(p, {"B": 130_000, "A": 100_000, "C": 250_000}) == []
    # the frame exactly spent is within it
    assert found(call(frame=450_000), {"A": 200_000, "C": 250_000}) == []


# ------------------------------------------------------------------ group limits: amounts and counts
def test_group_amount_cap_and_floor_at_their_limits() -> None:
    cap = call(GroupLimit(category="cluster*", max_amount=400_000, label="cap"))
    assert found(cap, {"A": 200_000, "C": 250_000}) == [
        v(
            "cap",
            "group",
            "",
            ("A", "B", "C"),
            50_000,
            "kr",
            "'cap': 450 000 kr granted, at most 400 000 kr allowed (50 000 kr over)",
        )
    ]
    assert found(cap, {"A": 200_000, "B": 150_000}) == []  # 350 000 <= 400 000
    exact_cap = call(GroupLimit(category="cluster*", max_amount=450_000, label="cap"))
    assert found(exact_cap, {"A": 200_000, "C": 250_000}) == []  # at the cap
    floor = call(GroupLimit(category="network", min_amount=100_000, label="floor"))
    assert found(floor, {"D": 100_000}) == []  # exactly the floor
    short = call(GroupLimit(category="network", min_amount=100_001, label="floor"))
    assert found(short, {"D": 100_000}) == [
        v(
            "floor",
            "group",
            "",
            ("D", "E"),
            1,
            "kr",
            "'floor': 100 000 kr granted, at least 100 001 kr required (1 kr short)",
        )
    ]


def test_group_shares_of_the_frame() -> None:
    # 30 % of 1 000 000 = 300 000 at most; 40 % = 400 000 at least
    p = call(GroupLimit(category="cluster*", max_share=0.3, label="share"))
    assert found(p, {"A": 200_000, "B": 150_000}) == [
        v(
            "share",
            "group",
            "",
            ("A", "B", "C"),
            50_000,
            "kr",
            "'share': 350 000 kr granted, at most 300 000 kr allowed (50 000 kr over)",
        )
    ]
    both = call(GroupLimit(category="cluster*", max_amount=320_000, max_share=0.3, label="both"))
    assert found(both, {"A": 200_000, "B": 150_000})[0]["excess"] == 50_000  # the lower of the two caps
    low = call(GroupLimit(category="cluster*", min_share="40 %", min_amount=390_000, label="low"))
    assert found(low, {"A": 200_000, "B": 150_000}) == [
        v(
            "low",
            "group",
            "",
            ("A", "B", "C"),
            50_000,
            "kr",
            "'low': 350 000 kr granted, at least 400 000 kr required (50 000 kr short)",
        )
    ]


def test_group_counts_and_parts() -> None:
    most = call(GroupLimit(category="cluster*", max_count=2, label="two"))
    assert found(most, {"A": 200_000, "B": 150_000}) == []
    assert found(most, {"A": 200_000, "B": 150_000, "C": 250_000}) == [
        v("two", "group", "", ("A", "B", "C"), 1, "applications", "'two': 3 funded, at most 2 allowed (1 too many)")
    ]
    each = call(GroupLimit(category="cluster*", per="category", min_count=1, label="each"))
    assert found(each, {"A": 200_000}) == [
        v(
            "each",
            "group",
            "cluster: it",
            ("C",),
            1,
            "applications",
            "'each' [cluster: it]: 0 funded, at least 1 required (1 short)",
        )
    ]
    count = call(FundedCount(min=3, max=3, label="n"))
    assert found(count, {"A": 200_000, "D": 100_000}) == [
        v(
            "n",
            "count",
            "",
            ("A", "B", "C", "D", "E"),
            1,
            "applications",
            "'n': 2 funded, at least 3 required (1 short)",
        )
    ]
    assert found(count, {"A": 200_000, "B": 150_000, "D": 100_000}) == []


# ------------------------------------------------------------------ grants per application or applicant
def test_max_grant_amount_share_and_per_applicant() -> None:
    # the lower of 300 000 and 15 % of 1 000 000: 150 000 per application
    p = call(MaxGrant(amount=300_000, share=0.15, label="max"))
    assert found(p, {"A": 200_000, "B": 150_000}) == [
        v(
            "max",
            "max_grant",
            "A",
            ("A",),
            50_000,
            "kr",
            "'max' [A]: 200 000 kr granted, at most 150 000 kr allowed (50 000 kr over)",
        )
    ]
    org = call(MaxGrant(amount=300_000, per="applicant", label="org"))
    assert found(org, {"A": 200_000, "B": 150_000, "C": 250_000}) == [
        v(
            "org",
            "max_grant",
            "Org A",
            ("A", "B"),
            50_000,
            "kr",
            "'org' [Org A]: 350 000 kr granted, at most 300 000 kr allowed (50 000 kr over)",
        )
    ]


def test_co_financing_with_and_without_other_public_funding() -> None:
    p = call(CoFinancing(share=0.5, other_public="Annen", label="cof"))
    # A: 200 000 + 50 000 = 250 000 = half of 500 000, at the limit; D: 100 000 + 20 000 > 90 000
    assert found(p, {"A": 200_000, "D": 100_000}) == [
        v(
            "cof",
            "co_financing",
            "D",
            ("D",),
            30_000,
            "kr",
            "'cof' [D]: grant 100 000 kr + other public funding 20 000 kr exceeds 50 % of the project cost "
            "180 000 kr = 90 000 kr (by 30 000 kr)",
        )
    ]
    plain = call(CoFinancing(share=0.5, label="cof"))
    assert found(plain, {"B": 150_000}) == [
        v(
            "cof",
            "co_financing",
            "B",
            ("B",),
            20_000,
            "kr",
            "'cof' [B]: grant 150 000 kr exceeds 50 % of the project cost 260 000 kr = 130 000 kr (by 20 000 kr)",
        )
    ]


def test_de_minimis_in_full() -> None:
    # ceiling EUR 30 000 at 10.5 = 315 000 kr; Org C received EUR 19 000 = 199 500 kr in the window
    ledger = [LedgerEntry(organisation="Org C", date=dt.date(2021, 3, 1), amount=19_000, currency="EUR")]
    rule = DeMinimis(decision_date=dt.date(2022, 6, 1), eur_nok=10.5, ceiling_eur=30_000, ledger=ledger, label="dm")
    p = call(rule)
    assert found(p, {"D": 100_000}) == []  # 299 500 <= 315 000
    # D and E: 180 000 + 199 500 = 379 500, 64 500 over (E is ineligible as well)
    assert found(p, {"D": 100_000, "E": 80_000})[1:] == [
        v(
            "dm",
            "de_minimis",
            "Org C",
            ("D", "E"),
            64_500,
            "kr",
            "'dm' [Org C]: 180 000 kr granted + 199 500 kr de minimis aid received in the window exceeds the "
            "ceiling 315 000 kr (by 64 500 kr)",
        )
    ]


# ------------------------------------------------------------------ locks and exclusions
def test_must_fund_names_the_part_only_for_several_applications() -> None:
    one = call(MustFund(ids="C", label="lock"))
    assert found(one, {"A": 200_000}) == [
        v("lock", "must_fund", "", ("C",), 1, "applications", "'lock': application 'C' must be funded and is not")
    ]
    two = call(MustFund(ids=["B", "C"], label="lock"))
    assert found(two, {"B": 150_000}) == [
        v("lock", "must_fund", "C", ("C",), 1, "applications", "'lock' [C]: application 'C' must be funded and is not")
    ]
    themed = call(MustFund(category="cluster*", label="lock"))
    assert [x["part"] for x in found(themed, {"A": 200_000})] == ["B", "C"]


def test_must_fund_an_amount() -> None:
    p = call(MustFund(ids="C", amount=200_000, label="lock"), partial=True)
    assert found(p, {"C": 200_000}) == []
    assert found(p, {"C": 250_000}) == [
        v(
            "lock",
            "must_fund",
            "",
            ("C",),
            50_000,
            "kr",
            "'lock': application 'C' must receive 200 000 kr and receives 250 000 kr",
        )
    ]
    assert found(p, {"C": 0}) == [
        v(
            "lock",
            "must_fund",
            "",
            ("C",),
            200_000,
            "kr",
            "'lock': application 'C' must receive 200 000 kr and receives 0 kr",
        )
    ]


def test_must_not_fund_and_exclusive() -> None:
    no = call(MustNotFund(category="network", label="no"))
    assert found(no, {"D": 100_000}) == [
        v(
            "no",
            "must_not_fund",
            "D",
            ("D",),
            1,
            "applications",
            "'no' [D]: application 'D' must not be funded and receives 100 000 kr",
        )
    ]
    one = call(Exclusive(ids=["A", "B", "C"], at_most=1, label="one"))
    assert found(one, {"A": 200_000}) == []
    assert found(one, {"A": 200_000, "B": 150_000}) == [
        v("one", "exclusive", "", ("A", "B", "C"), 1, "applications", "'one': 2 funded, at most 1 allowed (1 too many)")
    ]


@pytest.mark.parametrize(
    ("mode", "grants", "expected"),
    [
        (
            "all",
            {"B": 150_000, "A": 200_000},
            [("B", ("B", "C"), "'req' [B]: application 'B' is funded without 'C', which it requires")],
        ),
        (
            "all",
            {"B": 150_000},
            [("B", ("B", "A", "C"), "'req' [B]: application 'B' is funded without 'A' and 'C', which it requires")],
        ),
        ("all", {"A": 200_000, "B": 150_000, "C": 250_000}, []),
        ("all", {"A": 200_000, "C": 250_000}, []),  # B not funded: nothing required
        ("any", {"B": 150_000, "A": 200_000}, []),
        ("any", {"B": 150_000, "C": 250_000}, []),
        (
            "any",
            {"B": 150_000},
            [("B", ("B", "A", "C"), "'req' [B]: application 'B' is funded without 'A' or 'C', which it requires")],
        ),
    ],
)
def test_requires(mode: str, grants: dict[str, int], expected: list[tuple[str, tuple[str, ...], str]]) -> None:
    p = call(Requires(ids="B", requires=["A", "C"], mode=mode, label="req"))
    assert found(p, grants) == [v("req", "requires", part, ids, 1, "applications", msg) for part, ids, msg in expected]


def test_requires_checks_every_dependent() -> None:
    # B is not funded; D, after it in the list, is funded without A
    p = call(Requires(ids=["B", "D"], requires=["A"], label="req"))
    assert found(p, {"D": 100_000}) == [
        v(
            "req",
            "requires",
            "D",
            ("D", "A"),
            1,
            "applications",
            "'req' [D]: application 'D' is funded without 'A', which it requires",
        )
    ]
    # an application that requires itself among others needs only the others
    self_too = call(Requires(ids="B", requires=["A", "B"], label="req"))
    assert found(self_too, {"B": 150_000, "A": 200_000}) == []


# ------------------------------------------------------------------ budgets
def test_budget_pots() -> None:
    p = call(BudgetPots(column="Pott", frames={"p1": 300_000, "p2": 500_000}, label="pots"))
    assert found(p, {"A": 200_000, "B": 150_000, "D": 100_000}) == [
        v(
            "pots",
            "pots",
            "p1",
            ("A", "B", "C"),
            50_000,
            "kr",
            "'pots' [p1]: 350 000 kr granted, at most 300 000 kr allowed (50 000 kr over)",
        )
    ]
    assert found(p, {"A": 200_000, "D": 100_000}) == []


def test_multi_year_counts_the_funded_share_of_each_year() -> None:
    p = call(MultiYear(frames={"2023": 100_000, "2024": 250_000}, columns={"2023": "Y1", "2024": "Y2"}, label="years"))
    # 2023: a quarter of 350 000 = 87 500; 2024: three quarters = 262 500, 12 500 over
    assert found(p, {"A": 200_000, "B": 150_000}) == [
        v(
            "years",
            "multi_year",
            "2024",
            ("A", "B"),
            12_500,
            "kr",
            "'years' [2024]: 262 500 kr granted, at most 250 000 kr allowed (12 500 kr over)",
        )
    ]
    # a year's total in part kroner: three quarters of 330 010 = 247 507.50 (B's 130 010 is not a level,
    # reported apart); the year's own sentence keeps the øre
    years = {"2023": 1_000_000, "2024": 247_507}
    tight = call(MultiYear(frames=years, columns={"2023": "Y1", "2024": "Y2"}, label="years"))
    got = [x for x in found(tight, {"A": 200_000, "B": 130_010}) if x["rule"] == "years"]
    assert got == [
        v(
            "years",
            "multi_year",
            "2024",
            ("A", "B"),
            0.5,
            "kr",
            "'years' [2024]: 247 507.50 kr granted, at most 247 507 kr allowed (0.50 kr over)",
        )
    ]


def test_check_names_itself_when_given_no_problem() -> None:
    with pytest.raises(TypeError) as exc:
        check({"A": 1}, {})  # type: ignore[arg-type]
    assert str(exc.value).startswith("check: expected an allocator.Problem, got dict; ")
