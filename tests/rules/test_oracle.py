"""The rule oracle of the tests (tests/oracle_rules.py) at the edges, and the library against it.

Hand cases at the edges of the de minimis rule, with the expected decision worked out by
hand: aid granted three years to the day before the decision and one day either side,
29 February, the fiscal years, and the change of regime between 2023-12-31 (EUR 200 000,
three fiscal years) and 2024-01-01 (EUR 300 000, rolling three years). Each case is solved
by ``solve``, checked by ``allocator.check`` and judged by the oracle; all three must give
the hand answer. Then random rules and random grant vectors: ``allocator.check`` must agree
with the oracle on every one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem, check, solve
from allocator.model.ledger import LedgerEntry
from allocator.model.rules import DeMinimis
from allocator.rules.violations import CheckResult
from tests.brute import grant_levels
from tests.conftest import examples
from tests.oracle_rules import RuleOracle, de_minimis_counts
from tests.rules_strategies import KINDS, ruled_problems

D = dt.date

# (decision date, window, day of the earlier aid, counts in the window)
WINDOW_EDGES = [
    # rolling three years: the days after the same date three years earlier, up to the decision
    (D(2025, 3, 10), "auto", D(2022, 3, 10), False),  # three years to the day: outside
    (D(2025, 3, 10), "auto", D(2022, 3, 11), True),  # one day later: inside
    (D(2025, 3, 10), "auto", D(2022, 3, 9), False),  # one day earlier: outside
    (D(2025, 3, 10), "auto", D(2025, 3, 10), True),  # on the decision date
    (D(2025, 3, 10), "auto", D(2025, 3, 11), False),  # after the decision
    (D(2025, 3, 10), "rolling", D(2023, 3, 10), True),  # two years back still counts
    # 29 February
    (D(2028, 2, 29), "auto", D(2025, 2, 28), False),  # "three years earlier" is 28 February
    (D(2028, 2, 29), "auto", D(2025, 3, 1), True),
    (D(2027, 2, 28), "auto", D(2024, 2, 29), True),
    (D(2027, 2, 28), "auto", D(2024, 2, 28), False),
    (D(2027, 3, 1), "auto", D(2024, 2, 29), False),
    (D(2027, 3, 1), "auto", D(2024, 3, 1), False),
    (D(2027, 3, 1), "auto", D(2024, 3, 2), True),
    # three fiscal years: the decision's year and the two before
    (D(2022, 11, 15), "auto", D(2020, 1, 1), True),
    (D(2022, 11, 15), "auto", D(2019, 12, 31), False),
    (D(2022, 11, 15), "fiscal", D(2022, 11, 16), False),
    (D(2025, 3, 10), "fiscal", D(2023, 1, 1), True),
    (D(2025, 3, 10), "fiscal", D(2022, 12, 31), False),
    (D(2022, 11, 15), "rolling", D(2019, 11, 16), True),
    (D(2022, 11, 15), "rolling", D(2019, 11, 15), False),
    # the change of regime: 2023-12-31 fiscal (from 2021-01-01), 2024-01-01 rolling (after 2021-01-01)
    (D(2023, 12, 31), "auto", D(2021, 1, 1), True),
    (D(2023, 12, 31), "auto", D(2020, 12, 31), False),
    (D(2024, 1, 1), "auto", D(2021, 1, 1), False),
    (D(2024, 1, 1), "auto", D(2021, 1, 2), True),
]


def _one(requested: int, decision: dt.date, window: str, ledger: list[LedgerEntry], **rule: object) -> Problem:
    app = Application(id="A", requested=requested, applicant="Nett AS", scores={"g": 5})
    dm = DeMinimis(decision_date=decision, eur_nok=10, window=window, ledger=ledger, label="dm", **rule)
    return Problem(frame=10**8, criteria=[Criterion(name="g", weight=1, scale_max=7)], applications=[app], rules=[dm])


@pytest.mark.parametrize(("decision", "window", "day", "counts"), WINDOW_EDGES, ids=lambda v: str(v))
def test_de_minimis_window_edges(decision: dt.date, window: str, day: dt.date, counts: bool) -> None:
    assert de_minimis_counts(day, decision, window) is counts
    ceiling_nok = (300_000 if decision >= D(2024, 1, 1) else 200_000) * 10
    # earlier aid of EUR 100 000 (1 000 000 kr); the request fits only if that aid is outside the window
    aid = [LedgerEntry(organisation=" nett  as ", date=day, amount=100_000, currency="EUR")]
    p = _one(ceiling_nok - 500_000, decision, window, aid)
    assert RuleOracle(p)({"A": p.applications[0].requested}) is not counts
    assert check(p, {"A": p.applications[0].requested}).ok is not counts
    assert (solve(p).funded_ids == ["A"]) is not counts


@pytest.mark.parametrize(
    ("decision", "ceiling_nok"),
    [
        (D(2023, 12, 31), 2_000_000),
        (D(2024, 1, 1), 3_000_000),
        (D(2024, 2, 29), 3_000_000),
        (D(2020, 2, 29), 2_000_000),
    ],
)
def test_de_minimis_ceiling_changes_on_2024_01_01(decision: dt.date, ceiling_nok: int) -> None:
    for requested, fits in ((ceiling_nok, True), (ceiling_nok + 1, False)):
        p = _one(requested, decision, "auto", [])
        assert RuleOracle(p)({"A": requested}) is fits
        assert check(p, {"A": requested}).ok is fits
        assert (solve(p).funded_ids == ["A"]) is fits


def test_de_minimis_in_nok_and_exact_rate() -> None:
    # EUR 1 000 ceiling at 11.37 = 11 370 kr; 370 kr already received in NOK leaves 11 000 kr
    ledger = [LedgerEntry(organisation="NETT AS", date=D(2024, 5, 1), amount=370, currency="NOK")]
    app = [
        Application(id="A", requested=11_000, applicant="Nett AS", scores={"g": 5}),
        Application(id="B", requested=1, applicant="nett as", scores={"g": 1}),
    ]
    dm = DeMinimis(decision_date=D(2024, 6, 1), eur_nok=11.37, ceiling_eur=1_000, ledger=ledger, label="dm")
    p = Problem(frame=10**6, criteria=[Criterion(name="g", weight=1, scale_max=7)], applications=app, rules=[dm])
    oracle = RuleOracle(p)
    assert oracle({"A": 11_000}) and not oracle({"A": 11_000, "B": 1})
    assert solve(p).funded_ids == ["A"]


CALL_CONDITIONS = {"frame", "grant levels", "eligibility"}


def _rules_broken(result: CheckResult) -> set[str]:
    """The labels of the call's rules a check found broken (not the frame, levels, eligibility)."""
    return {v.rule for v in result.violations} - CALL_CONDITIONS


@examples(40)
@given(p=ruled_problems(KINDS, max_rules=3, partial=False), data=st.data())
def test_check_agrees_with_the_oracle(p: Problem, data: st.DataObject) -> None:
    """``allocator.check`` and the oracle give the same verdict on random grant vectors, and
    name the same rules as broken."""
    oracle = RuleOracle(p)
    for _ in range(8):
        grants = {a.id: data.draw(st.sampled_from(grant_levels(p, a))) for a in p.applications}
        got = check(p, grants)
        assert got.ok == oracle.admissible(grants), (grants, oracle.broken(grants), str(got))
        assert _rules_broken(got) == set(oracle.broken(grants)), (grants, str(got))


@examples(15)
@given(p=ruled_problems(KINDS, max_rules=3, partial=True), data=st.data())
def test_check_agrees_with_the_oracle_partial(p: Problem, data: st.DataObject) -> None:
    oracle = RuleOracle(p)
    for _ in range(8):
        grants = {a.id: data.draw(st.sampled_from(grant_levels(p, a))) for a in p.applications}
        got = check(p, grants)
        assert got.ok == oracle.admissible(grants), (grants, oracle.broken(grants), str(got))
        assert _rules_broken(got) == set(oracle.broken(grants)), (grants, str(got))
