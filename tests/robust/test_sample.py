"""Sampled acceptability: both engines give the same optima, draws stay in their sets."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from allocator import solve
from allocator.data import load_example, load_example_policy
from allocator.exceptions import InfeasibleError, InputError
from allocator.robust import Uncertainty, WeightPolytope, acceptability, nondominated
from allocator.robust.sample import draws, fixed_eligibility
from allocator.scenarios import process_pool
from tests.robust.oracle import make_case


@pytest.fixture(scope="module")
def example() -> tuple[object, Uncertainty, object]:
    p = load_example_policy().apply(load_example()).with_options(partial=False)
    u = Uncertainty.of(order="green >= smart >= others", plus_minus=0.5)
    return p, u, nondominated(p, u)


def test_draws_lie_in_the_polytope_and_intervals(example: tuple) -> None:
    p, u, _ = example
    d = draws(p, u, 500, seed=3)
    P = WeightPolytope.of([c.name for c in p.criteria], u.weights)
    for w in d.weights:
        assert P.contains(tuple(Fraction(round(x * 10_000), 10_000) for x in w))
    low, high = u.scores.bounds(p)
    lo = np.array([[float(x) for x in r] for r in low])
    hi = np.array([[float(x) for x in r] for r in high])
    assert ((d.scores >= lo - 1e-12) & (d.scores <= hi + 1e-12)).all()
    assert len(np.unique(d.scores)) > 20  # they do vary


def test_engines_agree_draw_by_draw_on_the_example(example: tuple) -> None:
    p, u, r = example
    a = acceptability(p, u, 60, seed=5, exact=r)
    b = acceptability(p, u, 60, seed=5, method="scenarios")
    assert a.method == "nondominated" and b.method == "scenarios"
    assert (a.funded == b.funded).all()


def test_core_always_and_exterior_never_funded(example: tuple) -> None:
    p, u, r = example
    a = acceptability(p, u, 3000, seed=1, exact=r)
    cls = np.array(r.classes)
    assert (a.share[cls == "core"] == 1).all()
    assert (a.share[cls == "exterior"] == 0).all()
    border = cls == "borderline"
    assert ((a.se[border] > 0) | (a.share[border] == 0) | (a.share[border] == 1)).all()
    assert (a.se < 0.02).all()
    frame = a.to_frame()
    assert list(frame.columns[:2]) == ["acceptability", "se"]
    funded = frame.index[frame["acceptability"] > 0]
    assert frame.loc[funded, [c for c in frame.columns if c.startswith("central_")]].sum(axis=1).round(9).eq(1).all()


def test_each_draw_is_the_optimum_of_its_scenario() -> None:
    """On random small calls, the nondominated engine's portfolio is what solve() finds."""
    checked = 0
    for seed in range(12):
        case = make_case(seed, max_n=8)
        u = Uncertainty.of(order=" >= ".join(case.order) if case.order else (), plus_minus=case.plus_minus)
        try:
            r = nondominated(case.problem, u)
        except InfeasibleError:
            continue
        a = acceptability(case.problem, u, 8, seed=seed, exact=r)
        for k in range(a.n):
            names = [c.name for c in case.problem.criteria]
            base = fixed_eligibility(case.problem)
            variant = base.model_copy(
                update={
                    "criteria": tuple(
                        c.model_copy(update={"weight": float(a.draws.weights[k, j])})
                        for j, c in enumerate(base.criteria)
                    ),
                    "applications": tuple(
                        x.model_copy(
                            update={"scores": {c: float(a.draws.scores[k, i, j]) for j, c in enumerate(names)}}
                        )
                        for i, x in enumerate(base.applications)
                    ),
                }
            )
            sol = solve(variant)
            best = sum(d.score for d in sol.decisions if d.funded)
            mine = sum(d.score for d, f in zip(sol.decisions, a.funded[k], strict=True) if f)
            assert abs(best - mine) <= 1e-9 * max(1, best)
            checked += 1
    assert checked >= 40


def test_scenarios_engine_on_an_executor(example: tuple) -> None:
    p, u, r = example
    with process_pool(2) as ex:
        b = acceptability(p, u, 12, seed=9, method="scenarios", executor=ex)
    a = acceptability(p, u, 12, seed=9, exact=r)
    assert (a.funded == b.funded).all()


def test_partial_funding_is_refused(example: tuple) -> None:
    p, u, _ = example
    with pytest.raises(InputError, match="whole applications"):
        acceptability(p.with_options(partial=True), u, 10)
