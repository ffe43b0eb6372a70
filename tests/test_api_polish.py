"""Small API frictions removed: portfolios by iteration, rules as data, exact margins, and the
state-aid register flag."""

from __future__ import annotations

from fractions import Fraction

import pytest

from allocator import Application, Criterion, Problem, explain, solve
from allocator.analysis import explanations, k_best
from allocator.data import load_example, load_example_policy
from allocator.rules.state_aid import state_aid_register
from allocator.solution import RuleRef

P = Problem(
    frame=100,
    criteria=[Criterion(name="g", weight=1, scale_max=10)],
    applications=[
        Application(id="A", requested=60, scores={"g": 9}),
        Application(id="B", requested=50, scores={"g": 6}),
        Application(id="C", requested=50, scores={"g": 5}),
    ],
)


def test_iterating_alternatives_yields_portfolios() -> None:
    alts = k_best(P, 3)
    got = [(p.rank, p.funded) for p in alts]
    assert got == [(1, ("B", "C")), (2, ("A",)), (3, ("B",))]
    assert list(alts) == list(alts.portfolios) and alts[0].value == pytest.approx(1.1)
    assert alts.model_dump()["kind"] == "k best"  # pydantic's own dump still works


def test_exact_margins_through_the_public_api() -> None:
    df = explain(P, exact=True)
    assert df.loc[0, "margin_up"] == Fraction(1, 5) and isinstance(df.loc[0, "score"], Fraction)
    assert df.loc[1, "margin_down"] == Fraction(1, 5) and df.loc[0, "margin_down"] is None
    items = explanations(P)
    assert [e.margin_up for e in items] == [Fraction(1, 5), None, None]


def test_rules_are_data_as_well_as_text() -> None:
    p = load_example_policy().apply(load_example())
    s = solve(p)
    assert s.rule_refs and [str(r) for r in s.rule_refs] == list(s.binding_rules)
    co = next(r for r in s.rule_refs if r.label.startswith("public funding"))
    assert co.part.startswith("2022-R2-")
    for d in s.decisions:
        assert [str(r) for r in d.rule_refs] == list(d.binding_rules)
    blocked = [e for e in explanations(p, s, max_grant=False) if e.rules]
    assert blocked and all([str(r) for r in e.rule_refs] == list(e.rules) for e in blocked)
    # a round trip through JSON keeps both
    again = type(s).model_validate_json(s.model_dump_json())
    assert again.rule_refs == s.rule_refs and again.decisions[2].rule_refs == s.decisions[2].rule_refs
    assert RuleRef(label="x", part="y") == RuleRef.parse("x [y]")


def test_state_aid_flag_at_the_threshold_and_not_one_krone_below() -> None:
    grants = {"at": 1_150_000, "below": 1_149_999, "above": 2_000_000, "none": 0}
    r = state_aid_register(grants, eur_nok=11.5)
    assert r.threshold == 1_150_000 and r.flagged == ("at", "above") and "at" in r and "below" not in r
    # the threshold is a parameter; a rate with more decimals is compared exactly (100 000 x 11.4537 = 1 145 370)
    r = state_aid_register({"a": 1_145_370, "b": 1_145_369}, eur_nok=11.4537)
    assert r.flagged == ("a",)
    assert state_aid_register({"a": 500_000}, eur_nok=10, threshold_eur=50_000).flagged == ("a",)
    # the rate of the call's de minimis rule, when there is one (the example's: 10.0)
    p = load_example_policy().apply(load_example())
    r = state_aid_register({"2022-R2-01": 1_000_000, "2022-R2-02": 999_999}, p)
    assert (r.eur_nok, r.rate_source, r.threshold, r.flagged) == (
        10.0,
        "de minimis rule",
        1_000_000,
        ("2022-R2-01",),
    )
    # no rate: nothing flagged, and it says so
    assert state_aid_register(grants).threshold is None and state_aid_register(grants).flagged == ()
