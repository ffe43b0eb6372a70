"""The checker, the selectors, the de minimis ledger and what the rules do to decisions."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from allocator import AllocatorError, Application, Criterion, Problem, Reason, Status, solve
from allocator.exceptions import PolicyError
from allocator.model.ledger import (
    ceiling_eur,
    in_window,
    read_ledger,
    room_nok,
    window_start,
)
from allocator.optimize import build
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
    check,
)
from allocator.rules.check import Checker


def call(rules: list[object] = (), *, frame: int = 600_000, partial: bool = False) -> Problem:  # type: ignore[assignment]
    rows = [
        ("A", "cluster: water", "Org A", "Telemark", 200_000, 100_000, 500_000, 50_000, 6),
        ("B", "cluster: water", "Org A", "Vestfold", 150_000, 100_000, 260_000, 0, 5),
        ("C", "cluster: it", "Org B", "Vestfold", 250_000, 150_000, 600_000, 0, 4),
        ("D", "network", "Org C", "Telemark", 100_000, 50_000, 180_000, 20_000, 5),
        ("E", "network", "Org C", "Vestfold", 80_000, 40_000, 200_000, 0, 1),
    ]
    apps = [
        Application(
            id=i,
            category=c,
            applicant=o,
            requested=r,
            minimum=m,
            total_cost=t,
            scores={"g": s},
            tags=("green",) if s >= 5 else (),
            attributes={
                "Fylkesdel": reg,
                "Annen": other,
                "Pott": "p1" if c != "network" else "p2",
                "Y1": 0.25,
                "Y2": 0.75,
            },
        )
        for i, c, o, reg, r, m, t, other, s in rows
    ]
    return Problem(
        frame=frame,
        criteria=[Criterion(name="g", weight=1, scale_max=7, threshold=2)],
        applications=apps,
        rules=rules,
        options={"partial": partial},
    )


# ---------------------------------------------------------------- decisions in
def test_decisions_as_solution_dict_and_table() -> None:
    p = call([GroupLimit(category="network", min_count=1, label="a network")])
    sol = solve(p)
    table = sol.to_frame()[["id", "granted"]]
    assert Checker(p)(sol) == check(p, sol.grants) == check(p, table)
    assert check(p, sol).ok
    assert check(p, {}).rules == ["a network"]


@pytest.mark.parametrize(
    ("decisions", "match"),
    [
        ({"Z": 5}, "unknown application id 'Z'"),
        ({"A": -5}, "not whole kroner"),
        ({"A": 1.5}, "not whole kroner"),
        (pd.DataFrame({"id": ["A"]}), "columns 'id' and 'granted'"),
        ([1, 2], "cannot check list"),
    ],
)
def test_bad_decisions(decisions: object, match: str) -> None:
    with pytest.raises(AllocatorError, match=match):
        check(call(), decisions)


def test_infeasible_solution_cannot_be_checked() -> None:
    p = call([MustFund(ids=["A", "B", "C"], label="all clusters")], frame=300_000)
    sol = solve(p, raise_on_failure=False)
    with pytest.raises(AllocatorError, match="no decisions"):
        check(p, sol)


def test_call_conditions_frame_levels_eligibility() -> None:
    p = call(frame=300_000)
    r = check(p, {"A": 200_000, "C": 250_000, "E": 80_000, "B": 120_000})
    kinds = {v.kind: v for v in r.violations}
    assert set(kinds) == {"frame", "levels", "eligibility"}
    assert kinds["frame"].excess == 350_000
    assert "'E' is funded but ineligible" in kinds["eligibility"].message
    assert kinds["levels"].part == "B"
    assert check(call(partial=True), {"B": 120_000}).ok
    assert not check(call(partial=True), {"B": 125_000}).ok


# ---------------------------------------------------------------- each rule, by hand
CASES = [
    (GroupLimit(category="cluster*", max_amount=400_000, label="r"), {"A": 200_000, "C": 250_000}, [("", 50_000)]),
    (GroupLimit(category="cluster*", max_share=0.03, label="r"), {"A": 200_000, "B": 150_000}, [("", 50_000)]),
    (GroupLimit(category="cluster*", min_share="4 %", label="r"), {"A": 200_000}, [("", 200_000)]),
    (GroupLimit(category="cluster*", per="category", min_count=1, label="r"), {"A": 200_000}, [("cluster: it", 1)]),
    (GroupLimit(where={"fylkesdel": "VESTFOLD"}, max_count=1, label="r"), {"B": 150_000, "C": 250_000}, [("", 1)]),
    (GroupLimit(tag="green", min_amount=300_000, label="r"), {"A": 200_000, "C": 250_000}, [("", 100_000)]),
    (FundedCount(max=1, label="r"), {"A": 200_000, "D": 100_000}, [("", 1)]),
    (FundedCount(min=3, label="r"), {"A": 200_000, "D": 100_000}, [("", 1)]),
    (MaxGrant(amount=180_000, label="r"), {"A": 200_000, "D": 100_000}, [("A", 20_000)]),
    (MaxGrant(amount=300_000, per="applicant", label="r"), {"A": 200_000, "B": 150_000}, [("Org A", 50_000)]),
    (CoFinancing(share=0.5, label="r"), {"B": 150_000, "A": 200_000}, [("B", 20_000)]),
    (
        CoFinancing(share=0.5, other_public="Annen", label="r"),
        {"A": 200_000, "D": 100_000},
        [("A", 0 + 0), ("D", 30_000)],
    ),
    (MustFund(ids="C", label="r"), {"A": 200_000}, [("", 1)]),
    (MustFund(ids="C", amount=250_000, label="r"), {"C": 250_000}, []),
    (MustNotFund(category="network", label="r"), {"D": 100_000}, [("D", 1)]),
    (Exclusive(ids=["A", "B", "C"], at_most=1, label="r"), {"A": 200_000, "B": 150_000}, [("", 1)]),
    (Requires(ids="B", requires=["A", "C"], label="r"), {"B": 150_000, "A": 200_000}, [("B", 1)]),
    (Requires(ids="B", requires=["A", "C"], mode="any", label="r"), {"B": 150_000, "A": 200_000}, []),
    (
        BudgetPots(column="Pott", frames={"p1": 300_000, "p2": 500_000}, label="r"),
        {"A": 200_000, "B": 150_000},
        [("p1", 50_000)],
    ),
    (
        MultiYear(frames={"2023": 100_000, "2024": 250_000}, columns={"2023": "Y1", "2024": "Y2"}, label="r"),
        {"A": 200_000, "B": 150_000},
        [("2024", 12_500)],
    ),
    (
        MultiYear(frames={"2023": 200_000, "2024": 400_000}, split={"2023": "60 %", "2024": "40 %"}, label="r"),
        {"A": 200_000, "B": 150_000},
        [("2023", 10_000)],
    ),
]


@pytest.mark.parametrize(("rule", "grants", "expected"), CASES, ids=[f"{c[0].kind}-{k}" for k, c in enumerate(CASES)])
def test_each_rule_kind_by_hand(rule: object, grants: dict[str, int], expected: list[tuple[str, float]]) -> None:
    p = call([rule], frame=10_000_000)
    got = [(v.part, v.excess) for v in check(p, grants).violations]
    # co-financing of A: 200 000 + 50 000 > 250 000? no (equal): only D is over
    expected = [e for e in expected if e[1] > 0]
    assert got == expected


def test_de_minimis_by_hand() -> None:
    ledger = [
        LedgerEntry(organisation="org c", date=dt.date(2021, 3, 1), amount=19_000, currency="EUR"),
        LedgerEntry(organisation="Org C", date=dt.date(2019, 12, 31), amount=500_000, currency="NOK"),
    ]
    rule = DeMinimis(decision_date=dt.date(2022, 6, 1), eur_nok=10.5, ceiling_eur=30_000, ledger=ledger, label="dm")
    p = call([rule])
    # room for Org C: (30 000 - 19 000) * 10.5 = 115 500 kr (the 2019 entry is outside 2020-2022)
    assert check(p, {"D": 100_000}).ok
    v = check(p, {"D": 100_000, "E": 80_000}).violations
    assert [(x.rule, x.part, x.excess) for x in v if x.rule == "dm"] == [("dm", "Org C", 64_500)]
    q = p.with_options(partial=True, step=500)
    sol = solve(q)
    assert sol.grants["D"] == 100_000 and check(q, sol).ok
    q = q._rebuilt(criteria=[Criterion(name="g", weight=1, scale_max=7)], rules=[rule, MustFund(ids="E", label="E")])
    sol = solve(q)
    assert sol.grants["D"] + sol.grants["E"] == 115_500 and check(q, sol).ok
    assert "dm [Org C]" in sol.binding_rules


# ---------------------------------------------------------------- the ledger
def test_ceiling_and_window() -> None:
    assert ceiling_eur(dt.date(2023, 12, 31)) == 200_000 and ceiling_eur(dt.date(2024, 1, 1)) == 300_000
    d = dt.date(2024, 3, 15)
    assert window_start(d) == dt.date(2021, 3, 16)  # rolling three years from 2024
    assert window_start(d, "fiscal") == dt.date(2022, 1, 1)
    assert window_start(dt.date(2023, 3, 15)) == dt.date(2021, 1, 1)  # fiscal years before 2024
    assert window_start(dt.date(2024, 2, 29), "rolling") == dt.date(2021, 3, 1)
    assert in_window(dt.date(2021, 3, 16), d) and not in_window(dt.date(2021, 3, 15), d)
    assert not in_window(dt.date(2024, 3, 16), d)  # after the decision


def test_room_is_exact() -> None:
    entries = [
        LedgerEntry(organisation="X", date=dt.date(2024, 1, 5), amount=100_001, currency="EUR"),
        LedgerEntry(organisation="X", date=dt.date(2023, 1, 5), amount=3, currency="NOK"),
    ]
    # 300 000 EUR - 100 001 EUR = 199 999 EUR at 11.37 = 2 273 988.63 kr, minus 3 kr
    assert room_nok(entries, "x", decision_date=dt.date(2025, 1, 1), eur_nok=11.37) == int(
        Fraction(199_999) * Fraction("11.37") - 3
    )
    assert room_nok(entries * 3, "X", decision_date=dt.date(2025, 1, 1), eur_nok=11.37) == 0


def test_read_ledger_norwegian_headers_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "l.csv"
    f.write_text(
        "Organisasjon;Dato;Beløp;Valuta\nNett A;2021-05-01;150 000;eur\nNett B;2022-01-01;90000;\n", encoding="utf-8"
    )
    rows = read_ledger(f)
    assert [(r.organisation, r.amount, r.currency) for r in rows] == [
        ("Nett A", 150_000, "EUR"),
        ("Nett B", 90_000, "NOK"),
    ]
    f.write_text("who,when\nA,2021-01-01\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="no column 'organisation'"):
        read_ledger(f)
    f.write_text("organisation,date,amount,currency\nA,2021-01-01,12.5,EUR\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="row 1, column 'amount'"):
        read_ledger(f)
    f.write_text("organisation,date,amount,currency\nA,2021-01-01,5,USD\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="row 1, column 'currency'"):
        read_ledger(f)


# ---------------------------------------------------------------- rules in the model
def test_rules_are_validated_when_the_problem_is_built() -> None:
    with pytest.raises(
        PolicyError, match=r"rule 1 \('x'\): no application has category 'netwrk'; did you mean 'network'"
    ):
        call([GroupLimit(category="netwrk", min_count=1, label="x")])
    with pytest.raises(PolicyError, match="share 40 is above 100 %"):
        GroupLimit(category="network", max_share=40)
    with pytest.raises(PolicyError, match="needs a limit"):
        call([{"kind": "group", "category": "network"}])  # type: ignore[list-item]


def test_every_kind_round_trips_through_json() -> None:
    rules = [rule for rule, _, _ in CASES] + [
        DeMinimis(
            decision_date=dt.date(2022, 6, 1),
            eur_nok=10,
            ledger=[LedgerEntry(organisation="Org C", date=dt.date(2021, 1, 1), amount=5)],
        )
    ]
    rules = [r.model_copy(update={"label": f"r{k}"}) for k, r in enumerate(rules)]
    p = call(rules)
    assert Problem.model_validate_json(p.model_dump_json()) == p


def test_rule_rows_have_integer_coefficients() -> None:
    rules = [rule.model_copy(update={"label": f"r{k}"}) for k, (rule, _, _) in enumerate(CASES)]
    f = build(call(rules, partial=True))
    for r in f.row_rules:
        _, vals = f.model.row(r)
        assert all(float(v).is_integer() for v in vals)
        assert float(f.model.row_upper[r]).is_integer() or f.model.row_upper[r] == float("inf")


# ---------------------------------------------------------------- rules in the decisions
def test_locks_and_blocked_reasons() -> None:
    p = call(
        [
            MustFund(ids="C", label="fund C"),
            MustNotFund(ids="A", label="not A"),
            MaxGrant(amount=120_000, category="cluster: water", label="water cap"),
        ]
    )
    sol = solve(p)
    d = {x.id: x for x in sol.decisions}
    assert d["C"].reason is Reason.LOCKED_IN and "locked in by 'fund C'" in d["C"].note
    assert d["A"].reason is Reason.LOCKED_OUT and "not A" in d["A"].note
    assert d["B"].reason is Reason.BLOCKED_BY_RULE and "water cap [B]" in d["B"].note
    assert d["E"].reason is Reason.INELIGIBLE
    assert "fund C" in sol.binding_rules and "fund C" in d["C"].binding_rules
    assert check(p, sol).ok


def test_partial_funding_co_financing_lowers_the_grant() -> None:
    p = call([CoFinancing(share=0.5, other_public="Annen", label="50 %")], partial=True, frame=2_000_000)
    sol = solve(p)
    # A: 50 % of 500 000 minus 50 000 = 200 000 (its request); B: 130 000; D: 70 000
    assert (sol.grants["B"], sol.grants["D"]) == (130_000, 70_000)
    assert "50 % [B]" in sol.binding_rules and "50 % [D]" in sol.binding_rules
    assert sol.decision("B").reason is Reason.FUNDED_PARTIALLY and "50 % [B]" in sol.decision("B").note
    assert check(p, sol).ok
    binary = solve(p.with_options(partial=False))
    assert binary.grants["B"] == 0 and binary.decision("B").reason is Reason.BLOCKED_BY_RULE


@pytest.mark.parametrize("solver", ["highs", "pulp-highs"])
def test_solvers_agree_with_rules(solver: str) -> None:
    p = call(
        [
            GroupLimit(category="cluster*", per="category", max_share=0.3, label="theme cap"),
            GroupLimit(category="network", min_count=1, label="a network"),
            Requires(ids="B", requires="A", label="B needs A"),
        ],
        partial=True,
    )
    sol = solve(p, solver=solver)
    assert sol.status is Status.OPTIMAL and check(p, sol).ok
    assert sol.grants == solve(p).grants
