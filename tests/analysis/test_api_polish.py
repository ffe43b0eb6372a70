"""Small API frictions removed: portfolios by iteration, rules as data, exact margins."""

from __future__ import annotations

from fractions import Fraction

import pytest

from allocator import Application, Criterion, Problem, explain, solve
from allocator.analysis import explanations, k_best
from allocator.data import load_example, load_example_policy
from allocator.model.solution import RuleRef

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
