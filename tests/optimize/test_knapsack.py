"""allocator.optimize.knapsack: the dynamic program against enumeration of every item set."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from allocator.optimize.knapsack import choose, divisor, knapsack
from tests.conftest import examples

items = st.lists(st.tuples(st.integers(0, 9), st.integers(1, 6)), max_size=9)


def _sets(n: int) -> list[tuple[int, ...]]:
    return [s for k in range(n + 1) for s in itertools.combinations(range(n), k)]


@examples(200)
@given(items, st.integers(0, 25))
def test_optimum_and_uniqueness_against_enumeration(its: list[tuple[int, int]], cap: int) -> None:
    v = np.array([a for a, _ in its], dtype=np.int64)
    w = np.array([b for _, b in its], dtype=np.int64)
    fits = [s for s in _sets(len(its)) if sum(w[list(s)]) <= cap]
    best = max(int(sum(v[list(s)])) for s in fits)
    r = knapsack(v, w, cap)
    assert r.value == best
    taken = tuple(np.flatnonzero(r.take))
    assert taken in fits and int(v[list(taken)].sum()) == best
    assert r.unique == (sum(1 for s in fits if int(v[list(s)].sum()) == best) == 1)


@examples(150)
@given(
    items,
    st.integers(0, 25),
    st.lists(st.integers(0, 3), min_size=9, max_size=9),
    st.one_of(st.none(), st.integers(0, 30)),
)
def test_choose_with_preference_target_and_cheapest(
    its: list[tuple[int, int]], cap: int, pref: list[int], target: int | None
) -> None:
    n = len(its)
    v = np.array([a for a, _ in its], dtype=np.int64)
    w = np.array([b for _, b in its], dtype=np.int64)
    pr = np.array(pref[:n], dtype=np.int64)
    fits = [s for s in _sets(n) if sum(w[list(s)]) <= cap]
    val = lambda s: int(v[list(s)].sum())  # noqa: E731
    # the best value, then the highest preference
    got = choose(v, w, cap, prefer=pr, target=target)
    top = max(val(s) for s in fits)
    if target is not None and top < target:
        assert got is None
    else:
        assert got is not None
        s = tuple(np.flatnonzero(got))
        assert s in fits and val(s) == top
        assert int(pr[list(s)].sum()) == max(int(pr[list(t)].sum()) for t in fits if val(t) == top)
    # the cheapest set reaching the target, then the highest value there
    reach = [s for s in fits if target is None or val(s) >= target]
    cheap = choose(v, w, cap, target=target, cheapest=True)
    if not reach:
        assert cheap is None
        return
    assert cheap is not None
    s = tuple(np.flatnonzero(cheap))
    least = min(int(w[list(t)].sum()) for t in reach)
    assert s in reach and int(w[list(s)].sum()) == least
    assert val(s) == max(val(t) for t in reach if int(w[list(t)].sum()) == least)


def test_divisor() -> None:
    assert divisor([150_000, 240_000, 95_000]) == 5000
    assert divisor([]) == 1 and divisor([7]) == 7
