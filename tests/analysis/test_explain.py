"""Explanations: margins, largest grants and displacements checked by re-solving and by brute force.

How a margin is verified: it is stated in weighted-score units, so the test changes the
application's weighted score by exactly that amount plus or minus a little and re-solves
with :func:`allocator.solve`. To change a weighted score exactly, the problems here have one
criterion ``v`` of weight 1000 on a 0-1000 scale, so that the weighted score *is* the raw
score (``1000 * x / 1000``); on the example, an equivalent problem of that form is built
whose weighted scores equal the example's exactly (the raw score is ``s * D``, with ``D``
the common denominator of the example's scores, on a 0-2D scale with weight 2).
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import allocator
from allocator import AllocatorError, Application, Criterion, Options, Problem, Reason, solve
from allocator.analysis.explain import Explanation, explain, explanations
from allocator.analysis.margins import with_request
from allocator.optimize.engine import Engine
from allocator.rules import Exclusive, FundedCount, MaxGrant, MustFund, MustNotFund
from tests.brute import best_value, enumerate_portfolios, lexicographic_best, portfolio_value, weighted_score
from tests.conftest import examples, problems

# --------------------------------------------------------------------------- helpers


def single(scores: list[float], requests: list[int], frame: int, **options: object) -> Problem:
    """Weighted score == raw score: one criterion, weight 1000, scale 0-1000."""
    apps = [
        Application(id=f"A-{k + 1}", requested=r, scores={"v": float(s)})
        for k, (s, r) in enumerate(zip(scores, requests, strict=True))
    ]
    return Problem(
        frame=frame,
        criteria=[Criterion(name="v", weight=1000, scale_max=1000)],
        applications=apps,
        options=Options(**options),
    )


def with_score(problem: Problem, i: int, raw: float) -> Problem:
    apps = list(problem.applications)
    apps[i] = apps[i].model_copy(update={"scores": {"v": raw}})
    return problem.model_copy(update={"applications": tuple(apps)})


def forced(problem: Problem, app_id: str, funded: bool, feasible=None):  # type: ignore[no-untyped-def]
    def ok(g: dict[str, int]) -> bool:
        return ((g[app_id] > 0) == funded) and (feasible is None or feasible(g))

    return ok


def funded_ids(problem: Problem) -> set[str]:
    """Re-solve, by brute force (an independent solver), and return what is funded."""
    best = lexicographic_best(problem)
    assert best is not None
    return set(best.funded)


def solved_ids(problem: Problem) -> set[str]:
    """Re-solve with allocator.solve (no tie-break needed: the moved decisions are strict)."""
    return set(solve(problem, tie_break=False).funded_ids)


single_problems = st.builds(
    lambda data, frame_share: single(
        [s for s, _ in data],
        [r * 10_000 for _, r in data],
        max(10_000, round(sum(r for _, r in data) * frame_share) * 10_000),
    ),
    st.lists(st.tuples(st.integers(1, 100), st.integers(1, 12)), min_size=2, max_size=8),
    st.floats(0.25, 0.75),
)


# ------------------------------------------------------------ margins, binary funding


@examples(25)
@given(single_problems)
def test_margins_flip_the_decision_binary(p: Problem) -> None:
    exps = explanations(p)
    best = best_value(p)
    for i, e in enumerate(exps):
        raw = p.applications[i].scores["v"]
        if e.funded:
            out = best_value(p, forced(p, e.id, False))
            assert e.margin_down == best - out  # the optimum minus the optimum with it forced out
            # the weighted score falls by just more than the margin: it leaves; just less: it stays
            if raw - float(e.margin_down) - 0.5 >= 0:
                assert e.id not in funded_ids(with_score(p, i, raw - float(e.margin_down) - 0.5))
            if e.margin_down >= 1:
                assert e.id in funded_ids(with_score(p, i, raw - float(e.margin_down) + 0.5))
        elif p.applications[i].requested > p.frame:
            assert e.reason is Reason.TOO_LARGE and e.margin_up is None
        else:
            inn = best_value(p, forced(p, e.id, True))
            assert e.margin_up == best - inn
            assert e.id in funded_ids(with_score(p, i, raw + float(e.margin_up) + 0.5))
            if e.margin_up >= 1:
                assert e.id not in funded_ids(with_score(p, i, raw + float(e.margin_up) - 0.5))


@examples(25)
@given(problems(max_n=8, thresholds=True))
def test_margins_equal_brute_force_and_displacements_are_real(p: Problem) -> None:
    exps = explanations(p)
    sol = solve(p)
    best = best_value(p)
    funded = set(sol.funded_ids)
    for e in exps:
        a = p.application(e.id)
        assert e.funded == (e.id in funded) and e.granted == sol.grants[e.id]
        if e.reason is Reason.INELIGIBLE:
            assert e.margin_up is None and e.detail
            continue
        if e.funded:
            assert e.margin_down == best - best_value(p, forced(p, e.id, False))
            assert 0 <= e.margin_down <= e.score_exact
            continue
        if a.requested > p.frame:
            assert e.reason is Reason.TOO_LARGE and e.margin_up is None
            continue
        inn = best_value(p, forced(p, e.id, True))
        assert e.reason is Reason.OUTRANKED and e.margin_up == best - inn >= 0
        # the displaced portfolio exists, is worth the forced-in optimum, and keeps the most
        keep = (funded - set(e.displaces)) | set(e.also_funded) | {e.id}
        grants = {x.id: (x.requested if x.id in keep else 0) for x in p.applications}
        assert sum(grants.values()) <= p.frame and portfolio_value(p, grants) == inn
        most = max(
            len(funded & {k for k, v in zip(p.ids, g, strict=True) if v})
            for g in enumerate_portfolios(p, forced(p, e.id, True))
            if portfolio_value(p, g) == inn
        )
        assert len(funded & keep) == most


@examples(20)
@given(problems(max_n=7))
def test_max_grant_is_the_largest_request_at_which_funding_is_optimal(p: Problem) -> None:
    for i, e in enumerate(explanations(p)):
        if e.reason not in (Reason.FUNDED, Reason.OUTRANKED):
            continue
        without = best_value(p, forced(p, e.id, False))
        if e.max_grant is None:  # even a request of 1 kr is not enough
            q = with_request(p, i, 1)
            assert best_value(q, forced(q, e.id, True)) < without
            continue
        at = with_request(p, i, e.max_grant)
        assert best_value(at, forced(at, e.id, True)) >= without
        if e.max_grant < p.frame:
            above = with_request(p, i, e.max_grant + 1)
            assert best_value(above, forced(above, e.id, True)) < without
            assert e.id not in funded_ids(above)


# ---------------------------------------------------------------- partial funding


@examples(15)
@given(
    st.lists(
        st.tuples(st.integers(1, 100), st.integers(2, 5), st.sampled_from([None, 10_000, 20_000])),
        min_size=2,
        max_size=4,
    ),
    st.floats(0.3, 0.7),
)
def test_partial_margins_flip_the_decision(data: list[tuple[int, int, int | None]], share: float) -> None:
    apps = [
        Application(
            id=f"P-{k}",
            requested=r * 10_000,
            minimum=m if m is None or m <= r * 10_000 else None,
            scores={"v": float(s)},
        )
        for k, (s, r, m) in enumerate(data)
    ]
    total = sum(a.requested for a in apps)
    p = Problem(
        frame=max(10_000, round(total * share / 5_000) * 5_000),
        criteria=[Criterion(name="v", weight=1000, scale_max=1000)],
        applications=apps,
        options=Options(partial=True, step=10_000),
    )
    best = best_value(p)
    for i, e in enumerate(explanations(p, max_grant=False)):
        raw = p.applications[i].scores["v"]
        if e.funded:
            m = e.margin_down
            assert m is not None
            if raw - float(m) - 0.01 >= 0:
                assert e.id not in funded_ids(with_score(p, i, raw - float(m) - 0.01))
            if m > Fraction(1, 100):
                assert e.id in funded_ids(with_score(p, i, raw - float(m) + 0.01))
        elif e.margin_up is not None:
            # brute force: min over portfolios funding it of (V* - V(P)) / share
            request = p.applications[i].requested
            ratios = [
                (best - portfolio_value(p, g)) / Fraction(g[i], request) for g in enumerate_portfolios(p) if g[i] > 0
            ]
            assert e.margin_up == min(ratios)
            assert e.id in funded_ids(with_score(p, i, raw + float(e.margin_up) + 0.01))
            if e.margin_up > Fraction(1, 100):
                assert e.id not in funded_ids(with_score(p, i, raw + float(e.margin_up) - 0.01))


def test_partial_max_grant_by_bisection() -> None:
    # a lower request at the same weighted score buys more value per krone
    p = Problem(
        frame=110_000,
        criteria=[Criterion(name="v", weight=1000, scale_max=1000)],
        applications=[
            Application(id="A", requested=60_000, minimum=40_000, scores={"v": 50.0}),
            Application(id="B", requested=50_000, minimum=50_000, scores={"v": 60.0}),
            Application(id="C", requested=50_000, minimum=50_000, scores={"v": 55.0}),
        ],
        options=Options(partial=True, step=10_000),
    )
    e = {x.id: x for x in explanations(p)}
    assert not e["A"].funded and e["A"].max_grant is not None
    without = best_value(p)
    at, above = with_request(p, 0, e["A"].max_grant), with_request(p, 0, e["A"].max_grant + 1)
    assert best_value(at, forced(at, "A", True)) >= without > best_value(above, forced(above, "A", True))


# --------------------------------------------------------------------- the example


def equivalent(p: Problem) -> tuple[Problem, int]:
    """The example as one criterion whose raw score is s * D (weight 2, scale 0-2D)."""
    s = allocator.model.scoring.score(p)
    d = 1
    for x in s.exact:
        d = lcm(d, x.denominator)
    apps = [a.model_copy(update={"scores": {"v": float(x * d)}}) for a, x in zip(p.applications, s.exact, strict=True)]
    q = Problem(frame=p.frame, criteria=[Criterion(name="v", weight=2, scale_max=2 * d)], applications=apps)
    assert list(allocator.model.scoring.score(q).exact) == list(s.exact)
    return q, d


def test_example_margins_flip_the_decision() -> None:
    from allocator.data import load_example

    p = load_example()
    q, d = equivalent(p)
    exps, eq = explanations(p), explanations(q)
    assert [(e.funded, e.margin_up, e.margin_down, e.max_grant) for e in exps] == [
        (e.funded, e.margin_up, e.margin_down, e.max_grant) for e in eq
    ]
    for i, e in enumerate(eq):
        raw = q.applications[i].scores["v"]
        if e.funded:
            step = float(e.margin_down * d)  # in raw units; margins are multiples of 1 / d
            assert e.id not in solved_ids(with_score(q, i, raw - step - 0.5))
            assert e.id in solved_ids(with_score(q, i, raw - step + 0.5))
        else:
            step = float(e.margin_up * d)
            assert e.id in solved_ids(with_score(q, i, raw + step + 0.5))
            assert e.id not in solved_ids(with_score(q, i, raw + step - 0.5))


def test_example_frame_and_sentences() -> None:
    from allocator.data import load_example

    p = load_example()
    sol = solve(p)
    df = explain(p, sol, lang="nb")
    assert list(df["id"]) == p.ids and list(df["granted"]) == [sol.grants[i] for i in p.ids]
    assert (df["funded"] == df["margin_down"].notna()).all()
    assert (~df["funded"] == df["margin_up"].notna()).all()
    # the example: every criterion on 1-7, weights adding up to 1: points = 7 x weighted score
    total_weight = sum(c.weight for c in p.criteria)
    for _, row in df.iterrows():
        assert row["sentence"] == row["sentence_nb"]
        if row["funded"]:
            assert row["sentence_en"].startswith("Funded") and row["sentence_nb"].startswith("Innvilget")
            if "could fall by" in row["sentence_en"]:
                assert (
                    f"{row['margin_down'] * 7 / total_weight:.2f}".replace(".", ",") + "\u00a0poeng"
                    not in row["sentence_nb"]
                )
                assert f"{row['margin_down'] * 7 / total_weight:.2f} points" in row["sentence_en"]
                assert f"{row['margin_down'] * 7 / total_weight:.2f}".replace(".", ",") + " poeng" in row["sentence_nb"]
        else:
            assert row["sentence_en"].startswith("Not funded") and row["sentence_nb"].startswith("Ikke innvilget")
            reachable = row["score"] + row["margin_up"] < total_weight - 1e-12
            assert ("would have to rise" in row["sentence_en"]) == reachable
            assert ("could not be funded on its score alone" in row["sentence_en"]) == (not reachable)
            if reachable:
                assert f"{row['margin_up'] * 7 / total_weight:.2f} points" in row["sentence_en"]
                for other in filter(None, row["displaces"].split("; ")):
                    assert other in row["sentence_en"] and other in row["sentence_nb"]


# ------------------------------------------------------------------------ rules


def test_rules_locks_blocks_and_margins_against_brute_force() -> None:
    p = single([90, 60, 50, 40, 30, 20], [60_000, 50_000, 50_000, 40_000, 30_000, 30_000], 150_000)
    p = Problem(
        **{k: getattr(p, k) for k in ("frame", "criteria", "applications", "options")},
        rules=[
            MustFund(ids=["A-6"], label="lock"),
            MustNotFund(ids=["A-2"], label="ban"),
            MaxGrant(amount=55_000, label="cap"),
            Exclusive(ids=["A-3", "A-4"], label="one of 3 and 4"),
            FundedCount(max=3, label="at most three"),
        ],
    )

    def ok(g: dict[str, int]) -> bool:
        return (
            g["A-6"] > 0
            and g["A-2"] == 0
            and all(v <= 55_000 for v in g.values())
            and (g["A-3"] > 0) + (g["A-4"] > 0) <= 1
            and sum(v > 0 for v in g.values()) <= 3
        )

    exps = {e.id: e for e in explanations(p)}
    best = best_value(p, ok)
    assert exps["A-6"].reason is Reason.LOCKED_IN and exps["A-6"].rules == ("lock",)
    assert exps["A-2"].reason is Reason.LOCKED_OUT and exps["A-2"].rules == ("ban",)
    assert exps["A-1"].reason is Reason.BLOCKED_BY_RULE and exps["A-1"].rules == ("cap [A-1]",)
    for e in exps.values():
        if e.funded and e.reason is not Reason.LOCKED_IN:
            assert e.margin_down == best - best_value(p, forced(p, e.id, False, ok))
        if not e.funded and e.margin_up is not None:
            assert e.margin_up == best - best_value(p, forced(p, e.id, True, ok))
        if not e.funded and e.reason is Reason.BLOCKED_BY_RULE:
            assert e.rules
    # a rule that binds the forced-in portfolio and alone keeps it out
    blocked = [
        e for e in exps.values() if not e.funded and e.reason is Reason.BLOCKED_BY_RULE and e.margin_up is not None
    ]
    for e in blocked:
        assert set(e.rules) <= {"at most three", "one of 3 and 4"}


@examples(12)
@given(problems(max_n=6))
def test_max_grant_with_a_rule_is_exact(p: Problem) -> None:
    rule = FundedCount(max=max(1, len(p.applications) // 2), label="count")
    p = Problem(**{k: getattr(p, k) for k in ("frame", "criteria", "applications", "options")}, rules=[rule])

    def ok(g: dict[str, int]) -> bool:
        return sum(v > 0 for v in g.values()) <= rule.max

    for i, e in enumerate(explanations(p)):
        if e.reason not in (Reason.FUNDED, Reason.OUTRANKED):
            continue
        without = best_value(p, forced(p, e.id, False, ok))
        if e.max_grant is None:
            q = with_request(p, i, 1)
            assert best_value(q, forced(q, e.id, True, ok)) < without
            continue
        at = with_request(p, i, e.max_grant)
        assert best_value(at, forced(at, e.id, True, ok)) >= without
        if e.max_grant < p.frame:
            above = with_request(p, i, e.max_grant + 1)
            assert best_value(above, forced(above, e.id, True, ok)) < without


# ------------------------------------------------------- fast path and the MIP agree


@examples(15)
@given(problems(max_n=12, thresholds=True))
def test_knapsack_path_and_mip_path_agree(p: Problem) -> None:
    dp, mip = Engine.of(p), Engine.of(p, method="mip")
    # the dynamic program answers plain knapsacks of non-negative values (scales reaching below 0 give negative ones)
    negative = any(weighted_score(p, a) < 0 for a in p.applications)
    assert (dp.uses_knapsack or negative) and not mip.uses_knapsack
    assert dp.best().value == mip.best().value  # type: ignore[union-attr]
    for i in range(len(p.applications)):
        for kw in ({"fix_in": [i]}, {"fix_out": [i]}):
            a, b = dp.best(**kw), mip.best(**kw)
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert a.value == b.value
        v = dp.best(fix_out=[i])
        if v is not None:
            with dp.at_frame(None), dp.value_at_least(v.value), mip.at_frame(None), mip.value_at_least(v.value):
                a, b = dp.cheapest(fix_in=[i]), mip.cheapest(fix_in=[i])
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert (a.total, a.value) == (b.total, b.value)


# ------------------------------------------------------------------------ errors


def test_bad_inputs_give_allocator_errors(small_problem: Problem) -> None:
    with pytest.raises(AllocatorError, match="lang 'fr'"):
        explain(small_problem, lang="fr")
    abc = single([90, 60, 50], [60_000, 50_000, 50_000], 100_000)
    worse = allocator.rank_and_fund(abc)  # funds A alone (0.9 of 1.1)
    with pytest.raises(AllocatorError, match="not the optimum"):
        explain(abc, worse)
    other = solve(small_problem.model_copy(update={"applications": small_problem.applications[:3]}))
    with pytest.raises(AllocatorError, match="other applications"):
        explain(small_problem, other)


def test_does_not_mutate_and_explanation_serialises(small_problem: Problem) -> None:
    before = small_problem.model_dump_json()
    items = explanations(small_problem)
    assert small_problem.model_dump_json() == before
    assert isinstance(items[0], Explanation)
    data = items[0].model_dump(mode="json")
    assert data["id"] == small_problem.ids[0]
    assert isinstance(data["score_exact"], str)
    assert items[0].sentence("nb") == items[0].sentence_nb
    assert np.isfinite(explain(small_problem)["score"]).all()


def test_max_grant_counts_a_rule_redundant_at_the_request() -> None:
    """Issue 9, defect 4: co-financing caps A at 100 000 although it is redundant at 100 000."""
    from allocator.rules import CoFinancing

    p = Problem(
        frame=300_000,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[
            Application(id="A", requested=100_000, total_cost=200_000, scores={"g": 9}),
            Application(id="B", requested=100_000, total_cost=400_000, scores={"g": 3}),
        ],
        rules=[CoFinancing(share="50 %")],
    )
    a = {e.id: e for e in explanations(p)}["A"]
    assert a.max_grant == 100_000
    assert solve(with_request(p, 0, 100_000)).grants["A"] == 100_000
    assert solve(with_request(p, 0, 100_001), raise_on_failure=False).grants.get("A", 0) == 0


def test_max_grant_of_an_application_blocked_at_its_request() -> None:
    """Issue 9, defect 5: blocked at 200 000 by 50 % co-financing of 300 000; 150 000 is funded."""
    from allocator.rules import CoFinancing

    p = Problem(
        frame=500_000,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[
            Application(id="A", requested=200_000, total_cost=300_000, scores={"g": 9}),
            Application(id="B", requested=100_000, total_cost=400_000, scores={"g": 3}),
        ],
        rules=[CoFinancing(share="50 %")],
    )
    a = {e.id: e for e in explanations(p)}["A"]
    assert a.reason is Reason.BLOCKED_BY_RULE and a.max_grant == 150_000
    assert solve(with_request(p, 0, 150_000)).grants["A"] == 150_000


def test_solve_and_explain_give_one_reason() -> None:
    """Issue 9, defect 8: the Decisions and Explanations sheets must not disagree."""
    from allocator.data import load_example, load_example_policy

    p = load_example_policy().apply(load_example())
    sol = solve(p)
    reasons = {d.id: d.reason for d in sol.decisions}
    for e in explanations(p, sol, max_grant=False):
        assert e.reason is reasons[e.id], e.id
