"""solve(): statuses, options, solvers, and the Solution it returns."""

from __future__ import annotations

import random
from fractions import Fraction

import pulp
import pytest
from hypothesis import given

from allocator import AllocatorError, Application, Criterion, Problem, Solution, Status, solve
from allocator.exceptions import SolverError
from allocator.optimize.backends.pulp import cbc_available
from tests.brute import best_value, lexicographic_best, portfolio_value, weighted_score
from tests.conftest import examples, problems


def _hard(n: int = 300, seed: int = 3) -> Problem:
    """A strongly correlated knapsack (value ~ cost): slow to prove optimal."""
    rnd = random.Random(seed)
    apps = []
    for i in range(n):
        cost = rnd.randint(100_000, 999_999)
        apps.append(
            Application(id=f"S-{i}", requested=cost, scores={"g": round(cost / 1000) + 100 + rnd.randint(0, 3)})
        )
    return Problem(
        frame=sum(a.requested for a in apps) // 2,
        criteria=[Criterion(name="g", weight=1, scale_max=2000)],
        applications=apps,
    )


@pytest.mark.parametrize("limit", [0.02, 0.3])
def test_time_limit_gives_a_portfolio_with_its_gap_or_no_solution(limit: float) -> None:
    p = _hard()
    sol = solve(p, time_limit=limit, raise_on_failure=False)
    assert sol.status in (Status.FEASIBLE, Status.NO_SOLUTION, Status.OPTIMAL)
    if sol.status is Status.NO_SOLUTION:
        assert sol.decisions == () and sol.objective is None and sol.total_granted == 0
        assert "time limit" in sol.message
        # the same limit again may or may not find a portfolio (timing); without one,
        # raise_on_failure=True must raise a SolverError that names the time limit
        try:
            again = solve(p, time_limit=limit)
        except SolverError as exc:
            assert "time limit" in str(exc)
        else:
            assert again.status.has_solution and again.total_granted <= p.frame
        return
    assert sol.total_granted <= p.frame
    assert sol.objective == pytest.approx(float(portfolio_value(p, sol.grants)), rel=1e-9)
    if sol.status is Status.FEASIBLE and sol.gap is not None:  # None: no bound known yet
        assert sol.gap >= 0
        assert sol.bound is not None and sol.bound >= sol.objective * (1 - 1e-9)


def test_unavailable_pulp_solver_is_an_error_status_or_solver_error(small_problem: Problem) -> None:
    missing = pulp.GLPK_CMD(msg=False, path="/nonexistent/glpsol")
    sol = solve(small_problem, solver=missing, raise_on_failure=False)
    assert sol.status is Status.ERROR and not sol.status.has_solution
    assert sol.decisions == () and sol.message
    with pytest.raises(SolverError):
        solve(small_problem, solver=missing)


@examples(20)
@given(problems(max_n=12))
def test_rel_gap_bounds_the_loss(p: Problem) -> None:
    sol = solve(p, rel_gap=0.2)
    assert sol.status is Status.OPTIMAL
    assert sol.tie_break == ()  # no tie-break without a proven optimum
    assert sol.total_granted <= p.frame
    assert portfolio_value(p, sol.grants) >= (1 - Fraction(1, 5)) * best_value(p) - Fraction(1, 10**9)
    # the reported bound and gap are the solver's, not a claimed 0: the bound is never below
    # the true optimum, and the gap stays within the one asked for
    assert sol.bound is not None and sol.gap is not None
    assert sol.bound >= float(best_value(p)) * (1 - 1e-12) - 1e-12
    assert 0 <= sol.gap <= 0.2 + 1e-9


def _pulp_solvers() -> list[object]:
    out: list[object] = [pulp.HiGHS(msg=False)]
    if cbc_available():
        from allocator.optimize.backends.pulp import cbc_solver

        out.append(cbc_solver(None, 0.0, 0.0))
    return out


@pytest.mark.parametrize("solver", _pulp_solvers(), ids=lambda s: type(s).__name__)
def test_any_pulp_solver_object_is_accepted(small_problem: Problem, solver: object) -> None:
    sol = solve(small_problem, solver=solver)
    assert sol.status is Status.OPTIMAL
    assert sol.solver == type(solver).__name__
    assert sol.grants == lexicographic_best(small_problem).grants  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["gurobi", "HIGHS", ""])
def test_unknown_solver_name_is_an_allocator_error(small_problem: Problem, name: str) -> None:
    with pytest.raises(AllocatorError, match="unknown solver") as err:
        solve(small_problem, solver=name)
    assert repr(name) in str(err.value) and "'highs'" in str(err.value)


@pytest.mark.parametrize("solver", ["highs", "pulp-highs"] + (["cbc"] if cbc_available() else []))
def test_nothing_reaches_stdout(small_problem: Problem, solver: str, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    solve(small_problem, solver=solver)
    solve(small_problem.with_options(partial=True), solver=solver)
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_solution_fields(small_problem: Problem) -> None:
    from importlib.metadata import version

    import highspy  # noqa: F401

    p = small_problem
    sol = solve(p)
    grants = sol.grants
    assert sol.status is Status.OPTIMAL and sol.gap == 0.0
    assert sol.total_granted == sum(grants.values()) <= p.frame
    assert sol.frame == p.frame and sol.frame_left == p.frame - sol.total_granted
    assert sol.n_funded == sum(1 for g in grants.values() if g > 0) == len(sol.funded_ids)
    assert sol.solver == "highs" and sol.solver_version == version("highspy")
    assert sol.runtime_s > 0 and sol.solves >= 1
    assert sol.tie_break[-1] == "id" and sol.tie_break[0] == "green"
    assert sol.objective == pytest.approx(float(best_value(p)), rel=1e-12)
    assert sol.objective == pytest.approx(sum(d.value for d in sol.decisions), rel=1e-12)
    for d, a in zip(sol.decisions, p.applications, strict=True):
        assert d.id == a.id and d.requested == a.requested
        assert d.score == pytest.approx(float(weighted_score(p, a)), rel=1e-12)
        assert d.funded == (d.granted > 0)
    assert "optimal" in str(sol) and "highs" in repr(sol)


@examples(15)
@given(problems(max_n=10, partial=None))
def test_to_frame_keeps_input_order_and_types(p: Problem) -> None:
    sol = solve(p)
    df = sol.to_frame()
    assert list(df["id"]) == p.ids
    assert {"id", "funded", "granted", "score"} <= set(df.columns)
    assert df["funded"].dtype == bool and df["granted"].dtype.kind == "i"
    assert all(isinstance(v, int) for v in df["granted"].tolist())
    assert df["granted"].tolist() == [sol.grants[i] for i in p.ids]
    assert df["score"].tolist() == pytest.approx([float(weighted_score(p, a)) for a in p.applications], rel=1e-12)
    assert (df["funded"] == (df["granted"] > 0)).all()


def test_solution_json_round_trip(small_problem: Problem) -> None:
    for p in (small_problem, small_problem.with_options(partial=True, step=50_000)):
        sol = solve(p)
        again = Solution.model_validate_json(sol.model_dump_json())
        assert again == sol
        assert again.decisions[0].reason is sol.decisions[0].reason


def test_repr_html_escapes_and_lists_every_application(small_problem: Problem) -> None:
    apps = [
        *small_problem.applications,
        Application(id="<b>&x", title="R&D <net>", requested=10_000, scores={"green": 1, "smart": 1}),
    ]
    p = Problem(frame=small_problem.frame, criteria=small_problem.criteria, applications=apps)
    sol = solve(p)
    html = sol._repr_html_()
    assert html.startswith("<div>") and html.endswith("</div>")
    assert "&lt;b&gt;&amp;x" in html and "R&amp;D &lt;net&gt;" in html and "<b>&x" not in html
    assert html.count("<tr") == len(apps) + 1
    assert "optimal" in html
    failed = solve(p, solver=pulp.GLPK_CMD(msg=False, path="/nonexistent/glpsol"), raise_on_failure=False)
    assert "error" in failed._repr_html_()


@pytest.mark.parametrize(
    "requested, frame",
    [([10**9, 5], 10**9), ([300_000_000, 5], 10**9), ([10**13, 1], 10**13), ([10**13 - 1, 2], 10**13 - 1)],
)
def test_a_solver_saying_infeasible_where_nothing_funded_fits_is_not_believed(requested: list[int], frame: int) -> None:
    """Issue 9, defect 2: CBC reported "no portfolio" on calls without rules (up to the largest
    amount the input takes, 10**13: model/limits.py)."""
    from allocator.optimize.backends.pulp import cbc_available

    if not cbc_available():
        pytest.skip("CBC is not installed (PuLP 4 without the cbc extra)")
    p = Problem(
        frame=frame,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[Application(id=f"A{k}", requested=r, scores={"g": 5 + k}) for k, r in enumerate(requested)],
    )
    expected = solve(p)  # HiGHS
    for tie_break in (True, False):
        got = solve(p, solver="cbc", tie_break=tie_break)
        assert got.status is Status.OPTIMAL and got.objective == pytest.approx(expected.objective, rel=1e-12)
        if tie_break:
            assert got.grants == expected.grants
