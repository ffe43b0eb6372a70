"""allocator.optimize.loaded: the one place a solver model lives, checked by hand and by
enumeration.

``LoadedModel.feasible`` is checked on points whose row activities are worked out here;
``LoadedModel.run`` must never hand back a point that breaks a row once its integers are
rounded: HiGHS's tolerance (1e-8) lets such points pass rows of large integers by a
fraction of a unit, and the model then solves again, tighter. The knapsacks below are
enumerated here, with nothing from the library but the model being tested.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from allocator.optimize.linear import ModelBuilder
from allocator.optimize.loaded import LoadedModel


def _knapsack(c: np.ndarray, a: np.ndarray, frame: int, lower: float, upper: float) -> LoadedModel:
    b = ModelBuilder()
    cols = b.add_cols("x", len(c))
    b.add_row(cols, a, upper=float(frame), name="frame")
    b.add_row(cols, c, lower=lower, upper=upper, name="value")
    return LoadedModel(b.build())


def test_feasible_counts_added_rows_and_column_bounds() -> None:
    b = ModelBuilder()
    cols = b.add_cols("x", 3, upper=2.0)
    b.add_row(cols, [1.0, 2.0, 3.0], upper=6.0, name="cap")
    b.add_row(cols[:2], [1.0, -1.0], lower=0.0, name="order")
    m = LoadedModel(b.build())
    assert m.feasible(np.array([1.0, 1.0, 1.0]))  # 6 <= 6, 0 >= 0
    assert not m.feasible(np.array([1.0, 1.0, 2.0]))  # 9 > 6
    assert not m.feasible(np.array([0.0, 1.0, 0.0]))  # -1 < 0
    assert not m.feasible(np.array([3.0, 0.0, 0.0]))  # above the column bound
    with m.extra_rows():
        m.add_row(np.array([2]), np.array([1.0]), 1.0, 2.0)  # x2 in [1, 2]
        assert not m.feasible(np.array([0.0, 0.0, 0.0]))
        assert m.feasible(np.array([0.0, 0.0, 1.0]))
    assert m.feasible(np.array([0.0, 0.0, 0.0]))  # the added row is gone


@pytest.mark.parametrize("seed", range(60))
def test_no_point_breaks_a_row_of_large_integers_once_rounded(seed: int) -> None:
    # values of 1e7 to 1e9: HiGHS's first point can pass "value >= best + 1/2" (in 7 of
    # these 60 draws at a tolerance of 1e-7, in 1 at 1e-8); the second, tighter solve
    # proves that nothing does
    rng = np.random.default_rng(seed)
    for k in (7, 8):
        n = int(rng.integers(6, 10))
        c = rng.integers(10**k, 10 ** (k + 1), n)
        c[0] = int(rng.integers(1, 10**4))  # one small value among large ones
        a = rng.integers(1, 10**7, n)
        frame = int(rng.integers(a.min(), a.sum()))
        values = sorted({int(np.dot(c, s)) for s in itertools.product((0, 1), repeat=n) if int(np.dot(a, s)) <= frame})
        best = values[-1]
        # more than the best: nothing
        m = _knapsack(c, a, frame, best + 0.5, np.inf)
        assert m.proven(np.zeros(n)) is None, (seed, k)
        # the best at most V, for a V below the best: exactly V
        v = values[int(rng.integers(0, len(values) - 1))]
        m = _knapsack(c, a, frame, -np.inf, v + 0.5)
        x = m.proven(c.astype(float))
        assert x is not None and int(np.dot(c, x)) == v and int(np.dot(a, x)) <= frame, (seed, k)
