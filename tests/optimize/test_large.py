"""Large calls: the Lagrangian portfolio and bound (allocator.optimize.lagrange) against brute force.

The bound must never be below the true optimum (weak duality), the portfolio must satisfy
every row (checked on the data the model was built from, not with the model's own
arithmetic) and its value must be what it claims; on small calls where the Lagrangian paths
of ``solve`` are forced, the decision is the brute-force optimum; ``solve(rel_gap=...)`` must use it only when
the gap is reached and report that gap.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem, solve
from allocator.optimize.large import lagrange, portfolio
from allocator.optimize.linear import LinearModel, ModelBuilder
from allocator.rules import Exclusive, FundedCount, GroupLimit, check
from allocator.status import Status
from tests.conftest import examples


@dataclass(frozen=True)
class Case:
    """A small binary model and, kept apart from it, the data it was built from."""

    model: LinearModel
    n: int
    objective: tuple[int, ...]
    fixed: tuple[int | None, ...]
    rows: tuple[tuple[tuple[int, ...], tuple[int, ...], int | None, int | None], ...]  # cols, coefs, lower, upper

    def feasible(self, x: tuple[int, ...]) -> bool:
        """Every fixed column at its value and every row within its bounds, by hand."""
        if any(f is not None and v != f for v, f in zip(x, self.fixed, strict=True)):
            return False
        for cols, coefs, lo, hi in self.rows:
            act = sum(c * x[j] for j, c in zip(cols, coefs, strict=True))
            if (lo is not None and act < lo) or (hi is not None and act > hi):
                return False
        return True

    def value(self, x: tuple[int, ...]) -> int:
        return sum(c * v for c, v in zip(self.objective, x, strict=True))


@st.composite
def binary_models(draw: st.DrawFn) -> Case:
    n = draw(st.integers(3, 10))
    b = ModelBuilder()
    top = draw(st.sampled_from([3, 30]))  # values 1-3: many portfolios share the optimum
    c = draw(st.lists(st.integers(1, top), min_size=n, max_size=n))
    fixed = draw(st.lists(st.sampled_from([None, None, None, 0, 1]), min_size=n, max_size=n))
    lo = np.array([0.0 if v is None else float(v) for v in fixed])
    hi = np.array([1.0 if v is None else float(v) for v in fixed])
    b.add_cols("x", n, lower=lo, upper=hi, objective=np.array(c, dtype=float))
    rows = []
    for k in range(draw(st.integers(0, 3))):  # small rows: exact inside components
        cols = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=3, unique=True))
        coefs = draw(st.lists(st.integers(1, 9), min_size=len(cols), max_size=len(cols)))
        upper = draw(st.integers(1, sum(coefs)))
        b.add_row(cols, coefs, upper=float(upper), name=f"s{k}")
        rows.append((tuple(cols), tuple(coefs), None, upper))
    for k in range(draw(st.integers(1, 3))):  # wide rows: relaxed with multipliers
        cols = draw(st.lists(st.integers(0, n - 1), min_size=min(4, n), max_size=n, unique=True))
        coefs = draw(st.lists(st.integers(1, 9), min_size=len(cols), max_size=len(cols)))
        total = sum(coefs)
        if draw(st.booleans()):
            upper = draw(st.integers(0, total))
            b.add_row(cols, coefs, upper=float(upper), name=f"g{k}")
            rows.append((tuple(cols), tuple(coefs), None, upper))
        else:
            lower = draw(st.integers(0, total // 2))
            b.add_row(cols, coefs, lower=float(lower), name=f"g{k}")
            rows.append((tuple(cols), tuple(coefs), lower, None))
    return Case(b.build(), n, tuple(c), tuple(fixed), tuple(rows))


def _brute(case: Case) -> int | None:
    """The best value of any 0/1 vector feasible by the case's own data (None if none)."""
    values = [case.value(x) for x in itertools.product([0, 1], repeat=case.n) if case.feasible(x)]
    return max(values) if values else None


def _optima(case: Case, value: int) -> list[tuple[int, ...]]:
    """Every feasible 0/1 vector worth ``value``."""
    return [x for x in itertools.product([0, 1], repeat=case.n) if case.feasible(x) and case.value(x) == value]


def _as_ints(x: np.ndarray) -> tuple[int, ...]:
    assert np.all((x == 0) | (x == 1)), x
    return tuple(int(v) for v in x)


@examples(80)
@given(binary_models())
def test_bound_is_valid_and_portfolio_feasible(case: Case) -> None:
    opt = _brute(case)
    r = portfolio.near_optimal(case.model, rel_gap=0.0, max_iter=60, local_nnz=3)
    if opt is None:
        assert r is None
        return
    if r is None:
        return  # no portfolio found: allowed, the MIP takes over
    assert r.bound >= opt - 1e-6, (r.bound, opt)
    x = _as_ints(r.x)
    assert case.feasible(x)
    assert r.value == case.value(x) <= opt


def _call(n: int, seed: int) -> Problem:
    rng = np.random.default_rng(seed)
    apps = [
        Application(
            id=f"A-{i + 1}",
            requested=int(rng.integers(2, 40)) * 10_000,
            applicant=f"org{i % 7}",
            category="network" if i % 4 == 0 else "cluster",
            scores={"green": float(rng.integers(1, 8)), "smart": float(rng.integers(1, 8))},
        )
        for i in range(n)
    ]
    return Problem(
        frame=sum(a.requested for a in apps) // 2 // 10_000 * 10_000,
        criteria=[Criterion(name="green", weight=0.6, scale_max=7), Criterion(name="smart", weight=0.4, scale_max=7)],
        applications=apps,
        rules=[GroupLimit(category="network", min_count=2), FundedCount(max=n // 2), Exclusive(ids=["A-1", "A-2"])],
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_solve_uses_the_lagrangian_path_only_within_the_gap(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    p = _call(60, seed)
    exact = solve(p)
    monkeypatch.setattr(lagrange, "LARGE_COLS", 10)
    monkeypatch.setattr(sys.modules["allocator.optimize.solve"], "LARGE_COLS", 10)
    fast = solve(p, rel_gap=0.02)
    assert fast.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert fast.objective <= exact.objective + 1e-9
    if fast.status is Status.FEASIBLE:  # the Lagrangian path: gap reported and within the request
        assert "Lagrangian" in fast.message
        assert fast.bound is not None and fast.bound >= exact.objective - 1e-9
        assert fast.gap is not None and fast.gap <= 0.02
        assert exact.objective >= (1 - 0.02) * fast.bound - 1e-9
    assert check(p, fast).ok


def test_sweep_uses_the_lagrangian_path_with_each_scenarios_objective(monkeypatch: pytest.MonkeyPatch) -> None:
    from allocator import run_scenarios
    from allocator.optimize import solve as _unused  # noqa: F401
    from allocator.scenarios import decide as sweep

    solve_module = sys.modules["allocator.optimize.solve"]
    from allocator.scenarios import frame_range, weight_samples

    monkeypatch.setattr(lagrange, "LARGE_COLS", 10)
    monkeypatch.setattr(sweep, "LARGE_COLS", 10)
    monkeypatch.setattr(solve_module, "LARGE_COLS", 10)
    p = _call(60, 3)
    scen = weight_samples(p, 3, seed=1) + frame_range(p.frame // 2, p.frame // 2, num=1)
    res = run_scenarios(p, scen, progress=False, rel_gap=0.02)
    for s, o in zip(scen, res.outcomes, strict=True):
        exact = solve(s.apply(p)).objective
        assert o.objective is not None and o.objective <= exact + 1e-9
        if o.method == "lagrange":
            assert o.bound is not None and o.bound >= exact - 1e-9 and o.gap is not None and o.gap <= 0.02
    assert "lagrange" in res.summary()["method"].tolist()


@examples(80)
@given(binary_models())
def test_exact_optimum_is_the_brute_force_optimum(case: Case) -> None:
    from allocator.optimize.large.proof import exact_optimum

    opt = _brute(case)
    r = exact_optimum(case.model, local_nnz=3, max_iter=40, max_free_share=1.0)
    if opt is None:
        assert r is None
        return
    if r is None:
        return  # not proven here: the MIP decides
    assert r.value == opt == r.bound
    x = _as_ints(r.x)
    assert case.feasible(x) and case.value(x) == opt
    # the columns it says no other optimum changes: every optimum agrees with x on them
    assert r.tied is not None
    for other in _optima(case, opt):
        assert all(a == b for a, b, t in zip(other, x, r.tied.tolist(), strict=True) if not t), (other, x, r.tied)


# ------------------------------------------------------------ the Lagrangian paths of solve(), forced on small calls
from tests.brute import best_value, lexicographic_best, portfolio_value  # noqa: E402
from tests.oracle_rules import RuleOracle  # noqa: E402
from tests.rules_strategies import KINDS, ruled_problems  # noqa: E402


@examples(25)
@given(p=ruled_problems(KINDS, max_rules=3))
def test_solve_through_the_exact_lagrangian_path_is_the_brute_force_optimum(p: Problem) -> None:
    """With the size threshold lowered, solve() first tries Lagrangian fixing and a restricted
    MIP (allocator.optimize.large.proof); whichever path decides, the decision is the brute-force one."""
    import sys

    mp = pytest.MonkeyPatch()
    mp.setattr(sys.modules["allocator.optimize.solve"], "EXACT_COLS", 1)
    try:
        sol = solve(p, raise_on_failure=False)
    finally:
        mp.undo()
    oracle = RuleOracle(p)
    best = lexicographic_best(p, feasible=oracle)
    if best is None:
        assert sol.status is Status.INFEASIBLE
        return
    assert sol.status is Status.OPTIMAL
    assert oracle.admissible(sol.grants)
    assert sol.grants == best.grants


@examples(25)
@given(p=ruled_problems(KINDS, max_rules=3))
def test_solve_through_the_near_optimal_lagrangian_path_keeps_its_gap(p: Problem) -> None:
    import sys

    mp = pytest.MonkeyPatch()
    mp.setattr(lagrange, "LARGE_COLS", 1)
    mp.setattr(sys.modules["allocator.optimize.solve"], "LARGE_COLS", 1)
    try:
        sol = solve(p, rel_gap=0.05, raise_on_failure=False)
    finally:
        mp.undo()
    oracle = RuleOracle(p)
    if lexicographic_best(p, feasible=oracle) is None:
        assert sol.status is Status.INFEASIBLE
        return
    best = best_value(p, feasible=oracle)
    assert sol.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert oracle.admissible(sol.grants)
    value = portfolio_value(p, sol.grants)
    assert value >= best - Fraction(5, 100) * abs(best) - Fraction(1, 10**9)  # a floor may force a negative optimum
    assert sol.bound is not None and sol.bound >= float(best) * (1 - 1e-12) - 1e-12
