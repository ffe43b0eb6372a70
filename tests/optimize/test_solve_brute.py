"""The decision is the optimum: checked against brute-force enumeration (tests/brute.py).

Values are compared exactly (fractions recomputed from the grant vector), decisions as
grant vectors; ties are broken by the documented rule, so the optimum is unique.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Problem, Reason, Status, solve
from tests.brute import best_value, grant_levels, ineligibility, lexicographic_best, portfolio_value
from tests.conftest import examples, problems, solver_names


def _check_against_brute(p: Problem, solver: str = "highs") -> None:
    sol = solve(p, solver=solver)
    assert sol.status is Status.OPTIMAL
    assert sol.total_granted <= p.frame
    assert sum(sol.grants.values()) == sol.total_granted
    best = lexicographic_best(p)
    assert best is not None  # the empty portfolio is always admissible
    assert portfolio_value(p, sol.grants) == best.value
    assert sol.grants == best.grants
    assert sol.objective == pytest.approx(float(best.value), rel=1e-12, abs=1e-12)
    for app, d in zip(p.applications, sol.decisions, strict=True):
        assert d.id == app.id and d.funded == (d.granted > 0)
        smallest = grant_levels(p, app)[1]
        if d.granted == app.requested:
            assert d.reason is Reason.FUNDED
        elif d.granted:
            assert d.reason is Reason.FUNDED_PARTIALLY
        elif ineligibility(p, app):
            assert d.reason is Reason.INELIGIBLE
        elif smallest > p.frame:
            assert d.reason is Reason.TOO_LARGE and f"{smallest:,}" in d.note
        else:
            assert d.reason is Reason.OUTRANKED


@given(problems(max_n=14, max_criteria=3))
def test_binary_equals_brute_force(p: Problem) -> None:
    _check_against_brute(p)


@given(problems(max_n=5, partial=True))
def test_partial_equals_brute_force(p: Problem) -> None:
    _check_against_brute(p)


@examples(30)
@given(problems(max_n=9, partial=None, tie_break=True, normalisation=None, half_points=True, thresholds=True))
def test_explicit_tie_break_and_range_normalisation(p: Problem) -> None:
    _check_against_brute(p)


@examples(30)
@given(problems(max_n=12, ties=True, green=True))
def test_value_without_tie_break_is_still_optimal(p: Problem) -> None:
    sol = solve(p, tie_break=False)
    assert sol.status is Status.OPTIMAL
    assert sol.total_granted <= p.frame
    assert portfolio_value(p, sol.grants) == best_value(p)


@examples(30)
@given(problems(max_n=10, partial=None, thresholds=True), st.randoms(use_true_random=False))
def test_permuting_rows_changes_no_decision(p: Problem, rnd: object) -> None:
    apps = list(p.applications)
    rnd.shuffle(apps)  # type: ignore[attr-defined]
    q = Problem(frame=p.frame, criteria=p.criteria, applications=apps, options=p.options)
    a, b = solve(p), solve(q)
    assert [d.id for d in b.decisions] == [x.id for x in apps]  # input order kept
    by_id_a = {d.id: d for d in a.decisions}
    by_id_b = {d.id: d for d in b.decisions}
    assert by_id_a == by_id_b
    assert a.objective == pytest.approx(b.objective, rel=1e-12)


@examples(20)
@given(problems(max_n=12, partial=None))
def test_solving_twice_gives_identical_output(p: Problem) -> None:
    a = solve(p).model_dump(mode="json", exclude={"runtime_s"})
    b = solve(p).model_dump(mode="json", exclude={"runtime_s"})
    assert a == b


@examples(12)
@given(problems(max_n=8, partial=None))
def test_solvers_agree(p: Problem) -> None:
    grants = {name: solve(p, solver=name).grants for name in solver_names()}
    first = grants["highs"]
    assert all(g == first for g in grants.values()), grants
    assert first == lexicographic_best(p).grants  # type: ignore[union-attr]


@examples(40)
@given(problems(max_n=10, partial=None, thresholds=True))
def test_ineligible_never_funded_and_reason_names_threshold(p: Problem) -> None:
    sol = solve(p)
    for app in p.applications:
        d = sol.decision(app.id)
        missed = ineligibility(p, app)
        assert d.eligible == (not missed)
        if not missed:
            assert d.reason is not Reason.INELIGIBLE
            continue
        assert not d.funded and d.granted == 0
        assert d.reason is Reason.INELIGIBLE
        for name in missed:
            if name == "total":
                assert "weighted score" in d.note and "threshold" in d.note
            else:
                assert p.criterion(name).display in d.note and "threshold" in d.note


def test_ineligible_best_application_is_skipped(small_problem: Problem) -> None:
    """Thresholds take applications out whatever their value; the note names the threshold."""
    crits = [c.model_copy(update={"threshold": 7.0}) if c.name == "green" else c for c in small_problem.criteria]
    unfair = Problem(frame=small_problem.frame, criteria=crits, applications=small_problem.applications)
    # Only B-4 scores 7 on green: it alone is eligible.
    sol = solve(unfair)
    assert sol.funded_ids == ["B-4"]
    crits = [c.model_copy(update={"threshold": 3.0}) if c.name == "green" else c for c in small_problem.criteria]
    p = Problem(frame=small_problem.frame, criteria=crits, applications=small_problem.applications)
    sol = solve(p)
    d = sol.decision("B-3")
    assert d.reason is Reason.INELIGIBLE and "threshold 3" in d.note
    assert sol.grants == lexicographic_best(p).grants  # type: ignore[union-attr]
