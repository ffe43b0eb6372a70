"""The supported ranges (model/limits.py) are refused outside and solved right inside, by
every solver: amounts up to MAX_AMOUNT (10**13), weights from MIN_WEIGHT to MAX_WEIGHT, scores up to
MAX_SCORE (issue 9, defect 16: 2**53 and weights of 1e308 reached HiGHS)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem, solve
from allocator.exceptions import InputError
from allocator.model.limits import MAX_AMOUNT, MAX_SCORE, MAX_WEIGHT, MIN_WEIGHT
from tests.conftest import examples, solver_names


def brute_value(p: Problem) -> Fraction:
    """The best value by enumeration, in exact arithmetic (shares nothing with the solver path)."""
    crit = p.criteria
    best = Fraction(0)
    for pick in itertools.product([0, 1], repeat=len(p.applications)):
        if sum(a.requested for a, x in zip(p.applications, pick, strict=True) if x) > p.frame:
            continue
        v = sum(
            (
                Fraction(c.weight) * Fraction(a.scores[c.name]) / Fraction(c.scale_max)
                for a, x in zip(p.applications, pick, strict=True)
                if x
                for c in crit
            ),
            Fraction(0),
        )
        best = max(best, v)
    return best


def value_of(p: Problem, funded: list[str]) -> Fraction:
    return sum(
        (
            Fraction(c.weight) * Fraction(a.scores[c.name]) / Fraction(c.scale_max)
            for a in p.applications
            if a.id in funded
            for c in p.criteria
        ),
        Fraction(0),
    )


@examples(25)
@given(
    st.lists(st.integers(1, MAX_AMOUNT), min_size=2, max_size=6),
    st.lists(st.integers(0, 10**6), min_size=6, max_size=6),
    st.floats(0.2, 0.8),
    st.sampled_from(
        [
            (1.0, 1.0),
            (MAX_WEIGHT, MAX_WEIGHT),
            (MIN_WEIGHT, MIN_WEIGHT),
            (MIN_WEIGHT, 0.0),
            (MAX_WEIGHT, MAX_WEIGHT / 1000),
            (MIN_WEIGHT, MAX_WEIGHT),
        ]
    ),
)
def test_the_edges_of_the_ranges_solve_to_the_brute_force_optimum(
    requests: list[int], scores: list[int], share: float, weights: tuple[float, float]
) -> None:
    frame = max(1, min(MAX_AMOUNT, int(sum(requests) * share)))
    crit = [
        Criterion(name="g", weight=weights[0], scale_max=10**6),
        Criterion(name="s", weight=weights[1], scale_max=MAX_SCORE),
    ]
    apps = [
        Application(id=f"A{k}", requested=r, scores={"g": scores[k], "s": scores[-k - 1] * 1000})
        for k, r in enumerate(requests)
    ]
    try:
        p = Problem(frame=frame, criteria=crit, applications=apps)
    except InputError as exc:  # only values no solver can tell apart are refused
        assert "no solver can tell" in str(exc) and spread(crit, apps) < Fraction(1, 10**8), exc
        return
    assert spread(crit, apps) >= Fraction(1, 10**8) * Fraction(99, 100)  # float rounding at the border
    best = brute_value(p)
    for solver in solver_names():
        sol = solve(p, solver=solver)
        assert sol.status.value == "optimal", solver
        assert sol.total_granted <= frame
        assert value_of(p, sol.funded_ids) == best, solver


def spread(crit: list[Criterion], apps: list[Application]) -> Fraction:
    """The smallest non-zero application value over the sum of all values (exact, by hand)."""
    vals = [
        abs(sum((Fraction(c.weight) * Fraction(a.scores[c.name]) / Fraction(c.scale_max) for c in crit), Fraction(0)))
        for a in apps
    ]
    vals = [v for v in vals if v]
    return min(vals) / sum(vals) if vals else Fraction(1)


def test_weights_at_both_ends_of_the_range_on_one_call() -> None:
    """Values of 1e-12 next to 1 (weights 1e-6 and 1e6, scales 1e6 and 1e9): the tie-break held
    the value within 1e-9 and funded nothing, CBC read 1e-12 as 0. Such a call is refused at
    input, naming the application; values within reach are solved to the optimum."""
    crit = [
        Criterion(name="g", weight=MIN_WEIGHT, scale_max=10**6),
        Criterion(name="s", weight=MAX_WEIGHT, scale_max=10**9),
    ]
    apps = [
        Application(id="A", requested=1, scores={"g": 1, "s": 0}),
        Application(id="B", requested=5, scores={"g": 0, "s": 1000}),
        Application(id="C", requested=1, scores={"g": 3, "s": 0}),
    ]
    assert spread(crit, apps) < Fraction(1, 10**8)
    with pytest.raises(InputError, match=r"application 'A' is worth 1e-12 .* bring the weights closer together"):
        Problem(frame=4, criteria=crit, applications=apps)
    near = [crit[0], Criterion(name="s", weight=1e-3, scale_max=10**9)]
    assert spread(near, apps) > Fraction(1, 10**8)
    p = Problem(frame=4, criteria=near, applications=apps)
    assert brute_value(p) == value_of(p, ["A", "C"]) > 0
    for solver in solver_names():
        for tie_break in (True, False):
            assert solve(p, solver=solver, tie_break=tie_break).funded_ids == ["A", "C"], solver


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: Application(id="A", requested=MAX_AMOUNT + 1, scores={}), "largest amount"),
        (lambda: Criterion(name="g", weight=MAX_WEIGHT * 1.01), "largest weight"),
        (lambda: Criterion(name="g", weight=MIN_WEIGHT / 2), "smallest positive weight"),
        (lambda: Criterion(name="g", weight=1, scale_max=MAX_SCORE * 10), "range"),
        (lambda: Criterion(name="g", weight=1, scale_min=-(10**8), scale_max=1), "below 0"),
        (lambda: Application(id="A", requested=1, scores={"g": 1e10}), "range"),
    ],
)
def test_outside_the_ranges_is_refused(make: object, says: str) -> None:
    with pytest.raises(InputError, match=says):
        make()  # type: ignore[operator]


def test_a_value_of_exactly_zero_is_not_refused_as_too_small() -> None:
    """0.1 + 0.2 - 0.3 is 5.55e-17 in floats and 0 as typed: the value-spread check refused it."""
    crit = [Criterion(name=n, weight=1, scale_min=-1, scale_max=1) for n in "abc"]
    apps = [
        Application(id="A", requested=1, scores={"a": 0.1, "b": 0.2, "c": -0.3}),
        Application(id="B", requested=1, scores={"a": 1, "b": 1, "c": 1}),
    ]
    assert solve(Problem(frame=1, criteria=crit, applications=apps)).funded_ids == ["B"]


def test_a_value_of_exactly_zero_is_not_float_noise() -> None:
    """0.1 + 0.2 - 0.3 is 5.55e-17 in floats and 0 exactly: an application worth 0 beside one
    worth 0.6 is accepted (a value that small would be refused), and one worth 1e-12 is not."""
    crit = [Criterion(name=n, weight=w, scale_min=-1, scale_max=1) for n, w in (("a", 0.1), ("b", 0.2), ("c", 0.3))]
    apps = [
        Application(id="zero", requested=10, scores={"a": 1, "b": 1, "c": -1}),
        Application(id="full", requested=10, scores={"a": 1, "b": 1, "c": 1}),
    ]
    assert 0.1 * 1 + 0.2 * 1 + 0.3 * -1 != 0  # the noise the check must not see
    p = Problem(frame=10, criteria=crit, applications=apps)
    assert solve(p).funded_ids == ["full"]
    tiny = Application(id="tiny", requested=10, scores={"a": 1e-11, "b": 0, "c": 0})
    with pytest.raises(InputError, match="application 'tiny' is worth 1e-12"):
        Problem(frame=10, criteria=crit, applications=[*apps, tiny])
