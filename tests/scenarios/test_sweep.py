"""Scenario sweeps: generators, run_scenarios against allocator.solve, the exact fast paths.

Every sweep result is checked against an independent solve of the same variant
(``allocator.solve(scenario.apply(problem))``, the lexicographic reference) or against brute
force; the knapsack dynamic program against enumeration and against the MIP; executors
against the serial run.
"""

from __future__ import annotations

import itertools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem, solve
from allocator.exceptions import AllocatorError, InputError
from allocator.model.scoring import _score_fractions, exact, score
from allocator.optimize.formulation import _exact_coefficients, build, common_scale
from allocator.optimize.knapsack import knapsack
from allocator.rules import Exclusive, FundedCount, GroupLimit, MustFund
from allocator.scenarios import (
    Scenario,
    ScorePerturbation,
    combine,
    frame_range,
    perturbed_scores,
    process_pool,
    rule_variants,
    run_scenarios,
    weight_grid,
    weight_samples,
)
from allocator.scenarios.worker import SweepWorker
from allocator.status import Status
from tests.brute import lexicographic_best, weighted_score
from tests.conftest import PORTFOLIO_LIMIT, examples, problems
from tests.oracle_rules import RuleOracle


# ----------------------------------------------------------------------------- helpers
def _grants(problem: Problem) -> np.ndarray:
    sol = solve(problem)
    return np.array([d.granted for d in sol.decisions], dtype=np.int64)


def _brute_grants(q: Problem) -> list[int]:
    """The brute-force lexicographic optimum of ``q`` (rules by the oracle), in input order."""
    best = lexicographic_best(q, feasible=RuleOracle(q))
    assert best is not None
    return [best.grants[a.id] for a in q.applications]


def _call(n: int, seed: int, *, rules: bool = True) -> Problem:
    """A call like real ones: correlated 1-7 scores, 10 000 kr steps, half the requests."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    names = ("green", "smart", "innovation")
    apps = [
        Application(
            id=f"A-{i + 1}",
            requested=int(rng.integers(3, 30)) * 10_000,
            category=("network" if i % 3 == 0 else "cluster"),
            scores={c: float(np.clip(np.rint(4 + 1.2 * q[i] + rng.normal()), 1, 7)) for c in names},
        )
        for i in range(n)
    ]
    frame = sum(a.requested for a in apps) // 2 // 10_000 * 10_000
    rule_list = (
        [GroupLimit(category="network", max_count=max(1, n // 6)), Exclusive(ids=["A-1", "A-2"])] if rules else []
    )
    return Problem(
        frame=frame,
        criteria=[Criterion(name=c, weight=1, scale_min=1, scale_max=7) for c in names],
        applications=apps,
        rules=rule_list,
    )


def _partial_vectors(p: Problem) -> int:
    """How many grant vectors ``p`` has under partial funding at its step (before the frame)."""
    count = 1
    for a in p.applications:
        m = min(p.options.step, a.requested) if a.minimum is None else a.minimum
        count *= 2 + max(0, (a.requested - m - 1) // p.options.step)
    return count


def _mixed_scenarios(p: Problem, seed: int) -> list[Scenario]:
    out = weight_samples(p, 4, seed=seed) + frame_range(max(1, p.frame // 2), p.frame, num=2)
    out += perturbed_scores(1, seed=seed, spread=1.0)
    if p.options.partial or _partial_vectors(p) <= PORTFOLIO_LIMIT:  # brute force must stay small
        out.append(Scenario(name="partial", options={"partial": not p.options.partial}))
    ids = sorted(p.ids)
    if len(ids) >= 2:
        out += rule_variants({"exclusive": [Exclusive(ids=ids[:2])], "count": [FundedCount(max=max(1, len(ids) // 2))]})
    return out


# ----------------------------------------------------------------------------- generators
def test_weight_samples_reproducible_on_the_grid_and_within_intervals() -> None:
    names = ["a", "b", "c"]
    iv = {"a": (0.2, 0.5), "c": (0.1, 0.3)}
    s1 = weight_samples(names, 200, seed=3, intervals=iv, resolution=100)
    s2 = weight_samples(names, 200, seed=3, intervals=iv, resolution=100)
    s3 = weight_samples(names, 200, seed=4, intervals=iv, resolution=100)
    assert [s.weights for s in s1] == [s.weights for s in s2]
    assert [s.weights for s in s1] != [s.weights for s in s3]
    for s in s1:
        assert s.weights is not None
        w = {k: exact(v) for k, v in s.weights.items()}
        assert sum(w.values()) == 1
        assert all((v * 100).denominator == 1 for v in w.values())
        assert Fraction(1, 5) <= w["a"] <= Fraction(1, 2) and Fraction(1, 10) <= w["c"] <= Fraction(3, 10)


def test_weight_samples_are_uniform_over_the_grid() -> None:
    # Two criteria, resolution 4: five grid points, each drawn with probability 1/5.
    draws = weight_samples(["a", "b"], 5000, seed=11, resolution=4)
    counts: dict[float, int] = {}
    for s in draws:
        assert s.weights is not None
        counts[s.weights["a"]] = counts.get(s.weights["a"], 0) + 1
    assert sorted(counts) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert all(850 <= c <= 1150 for c in counts.values()), counts  # expected 1000, sd 28


def test_weight_grid_is_the_whole_grid_and_its_interval_subset() -> None:
    full = weight_grid(["a", "b", "c"], steps=6)
    assert len(full) == 28  # C(6 + 2, 2)
    shares = [_shares(s.weights) for s in full]
    assert len(set(shares)) == 28
    sixths = [Fraction(k, 6) for k in range(7)]
    assert set(shares) == {v for v in itertools.product(sixths, repeat=3) if sum(v) == 1}
    sub = weight_grid(["a", "b", "c"], steps=6, intervals={"a": (0.5, 1.0)})
    assert {_shares(s.weights) for s in sub} == {v for v in shares if v[0] >= Fraction(1, 2)}


def test_weight_grid_weights_are_exactly_in_the_ratio_of_the_grid() -> None:
    # thirds are no short decimal: 0.666666666667 : 0.333333333333 is not 2 : 1, and an
    # application worth exactly 0 at 2 : 1 (-1/2 on one criterion, +1 on the other) would
    # be worth -5e-13 (refused as a value no solver can tell from 0)
    for steps in (2, 3, 4, 6, 7, 10):
        for s in weight_grid(["a", "b"], steps=steps):
            a, b = s.weights["a"], s.weights["b"]
            k = round(steps * a / (a + b))
            assert Fraction(repr(a)) * (steps - k) == Fraction(repr(b)) * k, (steps, s.weights)
    assert [s.weights for s in weight_grid(["a", "b"], steps=4)][1] == {"a": 0.25, "b": 0.75}


def _shares(weights: dict[str, float]) -> tuple[Fraction, ...]:
    exact = [Fraction(repr(w)) for w in weights.values()]
    return tuple(w / sum(exact) for w in exact)


def test_frame_range_and_perturbed_scores() -> None:
    assert [s.frame for s in frame_range(100_000, 200_000, step=50_000)] == [100_000, 150_000, 200_000]
    assert [s.frame for s in frame_range(100_000, 200_000, num=2)] == [100_000, 200_000]
    p = _call(12, 0, rules=False)
    a, b = perturbed_scores(2, seed=5, spread=1.5)
    again = perturbed_scores(2, seed=5, spread=1.5)
    assert a.perturb == again[0].perturb and a.perturb != b.perturb
    va, va2, vb = a.apply(p), again[0].apply(p), b.apply(p)
    assert va == va2 and va != vb
    for old, new in zip(p.applications, va.applications, strict=True):
        for c in p.criteria:
            x, y = old.scores[c.name], new.scores[c.name]
            assert 1 <= y <= 7 and abs(y - x) <= 1.5 + 0.005
            assert (exact(y) * 100).denominator == 1


def test_scenario_apply_json_and_errors() -> None:
    p = _call(8, 1)
    s = Scenario(
        name="s",
        weights={"green": 2.0},
        frame=500_000,
        options={"partial": True},
        extra_rules=(MustFund(ids=["A-3"]),),
        perturb=ScorePerturbation(seed=1, spread={"smart": 1.0}),
    )
    v = s.apply(p)
    assert v.criterion("green").weight == 2.0 and v.frame == 500_000 and v.options.partial
    assert len(v.rules) == 3 and v.rules[-1] == MustFund(ids=["A-3"])
    assert [a.scores["green"] for a in v.applications] == [a.scores["green"] for a in p.applications]
    back = Scenario.model_validate_json(s.model_dump_json())
    assert back.apply(p) == v
    assert Scenario(name="drop", rules=()).apply(p).rules == ()
    with pytest.raises(InputError, match=r"scenario 'bad'.*unknown criteria"):
        Scenario(name="bad", weights={"nope": 1}).apply(p)
    with pytest.raises(AllocatorError, match="weight"):
        Scenario(name="neg", weights={"green": -1})
    with pytest.raises(AllocatorError, match="unknown options"):
        Scenario(name="o", options={"partiall": True})
    with pytest.raises(InputError, match="both set frame"):
        combine(frame_range(1, 2, num=1), frame_range(3, 4, num=1))
    with pytest.raises(InputError, match="unique"):
        run_scenarios(p, [Scenario(name="x"), Scenario(name="x")], progress=False)
    grid = combine(weight_grid(p, steps=1), frame_range(400_000, 500_000, num=2))
    assert [(g.name, g.frame) for g in grid][:2] == [("w-0001+frame-400000", 400_000), ("w-0001+frame-500000", 500_000)]


# ----------------------------------------------------------------------------- exactness
@examples(15)
@given(problems(max_n=8, partial=None, thresholds=True, normalisation=None, half_points=True), st.integers(0, 10**6))
def test_sweep_decisions_equal_brute_force(p: Problem, seed: int) -> None:
    """Every scenario's decision (knapsack path or MIP) is the brute-force lexicographic optimum
    of the scenario's own problem, rules judged by the tests' rule oracle."""
    scen = _mixed_scenarios(p, seed)
    expected = [_brute_grants(s.apply(p)) for s in scen]
    for kn in (True, False):
        res = run_scenarios(p, scen, progress=False, knapsack=kn)
        for s, o, want in zip(scen, res.outcomes, expected, strict=True):
            assert o.status is Status.OPTIMAL, o
            assert o.granted.tolist() == want, (s, o)


@examples(4)
@given(st.integers(0, 10**6), st.integers(8, 11))
def test_certified_scenarios_equal_brute_force(seed: int, n: int) -> None:
    """Scenarios settled by a certificate (no solve) carry the brute-force optimum too."""
    p = _call(n, seed)
    scen = weight_samples(p, 40, seed=seed, resolution=8)
    res = run_scenarios(p, scen, progress=False)
    for s, o in zip(scen, res.outcomes, strict=True):
        assert o.granted.tolist() == _brute_grants(s.apply(p)), (s, o.method)


def test_sweep_with_rules_uses_certificates_and_matches_solve() -> None:
    p = _call(30, 2)
    scen = weight_samples(p, 100, seed=1, resolution=50)  # 98 distinct weight vectors
    res = run_scenarios(p, scen, progress=False)
    methods = res.summary()["method"].tolist()
    assert "certificate" in methods and "mip" in methods
    checked = [k for k, m in enumerate(methods) if m == "certificate"] + list(range(0, len(scen), 10))
    for k in checked:
        assert np.array_equal(res.outcomes[k].granted, _grants(scen[k].apply(p))), scen[k]


def test_tie_break_false_still_optimal() -> None:
    p = _call(30, 3)
    scen = weight_samples(p, 20, seed=2, resolution=10)
    res = run_scenarios(p, scen, progress=False, tie_break=False)
    for s, o in zip(scen, res.outcomes, strict=True):
        assert o.objective == pytest.approx(solve(s.apply(p)).objective, abs=1e-9)


@examples(30)
@given(problems(max_n=12, partial=False, thresholds=True), st.integers(0, 10**6))
def test_knapsack_path_and_mip_equal_brute_force(p: Problem, seed: int) -> None:
    scen = weight_samples(p, 3, seed=seed, resolution=10) + frame_range(1, max(1, p.frame), num=2)
    a = [SweepWorker(p, knapsack=True).run(s) for s in scen]
    b = [SweepWorker(p, knapsack=False).run(s) for s in scen]
    # the dynamic program answers plain knapsacks of non-negative values (scales reaching below 0 give negative ones)
    negative = any(weighted_score(p, x) < 0 for x in p.applications)
    assert any(o.method == "knapsack" for o in a) or not any(score(p).eligible) or negative
    for s, x, y in zip(scen, a, b, strict=True):
        assert x.status is y.status is Status.OPTIMAL
        want = _brute_grants(s.apply(p))
        assert x.granted.tolist() == want and y.granted.tolist() == want, s


@examples(200)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 5)), max_size=9), st.integers(0, 20))
def test_unique_knapsack_against_enumeration(items: list[tuple[int, int]], cap: int) -> None:
    v = np.array([a for a, _ in items], dtype=np.int64)
    w = np.array([b for _, b in items], dtype=np.int64)
    best, count = -1, 0
    for take in itertools.product([False, True], repeat=len(items)):
        t = np.array(take, dtype=bool)
        if w[t].sum() <= cap:
            val = int(v[t].sum())
            best, count = (val, 1) if val > best else (best, count + (val == best))
    r = knapsack(v, w, cap)
    assert r.value == best and int(v[r.take].sum()) == best and int(w[r.take].sum()) <= cap
    assert r.unique == (count == 1)


@examples(60)
@given(problems(max_n=8, thresholds=True, normalisation=None, half_points=True))
def test_vectorised_scoring_and_objective_equal_the_fraction_reference(p: Problem) -> None:
    a, b = score(p), _score_fractions(p)
    assert a.exact == b.exact and a.denominator == b.denominator and a.reasons == b.reasons
    for field in ("weighted", "by_criterion", "normalised", "eligible"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    f = build(p)
    coefs = _exact_coefficients(p, list(b.exact), f.col_app, f.col_amount)
    scale = common_scale(coefs)
    assert f.scale == scale
    assert np.array_equal(f.model.objective, np.array([float(c * scale) if scale else float(c) for c in coefs]))


# ----------------------------------------------------------------------------- executors and tables
def test_process_pool_and_dask_equal_serial() -> None:
    p = _call(25, 4)
    scen = weight_samples(p, 6, seed=3) + frame_range(p.frame // 2, p.frame, num=2)
    serial = run_scenarios(p, scen, progress=False)
    with process_pool(2) as ex:
        pooled = run_scenarios(p, scen, executor=ex, progress=False, chunksize=3)
    assert np.array_equal(serial.granted, pooled.granted)
    assert [o.objective for o in serial] == [o.objective for o in pooled]
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with cluster, distributed.Client(cluster) as client:
        viadask = run_scenarios(p, scen, executor=client.get_executor(), progress=False, chunksize=3)
    assert np.array_equal(serial.granted, viadask.granted)


def test_forked_pool_is_refused() -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    p = _call(5, 0)
    with (
        ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as ex,
        pytest.raises(InputError, match="spawn"),
    ):
        run_scenarios(p, weight_samples(p, 2), executor=ex, progress=False)


def test_results_tables() -> None:
    p = _call(10, 5, rules=False)
    scen = [*weight_grid(p, steps=2), Scenario(name="tiny", frame=10_000)]
    res = run_scenarios(p, scen, progress=True)
    summ = res.summary()
    assert list(summ["scenario"]) == [s.name for s in scen]
    g = res.granted
    assert list(summ["n_funded"]) == [int((row > 0).sum()) for row in g]
    assert list(summ["total_granted"]) == [int(row.sum()) for row in g]
    assert (summ["total_granted"] <= summ["frame"]).all()
    share = res.funding_share()
    assert list(share.index) == p.ids
    assert np.allclose(share["funded_share"], (g > 0).mean(axis=0))
    dec = res.decisions()
    assert len(dec) == len(scen) * len(p.applications)
    assert dec.groupby("scenario", sort=False)["granted"].sum().tolist() == list(summ["total_granted"])
    assert res.solution("tiny").total_granted == summ["total_granted"].iloc[-1]


def test_progress_without_tqdm_is_silent(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import builtins

    real = builtins.__import__

    def no_tqdm(name: str, *a: object, **k: object) -> object:
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real(name, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    p = _call(6, 6, rules=False)
    res = run_scenarios(p, weight_samples(p, 3), progress=True)
    assert len(res) == 3 and capsys.readouterr().err == ""


def test_infeasible_scenarios_are_rows_not_exceptions() -> None:
    p = _call(8, 7)
    scen = [Scenario(name="ok"), Scenario(name="clash", extra_rules=(MustFund(ids=["A-1", "A-2"]),))]
    res = run_scenarios(p, scen, progress=False)
    assert [o.status for o in res] == [Status.OPTIMAL, Status.INFEASIBLE]
    assert res.summary()["status"].tolist() == ["optimal", "infeasible"]
    with pytest.raises(AllocatorError, match="clash"):
        run_scenarios(p, scen, progress=False, raise_on_failure=True)


def test_solve_after_a_multithreaded_highs_run_in_the_same_process() -> None:
    import highspy

    from allocator.optimize.backends.highs import new_highs

    h = new_highs(threads=2)  # starts HiGHS's process-wide scheduler with 2 threads
    inf = highspy.kHighsInf
    h.addVars(2, np.array([0.0, 0.0]), np.array([1.0, 1.0]))
    h.changeColsIntegrality(2, np.array([0, 1], dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * 2))
    h.changeColsCost(2, np.array([0, 1], dtype=np.int32), np.array([-1.0, -2.0]))
    h.addRow(-inf, 1.0, 2, np.array([0, 1], dtype=np.int32), np.array([1.0, 1.0]))
    h.run()
    p = _call(6, 8, rules=False)
    assert solve(p).status is Status.OPTIMAL
