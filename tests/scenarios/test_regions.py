"""Weight regions, steps and the tie test, against :func:`allocator.solve` and brute force.

A certificate that certifies wrongly shows up as a scenario whose decision differs from
``solve(scenario.apply(problem))``: every test here runs sweeps with the regions proven as
eagerly as possible (``min_hits=1``, no budget) over coarse weight grids, which put many
scenarios on region boundaries, on the faces of the simplex (zero weights) and on ties
settled by the tie-break, and compares every scenario.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem, solve
from allocator.data import load_example, load_example_policy
from allocator.optimize.engine import Engine
from allocator.rules import Exclusive, GroupLimit
from allocator.scenarios import Scenario, weight_grid, weight_samples
from allocator.scenarios.certificates import PortfolioPool
from allocator.scenarios.regions import step_point
from allocator.scenarios.unique import other_portfolio
from allocator.scenarios.worker import SweepWorker
from allocator.status import Status
from tests.brute import optimal_portfolios
from tests.conftest import examples, problems

EAGER = {"min_hits": 1, "region_budget": 10**6}


def _grants(problem: Problem) -> np.ndarray:
    return np.array([d.granted for d in solve(problem).decisions], dtype=np.int64)


def _check(p: Problem, scenarios: list[Scenario], **options: object) -> list[str]:
    """Run the scenarios twice (the second pass meets the certificates) in one worker and
    compare every outcome with solve(); the methods used."""
    worker = SweepWorker(p, **(EAGER | options))  # type: ignore[arg-type]
    want = {s.name: _grants(s.apply(p)) for s in scenarios}
    methods = []
    for s in [*scenarios, *reversed(scenarios)]:
        o = worker.run(s)
        assert o.status is Status.OPTIMAL, (s, o)
        assert np.array_equal(o.granted, want[s.name]), (s, o.method, o.granted, want[s.name])
        methods.append(o.method)
    return methods


def _call(n: int, seed: int, *, partial: bool = False) -> Problem:
    rng = np.random.default_rng(seed)
    names = ("green", "smart", "innovation")
    apps = [
        Application(
            id=f"A-{i + 1}",
            requested=int(rng.integers(3, 30)) * 10_000,
            minimum=None,
            category=("network" if i % 3 == 0 else "cluster"),
            scores={c: float(rng.integers(1, 8)) for c in names},
        )
        for i in range(n)
    ]
    frame = sum(a.requested for a in apps) // 2 // 10_000 * 10_000
    return Problem(
        frame=frame,
        criteria=[Criterion(name=c, weight=1, scale_min=1, scale_max=7) for c in names],
        applications=apps,
        rules=[GroupLimit(category="network", max_count=max(1, n // 6)), Exclusive(ids=["A-1", "A-2"])],
        options={"partial": partial, "step": 10_000},
    )


# --------------------------------------------------------------------------- the boundary rule
def test_a_tie_on_a_region_boundary_goes_to_the_tie_break() -> None:
    # X is best while a > b, Y while b > a; at a = b they tie and Y wins (the smaller id).
    crit = [Criterion(name="a", weight=1, scale_max=7), Criterion(name="b", weight=1, scale_max=7)]
    apps = [
        Application(id="B", requested=100, scores={"a": 6, "b": 2}),  # X
        Application(id="A", requested=100, scores={"a": 2, "b": 6}),  # Y
    ]
    p = Problem(frame=100, criteria=crit, applications=apps)
    scen = [Scenario(name=f"s{k}", weights={"a": a, "b": 1 - a}) for k, a in enumerate((0.9, 0.8, 0.7, 0.6, 0.1, 0.3))]
    scen.append(Scenario(name="tie", weights={"a": 0.5, "b": 0.5}))
    methods = _check(p, scen)
    assert "certificate" in methods
    assert solve(scen[-1].apply(p)).funded_ids == ["A"]


def test_a_tie_on_a_face_of_the_simplex_goes_to_the_tie_break() -> None:
    # X and Y differ only on criterion c: they tie wherever c has weight 0, and Y wins there.
    crit = [Criterion(name=n, weight=1, scale_max=7) for n in ("a", "b", "c")]
    apps = [
        Application(id="B", requested=100, scores={"a": 4, "b": 4, "c": 6}),  # X
        Application(id="A", requested=100, scores={"a": 4, "b": 4, "c": 1}),  # Y
        Application(id="C", requested=100, scores={"a": 1, "b": 1, "c": 1}),
    ]
    p = Problem(frame=100, criteria=crit, applications=apps)
    scen = weight_grid(p, steps=4)  # 15 weight vectors, 9 with a zero weight
    _check(p, scen)


def test_step_point_is_a_step_beyond_w_from_u() -> None:
    for w, u in [((3, 1, 2), (1, 1, 1)), ((5, 5), (9, 1)), ((1, 2, 3, 4), (4, 3, 2, 1))]:
        w2 = step_point(w, u)
        assert w2 is not None and min(w2) >= 0
        # normalised, w2 = w - t (u - w) with t > 0: w lies strictly between u and w2
        sw, s2, su = sum(w), sum(w2), sum(u)
        t = [Fraction(w[i], sw) - Fraction(w2[i], s2) for i in range(len(w))]
        d = [Fraction(u[i], su) - Fraction(w[i], sw) for i in range(len(w))]
        ratios = {a / b for a, b in zip(t, d, strict=True) if b}
        assert len(ratios) == 1 and next(iter(ratios)) > 0


def test_pool_refuses_weights_outside_or_on_an_unproven_boundary() -> None:
    pool = PortfolioPool(2)
    a = pool.add(np.array([1.0, 0.0]), (3, 1))
    b = pool.add(np.array([0.0, 1.0]), (1, 3))
    pool.decided(a, (3, 1))
    assert pool.open_rays(a) == [(1, 0), (1, 1)]
    pool.record((1, 0), a)
    assert pool.certified((5, 1)) is None  # (1, 1) not proven yet: nothing certified
    pool.record((1, 1), b)  # a ties b at (1, 1): a is value-optimal there
    assert pool.open_rays(a) == [] and pool.is_certified(a)
    assert pool.certified((5, 1)) == a and pool.certified((1, 0)) is None  # (1, 0): a face; (3, 1) is inside
    assert pool.certified((1, 1)) is None and pool.certified((1, 2)) is None


def test_pool_needs_a_decision_inside_the_region() -> None:
    # a and its twin b have the same totals: both are value-optimal everywhere, and only a
    # decision (the tie-break's pick) at some point of the region says which one wins.
    pool = PortfolioPool(2)
    a = pool.add(np.array([1.0, 0.0]), (2, 2))
    pool.add(np.array([0.0, 1.0]), (2, 2))
    for ray in ((1, 0), (0, 1)):
        pool.record(ray, a)
    assert pool.open_rays(a) == [] and not pool.is_certified(a)
    assert pool.certified((1, 1)) is None and pool.certified((3, 1)) is None
    pool.decided(a, (1, 1))
    assert pool.open_rays(a) == [] and pool.certified((3, 1)) == a


# --------------------------------------------------------------------------- against solve()
@examples(12)
@given(
    problems(min_n=3, max_n=8, partial=None, min_criteria=2, max_criteria=3, half_points=True, normalisation=None),
    st.integers(3, 5),
)
def test_eager_regions_match_solve_on_coarse_grids(p: Problem, steps: int) -> None:
    _check(p, weight_grid(p, steps=steps))


def test_regions_with_rules_match_solve() -> None:
    p = _call(24, 3)
    scen = weight_samples(p, 80, seed=2, resolution=12)  # repeats, ties and zero weights
    methods = _check(p, scen)
    assert methods.count("certificate") > len(methods) // 2


def test_partial_funding_with_rules_matches_solve() -> None:
    p = _call(12, 5, partial=True)
    _check(p, weight_samples(p, 40, seed=4, resolution=8))


def test_example_with_policy_matches_solve() -> None:
    # partial funding, eight rules, a floating-point objective: steps and the tie test
    p = load_example_policy().apply(load_example())
    methods = _check(p, weight_samples(p, 30, seed=7, resolution=6), min_hits=2, region_budget=4)
    assert "certificate" in methods


# --------------------------------------------------------------------------- the tie test
@examples(60)
@given(problems(max_n=5, partial=True, min_criteria=1, max_criteria=2))
def test_tie_test_against_enumeration(p: Problem) -> None:
    e = Engine.of(p, method="mip")
    best = e.best()
    assert best is not None
    tied = other_portfolio(e, best.x)
    assert tied is not None
    assert tied == (len(optimal_portfolios(p)) > 1)
