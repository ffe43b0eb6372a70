"""allocator.optimize.tiebreak and .fixing: the documented rule, exactly, and only sound fixing.

Ties are made common on purpose (a few integer score profiles, equal requests); the
decision must be the brute-force lexicographic optimum of :mod:`tests.brute`, with and
without the reduced-value fixing that restricts the stages to the free columns.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem, solve
from allocator.optimize import fixing, tiebreak
from allocator.optimize.engine import Engine
from allocator.optimize.tiebreak import TieBreak
from allocator.rules import Exclusive, FundedCount
from tests.brute import enumerate_portfolios, lexicographic_best, optimal_portfolios, portfolio_value
from tests.conftest import examples, problems
from tests.oracle_rules import RuleOracle
from tests.rules_strategies import KINDS, ruled_problems


@examples(40)
@given(problems(max_n=10, partial=None, ties=True, tie_break=True))
def test_settle_is_the_brute_force_lexicographic_optimum(p: Problem) -> None:
    best = lexicographic_best(p)
    assert best is not None
    assert solve(p).grants == best.grants


@examples(25)
@given(problems(max_n=10, partial=None, ties=True))
def test_the_same_decision_without_fixing(p: Problem) -> None:
    everything = lambda m, c, x, v: np.ones(len(x), dtype=bool)  # noqa: E731
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tiebreak.fixing, "candidates", everything)
        plain = solve(p)
    assert solve(p).grants == plain.grants


@examples(30)
@given(problems(max_n=9, partial=None, ties=True))
def test_fixed_columns_hold_in_every_optimal_portfolio(p: Problem) -> None:
    e = Engine.of(p, method="mip")
    o = e.best()
    assert o is not None
    value = float(np.dot(e.c, o.x))
    if not (np.all(e.c == np.rint(e.c))):
        return  # fixing is used with integer objectives only
    free = fixing.candidates(e, e.c, o.x, value)
    f = e.f
    ids = p.ids
    for g in enumerate_portfolios(p):
        if portfolio_value(p, g) != o.value:
            continue
        x = f.columns(np.array(g, dtype=np.int64))
        fixed = ~free
        assert np.array_equal(x[fixed], o.x[fixed]), (ids, g)


def test_rule_with_rules_and_many_ties() -> None:
    # eight identical applications, room for three, at most two of the first four
    apps = [Application(id=f"A-{k}", requested=100, scores={"green": 3, "smart": 2}) for k in range(1, 9)]
    p = Problem(
        frame=300,
        criteria=[Criterion(name="green", weight=1, scale_max=5), Criterion(name="smart", weight=1, scale_max=5)],
        applications=apps,
        rules=[Exclusive(ids=["A-1", "A-2"], label="one of 1 and 2"), FundedCount(max=3, label="three")],
    )
    sol = solve(p)

    def ok(g: dict[str, int]) -> bool:
        return not (g["A-1"] and g["A-2"]) and sum(v > 0 for v in g.values()) <= 3

    best = lexicographic_best(p, ok)
    assert best is not None and sol.grants == best.grants
    assert sol.funded_ids == ["A-1", "A-3", "A-4"] and sol.tied is True
    assert sol.tie_break == ("green", "-granted", "id")


def test_rule_of_a_problem() -> None:
    p = Problem(
        frame=10,
        criteria=[Criterion(name="smart", weight=1)],
        applications=[Application(id="A", requested=5, scores={"smart": 1})],
    )
    assert TieBreak.of(p).keys == ("-granted",)
    q = p.with_options(tie_break=("smart", "granted"))
    assert TieBreak.of(q).keys == ("smart", "granted")


def test_six_equal_requests_go_to_the_smallest_ids() -> None:
    """Six applications of 220 000 kr with green 4 tie for three places; the documented rule
    (more green, then less granted, then the smaller ids) funds '1', '2' and '3' with 'A-4'
    (100 000 kr rather than 'A-0' at 110 000 for the same score) and 'A-3' (1 kr). Found by
    the sweep's brute-force test: a combined key objective held at 2.4e7 let HiGHS pass over
    the smaller ids."""
    data = [("4", 220_000, 4), ("5", 220_000, 4), ("A-4", 100_000, 2), ("A-0", 110_000, 2), ("1", 220_000, 4),
            ("2", 220_000, 4), ("3", 220_000, 4), ("A-1", 20_000, 1), ("A-2", 220_000, 4), ("A-3", 1, 1)]  # fmt: skip
    p = Problem(
        frame=775_000,
        criteria=[Criterion(name="green", weight=1.0, scale_min=1, scale_max=7)],
        applications=[Application(id=i, requested=r, scores={"green": g}) for i, r, g in data],
    )
    for solver in ("highs", "pulp-highs"):
        funded = sorted(d.id for d in solve(p, solver=solver).decisions if d.granted)
        assert funded == ["1", "2", "3", "A-3", "A-4"], solver


def _tied_by_brute_force(p: Problem, feasible: object = None) -> bool:
    """Whether two or more portfolios share the best value (all-or-nothing: selections)."""
    return len(optimal_portfolios(p, feasible)) > 1  # type: ignore[arg-type]


@examples(40)
@given(problems(max_n=9, partial=False, ties=True))
def test_tied_says_whether_other_portfolios_had_the_optimal_value(p: Problem) -> None:
    """``Solution.tied``: True exactly when the brute force finds another portfolio of the
    optimal value; on every path (knapsack, MIP with fixing, MIP without)."""
    want = _tied_by_brute_force(p)
    assert solve(p).tied is want
    assert solve(p, solver="pulp-highs").tied is want
    everything = lambda m, c, x, v: np.ones(len(x), dtype=bool)  # noqa: E731
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tiebreak.fixing, "candidates", everything)
        assert solve(p, solver="pulp-highs").tied is want


@examples(30)
@given(p=ruled_problems(KINDS, max_rules=3, partial=False))
def test_tied_under_rules(p: Problem) -> None:
    oracle = RuleOracle(p)
    sol = solve(p, raise_on_failure=False)
    if not sol.status.has_solution:
        return
    assert sol.tied is _tied_by_brute_force(p, oracle)


@st.composite
def equal_values(draw: st.DrawFn) -> Problem:
    """Calls in which many portfolios share the optimal value and the keys must decide: every
    application's weighted score is the same total split differently between two criteria,
    requests come from three amounts, and the tie-break keys are drawn (criteria, granted,
    -granted, in any order and direction)."""
    n = draw(st.integers(3, 8))
    total = draw(st.integers(2, 8))
    requests = draw(st.lists(st.sampled_from([100, 150, 250]), min_size=n, max_size=n))
    greens = draw(st.lists(st.integers(0, total), min_size=n, max_size=n))
    low = draw(st.sampled_from([0, 1]))  # a scale from 1 with range normalisation: keys with an offset
    apps = [
        Application(id=f"A-{k + 1}", requested=r, scores={"green": g + low, "smart": total - g + low})
        for k, (r, g) in enumerate(zip(requests, greens, strict=True))
    ]
    frame = draw(st.integers(100, sum(requests)))
    keys = draw(
        st.lists(
            st.sampled_from(["green", "-green", "smart", "-smart", "granted", "-granted"]), max_size=3, unique=True
        )
    )
    partial = draw(st.booleans())
    return Problem(
        frame=frame,
        criteria=[
            Criterion(name="green", weight=1, scale_min=low, scale_max=8 + low),
            Criterion(name="smart", weight=1, scale_min=low, scale_max=8 + low),
        ],
        applications=apps,
        options={
            "tie_break": tuple(keys) if keys else None,
            "partial": partial,
            "normalisation": "range" if low else "max",
        }
        | ({"step": 50} if partial else {}),
    )


@examples(60)
@given(equal_values())
def test_the_keys_decide_equal_values_as_the_brute_force_does(p: Problem) -> None:
    """Every key, in either direction and any order, combined into one objective or not:
    the decision is the brute-force lexicographic optimum."""
    best = lexicographic_best(p)
    assert best is not None
    sol = solve(p)
    assert sol.grants == best.grants, (p.options.tie_break, sol.tie_break)


def _equal(requests: list[int], frame: int, keys: tuple[str, ...]) -> Problem:
    return Problem(
        frame=frame,
        criteria=[Criterion(name="green", weight=1, scale_max=7)],
        applications=[Application(id=f"A-{k + 1}", requested=r, scores={"green": 4}) for k, r in enumerate(requests)],
        options={"tie_break": keys},
    )


def test_ids_are_compared_in_order_not_summed() -> None:
    """Five equal applications; two fit. {A-1, A-5} is first in id order; {A-2, A-3} would win
    if the ids' places were added up (2 + 3 < 1 + 5). Worked out by hand: the pairs that fit
    are A-1+A-5, A-2+A-3, A-2+A-5, A-3+A-5 and A-4+A-5, no three fit."""
    p = _equal([200, 120, 120, 200, 50], 250, ("green",))
    assert solve(p).funded_ids == ["A-1", "A-5"]
    assert solve(p, solver="pulp-highs").funded_ids == ["A-1", "A-5"]


def test_the_second_key_decides_when_the_first_ties() -> None:
    """Two equal applications, one fits: the same green score, so the smaller grant wins
    under ("green", "-granted"), the larger under ("green", "granted"), the smaller id
    under ("green",)."""
    assert solve(_equal([200, 100], 200, ("green", "-granted"))).funded_ids == ["A-2"]
    assert solve(_equal([100, 200], 200, ("green", "granted"))).funded_ids == ["A-2"]
    assert solve(_equal([200, 100], 200, ("green",))).funded_ids == ["A-1"]


def test_a_key_outweighs_everything_after_it() -> None:
    """Worth nothing (green weighs 0, smart is 0): funding A-1 or not ties. One more unit of
    green must outweigh any saving in the grant, however small the grant's range."""
    p = Problem(
        frame=100,
        criteria=[Criterion(name="green", weight=0, scale_max=7), Criterion(name="smart", weight=1, scale_max=7)],
        applications=[Application(id="A-1", requested=100, scores={"green": 1, "smart": 0})],
        options={"tie_break": ("green", "-granted")},
    )
    assert solve(p).funded_ids == ["A-1"]
    assert solve(p.with_options(tie_break=("-granted", "green"))).funded_ids == []


def test_a_key_whose_name_starts_with_x_is_read_whole() -> None:
    """Only a leading '-' is the direction: a criterion called "Xtra" is a key like any other
    (two equal applications, one fits; the key alone decides)."""
    apps = [
        Application(id="A-1", requested=100, scores={"Xtra": 1, "g": 3}),
        Application(id="A-2", requested=100, scores={"Xtra": 2, "g": 3}),
    ]
    crit = [Criterion(name="Xtra", weight=0, scale_max=7), Criterion(name="g", weight=1, scale_max=7)]
    p = Problem(frame=100, criteria=crit, applications=apps)
    assert solve(p.with_options(tie_break=("Xtra",))).funded_ids == ["A-2"]
    assert solve(p.with_options(tie_break=("-Xtra",))).funded_ids == ["A-1"]


@pytest.mark.parametrize(
    ("frame", "grants"),
    [
        (300, {"A-1": 200, "A-2": 50, "A-3": 50}),
        (350, {"A-1": 200, "A-2": 100, "A-3": 50}),
        (450, {"A-1": 200, "A-2": 200, "A-3": 50}),
        (150, {"A-1": 50, "A-2": 50, "A-3": 50}),
    ],
)
def test_partial_grants_go_to_the_smaller_ids_first(frame: int, grants: dict[str, int]) -> None:
    """Three equal applications of 200 in steps of 50 share the frame; every split is worth
    the same. The rule funds as many as it can, smaller ids first, and then gives the
    smaller id the larger grant: worked out by hand."""
    apps = [Application(id=f"A-{k}", requested=200, scores={"g": 3}) for k in (1, 2, 3)]
    p = Problem(
        frame=frame,
        criteria=[Criterion(name="g", weight=1, scale_max=7)],
        applications=apps,
        options={"partial": True, "step": 50},
    )
    for keys in (None, ()):
        assert solve(p.with_options(tie_break=keys)).grants == grants


@pytest.mark.parametrize(
    ("bottom", "top", "green"),
    [
        (1, 8, (5, 2, 3)),
        (1, 7.0000000004096, (5, 2, 3)),  # denominators multiply to 2 441 406 250, above 2**31
        (1 / 65536, 3 / 65536, (6 / 131072, 3 / 131072, 4 / 131072)),  # to 2**31 exactly
    ],
)
def test_a_key_on_a_scale_from_one_counts_points_above_its_bottom(
    bottom: float, top: float, green: tuple[float, ...]
) -> None:
    """Range normalisation on a 1-8 scale: a key counts (score - 1) / 7 per funded
    application. A alone (200 kr) and B + C (100 kr each) are worth the same ((5-1)/7 =
    (3-1)/7 + (3-1)/7 on smart); on green A has 5 - 1 = 4 points above the bottom, B and C
    (2 - 1) + (3 - 1) = 3: A wins. Counted from 0 instead, B and C would (5 against 5, then
    the ids), and counted with the offset added, B and C (7 against 9). Worked out by hand.
    The same choice on scales whose denominators multiply to 2**31 or more (green 4 units
    above the bottom against 1 + 2): the key's numerators are Python integers there."""
    scores = {"A-1": (green[0], 5), "A-2": (green[1], 3), "A-3": (green[2], 3)}  # (green, smart)
    apps = [
        Application(id=i, requested=200 if i == "A-1" else 100, scores={"green": g, "smart": s})
        for i, (g, s) in scores.items()
    ]
    p = Problem(
        frame=200,
        criteria=[
            Criterion(name="green", weight=0, scale_min=bottom, scale_max=top),
            Criterion(name="smart", weight=1, scale_min=1, scale_max=8),
        ],
        applications=apps,
        options={"normalisation": "range", "tie_break": ("green",)},
    )
    assert solve(p).funded_ids == ["A-1"]
    assert solve(p.with_options(tie_break=("-green",))).funded_ids == ["A-2", "A-3"]


def test_a_key_on_scores_that_are_not_short_decimals() -> None:
    """Thirds on green (not a short decimal: the key is computed in exact fractions, not
    from decimal digits). Two applications of the same value, one fits: the larger green
    wins under "green", the smaller under "-green", and the key is held exactly when a
    second key follows. Worked out by hand."""
    apps = [
        Application(id="A-1", requested=100, scores={"green": 1 / 3, "smart": 3}),
        Application(id="A-2", requested=100, scores={"green": 2 / 3, "smart": 3}),
        Application(id="A-3", requested=100, scores={"green": 2 / 3, "smart": 3}),
    ]
    p = Problem(
        frame=100,
        criteria=[Criterion(name="green", weight=0, scale_max=1), Criterion(name="smart", weight=1, scale_max=7)],
        applications=apps,
    )
    assert solve(p.with_options(tie_break=("green",))).funded_ids == ["A-2"]
    assert solve(p.with_options(tie_break=("-green",))).funded_ids == ["A-1"]
    assert solve(p.with_options(tie_break=("green", "-smart"))).funded_ids == ["A-2"]


# ------------------------------------------------------------------ the keys as vectors, by hand
def _two(scores: dict[str, tuple[float, float]], **kw: object) -> Problem:
    crit = [Criterion(name="green", weight=0, scale_max=10), Criterion(name="smart", weight=1, scale_max=10)]
    return Problem(
        frame=100,
        criteria=kw.pop("criteria", crit),  # type: ignore[arg-type]
        applications=[
            Application(id=i, requested=r, scores={"green": g, "smart": s})
            for (i, (g, s)), r in zip(scores.items(), (100, 50, 100), strict=False)
        ],
        **kw,  # type: ignore[arg-type]
    )


def test_the_keys_as_column_vectors_by_hand() -> None:
    from allocator.optimize.formulation import build

    # green 4 and 8 out of 10 (requests of 100 and 50, all or nothing): per funded column 0.4
    # and 0.8, as the least integers 1 and 2; the grant per column 100 and 50, as 2 and 1
    p = _two({"A": (4, 3), "B": (8, 3)})
    f = build(p)
    keys = TieBreak(("-granted", "green")).vectors(f)
    assert [(k.name, k.maximize, k.exact) for k in keys] == [("-granted", False, True), ("green", True, True)]
    assert keys[0].coefs.tolist() == [2.0, 1.0] and keys[1].coefs.tolist() == [1.0, 2.0]
    # a key that is zero everywhere is left out; the order of the keys is kept
    zero = build(_two({"A": (0, 3), "B": (0, 3)}))
    assert [k.name for k in TieBreak(("green", "granted")).vectors(zero)] == ["granted"]
    # another criterion's thirds take the exact path; green's decimals still give integers
    thirds = build(_two({"A": (2, 1 / 3), "B": (4, 2 / 3)}))
    (green,) = TieBreak(("green",)).vectors(thirds)
    assert green.exact and green.coefs.tolist() == [1.0, 2.0]
    (green,) = TieBreak(("green",)).vectors(build(_two({"A": (1 / 3, 3), "B": (2 / 3, 3)})))
    assert not green.exact and green.coefs.tolist() == pytest.approx([1 / 30, 2 / 30], rel=1e-12)


def test_a_key_on_thirds_under_range_normalisation_counts_from_the_bottom() -> None:
    """Green on a 1-8 scale, scores in thirds (the exact path). A alone (200) and B + C (100
    each) are worth the same on smart; green above the bottom: A 4 1/3 - 1, B and C
    (1 1/3 - 1) + (2 1/3 - 1) = 5/3 against A's 10/3: A wins; counted from 0 (the max
    normalisation), B and C (11/3 against 13/3) would."""
    apps = [
        Application(id="A-1", requested=200, scores={"green": 13 / 3, "smart": 5}),
        Application(id="A-2", requested=100, scores={"green": 4 / 3, "smart": 3}),
        Application(id="A-3", requested=100, scores={"green": 7 / 3, "smart": 3}),
    ]
    p = Problem(
        frame=200,
        criteria=[
            Criterion(name="green", weight=0, scale_min=1, scale_max=8),
            Criterion(name="smart", weight=1, scale_min=1, scale_max=8),
        ],
        applications=apps,
        options={"normalisation": "range", "tie_break": ("-green",)},
    )
    assert solve(p).funded_ids == ["A-2", "A-3"]  # less green above the bottom: 5/3 < 10/3
    assert solve(p.with_options(tie_break=("green",))).funded_ids == ["A-1"]


def test_a_hundred_equal_applications_go_to_the_ninety_smallest_ids() -> None:
    """The ids are settled in chunks of 40: all three chunks must be settled in turn."""
    apps = [Application(id=f"A-{k}", requested=100, scores={"g": 3}) for k in range(100, 0, -1)]
    p = Problem(frame=9_000, criteria=[Criterion(name="g", weight=1, scale_max=7)], applications=apps)
    sol = solve(p)
    assert set(sol.funded_ids) == {f"A-{k}" for k in range(1, 91)}
    assert sol.tied is True


def _settle(p: Problem, **kw: object) -> tuple[tiebreak.Settled, int]:
    """Settle the engine's optimum; also the solver runs counted on the restricted model."""
    from allocator.optimize.loaded import LoadedModel

    e = Engine.of(p, method="mip")
    o = e.best()
    assert o is not None
    runs = 0
    real = LoadedModel.run

    def counted(self: LoadedModel, *a: object, **k: object) -> object:
        nonlocal runs
        runs += self is not e
        return real(self, *a, **k)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LoadedModel, "run", counted)
        s = TieBreak.of(p).settle(e, e.f, e.c, o.x, **kw)  # type: ignore[arg-type]
    return s, runs


def test_the_solver_runs_a_tie_break_takes() -> None:
    crit = [Criterion(name="g", weight=1, scale_max=7)]
    clear = Problem(
        frame=100,
        criteria=crit,
        applications=[
            Application(id="A", requested=100, scores={"g": 6}),
            Application(id="B", requested=100, scores={"g": 2}),
        ],
    )
    s, runs = _settle(clear, unique=True)
    assert (s.solves, runs, s.tied) == (0, 0, False)  # known to be unique: nothing to do
    s, runs = _settle(clear)
    assert (s.solves, runs, s.tied) == (1, 0, False)  # the relaxation alone fixes A in and B out
    tied = clear.model_copy(
        update={"applications": (*clear.applications[:1], clear.applications[0].model_copy(update={"id": "C"}))}
    )
    s, runs = _settle(tied)
    assert s.tied and runs >= 2 and s.solves == 1 + runs  # the relaxation, then each run on the free columns
    assert s.complete is True  # every stage proven
    # a float objective (thirds): no fixing, so the stages run even when one portfolio is best
    thirds = Problem(
        frame=100,
        criteria=crit,
        applications=[
            Application(id="A", requested=100, scores={"g": 13 / 3}),
            Application(id="B", requested=100, scores={"g": 2}),
        ],
    )
    s, runs = _settle(thirds)
    assert not s.tied and runs == 1 and s.solves == 2  # one run finds no other selection


def test_a_key_on_large_scores_with_six_decimals() -> None:
    """Green on a scale up to 12 345 678.123456789 (a denominator of 10**8) with a score of
    12 345 678.123456: its numerator times the denominator is above 2**63. The greener
    application must win under "green" (an overflow in int64 once made its key negative)."""
    top = 12_345_678.123456789
    crit = [Criterion(name="green", weight=0, scale_max=top), Criterion(name="smart", weight=1, scale_max=10)]
    apps = [
        Application(id="A-1", requested=100, scores={"green": 12_345_678.123456, "smart": 5}),
        Application(id="A-2", requested=100, scores={"green": 1.5, "smart": 5}),
    ]
    p = Problem(frame=100, criteria=crit, applications=apps, options={"tie_break": ("green",)})
    assert solve(p).funded_ids == ["A-1"]
    assert solve(p.with_options(tie_break=("-green",))).funded_ids == ["A-2"]


@pytest.mark.parametrize(("frame", "grants"), [(300, (50, 50)), (350, (100, 50)), (400, (150, 50))])
def test_partial_grants_after_an_application_every_optimum_funds_in_full(frame: int, grants: tuple[int, int]) -> None:
    """A-1 is worth twice as much per krone: every optimum grants it its 200 (its columns are
    fixed before the stages). The rest of the frame is worth the same however A-2 and A-3
    share it (steps of 50): both are funded, then the larger grant goes to A-2. By hand."""
    apps = [
        Application(id="A-1", requested=200, scores={"g": 6}),
        Application(id="A-2", requested=200, scores={"g": 3}),
        Application(id="A-3", requested=200, scores={"g": 3}),
    ]
    p = Problem(
        frame=frame,
        criteria=[Criterion(name="g", weight=1, scale_max=7)],
        applications=apps,
        options={"partial": True, "step": 50},
    )
    assert solve(p).grants == {"A-1": 200, "A-2": grants[0], "A-3": grants[1]}


def test_a_key_never_buys_a_unit_of_value_even_at_a_billion_units() -> None:
    """Values scaled to integers of 1.5e9 (smart scores with nine decimals): A and C are
    worth 1 500 000 001 units, B one unit less but far greener. The value is held exactly,
    not within 1e-9 of it (1.5 units): A is funded, not B."""
    crit = [Criterion(name="green", weight=0, scale_max=10), Criterion(name="smart", weight=1, scale_max=10)]
    apps = [
        Application(id="A", requested=100, scores={"green": 1, "smart": 1.500000001}),
        Application(id="B", requested=100, scores={"green": 9, "smart": 1.5}),
        Application(id="C", requested=100, scores={"green": 1, "smart": 1.500000001}),
    ]
    p = Problem(frame=100, criteria=crit, applications=apps, options={"tie_break": ("green",)})
    sol = solve(p)
    assert sol.funded_ids == ["A"] and sol.tied


def test_a_stage_without_proof_changes_nothing() -> None:
    """When every run on the free columns stops unproven (a time limit, with some point), the
    optimum found first is kept as it is, and it is reported as tied: nothing proved it the
    only one. The unproven points (every column at 1: over the frame) are never adopted."""
    from allocator.optimize.backends.base import RawResult
    from allocator.optimize.loaded import LoadedModel
    from allocator.status import Status

    apps = [Application(id=i, requested=100, scores={"g": 6}) for i in ("A", "B", "C")]
    p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=7)], applications=apps)
    e = Engine.of(p, method="mip")
    o = e.best()
    assert o is not None
    real = LoadedModel.run

    def unproven(self: LoadedModel, objective: np.ndarray, **k: object) -> RawResult:
        if self is e:
            return real(self, objective, **k)  # type: ignore[arg-type]
        return RawResult(Status.FEASIBLE, np.ones(len(objective)), None, None, 0.0, "time limit")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LoadedModel, "run", unproven)
        s = TieBreak.of(p).settle(e, e.f, e.c, o.x)
    assert np.array_equal(s.x, o.x) and s.tied is True and s.complete is False


def test_a_tie_break_cut_short_says_so() -> None:
    """When the tie-break's runs stop unproven (as at a time limit), solve() still returns the
    optimum, saying in its message that the rule may not have chosen among equal portfolios."""
    from allocator.optimize.backends.base import RawResult
    from allocator.optimize.loaded import LoadedModel
    from allocator.optimize.solve import UNSETTLED
    from allocator.status import Status

    apps = [Application(id=i, requested=100, scores={"g": 6}) for i in ("A", "B", "C")]
    p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=7)], applications=apps)
    assert UNSETTLED not in solve(p).message
    real = LoadedModel.run

    def unproven(self: LoadedModel, objective: np.ndarray, **k: object) -> RawResult:
        if type(self) is not LoadedModel:  # the engine itself: a real run
            return real(self, objective, **k)  # type: ignore[arg-type]
        return RawResult(Status.FEASIBLE, None, None, None, 0.0, "time limit")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LoadedModel, "run", unproven)
        sol = solve(p, time_limit=30)
    assert sol.status.value == "optimal" and sol.n_funded == 1 and UNSETTLED in sol.message
