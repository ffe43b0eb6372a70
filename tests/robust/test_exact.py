"""Exact robustness against brute force on random calls with rules (up to 12 applications).

The reference (:mod:`tests.robust.oracle`) enumerates every portfolio, applies the rules as
documented and compares every pair by the definition of dominance; it shares no code with
:mod:`allocator.robust`. Three paths of the code are checked against it:

* enumeration (:func:`allocator.robust.nondominated`, small calls): the whole set and the
  core indices;
* integer programs (the same, with enumeration switched off): the whole set;
* search (:func:`allocator.robust.classify` without enumeration): the classes.
"""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pytest

import allocator.robust.exact as exact_mod
from allocator.exceptions import AllocatorError, InfeasibleError
from allocator.robust import Uncertainty, classify, nondominated
from allocator.robust.dominance import dominates as code_dominates
from allocator.robust.dominance import values
from tests.robust.oracle import (
    Case,
    dominates,
    feasible_sets,
    make_case,
    nondominated_sets,
    score_corners_dominates,
)

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
N_ENUM = 400 if THOROUGH else 120
N_MIP = 150 if THOROUGH else 30


def uncertainty(case: Case) -> Uncertainty:
    return Uncertainty.of(
        order=" >= ".join(case.order) if case.order else (), plus_minus=case.plus_minus, score_intervals=case.given
    )


def reference(case: Case) -> tuple[list[frozenset[str]], dict[str, Fraction], dict[str, str]]:
    nd = nondominated_sets(case)
    ids = [a.id for a in case.problem.applications]
    ci = {i: Fraction(sum(i in s for s in nd), len(nd)) for i in ids} if nd else {}
    cls = {i: "core" if c == 1 else "exterior" if c == 0 else "borderline" for i, c in ci.items()}
    return nd, ci, cls


def as_sets(ids: tuple[str, ...], X: np.ndarray) -> set[frozenset[str]]:
    return {frozenset(i for i, b in zip(ids, row, strict=True) if b) for row in X}


def test_oracle_dominance_matches_score_corners() -> None:
    """The oracle's reduction (worst end of each interval) agrees with every score corner."""
    checked = 0
    for seed in range(25):
        case = make_case(seed, max_n=5)
        F = feasible_sets(case)[:12]
        for q in F:
            for p in F:
                if len(q ^ p) <= 4 and len(case.problem.criteria) * len(q ^ p) <= 6:
                    assert dominates(case, q, p) == score_corners_dominates(case, q, p)
                    checked += 1
    assert checked > 100


@pytest.mark.parametrize("seed", range(N_ENUM))
def test_enumeration_matches_brute_force(seed: int) -> None:
    case = make_case(seed)
    u = uncertainty(case)
    nd, ci, cls = reference(case)
    if not nd:
        with pytest.raises(InfeasibleError):
            nondominated(case.problem, u)
        return
    r = nondominated(case.problem, u)
    assert r.method == "enumeration"
    assert as_sets(r.ids, r.portfolios) == set(nd)
    assert r.core_index is not None
    for k, i in enumerate(r.ids):
        assert Fraction(round(r.core_index[k] * len(nd)), len(nd)) == ci[i]
        assert r.classes[k] == cls[i]


@pytest.mark.parametrize("seed", range(N_MIP))
def test_integer_programs_and_search_match_brute_force(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    case = make_case(seed, max_n=10)
    u = uncertainty(case)
    nd, _, cls = reference(case)
    monkeypatch.setattr(exact_mod, "BRUTE_MAX", -1)
    if not nd:
        with pytest.raises(InfeasibleError):
            classify(case.problem, u)
        return
    listed = nondominated(case.problem, u)
    assert listed.method == "integer programs"
    assert as_sets(listed.ids, listed.portfolios) == set(nd)
    found = classify(case.problem, u)
    assert found.method == "search"
    assert dict(zip(found.ids, found.classes, strict=True)) == cls
    for (i, funded), w in found.witnesses.items():  # every witness is non-dominated and as claimed
        assert bool(w[i]) == funded
        assert frozenset(x for x, b in zip(found.ids, w, strict=True) if b) in set(nd)


def test_code_dominance_agrees_with_oracle_pairwise() -> None:
    agree = 0
    for seed in range(30):
        case = make_case(seed, max_n=6)
        if case.order is None:
            continue
        u = uncertainty(case)
        v = values(case.problem, u)
        ids = [a.id for a in case.problem.applications]
        F = feasible_sets(case)[:25]
        for q in F:
            for p in F:
                qa = np.array([i in q for i in ids])
                pa = np.array([i in p for i in ids])
                assert code_dominates(v, qa, pa) == dominates(case, q, p)
                agree += 1
    assert agree > 500


def test_time_limit_leaves_classes_undecided_not_guessed(monkeypatch: pytest.MonkeyPatch) -> None:
    case = make_case(3, max_n=10)
    monkeypatch.setattr(exact_mod, "BRUTE_MAX", -1)
    r = classify(case.problem, uncertainty(case), time_limit=1e-9)
    _nd, _, cls = reference(case)
    for i, c in zip(r.ids, r.classes, strict=True):
        assert c == "undecided" or c == cls[i]


@pytest.mark.parametrize("path", ["enumeration", "integer programs"])
def test_too_many_portfolios_is_refused_with_advice(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in (make_case(s, max_n=8) for s in range(200)) if len(nondominated_sets(c)) > 3)
    if path == "integer programs":
        monkeypatch.setattr(exact_mod, "BRUTE_MAX", -1)
    with pytest.raises(exact_mod.TooManyPortfolios, match="sampling") as info:
        nondominated(case.problem, uncertainty(case), limit=2)
    assert "more than 2 non-dominated portfolios" in str(info.value)
    assert isinstance(info.value, AllocatorError)
    size = len(nondominated_sets(case))  # at the limit it is not refused
    assert len(nondominated(case.problem, uncertainty(case), limit=size).portfolios) == size
