"""k best, all optima and diverse portfolios against brute-force enumeration."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import AllocatorError, Application, Criterion, Problem
from allocator.analysis.alternatives import Alternatives, all_optima, diverse, k_best
from allocator.exceptions import InfeasibleError
from allocator.rules import Exclusive, FundedCount, GroupLimit, MustFund
from tests.brute import Feasible, enumerate_portfolios, portfolio_value, weighted_score
from tests.conftest import examples, problems


def by_selection(p: Problem, feasible: Feasible | None = None) -> dict[frozenset[str], Fraction]:
    """Brute force: the best value of every admissible selection (set of funded ids)."""
    best: dict[frozenset[str], Fraction] = {}
    per_krone = [weighted_score(p, a) / a.requested for a in p.applications]
    for g in enumerate_portfolios(p, feasible):
        key = frozenset(i for i, v in zip(p.ids, g, strict=True) if v > 0)
        v = sum((c * x for c, x in zip(per_krone, g, strict=True) if x), Fraction(0))
        if key not in best or v > best[key]:
            best[key] = v
    return best


def check_portfolios(p: Problem, alts: Alternatives, feasible: Feasible | None = None) -> None:
    """Each listed portfolio is admissible, worth what it says, and selections are distinct."""
    seen = set()
    for q in alts.portfolios:
        assert sum(q.grants.values()) == q.granted <= p.frame
        assert portfolio_value(p, q.grants) == q.value_exact
        assert feasible is None or feasible(q.grants)
        assert q.funded == tuple(i for i in p.ids if q.grants[i] > 0)
        assert q.gap == float(alts.optimum_exact - q.value_exact)
        seen.add(frozenset(q.funded))
    assert len(seen) == len(alts)


def with_rules(p: Problem, rules: list) -> Problem:  # type: ignore[type-arg]
    return Problem(**{k: getattr(p, k) for k in ("frame", "criteria", "applications", "options")}, rules=rules)


@examples(12)
@given(problems(min_n=8, max_n=12, thresholds=True), st.integers(1, 12))
def test_k_best_equals_brute_force(p: Problem, k: int) -> None:
    alts = k_best(p, k)
    check_portfolios(p, alts)
    values = sorted(by_selection(p).values(), reverse=True)
    assert [q.value_exact for q in alts.portfolios] == values[:k]
    assert alts.complete == (len(values) < k)
    assert [q.rank for q in alts.portfolios] == list(range(1, len(alts) + 1))


@examples(8)
@given(problems(max_n=4, partial=True), st.integers(1, 8))
def test_k_best_partial_funding_distinct_selections(p: Problem, k: int) -> None:
    alts = k_best(p, k)
    check_portfolios(p, alts)
    values = sorted(by_selection(p).values(), reverse=True)
    assert [q.value_exact for q in alts.portfolios] == values[:k]


@examples(12)
@given(problems(max_n=10), st.integers(1, 8))
def test_k_best_with_rules_equals_brute_force(p: Problem, k: int) -> None:
    ids = p.ids
    rules = [FundedCount(max=max(1, len(ids) // 2), label="count"), Exclusive(ids=ids[:2], label="not both")]
    q = with_rules(p, rules)

    def ok(g: dict[str, int]) -> bool:
        return sum(v > 0 for v in g.values()) <= max(1, len(ids) // 2) and sum(g[i] > 0 for i in ids[:2]) <= 1

    alts = k_best(q, k)
    check_portfolios(q, alts, ok)
    values = sorted(by_selection(q, ok).values(), reverse=True)
    assert [x.value_exact for x in alts.portfolios] == values[:k]


@examples(20)
@given(problems(max_n=10, ties=True))
def test_all_optima_equal_brute_force(p: Problem) -> None:
    alts = all_optima(p, limit=1000)
    assert alts.complete
    check_portfolios(p, alts)
    table = by_selection(p)
    top = max(table.values())
    assert {frozenset(q.funded) for q in alts.portfolios} == {s for s, v in table.items() if v == top}


def test_all_optima_limit(small_problem: Problem) -> None:
    a = small_problem.applications[0]
    same = [
        a.model_copy(update={"id": f"T-{k}", "requested": 50, "scores": {"green": 5.0, "smart": 5.0}}) for k in range(5)
    ]
    ties = Problem(frame=100, criteria=small_problem.criteria, applications=same)
    assert len(all_optima(ties, limit=1000)) == 10  # every pair of five equal applications
    few = all_optima(ties, limit=3)
    assert len(few) == 3 and not few.complete


@examples(15)
@given(problems(max_n=9), st.integers(1, 6), st.integers(1, 4), st.sampled_from([0.0, 5.0, 10.0, 25.0]))
def test_diverse_is_greedy_best_under_its_constraints(p: Problem, n: int, d: int, within: float) -> None:
    alts = diverse(p, n, min_difference=d, within=within)
    check_portfolios(p, alts)
    table = by_selection(p)
    top = max(table.values())
    floor = top * (1 - Fraction(str(within)) / 100)
    assert alts.portfolios[0].value_exact == top
    chosen: list[frozenset[str]] = []
    for q in alts.portfolios:
        s = frozenset(q.funded)
        assert q.value_exact >= floor and all(len(s ^ c) >= d for c in chosen)
        # the most valuable selection satisfying the constraints at this step
        allowed = [v for t, v in table.items() if v >= floor and all(len(t ^ c) >= d for c in chosen)]
        assert q.value_exact == max(allowed)
        chosen.append(s)
    if alts.complete:
        assert not [t for t, v in table.items() if v >= floor and all(len(t ^ c) >= d for c in chosen)]


def test_example_alternatives() -> None:
    from allocator.data import load_example

    p = load_example()
    top = k_best(p, 5)
    assert top[0].gap == 0 and all(a.value >= b.value for a, b in zip(top.portfolios, top.portfolios[1:], strict=False))
    frame = top.to_frame()
    assert list(frame.columns[:3]) == ["rank", "value", "gap"] and frame["removed"].iloc[0] == ""
    wide = top.grants_frame()
    assert list(wide.index) == p.ids and list(wide.columns) == ["1", "2", "3", "4", "5"]
    div = diverse(p, 3, min_difference=4, within=2.0)
    sets = [set(q.funded) for q in div.portfolios]
    assert all(len(a ^ b) >= 4 for k, a in enumerate(sets) for b in sets[:k])
    assert all(q.gap_pct is not None and q.gap_pct <= 2.0 for q in div.portfolios)
    assert "k best" in str(top) and top.model_dump(mode="json")["optimum_exact"] == str(top.optimum_exact)


def test_bad_arguments_and_infeasible(small_problem: Problem) -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(AllocatorError, match="k"):
            k_best(small_problem, bad)  # type: ignore[arg-type]
    with pytest.raises(AllocatorError, match="percentage"):
        diverse(small_problem, 3, within=150)
    with pytest.raises(AllocatorError, match="min_difference"):
        diverse(small_problem, 3, min_difference=0)
    impossible = with_rules(small_problem, [MustFund(ids=["B-4"]), GroupLimit(ids=["B-4"], max_amount=100_000)])
    with pytest.raises(InfeasibleError):
        k_best(impossible, 3)


def test_k_best_is_in_value_order() -> None:
    """Issue 9, defect 3: HiGHS's presolve once returned a portfolio worth 0.378 as optimal
    where 0.406 was feasible, after four no-good cuts."""
    from allocator.rules import GroupLimit, Requires

    data = [
        ("A1", 60000, 30499, "klynge"),
        ("A2", 220000, 75414, "klynge"),
        ("A3", 50000, 57956, "nettverk"),
        ("A4", 180000, 106183, "klynge"),
        ("A5", 180000, 62573, "nettverk"),
        ("A6", 160000, 135539, "nettverk"),
        ("A7", 70000, 136651, "klynge"),
    ]
    p = Problem(
        frame=540000,
        criteria=[Criterion(name="g", weight=1, scale_max=10**6)],
        applications=[Application(id=i, requested=r, scores={"g": s}, category=c) for i, r, s, c in data],
        rules=[GroupLimit(category="nettverk", min_amount=90000), Requires(ids=["A5"], requires=["A1", "A6"])],
    )
    values = [q.value_exact for q in k_best(p, 10).portfolios]
    assert values == sorted(values, reverse=True)
    assert values[4] == Fraction(405560, 10**6)
