"""allocator.optimize.knapsack: the dynamic program against enumeration of every item set."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem
from allocator.optimize import knapsack as ks
from allocator.optimize.formulation import build
from allocator.optimize.knapsack import applies, choose, divisor, knapsack, optimum, table, what_if
from allocator.rules import FundedCount
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
    assert divisor([4, 6, 9]) == 1  # 4, then 2, then 1: not stopped at 2


def test_choose_by_hand() -> None:
    v, w = np.array([1, 0]), np.array([1, 1])
    # the value first, the preference only among equal values (one unit of room)
    assert choose(v, w, 1, prefer=np.array([0, 1])).tolist() == [True, False]
    assert choose(np.array([1, 1]), w, 1, prefer=np.array([0, 1])).tolist() == [False, True]
    # a target reached exactly is reached
    assert choose(v, w, 1, target=1).tolist() == [True, False]
    assert choose(v, w, 1, target=2) is None
    assert choose(np.array([3, 2]), np.array([2, 1]), 3, target=2, cheapest=True).tolist() == [False, True]


def test_table_refuses_bad_input() -> None:
    one = np.array([1])
    with pytest.raises(ValueError, match=r"^1 values for 2 weights$"):
        table(one, np.array([1, 2]), 3)
    with pytest.raises(ValueError, match=r"^weights must be positive and values non-negative integers$"):
        table(one, np.array([0]), 3)
    with pytest.raises(ValueError, match=r"^weights must be positive and values non-negative integers$"):
        table(np.array([-1]), one, 3)
    with pytest.raises(ValueError, match=r"^capacity -1 must be at least 0$"):
        table(one, one, -1)
    t = table(np.array([2, 2]), np.array([1, 1]), 2)  # an empty table is fine, and so are ties
    assert t.best.tolist() == [0, 2, 4] and t.count.tolist() == [1, 2, 1]


def _call(units: list[int], frame: int, *, partial: bool = False, rules: list[object] = ()) -> Problem:  # type: ignore[assignment]
    apps = [Application(id=f"A{k}", requested=10_000 * u, scores={"g": 1}) for k, u in enumerate(units)]
    return Problem(
        frame=frame,
        criteria=[Criterion(name="g", weight=1)],
        applications=apps,
        rules=rules,
        options={"partial": partial},
    )


@examples(100)
@given(
    st.lists(
        st.tuples(st.integers(1, 6), st.integers(0, 9), st.sampled_from(["free", "in", "out"])), min_size=1, max_size=7
    ),
    st.integers(1, 25),
    st.booleans(),
)
def test_optimum_on_a_formulation_against_enumeration(
    apps: list[tuple[int, int, str]], frame_units: int, no_frame: bool
) -> None:
    """``optimum`` on a call's columns, some forced in or out by their bounds, against every
    portfolio: the best value within the frame (or with no frame), and whether it is the only one."""
    f = build(_call([u for u, _, _ in apps], 10_000 * frame_units))
    n = len(apps)
    assert f.model.n_cols == n and f.select.tolist() == list(range(n))
    c = np.array([float(v) for _, v, _ in apps])
    lower = np.array([1.0 if s == "in" else 0.0 for _, _, s in apps])
    upper = np.array([0.0 if s == "out" else 1.0 for _, _, s in apps])
    frame = float("inf") if no_frame else 10_000.0 * frame_units
    cost = [10_000 * u for u, _, _ in apps]
    fits = [
        x
        for x in itertools.product((0, 1), repeat=n)
        if all(lower[i] <= x[i] <= upper[i] for i in range(n))
        and sum(ci * xi for ci, xi in zip(cost, x, strict=True)) <= frame
    ]
    x, unique = optimum(f, c, lower, upper, frame)
    if not fits:
        assert (x, unique) == (None, False)
        return
    assert x is not None
    got = tuple(int(v) for v in x)
    best = max(float(np.dot(c, t)) for t in fits)
    assert got in fits and float(np.dot(c, got)) == best
    assert unique == (sum(1 for t in fits if float(np.dot(c, t)) == best) == 1)


def test_applies_only_to_all_or_nothing_frame_only_integer_values() -> None:
    p = _call([1, 2, 3], 30_000)
    f = build(p)
    lo, hi = np.zeros(3), np.ones(3)
    assert applies(f, np.array([3.0, 1.0, 0.0]), f.scale, lo, hi, 30_000.0)
    assert applies(f, np.array([3.0, 1.0, 0.0]), f.scale, lo, hi, float("inf"))  # no frame
    assert not applies(f, np.array([3.0, 1.0, 0.0]), None, lo, hi, 30_000.0)  # values not integer-scaled
    assert not applies(f, np.array([3.0, -1.0, 0.0]), f.scale, lo, hi, 30_000.0)  # a negative value
    assert not applies(f, np.array([3.5, 1.0, 0.0]), f.scale, lo, hi, 30_000.0)  # a fractional value
    assert not applies(f, np.array([3.0, 1.0, 0.0]), f.scale, lo, np.array([1.0, 2.0, 1.0]), 30_000.0)
    assert not applies(f, np.array([3.0, 1.0, 0.0]), f.scale, np.array([-1.0, 0, 0]), hi, 30_000.0)
    # values whose total times (items + 2) reaches 2**62 cannot be held in int64 by the table:
    # with three items, 5 * 8e17 is below it, 6 * 8e17 above; with two, 4 * 2**60 is 2**62 itself
    assert applies(f, np.array([8e17, 0.0, 0.0]), f.scale, lo, hi, 30_000.0)
    assert not applies(f, np.array([2.0**60, 0.0, 0.0]), f.scale, lo, hi, 30_000.0)
    two = build(_call([1, 2], 30_000))
    assert applies(two, np.array([2.0**60 - 2.0**8, 0.0]), two.scale, lo[:2], hi[:2], 30_000.0)
    assert not applies(two, np.array([2.0**60, 0.0]), two.scale, lo[:2], hi[:2], 30_000.0)
    partial = build(_call([1, 2, 3], 30_000, partial=True))
    m = partial.model.n_cols
    assert not applies(partial, np.ones(m), partial.scale, np.zeros(m), np.ones(m), 30_000.0)
    ruled = build(_call([1, 2, 3], 30_000, rules=[FundedCount(max=1)]))
    assert not applies(ruled, np.array([3.0, 1.0, 0.0]), ruled.scale, lo, hi, 30_000.0)  # a row beside the frame


def test_applies_refuses_tables_beyond_max_cells(monkeypatch: pytest.MonkeyPatch) -> None:

    f = build(_call([1, 2, 3], 30_000))
    lo, hi, c = np.zeros(3), np.ones(3), np.array([3.0, 1.0, 0.0])
    # 3 items, capacity 3 units (30 000 kr / 10 000): 3 * (3 + 1) = 12 cells
    assert ks.cells(3, 3) == 12
    monkeypatch.setattr(ks, "MAX_CELLS", 12)
    assert applies(f, c, f.scale, lo, hi, 30_000.0)
    assert applies(f, c, f.scale, lo, hi, 35_000.0)  # 3 whole units of room, not 3.5
    monkeypatch.setattr(ks, "MAX_CELLS", 11)
    assert not applies(f, c, f.scale, lo, hi, 30_000.0)
    # only the free items count, and the capacity is at most their total, whatever the frame:
    # two items of 2 + 3 units give 2 * (5 + 1) = 12 cells, one item of 3 units 1 * (3 + 1) = 4
    assert not applies(f, c, f.scale, lo, np.array([0.0, 1.0, 1.0]), 1e9)
    assert applies(f, c, f.scale, lo, np.array([0.0, 0.0, 1.0]), 1e9)


@examples(150)
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(0, 6), st.integers(0, 2), st.sampled_from(["free", "in", "out"])),
        min_size=1,
        max_size=6,
    ),
    st.data(),
)
def test_what_if_against_enumeration(apps: list[tuple[int, int, int, str]], data: st.DataObject) -> None:
    """``what_if`` (the engine's questions on a plain knapsack) against every portfolio: columns
    forced in or out by their bounds and by the question, a frame or none, the best value (then
    the highest preference), a value target, and the cheapest portfolio reaching it."""
    n = len(apps)
    f = build(_call([u for u, _, _, _ in apps], 10_000 * 25))
    units = [u for u, _, _, _ in apps]
    c = np.array([float(v) for _, v, _, _ in apps])
    pref = np.array([float(p) for _, _, p, _ in apps])
    lower = np.array([1.0 if s == "in" else 0.0 for _, _, _, s in apps])
    upper = np.array([0.0 if s == "out" else 1.0 for _, _, _, s in apps])
    fix_in = data.draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True))
    fix_out = data.draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True))
    frame = data.draw(
        st.one_of(st.just(float("inf")), st.integers(0, 14).map(lambda k: 10_000.0 * k + 5_000 * (k % 2)))
    )
    target = data.draw(st.one_of(st.none(), st.integers(0, 20)))
    cheapest = data.draw(st.booleans())
    prefer = data.draw(st.one_of(st.none(), st.just(pref)))

    def ok(x: tuple[int, ...]) -> bool:
        return (
            all(lower[i] <= x[i] <= upper[i] for i in range(n))
            and all(x[i] for i in fix_in)
            and not any(x[i] for i in fix_out)
            and 10_000 * sum(u * xi for u, xi in zip(units, x, strict=True)) <= frame
        )

    value = lambda x: sum(int(c[i]) for i in range(n) if x[i])  # noqa: E731
    liked = lambda x: 0 if prefer is None else sum(int(pref[i]) for i in range(n) if x[i])  # noqa: E731
    cost = lambda x: sum(units[i] for i in range(n) if x[i])  # noqa: E731
    fits = [x for x in itertools.product((0, 1), repeat=n) if ok(x)]
    got = what_if(f, c, lower, upper, frame, fix_in, fix_out, prefer, target, cheapest)
    reach = [x for x in fits if target is None or value(x) >= target]
    if not reach:
        assert got is None
        return
    assert got is not None
    x = tuple(int(v) for v in got)
    assert x in fits
    if cheapest:
        least = min(cost(t) for t in reach)
        assert cost(x) == least
        assert (value(x), liked(x)) == max((value(t), liked(t)) for t in fits if cost(t) == least)
    else:
        assert (value(x), liked(x)) == max((value(t), liked(t)) for t in fits)


def test_what_if_by_hand() -> None:
    # A (2 units) forced in by its bounds, B (2 units, value 5) free
    f = build(_call([2, 2], 30_000))
    c, lo, hi = np.array([1.0, 5.0]), np.array([1.0, 0.0]), np.ones(2)

    def ask(frame: float, fix_in: tuple[int, ...] = (), fix_out: tuple[int, ...] = ()) -> list[float] | None:
        x = what_if(f, c, lo, hi, frame, fix_in, fix_out, None, None, False)
        return None if x is None else x.tolist()

    assert ask(30_000.0) == [1.0, 0.0]  # one unit left: B does not fit
    assert ask(40_000.0) == [1.0, 1.0]
    assert ask(20_000.0) == [1.0, 0.0]  # A alone spends the frame exactly
    assert ask(19_999.0) is None  # A alone is over it
    assert ask(40_000.0, fix_out=(1,)) == [1.0, 0.0]
    assert ask(40_000.0, fix_in=(0,), fix_out=(0,)) is None
    # equal values: the preference decides
    g = build(_call([1, 1], 10_000))
    x = what_if(g, np.array([3.0, 3.0]), np.zeros(2), np.ones(2), 10_000.0, (), (), np.array([0.0, 2.0]), None, False)
    assert x is not None and x.tolist() == [0.0, 1.0]
    x = what_if(g, np.array([3.0, 3.0]), np.zeros(2), np.ones(2), 10_000.0, (), (), np.array([2.0, 0.0]), None, False)
    assert x is not None and x.tolist() == [1.0, 0.0]
