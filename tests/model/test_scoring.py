"""Scores (:mod:`allocator.model.scoring`) against an oracle written from its documentation:
``s_i = sum_c w_c * n_c(score_ic)`` with ``n_c(x) = x / scale_max``, or under ``"range"``
normalisation ``(x - scale_min) / (scale_max - scale_min)``, every number taken as the
decimal the user typed. The oracle works in exact fractions from ``Decimal(repr(x))`` and
shares no code with the library; both of the library's paths (vectorised integers, one
fraction at a time) are held to it."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from allocator import Application, Criterion, Options, Problem
from allocator.exceptions import InputError
from allocator.model.scoring import (
    _score_fractions,
    eligibility,
    exact,
    integer_parts,
    integer_totals,
    normalised_score,
    reduced_denominator,
    score,
)


def typed(x: float) -> Fraction:
    """The decimal shown for ``x``, exactly."""
    return Fraction(Decimal(repr(float(x))))


def oracle(problem: Problem) -> list[dict[str, Any]]:
    """Per application: normalised and weighted scores per criterion, the exact total, and
    whether (and why) it is eligible, from the documentation alone."""
    out = []
    rng = problem.options.normalisation == "range"
    for a in problem.applications:
        norm, contrib, why = [], [], []
        for c in problem.criteria:
            x = typed(a.scores[c.name])
            lo, hi = typed(c.scale_min), typed(c.scale_max)
            n = (x - lo) / (hi - lo) if rng else x / hi
            norm.append(n)
            contrib.append(typed(c.weight) * n)
            if c.threshold is not None and a.scores[c.name] < c.threshold:
                why.append(c.name)
        total = sum(contrib, Fraction(0))
        low = problem.options.min_total_score is not None and float(total) < problem.options.min_total_score
        out.append({"norm": norm, "contrib": contrib, "total": total, "below": why, "low_total": low})
    return out


def check(problem: Problem) -> None:
    want = oracle(problem)
    for s in (score(problem), _score_fractions(problem)):
        assert s.exact == tuple(w["total"] for w in want)
        assert s.weighted.tolist() == [float(w["total"]) for w in want]
        assert s.normalised.tolist() == [[float(v) for v in w["norm"]] for w in want]
        assert s.by_criterion.tolist() == [[float(v) for v in w["contrib"]] for w in want]
        den = 1
        for w in want:
            den = lcm(den, w["total"].denominator)
        assert s.denominator == den
        assert s.eligible.dtype == bool
        assert s.eligible.tolist() == [not w["below"] and not w["low_total"] for w in want]
        for r, w in zip(s.reasons, want, strict=True):
            assert r.count("below the threshold") == len(w["below"]) + w["low_total"]
            assert ("weighted score" in r) == w["low_total"]
        if s.numerators is not None:
            assert [Fraction(int(t), s.common) for t in s.numerators.tolist()] == [w["total"] for w in want]


def _problem(crits: list[Criterion], rows: list[list[float]], *, options: dict[str, Any] | None = None) -> Problem:
    apps = [
        Application(id=f"A{i}", requested=100, scores={c.name: v for c, v in zip(crits, r, strict=True)})
        for i, r in enumerate(rows)
    ]
    return Problem(frame=100, criteria=crits, applications=apps, options=Options(**(options or {})))


def test_hand_values() -> None:
    crits = [
        Criterion(name="green", weight=0.6, scale_min=1, scale_max=7),
        Criterion(name="smart", weight=0.4, scale_min=1, scale_max=7),
    ]
    p = _problem(crits, [[7, 7], [1, 4], [3.5, 6]])
    s = score(p)
    # 0.6 * 7/7 + 0.4 * 7/7 = 1; 0.6/7 + 0.4 * 4/7 = 2.2/7 = 11/35; 0.6 * 0.5 + 0.4 * 6/7 = 0.3 + 2.4/7 = 4.5/7
    assert s.exact == (Fraction(1), Fraction(11, 35), Fraction(9, 14))
    assert s.denominator == 70
    r = score(_problem(crits, [[7, 7], [1, 4], [3.5, 6]], options={"normalisation": "range"}))
    # (x - 1) / 6: 1; 0 + 0.4 * 3/6 = 1/5; 0.6 * 2.5/6 + 0.4 * 5/6 = 0.25 + 1/3 = 7/12
    assert r.exact == (Fraction(1), Fraction(1, 5), Fraction(7, 12))
    assert r.denominator == 60
    assert r.normalised.tolist()[1] == [0.0, 0.5]
    assert s.by_criterion.tolist()[0] == [0.6, 0.4]
    assert normalised_score(crits[0], 4, "max") == Fraction(4, 7)
    assert normalised_score(crits[0], 4, "range") == Fraction(1, 2)
    assert exact(0.1) == Fraction(1, 10) and exact(3) == Fraction(3)


def test_thresholds_and_their_reasons() -> None:
    crits = [
        Criterion(name="green", weight=1, scale_max=7, threshold=3, label="Green transition"),
        Criterion(name="smart", weight=1, scale_max=7, threshold=2.5),
    ]
    p = _problem(crits, [[2, 2], [3, 2.5], [2.5, 7], [7, 2.4]], options={"min_total_score": 0.7})
    s = score(p)
    assert s.eligible.tolist() == [False, True, False, False]
    assert s.reasons[0] == (
        "Green transition scored 2, below the threshold 3; smart scored 2, below the threshold 2.5; "
        "weighted score 0.5714 is below the threshold 0.7"
    )
    assert s.reasons[1] == ""  # at the thresholds is eligible: 3 >= 3, 2.5 >= 2.5, 5.5/7 = 0.786 >= 0.7
    assert s.reasons[2] == "Green transition scored 2.5, below the threshold 3"
    assert s.reasons[3] == "smart scored 2.4, below the threshold 2.5"
    assert eligibility(p) == {"A0": s.reasons[0], "A2": s.reasons[2], "A3": s.reasons[3]}
    assert _score_fractions(p).reasons == s.reasons
    # the total's threshold alone, and exactly at it
    q = _problem([Criterion(name="g", weight=1, scale_max=10)], [[5], [4.9], [10]], options={"min_total_score": 0.5})
    assert score(q).eligible.tolist() == [True, False, True]
    assert score(q).reasons[1] == "weighted score 0.49 is below the threshold 0.5"


_SCALES = st.sampled_from([(1, 7), (0, 5), (0, 10), (1, 5), (0.5, 4.5), (-2, 2), (0, 1), (0, 100), (1, 3.25)])


@st.composite
def problems(draw: Any) -> Problem:
    k = draw(st.integers(1, 4))
    rng = draw(st.booleans())
    crits = []
    for j in range(k):
        lo, hi = draw(_SCALES)
        w = draw(st.one_of(st.integers(0, 10), st.decimals(0, 5, places=3).map(float), st.floats(1e-6, 3)))
        thr = draw(st.one_of(st.none(), st.floats(lo, hi).map(lambda v: round(v, 1))))
        crits.append(Criterion(name=f"c{j}", weight=w, scale_min=lo, scale_max=hi, threshold=thr))
    n = draw(st.integers(1, 8))
    rows = []
    for _ in range(n):
        row = []
        for c in crits:
            kind = draw(st.sampled_from(["int", "half", "decimal", "any"]))
            lo, hi = c.scale_min, c.scale_max
            if kind == "int":
                v = float(draw(st.integers(int(np.ceil(lo)), int(np.floor(hi)))))
            elif kind == "half":
                v = draw(st.integers(int(2 * lo), int(2 * hi))) / 2
            elif kind == "decimal":
                v = round(draw(st.floats(lo, hi)), draw(st.integers(0, 6)))
                v = min(max(v, lo), hi)
            else:  # 12 significant digits: not a short decimal (the one-fraction-at-a-time path)
                v = min(max(float(f"{draw(st.floats(lo, hi)):.12g}"), lo), hi)
            row.append(v)
        rows.append(row)
    if not any(c.weight > 0 for c in crits):  # a call needs one weight above 0
        crits[0] = crits[0].model_copy(update={"weight": 1.0})
    options: dict[str, Any] = {"normalisation": "range" if rng else "max"}
    if draw(st.booleans()):
        options["min_total_score"] = draw(st.floats(0, 1).map(lambda v: round(v, 2)))
    try:
        return _problem(crits, rows, options=options)
    except InputError as exc:  # an application worth next to nothing beside the others
        assume("no solver can tell" not in str(exc))
        raise


@given(problems())
def test_any_scores_as_the_documentation_says(problem: Problem) -> None:
    check(problem)


@given(problems())
def test_integer_parts_give_the_documented_normalised_scores(problem: Problem) -> None:
    parts = integer_parts(problem)
    want = oracle(problem)
    if parts is None:  # only when some score is not a decimal of at most 6 places
        assert any(
            typed(a.scores[c.name]) * 10**6 != int(typed(a.scores[c.name]) * 10**6)
            for a in problem.applications
            for c in problem.criteria
        )
        return
    for j in range(len(problem.criteria)):
        got = [Fraction(parts.A[j] * int(d) + parts.B[j], parts.D[j]) for d in parts.digits[j].tolist()]
        assert got == [w["norm"][j] for w in want]
    weights = [typed(c.weight) * 3 for c in problem.criteria]  # any other weights, exactly
    totals, common, _ = integer_totals(parts, weights)
    other = [sum((wt * n for wt, n in zip(weights, w["norm"], strict=True)), Fraction(0)) for w in want]
    assert [Fraction(int(t), common) for t in totals.tolist()] == other
    den = 1
    for v in other:
        den = lcm(den, v.denominator)
    assert reduced_denominator(totals, common) == den
    assert reduced_denominator(totals.astype(object), common) == den  # the Python-int path alike


def test_integer_scale() -> None:
    p = _problem([Criterion(name="g", weight=1, scale_max=7)], [[1], [2], [7]])
    s = score(p)
    assert s.denominator == 7 and s.integer_scale() == 7
    # partial funding multiplies the value by step / requested: 1/7 * 1/3 needs 21
    assert s.integer_scale([Fraction(1, 3), Fraction(1), Fraction(1, 2)]) == 42
    assert s.integer_scale([Fraction(1, 10**13), Fraction(1), Fraction(1)]) is None
    big = _problem([Criterion(name="g", weight=1, scale_max=7)], [[1.000001], [2]])
    assert score(big).denominator == 7 * 10**6 and score(big).integer_scale() == 7 * 10**6


def test_wide_numerators_use_python_integers() -> None:
    # weights and scores whose common denominator overflows int64: still exact
    crits = [
        Criterion(name=f"c{j}", weight=w, scale_min=0, scale_max=m)
        for j, (w, m) in enumerate([(0.123457, 9.99997), (0.987653, 7.00003), (0.555551, 3.33331)])
    ]
    p = _problem(crits, [[1.234567, 2.345671, 3.111111], [9.99997, 0.000001, 0.5]])
    check(p)
    s = score(p)
    assert s.numerators is not None and s.numerators.dtype == object


@pytest.mark.parametrize("normalisation", ["max", "range"])
def test_worst_application_under_range_is_worth_nothing(normalisation: str) -> None:
    crits = [
        Criterion(name="g", weight=2, scale_min=1, scale_max=7),
        Criterion(name="s", weight=1, scale_min=1, scale_max=7),
    ]
    s = score(_problem(crits, [[1, 1]], options={"normalisation": normalisation}))
    assert s.exact[0] == (0 if normalisation == "range" else Fraction(3, 7))


def test_decimals_as_typed() -> None:
    from allocator.model.scoring import _decimal_integers

    empty = _decimal_integers(np.zeros(0))
    assert empty is not None and empty[1] == 0 and empty[0].dtype == np.int64 and empty[0].shape == (0,)
    for x, digits, k in [([1.5, 2.25], [150, 225], 2), ([0.1, 7.0], [1, 70], 1), ([3.0, -2.0], [3, -2], 0)]:
        got = _decimal_integers(np.array(x))
        assert got is not None and got[0].tolist() == digits and got[1] == k
        assert [Fraction(int(a), 10 ** got[1]) for a in got[0].tolist()] == [typed(v) for v in x]
    assert _decimal_integers(np.array([1 / 3])) is None  # more than 6 decimals
    assert _decimal_integers(np.array([0.1234567])) is None
    assert _decimal_integers(np.array([0.123456]))[1] == 6  # type: ignore[index]
    # from 2**51 on a unit in the last place may exceed 10**-k: left to the exact path
    assert _decimal_integers(np.array([2.0**51 - 1]))[1] == 0  # type: ignore[index]
    assert _decimal_integers(np.array([2.0**51])) is None
    assert _decimal_integers(np.array([2.0**51 + 2, 1.0])) is None
    assert _decimal_integers(np.array([2.0**51 / 10, 0.5])) is None  # 10 * top reaches 2**51


@pytest.mark.parametrize(
    ("num", "den"),
    [
        ([2**53 - 1, 1, -7], 3),
        ([2**53 + 1, 5], 3),  # a numerator a double cannot hold: divided exactly
        ([1, 2, 3], 2**53 + 1),  # nor a denominator
        ([2**53, 2**53 - 1], 2**53),
        ([10**17 + 3], 10**16 + 1),
    ],
)
def test_division_is_correctly_rounded(num: list[int], den: int) -> None:
    from allocator.model.scoring import _divide

    for arr in (np.array(num, dtype=np.int64), np.array(num, dtype=object)):
        out = _divide(arr, den)
        assert out.dtype == np.float64
        assert out.tolist() == [float(Fraction(v, den)) for v in num]


def test_total_threshold_on_the_exact_path() -> None:
    """At the threshold is eligible, on both paths (1/3 is no short decimal: the exact one)."""
    q = _problem(
        [Criterion(name="g", weight=1, scale_max=10)], [[5], [4.9], [10 / 3]], options={"min_total_score": 0.5}
    )
    for s in (score(q), _score_fractions(q)):
        assert s.eligible.tolist() == [True, False, False]
    r = _problem([Criterion(name="g", weight=1, scale_max=3)], [[1], [1 / 3]], options={"min_total_score": 1 / 3})
    assert _score_fractions(r).eligible.tolist() == [True, False]


def test_integers_too_wide_for_int64_through_the_scores_alone() -> None:
    """The common denominator (10**15) fits in int64, the weighted numerators (about 10**21)
    do not: the bound on them, not the denominator, must send the sums to Python integers."""
    crits = [Criterion(name="a", weight=999_999, scale_max=1e9), Criterion(name="b", weight=1, scale_max=1)]
    p = _problem(crits, [[999_999_999.123456, 0.123456], [1.5, 1]])
    check(p)
    s = score(p)
    assert s.common < 2**62 and s.numerators is not None and s.numerators.dtype == object
    parts = integer_parts(p)
    assert parts is not None
    totals, common, _ = integer_totals(parts, [Fraction(999_999), Fraction(1)])
    assert totals.dtype == object and common < 2**62
    assert [Fraction(int(t), common) for t in totals.tolist()] == list(s.exact)


def test_integer_scale_at_its_limits() -> None:
    # a denominator of exactly 10**12 is still scaled (weight 1e-6 times a score 1e-6)
    p = _problem([Criterion(name="g", weight=0.000001, scale_max=1)], [[0.000001], [1]])
    s = score(p)
    assert s.denominator == 10**12 and s.integer_scale() == 10**12
    assert s.integer_scale([Fraction(1), Fraction(1)]) == 10**12
    assert s.integer_scale([Fraction(1, 2), Fraction(1)]) is None  # 2 * 10**12: too large
    # a small denominator, but values whose scaled sum passes 2**50
    q = _problem([Criterion(name="g", weight=999_999.999999, scale_max=1)], [[0.999999], [1]])
    sq = score(q)
    assert sq.denominator <= 10**12 and sum(sq.exact) * sq.denominator > 2**50
    assert sq.integer_scale() is None


def test_reduced_denominator_on_python_integers() -> None:
    # gcd(4, 2) = 2 first, then gcd(2, 3) = 1: the denominator stays 4
    assert reduced_denominator(np.array([2, 3], dtype=object), 4) == 4
    assert reduced_denominator(np.array([2, 6], dtype=object), 4) == 2
    assert reduced_denominator(np.array([2, 3]), 4) == 4
    assert reduced_denominator(np.array([0, 0], dtype=object), 4) == 1
