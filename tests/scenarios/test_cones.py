"""The exact cones behind the weight regions, against brute-force enumeration of extreme rays.

The reference shares nothing with :mod:`allocator.scenarios.cones`: an extreme ray of
``{w >= 0 : a_k . w >= 0}`` in dimension ``d`` is a nonzero vector in the cone on which
``d - 1`` linearly independent constraints are zero, so every set of ``d - 1`` constraints
is tried (the null space by cofactors, exact integers) and the directions that satisfy
every constraint are kept.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from math import gcd

from hypothesis import given
from hypothesis import strategies as st

from allocator.scenarios.cones import Cone
from tests.conftest import examples


def _det(m: list[list[int]]) -> int:
    if not m:
        return 1
    if len(m) == 1:
        return m[0][0]
    return sum((-1) ** j * m[0][j] * _det([row[:j] + row[j + 1 :] for row in m[1:]]) for j in range(len(m)))


def _reduced(v: list[int]) -> tuple[int, ...]:
    g = 0
    for x in v:
        g = gcd(g, x)
    return tuple(x // g for x in v) if g else tuple(v)


def _brute_rays(d: int, constraints: list[tuple[int, ...]]) -> set[tuple[int, ...]]:
    rows = [tuple(int(i == c) for i in range(d)) for c in range(d)] + list(constraints)
    out: set[tuple[int, ...]] = set()
    if d == 1:
        return {(1,)} if all(a[0] >= 0 for a in rows) else set()
    for subset in itertools.combinations(rows, d - 1):
        m = [list(r) for r in subset]
        # the generalised cross product: zero on every row of m, nonzero iff rank d - 1
        r = [(-1) ** i * _det([row[:i] + row[i + 1 :] for row in m]) for i in range(d)]
        if not any(r):
            continue
        for sign in (1, -1):
            v = [sign * x for x in r]
            if all(sum(a * b for a, b in zip(row, v, strict=True)) >= 0 for row in rows):
                out.add(_reduced(v))
    return out


@examples(300)
@given(
    st.integers(1, 4).flatmap(
        lambda d: st.tuples(st.just(d), st.lists(st.tuples(*[st.integers(-3, 3)] * d), max_size=5))
    )
)
def test_extreme_rays_equal_brute_force(case: tuple[int, list[tuple[int, ...]]]) -> None:
    d, constraints = case
    cone = Cone(d)
    for a in constraints:
        cone.cut(a)
        rays = [r for r, _ in cone.rays]
        assert len(set(rays)) == len(rays)
    assert {r for r, _ in cone.rays} == _brute_rays(d, constraints)
    for r, tight in cone.rays:  # each ray's tight set is exactly the constraints zero on it
        assert tight == cone.tight(r)


@examples(200)
@given(
    st.lists(st.tuples(*[st.integers(-3, 3)] * 3), max_size=4),
    st.tuples(*[st.integers(0, 6)] * 3),
)
def test_contains_is_the_constraints_and_the_hull_of_the_rays(
    constraints: list[tuple[int, ...]], w: tuple[int, ...]
) -> None:
    cone = Cone(3)
    for a in constraints:
        cone.cut(a)
    inside = all(sum(x * y for x, y in zip(a, w, strict=True)) >= 0 for a in constraints)
    assert cone.contains(w) == inside
    # A positive combination of the rays is inside; so every ray is.
    rays = [r for r, _ in cone.rays]
    if rays:
        mix = tuple(sum(Fraction(k + 1) * r[i] for k, r in enumerate(rays)) for i in range(3))
        assert cone.contains(tuple(int(v) for v in mix))
