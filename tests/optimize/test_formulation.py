"""The integer program of :mod:`allocator.optimize.formulation`, read back by hand.

Every column assignment of each application is enumerated within its bounds, and the rows are
evaluated here from the model's arrays (not with the library's ``activity``): the grants the
feasible assignments give must be exactly the application's grant levels from
:mod:`tests.brute` (only 0 when it is ineligible), the frame row must add the grant, and the
objective must be the exact weighted score times the share of the request granted, times the
scale. The small cases are worked out by hand.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given

from allocator import Application, Criterion, Problem
from allocator.optimize.formulation import (
    app_columns,
    build,
    common_scale,
    value_objective,
)
from allocator.optimize.linear import LinearModel
from tests.brute import grant_levels, ineligibility, portfolio_value, weighted_score
from tests.conftest import examples, problems


def _activity(m: LinearModel, x: np.ndarray) -> np.ndarray:
    """A x from the row-wise arrays (every coefficient and value here is a whole number far
    below 2**53, so the sums are exact)."""
    rows = np.repeat(np.arange(len(m.row_lower)), np.diff(m.start))
    out = np.zeros(len(m.row_lower))
    np.add.at(out, rows, m.value * x[m.index])
    return out


def _within(m: LinearModel, act: np.ndarray, skip: int) -> bool:
    ok = (m.row_lower <= act) & (act <= m.row_upper)
    ok[skip] = True
    return bool(ok.all())


@examples(60)
@given(problems(max_n=4, partial=None, thresholds=True))
def test_the_feasible_columns_of_an_application_grant_exactly_its_levels(p: Problem) -> None:
    f = build(p)
    m = f.model
    n = m.n_cols
    frame_rows = [r for r, name in enumerate(m.row_names) if name == "frame"]
    assert frame_rows == [f.frame_row] and float(m.row_upper[f.frame_row]) == p.frame
    assert sorted(set(f.col_app.tolist())) == list(range(len(p.applications)))
    for i, app in enumerate(p.applications):
        own = [j for j in range(n) if int(f.col_app[j]) == i]  # that they are its own: the levels below
        ranges = [range(int(m.col_lower[j]), int(m.col_upper[j]) + 1) for j in own]
        reached: set[int] = set()
        for values in itertools.product(*ranges):
            x = np.zeros(n)
            x[own] = values
            act = _activity(m, x)
            if not _within(m, act, f.frame_row):
                continue
            g = int(act[f.frame_row])
            reached.add(g)
            assert int(f.grants(x)[i]) == g and int(f.grants(x).sum()) == g
            # the objective: the exact weighted score times the share granted, times the scale
            c = sum((Fraction(float(m.objective[j])) * v for j, v in zip(own, values, strict=True)), Fraction(0))
            exact = weighted_score(p, app) * g / app.requested
            if f.scale is not None:
                assert c == exact * f.scale
            else:
                assert float(c) == pytest.approx(float(exact), rel=1e-9, abs=1e-12)
        expected = {0} if ineligibility(p, app) else set(grant_levels(p, app))
        assert reached == expected, (app.id, sorted(reached), sorted(expected))


@examples(60)
@given(problems(max_n=5, partial=None, thresholds=True))
def test_columns_grant_what_they_are_asked_and_read_back(p: Problem) -> None:
    f = build(p)
    m = f.model
    levels_of = [grant_levels(p, a) for a in p.applications]
    for pick in itertools.islice(itertools.product(*levels_of), 200):
        g = np.array(pick, dtype=np.int64)
        x = f.columns(g)
        assert f.grants(x).tolist() == list(pick)
        act = _activity(m, x)
        assert act[f.frame_row] == sum(pick)
        assert _within(m, act, f.frame_row)  # the links hold for every level (bounds are not rows)
        grants = dict(zip(p.ids, pick, strict=True))
        assert f.exact_value(g) == portfolio_value(p, grants)
        assert f.value(g) == pytest.approx(float(portfolio_value(p, grants)), rel=1e-12, abs=1e-15)


@examples(40)
@given(problems(max_n=5, partial=None, thresholds=True))
def test_per_column_shares_objectives_and_exact_coefficients(p: Problem) -> None:
    f = build(p)
    req = [a.requested for a in p.applications]
    values = [weighted_score(p, a) for a in p.applications]
    share = f.share_per_col()
    coefs = f.exact_coefficients(values)
    obj = f.objective_for(np.array([float(v) for v in values]))
    for j in range(f.model.n_cols):
        i = int(f.col_app[j])
        amount = Fraction(float(f.col_amount[j]))
        assert share[j] == pytest.approx(float(amount / req[i]), rel=1e-15)
        assert coefs[j] == values[i] * amount / req[i]
        assert obj[j] == pytest.approx(float(values[i] * amount / req[i]), rel=1e-12, abs=1e-15)
    if f.scale is not None:
        assert [Fraction(float(c)) for c in f.model.objective] == [c * f.scale for c in coefs]
        assert f.scale == common_scale(coefs) or not p.options.partial
    per_app = app_columns(f)
    for i in range(len(req)):
        cols, amounts = per_app[i]
        assert sorted(cols.tolist()) == [j for j in range(f.model.n_cols) if int(f.col_app[j]) == i]
        assert amounts.tolist() == f.col_amount[cols].tolist()


# ------------------------------------------------------------------------------ by hand
CRIT = [Criterion(name="g", weight=1, scale_max=10)]


def test_all_or_nothing_by_hand() -> None:
    p = Problem(
        frame=100,
        criteria=[Criterion(name="g", weight=1, scale_max=10, threshold=4)],
        applications=[
            Application(id="B-10", requested=60, scores={"g": 7}),
            Application(id="B-9", requested=50, scores={"g": 5}),
            Application(id="C", requested=40, scores={"g": 3}),
        ],
    )
    f = build(p)
    m = f.model
    assert m.col_names == ("x_0000", "x_0001", "x_0002")  # B-9, B-10, C: the id order
    assert f.order.tolist() == [1, 0, 2] and f.select.tolist() == [1, 0, 2]
    assert f.col_app.tolist() == [1, 0, 2] and f.col_amount.tolist() == [50.0, 60.0, 40.0]
    assert f.scale == 10 and m.objective.tolist() == [5.0, 7.0, 3.0]  # 0.5, 0.7, 0.3 times 10
    assert m.col_upper.tolist() == [1.0, 1.0, 0.0]  # C scores 3 < 4: fixed at 0
    assert m.integer.tolist() == [True, True, True]
    assert m.row_names == ("frame",) and f.frame_row == 0
    assert m.row(0)[0].tolist() == [0, 1, 2] and m.row(0)[1].tolist() == [50.0, 60.0, 40.0]
    assert (m.row_lower[0], m.row_upper[0]) == (-np.inf, 100.0)
    assert f.grants(np.array([1.0, 0.0, 0.0])).tolist() == [0, 50, 0]
    assert (
        f.grants(np.array([0.9999999, 1e-9, 0.0])).dtype == np.int64
    )  # whole kroner, rounded from the solver's values
    assert f.columns(np.array([60, 50, 0])).tolist() == [1.0, 1.0, 0.0]
    assert f.value(np.array([60, 0, 0])) == pytest.approx(0.7)
    assert f.exact_value(np.array([60, 50, 0])) == Fraction(12, 10)


def test_partial_funding_by_hand() -> None:
    # A: request 230, minimum 100, step 50: 100, 150, 200 (K = 2) and 230 (rest 30)
    # B: request 250, minimum 100: 100, 150, 200, 250 (K = 3, no rest)
    # C: request 80, minimum 80: only its request (K = 0, no rest)
    p = Problem(
        frame=500,
        criteria=CRIT,
        applications=[
            Application(id="A", requested=230, minimum=100, scores={"g": 7}),
            Application(id="B", requested=250, minimum=100, scores={"g": 5}),
            Application(id="C", requested=80, minimum=80, scores={"g": 4}),
        ],
        options={"partial": True, "step": 50},
    )
    f = build(p)
    m = f.model
    assert m.col_names == ("y_0000", "y_0001", "y_0002", "k_0000", "k_0001", "f_0000")
    assert f.col_app.tolist() == [0, 1, 2, 0, 1, 0]
    assert f.col_amount.tolist() == [100.0, 100.0, 80.0, 50.0, 50.0, 30.0]
    assert m.col_upper.tolist() == [1.0, 1.0, 1.0, 2.0, 3.0, 1.0]
    assert m.row_names == ("link_k_0000", "link_k_0001", "link_f_0000", "link_fk_0000", "frame")
    rows = {m.row_names[r]: (m.row(r)[0].tolist(), m.row(r)[1].tolist(), m.row_upper[r]) for r in range(m.n_rows)}
    assert rows["link_k_0000"] == ([3, 0], [1.0, -2.0], 0.0)  # k_A <= 2 y_A
    assert rows["link_k_0001"] == ([4, 1], [1.0, -3.0], 0.0)  # k_B <= 3 y_B
    assert rows["link_f_0000"] == ([5, 0], [1.0, -1.0], 0.0)  # f_A <= y_A
    assert rows["link_fk_0000"] == ([5, 3], [2.0, -1.0], 0.0)  # 2 f_A <= k_A: topped up from the last step
    assert rows["frame"] == ([0, 1, 2, 3, 4, 5], [100.0, 100.0, 80.0, 50.0, 50.0, 30.0], 500.0)
    # 0.7 * 100/230 = 7/23, 0.5 * 100/250 = 1/5, 0.4 * 80/80 = 2/5, 0.7 * 50/230 = 7/46,
    # 0.5 * 50/250 = 1/10, 0.7 * 30/230 = 21/230: the least common denominator is 230
    assert f.scale == 230
    assert m.objective.tolist() == [70.0, 46.0, 92.0, 35.0, 23.0, 21.0]
    x = f.columns(np.array([230, 150, 80]))
    assert x.tolist() == [1.0, 1.0, 1.0, 2.0, 1.0, 1.0]
    assert f.grants(x).tolist() == [230, 150, 80]
    assert f.columns(np.array([200, 250, 0])).tolist() == [1.0, 1.0, 0.0, 2.0, 3.0, 0.0]
    assert f.share_per_col().tolist() == pytest.approx([100 / 230, 100 / 250, 1.0, 50 / 230, 50 / 250, 30 / 230])
    assert app_columns(f)[0][0].tolist() == [0, 3, 5]


def test_common_scale_by_hand() -> None:
    half, third = Fraction(1, 2), Fraction(1, 3)
    assert common_scale([]) == 1
    assert common_scale([half, third, Fraction(5)]) == 6
    assert common_scale([Fraction(1, 10**12)]) == 10**12  # the largest scale
    assert common_scale([Fraction(1, 10**12 + 1)]) is None
    assert common_scale([Fraction(1, 2), Fraction(1, 10**12 - 1)]) is None  # lcm above 10**12
    assert common_scale([Fraction(2**31)]) == 1  # the largest coefficient
    assert common_scale([Fraction(2**31 + 1)]) is None
    assert common_scale([Fraction(-(2**31) - 1)]) is None
    assert common_scale([Fraction(2**31 - 1, 2)]) == 2
    assert common_scale([Fraction(2**31 + 1, 2)]) is None  # times the scale 2: above 2**31
    assert common_scale([Fraction(2**31 - 1, 2)] * 600) is None  # times 2, summed: above 2**40
    assert common_scale([Fraction(2**31 - 1, 2)] * 500) == 2
    assert common_scale([Fraction(2**31)] * 511 + [Fraction(2**31 - 1)]) == 1  # the sum: 2**40 - 1
    assert common_scale([Fraction(2**31)] * 512) is None  # the sum must stay below 2**40
    assert common_scale([Fraction(-(2**31))] * 512) is None


def test_value_objective_by_hand() -> None:
    p = Problem(
        frame=100,
        criteria=CRIT,
        applications=[
            Application(id="A", requested=60, scores={"g": 7}),
            Application(id="B", requested=40, scores={"g": 3}),
        ],
    )
    col_app, amounts = np.array([0, 1, -1]), np.array([60.0, 40.0, 5.0])
    weighted = np.array([0.7, 0.3])
    obj, d = value_objective(p, col_app, amounts, np.array([7, 3]), 10, weighted)
    assert d == 10 and obj.tolist() == [7.0, 3.0, 0.0]
    obj, d = value_objective(p, col_app, amounts, np.array([70, 30]), 100, weighted)
    assert d == 10 and obj.tolist() == [7.0, 3.0, 0.0]  # the denominator reduced first
    big = np.array([2**31 + 1, 3])
    obj, d = value_objective(p, col_app, amounts, big, 1, np.array([float(2**31 + 1), 3.0]))
    assert d is None and obj.tolist() == [float(2**31 + 1), 3.0, 0.0]  # too large: the float values
    obj, d = value_objective(p, col_app, amounts, np.array([2**31, 3]), 1, np.array([float(2**31), 3.0]))
    assert d == 1 and obj.tolist() == [float(2**31), 3.0, 0.0]
    many = Problem(
        frame=100,
        criteria=CRIT,
        applications=[Application(id=f"A{k}", requested=1, scores={"g": 7}) for k in range(513)],
    )
    cols = np.arange(513)
    nums = np.array([2**31] * 512 + [0])  # the sum: 2**40, not below it
    assert value_objective(many, cols, np.ones(513), nums, 1, nums.astype(float))[1] is None
    nums = np.array([2**31] * 511 + [2**31 - 1, 0])  # the sum: 2**40 - 1
    assert value_objective(many, cols, np.ones(513), nums, 1, nums.astype(float))[1] == 1
    # the largest scale: a denominator of 10**12 (one more and the values stay floats)
    one = np.array([0, 0, -1])
    assert value_objective(p, one, amounts, np.array([1, 1]), 10**12, weighted)[1] == 10**12
    assert value_objective(p, one, amounts, np.array([1, 1]), 10**12 + 1, weighted)[1] is None
    # partial funding: one fraction per column, 0.7 * 50 / 60 and 0.3 * 30 / 40, and a
    # column of no application (worth 0)
    pp = p.with_options(partial=True, step=10)
    obj, d = value_objective(pp, np.array([0, 1, -1]), np.array([50.0, 30.0, 5.0]), np.array([7, 3]), 10, weighted)
    assert d == 120 and obj.tolist() == [70.0, 27.0, 0.0]
    # an odd scale: 1/3 of a full grant of 5, one krone of it: 1/15 per column
    five = Problem(frame=5, criteria=CRIT, applications=[Application(id="A", requested=5, scores={"g": 7})])
    obj, d = value_objective(
        five.with_options(partial=True, step=1), np.array([0]), np.array([1.0]), np.array([1]), 3, np.array([1 / 3])
    )
    assert d == 15 and obj.tolist() == [1.0]


def test_rule_rows_reach_every_column_of_an_application() -> None:
    p = Problem(
        frame=500,
        criteria=CRIT,
        applications=[
            Application(id="A", requested=230, minimum=100, scores={"g": 7}),
            Application(id="B", requested=250, minimum=100, scores={"g": 5}),
        ],
        options={"partial": True, "step": 50},
        rules=[
            {"kind": "max_grant", "ids": ["A"], "amount": 150, "label": "cap A"},
            {"kind": "count", "max": 1, "label": "one"},
        ],
    )
    f = build(p)
    m = f.model
    names = {r: m.row_names[r] for r in f.row_rules}
    assert len(f.row_rules) == 2 and set(f.row_rules) == {
        r for r in range(m.n_rows) if m.row_names[r].startswith("rule_")
    }
    cap = next(r for r in f.row_rules if "cap A" in f.row_rules[r])
    one = next(r for r in f.row_rules if "one" in f.row_rules[r])
    assert names[cap].startswith("rule_000_") and names[one].startswith("rule_001_")
    cols, vals = m.row(cap)
    assert sorted(zip(cols.tolist(), vals.tolist(), strict=True)) == [(0, 100.0), (2, 50.0), (4, 30.0)]  # y_A, k_A, f_A
    assert m.row_upper[cap] == 150.0
    cols, vals = m.row(one)
    assert sorted(zip(cols.tolist(), vals.tolist(), strict=True)) == [(0, 1.0), (1, 1.0)]  # the funded indicators
    assert m.row_upper[one] == 1.0


def test_scores_that_are_not_short_decimals_give_a_float_objective() -> None:
    p = Problem(
        frame=100,
        criteria=CRIT,
        applications=[
            Application(id="A", requested=60, scores={"g": 10 / 3}),
            Application(id="B", requested=40, scores={"g": 5}),
        ],
    )
    f = build(p)
    assert f.scale is None  # 10/3 as a double has a denominator of 2**51 / 10: no integer scale
    assert f.model.objective.tolist() == pytest.approx([(10 / 3) / 10, 0.5], rel=1e-15)
    q = p.with_options(partial=True, step=20)
    g = build(q)
    assert g.scale is None and g.model.objective[int(g.select[1])] == pytest.approx(0.5 * 20 / 40, rel=1e-15)


def test_columns_for_one_step_a_grant_of_one_krone_and_a_rest_of_one_krone() -> None:
    # A: request 150, minimum 100, step 50: 100 and 150 (K = 1); B: request 1 (only 1 kr);
    # C: request 151, minimum 100: 100, 150 and 151 (K = 1 and a top-up of 1 kr)
    p = Problem(
        frame=500,
        criteria=CRIT,
        applications=[
            Application(id="A", requested=150, minimum=100, scores={"g": 7}),
            Application(id="B", requested=1, scores={"g": 5}),
            Application(id="C", requested=151, minimum=100, scores={"g": 5}),
        ],
        options={"partial": True, "step": 50},
    )
    f = build(p)
    assert f.model.col_names == ("y_0000", "y_0001", "y_0002", "k_0000", "k_0001", "f_0000")
    assert f.col_app.tolist() == [0, 1, 2, 0, 2, 2] and f.col_amount.tolist() == [100.0, 1.0, 100.0, 50.0, 50.0, 1.0]
    assert f.columns(np.array([150, 1, 151])).tolist() == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert f.columns(np.array([100, 0, 150])).tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert f.columns(np.array([0, 1, 0])).tolist() == [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert f.grants(np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0])).tolist() == [150, 1, 151]


def test_the_same_model_in_pulp() -> None:
    """B-10 (60 kr, 0.7) alone fits beside nothing else worth more; the PuLP model of the
    formulation, solved by PuLP's HiGHS, funds it: objective 7 (scale 10). By hand."""
    import pulp

    p = Problem(
        frame=100,
        criteria=CRIT,
        applications=[
            Application(id="B-10", requested=60, scores={"g": 7}),
            Application(id="B-9", requested=50, scores={"g": 5}),
        ],
        name="Round2",
    )
    prob, xs = build(p).to_pulp()
    assert prob.name == "Round2" and prob.sense == pulp.LpMaximize
    assert [v.name for v in xs] == ["x_0000", "x_0001"] and prob.numConstraints() == 1
    prob.solve(pulp.HiGHS(msg=False))
    assert [round(v.value()) for v in xs] == [0, 1] and pulp.value(prob.objective) == pytest.approx(7.0)
    assert build(p.model_copy(update={"name": ""})).to_pulp()[0].name == "allocator"


def test_value_objective_limits_under_partial_funding() -> None:
    many = Problem(
        frame=100,
        criteria=CRIT,
        applications=[Application(id=f"A{k}", requested=1, scores={"g": 7}) for k in range(513)],
        options={"partial": True, "step": 1},
    )
    cols, ones = np.arange(513), np.ones(513)
    nums = np.array([2**31] * 512 + [0])  # one krone of each: the sum is 2**40, not below it
    assert value_objective(many, cols, ones, nums, 1, nums.astype(float))[1] is None
    nums = np.array([2**31] * 511 + [2**31 - 1, 0])
    obj, d = value_objective(many, cols, ones, nums, 1, nums.astype(float))
    assert d == 1 and obj[0] == 2**31  # the largest coefficient allowed
    nums = np.array([2**31 + 1] + [0] * 512)
    assert value_objective(many, cols, ones, nums, 1, nums.astype(float))[1] is None
    nums = np.array([1] + [0] * 512)
    assert value_objective(many, cols, ones, nums, 10**12, nums / 1e12)[1] == 10**12  # the largest scale
    assert value_objective(many, cols, ones, nums, 10**12 + 1, nums / 1e12)[1] is None


def test_value_objective_divides_large_numerators_exactly() -> None:
    # 2 233 368 770 096 266 375 / 446 673 754 019 253 275 is 5 exactly; in doubles 5.000000000000001
    m = 446_673_754_019_253_275
    p = Problem(
        frame=100,
        criteria=CRIT,
        applications=[
            Application(id="A", requested=60, scores={"g": 7}),
            Application(id="B", requested=40, scores={"g": 3}),
        ],
    )
    obj, d = value_objective(
        p, np.array([0, 1]), np.array([60.0, 40.0]), np.array([5 * m, 2 * m]), m, np.array([5.0, 2.0])
    )
    assert d == 1 and obj.tolist() == [5.0, 2.0]
    # 2 122 839 773 142 272 520 / 707 613 257 714 090 840 is 3 exactly; floored in doubles, 2
    m = 707_613_257_714_090_840
    obj, d = value_objective(p, np.array([0, 1]), np.array([60.0, 40.0]), np.array([3 * m, m]), m, np.array([3.0, 1.0]))
    assert d == 1 and obj.tolist() == [3.0, 1.0]


def test_scores_of_seven_decimals_are_scaled_exactly() -> None:
    """Seven decimals are beyond the vectorised path (six): the exact fractions give the scale."""
    p = Problem(
        frame=100,
        criteria=CRIT,
        applications=[
            Application(id="A", requested=60, scores={"g": 1.2345678}),
            Application(id="B", requested=40, scores={"g": 5}),
        ],
    )
    f = build(p)
    # 0.12345678 = 6 172 839 / 50 000 000 and 0.5: the least common denominator is 5 * 10**7
    assert f.scale == 5 * 10**7 and f.model.objective.tolist() == [6_172_839.0, 25_000_000.0]
