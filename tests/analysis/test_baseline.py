"""Rank-and-fund (today's practice) against an independent implementation, and compare()."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given

from allocator import Application, Criterion, Problem, Reason, compare, rank_and_fund, solve
from allocator.exceptions import InputError
from allocator.rules import MaxGrant, MustFund, check
from tests.brute import ineligibility, portfolio_value, rank_and_fund_grants, weighted_score
from tests.conftest import examples, problems


def _rank_and_fund(p: Problem) -> tuple[dict[str, int], list[str]]:
    """Fund down the list of eligible applications (best score, then cheaper, then id)."""
    return rank_and_fund_grants(p)


@examples(60)
@given(problems(max_n=14, partial=None, thresholds=True, normalisation=None, half_points=True))
def test_rank_and_fund_matches_independent_implementation(p: Problem) -> None:
    grants, _ = _rank_and_fund(p)
    sol = rank_and_fund(p)
    assert sol.grants == grants
    assert [d.id for d in sol.decisions] == p.ids
    assert sol.total_granted == sum(grants.values()) <= p.frame
    assert sol.frame_left == p.frame - sol.total_granted
    assert sol.n_funded == sum(1 for g in grants.values() if g)
    assert sol.objective == pytest.approx(float(portfolio_value(p, grants)), rel=1e-12, abs=1e-15)
    for d in sol.decisions:
        app = p.application(d.id)
        assert d.score == pytest.approx(float(weighted_score(p, app)), rel=1e-12)
        # one rank numbering: 1 + the number of applications with a strictly higher score
        higher = sum(1 for b in p.applications if weighted_score(p, b) > weighted_score(p, app))
        assert d.rank == higher + 1
        if d.funded:
            assert d.reason is Reason.FUNDED and d.granted == app.requested
        elif ineligibility(p, app):
            assert d.reason is Reason.INELIGIBLE and not d.eligible
        else:
            assert d.reason is Reason.OUTRANKED


@examples(40)
@given(problems(max_n=12, partial=None, thresholds=True))
def test_compare_fields(p: Problem) -> None:
    opt, base = solve(p), rank_and_fund(p)
    c = compare(opt, base)
    a, b = opt.grants, base.grants
    v_opt, v_base = portfolio_value(p, a), portfolio_value(p, b)
    assert v_opt >= v_base  # rank-and-fund is one admissible portfolio; the optimum is the best
    assert c.optimal_value == pytest.approx(float(v_opt), rel=1e-12)
    assert c.baseline_value == pytest.approx(float(v_base), rel=1e-12)
    assert c.improvement == pytest.approx(float(v_opt - v_base), rel=1e-9, abs=1e-12)
    if v_base > 0:
        assert c.improvement_pct == pytest.approx(float((v_opt - v_base) / v_base * 100), rel=1e-9, abs=1e-9)
    else:
        assert c.improvement_pct is None
    assert c.optimal_granted == sum(a.values()) and c.baseline_granted == sum(b.values())
    assert set(c.only_optimal) == {i for i in p.ids if a[i] and not b[i]}
    assert set(c.only_baseline) == {i for i in p.ids if b[i] and not a[i]}
    assert set(c.different_amount) == {i for i in p.ids if a[i] and b[i] and a[i] != b[i]}
    table = c.to_frame(opt, base)
    assert list(table["id"]) == p.ids
    assert table["granted_optimal"].tolist() == [a[i] for i in p.ids]
    assert table["granted_rank_and_fund"].tolist() == [b[i] for i in p.ids]
    text = str(c)
    assert "rank-and-fund" in text
    for i in c.only_optimal:
        assert i in text


def test_compare_by_hand() -> None:
    """Values, percentages, sets, the table and the text of one comparison worked out here
    (the property test above draws few calls where the two portfolios differ)."""
    crit = [Criterion(name="g", weight=1, scale_max=10)]
    apps = [
        Application(id="A", requested=10, minimum=10, scores={"g": 9}),
        Application(id="B", requested=5, minimum=1, scores={"g": 5}),
        Application(id="C", requested=4, minimum=1, scores={"g": 2}),
    ]
    p = Problem(frame=16, criteria=crit, applications=apps, options={"partial": True, "step": 1})
    # A (0.9 for 10 kr) and B (0.1 per kr) beat C (0.05 per kr): A 10 + B 5 + C 1
    opt = solve(p)
    assert opt.grants == {"A": 10, "B": 5, "C": 1}
    # with a frame of 13: A 10 + B 3
    other = solve(p.with_frame(13))
    assert other.grants == {"A": 10, "B": 3, "C": 0}
    c = compare(opt, other)
    v_opt, v_other = Fraction(9, 10) + Fraction(5, 10) + Fraction(2, 10) / 4, Fraction(9, 10) + Fraction(3, 10)
    assert c.optimal_value == pytest.approx(float(v_opt)) and c.baseline_value == pytest.approx(float(v_other))
    assert c.improvement_pct == pytest.approx(float((v_opt - v_other) / v_other * 100))  # 20.83 %
    assert (c.optimal_granted, c.baseline_granted) == (16, 13)
    assert c.only_optimal == ("C",)  # a grant of 1 kr is a grant
    assert c.only_baseline == () and c.different_amount == ("B",)
    back = compare(other, opt)
    assert (
        back.only_baseline == ("C",)
        and back.only_optimal == ()
        and back.improvement_pct == pytest.approx(float((v_other - v_opt) / v_opt * 100))
    )
    table = c.to_frame(opt, other)
    assert list(table.columns) == ["id", "score", "requested", "granted_optimal", "granted_rank_and_fund"]
    assert table.to_dict("list") == {
        "id": ["A", "B", "C"],
        "score": [0.9, 0.5, 0.2],
        "requested": [10, 5, 4],
        "granted_optimal": [10, 5, 1],
        "granted_rank_and_fund": [10, 3, 0],
    }
    lines = str(c).splitlines()
    assert lines[2].endswith("(+20.8 %)") and "+0.2500" in lines[2]
    assert lines[3:] == ["funded only by the optimum:   C", "funded at another amount:     B"]
    assert str(back).splitlines()[3:] == ["funded only by rank-and-fund: C", "funded at another amount:     B"]


def test_compare_refuses_what_is_not_a_solution() -> None:
    with pytest.raises(TypeError, match=r"^compare: ") as info:
        compare(solve(_tiny()), {"A": 1})  # type: ignore[arg-type]
    assert str(info.value) == (
        "compare: expected two allocator.Solution objects, got dict; "
        "give the results of allocator.solve and allocator.rank_and_fund"
    )


def test_compare_names_the_applications_of_two_different_calls() -> None:
    other = Problem(
        frame=5,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[Application(id="B-2", requested=5, scores={"g": 5})],
    )
    with pytest.raises(InputError) as info:
        compare(solve(_tiny()), solve(other))
    text = str(info.value)
    assert "only in the first: A;" in text and "only in the second: B-2)" in text and "same call" in text


def test_compare_lists_every_application_in_its_text() -> None:
    crit = [Criterion(name="g", weight=1, scale_max=10)]
    apps = [
        Application(id="A", requested=10, minimum=10, scores={"g": 9}),
        Application(id="B", requested=5, minimum=1, scores={"g": 5}),
        Application(id="C", requested=4, minimum=1, scores={"g": 2}),
        Application(id="D", requested=4, minimum=1, scores={"g": 1}),
    ]
    p = Problem(frame=20, criteria=crit, applications=apps, options={"partial": True, "step": 1})
    wide, narrow = solve(p), solve(p.with_frame(10))
    assert wide.grants == {"A": 10, "B": 5, "C": 4, "D": 1} and narrow.grants == {"A": 10, "B": 0, "C": 0, "D": 0}
    assert str(compare(wide, narrow)).splitlines()[3:] == ["funded only by the optimum:   B, C, D"]
    assert str(compare(narrow, wide)).splitlines()[3:] == ["funded only by rank-and-fund: B, C, D"]
    capped = solve(
        Problem(
            frame=20, criteria=crit, applications=apps, options=p.options, rules=[MaxGrant(ids=["B", "C"], amount=2)]
        )
    )
    assert capped.grants == {"A": 10, "B": 2, "C": 2, "D": 4}
    assert str(compare(wide, capped)).splitlines()[3:] == ["funded at another amount:     B, C, D"]


def test_compare_with_a_solution_without_portfolio_counts_it_as_funding_nothing() -> None:
    crit = [Criterion(name="g", weight=1, scale_max=10)]
    apps = [Application(id="A", requested=6, scores={"g": 5}), Application(id="B", requested=3, scores={"g": 5})]
    p = Problem(frame=5, criteria=crit, applications=apps, rules=[MustFund(ids=["A"])])  # A cannot fit
    failed, baseline = solve(p, raise_on_failure=False), rank_and_fund(p)
    assert failed.grants == {} and baseline.grants == {"A": 0, "B": 3}
    c = compare(failed, baseline)
    assert (c.only_optimal, c.only_baseline, c.different_amount, c.optimal_granted) == ((), ("B",), (), 0)
    back = compare(baseline, failed)
    assert (back.only_optimal, back.only_baseline, back.baseline_granted) == (("B",), (), 0)
    assert back.improvement_pct is None  # nothing to divide by
    assert str(back).splitlines()[2] == f"gain over rank-and-fund      {back.improvement:+10.4f}"


def _tiny() -> Problem:
    return Problem(
        frame=5,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[Application(id="A", requested=5, scores={"g": 5})],
    )


def test_rank_and_fund_skips_what_no_longer_fits_and_loses_value(small_problem: Problem) -> None:
    """B-4 (best) takes 400 000 of 625 000; the optimum does better without it."""
    base = rank_and_fund(small_problem)
    opt = solve(small_problem)
    assert base.grants == _rank_and_fund(small_problem)[0]
    assert portfolio_value(small_problem, opt.grants) > portfolio_value(small_problem, base.grants) > Fraction(0)
    c = compare(opt, base)
    assert c.improvement > 0 and c.only_optimal and c.only_baseline


# ---------------------------------------------------------------- with the call's rules
from tests.rules_strategies import KINDS, ruled_problems  # noqa: E402


def _broken(p: Problem, grants: dict[str, int]) -> dict[tuple[str, str], float]:
    return {(v.rule, v.part): v.excess for v in check(p, grants).violations}


@examples(40)
@given(ruled_problems(KINDS, partial=None))
def test_rank_and_fund_with_rules_stops_only_where_a_rule_would_break(p: Problem) -> None:
    """With rules, the list is gone down as far as the rules allow: every eligible application
    left out (at every grant that fits what is left) would break a rule or break one further;
    the frame is kept; and when the result satisfies every rule the optimum is at least as good."""
    from allocator.model.levels import levels

    sol = rank_and_fund(p)
    grants = sol.grants
    assert sol.total_granted == sum(grants.values()) <= p.frame
    assert sol.objective == pytest.approx(float(portfolio_value(p, grants)), rel=1e-12, abs=1e-15)
    now = _broken(p, grants)
    left = p.frame - sum(grants.values())
    for a in p.applications:
        if grants[a.id] or ineligibility(p, a):
            continue
        amounts = levels(a, p.options).amounts() if p.options.partial else [a.requested]
        for amount in (x for x in amounts if x <= left):
            after = _broken(p, {**grants, a.id: amount})
            assert any(e > now.get(k, 0.0) + 1e-9 for k, e in after.items()), (a.id, amount)
    if not now:
        best = solve(p, raise_on_failure=False)
        assert best.status.has_solution
        assert portfolio_value(p, best.grants) >= portfolio_value(p, grants)
    assert rank_and_fund(p, rules=False).grants == _rank_and_fund(p)[0]


def test_compare_names_the_odd_applications_in_id_order_word_for_word() -> None:
    crit = [Criterion(name="g", weight=1, scale_max=10)]

    def call(*ids: str) -> Problem:
        return Problem(
            frame=5, criteria=crit, applications=[Application(id=i, requested=5, scores={"g": 5}) for i in ids]
        )

    with pytest.raises(InputError) as info:
        compare(solve(call("A-10", "A-2", "B")), solve(call("B")))
    assert str(info.value) == (
        "compare: the two solutions decide different applications (only in the first: A-2, A-10; "
        "only in the second: none); give two solutions of the same call"
    )
    with pytest.raises(InputError) as info:
        compare(solve(call("B")), solve(call("A-10", "B", "A-2")))
    assert "(only in the first: none; only in the second: A-2, A-10)" in str(info.value)


def test_compare_a_grant_of_one_krone_and_a_baseline_worth_nothing() -> None:
    crit = [Criterion(name="g", weight=1, scale_max=10)]
    apps = [
        Application(id="A", requested=4, minimum=1, scores={"g": 0}),
        Application(id="B", requested=4, minimum=4, scores={"g": 5}),
    ]
    p = Problem(frame=5, criteria=crit, applications=apps, options={"partial": True, "step": 1})
    one = solve(p.with_frame(1).with_options(tie_break=("granted",)))  # worth nothing: A's 1 kr or nothing
    two = solve(p.with_frame(2).with_options(tie_break=("granted",)))
    assert one.grants == {"A": 1, "B": 0} and two.grants == {"A": 2, "B": 0}
    c = compare(two, one)
    assert c.different_amount == ("A",) and c.only_optimal == () and c.only_baseline == ()
    assert c.improvement_pct is None  # nothing to compare a gain with
    assert str(c).splitlines()[2] == "gain over rank-and-fund         +0.0000"
