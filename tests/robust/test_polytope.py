"""The admissible weights: extreme points (exact) and the uniformity of the hit-and-run sampler.

Uniformity is tested against exact uniform samples drawn another way: the unit simplex
and its images are uniform under Dirichlet(1, ..., 1) weights of their vertices (a linear
map of a uniform simplex is uniform), and any sub-polytope is uniform under rejection from
a uniform superset. Two-sample Kolmogorov-Smirnov tests on every coordinate and on random
projections must not reject at the 1 % level; the same tests reject the common shortcut of
drawing each weight uniformly and normalising (it avoids the extremes).
"""

from __future__ import annotations

import math
from fractions import Fraction as Fr

import numpy as np
import pytest

from allocator.exceptions import InputError
from allocator.robust import WeightInfo, WeightPolytope
from allocator.robust.polytope import naive_sample


def ks_2samp(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and its asymptotic p-value."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    d = float(
        np.abs(np.searchsorted(a, grid, side="right") / len(a) - np.searchsorted(b, grid, side="right") / len(b)).max()
    )
    ne = len(a) * len(b) / (len(a) + len(b))
    lam = (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne)) * d
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return d, min(1.0, max(0.0, p))


def worst_p(x: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    m = x.shape[1]
    ps = [ks_2samp(x[:, j], y[:, j])[1] for j in range(m)]
    for _ in range(3):
        d = rng.standard_normal(m)
        ps.append(ks_2samp(x @ d, y @ d)[1])
    return min(ps)


def dirichlet_of(vertices: list[tuple[Fr, ...]], n: int, seed: int) -> np.ndarray:
    V = np.array([[float(x) for x in v] for v in vertices])
    lam = np.random.default_rng(seed).dirichlet(np.ones(len(V)), size=n)
    return np.asarray(lam @ V)


def test_vertices_of_known_polytopes() -> None:
    assert WeightPolytope.of(["a", "b", "c"]).vertices() == [(0, 0, 1), (0, 1, 0), (1, 0, 0)]
    chain = WeightPolytope.of(["a", "b", "c"], WeightInfo(order="a >= b >= c")).vertices()
    assert chain == [(Fr(1, 3), Fr(1, 3), Fr(1, 3)), (Fr(1, 2), Fr(1, 2), 0), (1, 0, 0)]
    others = WeightPolytope.of(["a", "b", "c", "d"], WeightInfo(order="a >= b >= others")).vertices()
    q, t, h = Fr(1, 4), Fr(1, 3), Fr(1, 2)
    assert set(others) == {(1, 0, 0, 0), (h, h, 0, 0), (t, t, t, 0), (t, t, 0, t), (q, q, q, q)}
    box = WeightPolytope.of(["a", "b"], WeightInfo(intervals={"a": (0.2, 0.5)})).vertices()
    assert box == [(Fr(1, 5), Fr(4, 5)), (Fr(1, 2), Fr(1, 2))]
    ratio = WeightPolytope.of(["a", "b"], WeightInfo(constraints=["a >= 2 * b"])).vertices()
    assert ratio == [(Fr(2, 3), Fr(1, 3)), (1, 0)]
    mixed = WeightPolytope.of(["a", "b", "c"], WeightInfo(order="a >= others", constraints=["b + c >= 0.5"]))
    assert set(mixed.vertices()) == {(Fr(1, 2), Fr(1, 2), 0), (Fr(1, 2), 0, Fr(1, 2)), (Fr(1, 3), Fr(1, 3), Fr(1, 3))}
    assert mixed.contains((Fr(1, 2), Fr(1, 4), Fr(1, 4))) and not mixed.contains((Fr(1), Fr(0), Fr(0)))


def test_empty_polytope_names_the_constraints() -> None:
    with pytest.raises(InputError, match=r"no weights satisfy.*a >= 0.7.*b >= 0.5"):
        WeightPolytope.of(["a", "b"], WeightInfo(intervals={"a": (0.7, 1.0), "b": (0.5, 1.0)}))
    with pytest.raises(InputError, match="unknown criteria"):
        WeightPolytope.of(["a", "b"], WeightInfo(order="a >= z"))


def test_samples_stay_inside() -> None:
    P = WeightPolytope.of(["a", "b", "c", "d"], WeightInfo(order="a >= b >= others", intervals={"c": (0.05, 0.3)}))
    w = P.sample(3000, seed=4)
    assert w.shape == (3000, 4)
    assert np.allclose(w.sum(axis=1), 1)
    assert all(P.contains(tuple(row), tol=1e-9) for row in w)


def test_uniform_on_the_simplex_and_the_shortcut_is_not() -> None:
    P = WeightPolytope.of(["a", "b", "c", "d"])
    n = 4000
    hr = P.sample(n, seed=11)
    exact = np.random.default_rng(12).dirichlet(np.ones(4), size=n)
    assert worst_p(hr, exact) > 0.01
    assert worst_p(naive_sample(4, n, seed=13), exact) < 1e-6  # the test has the power to see the bias
    # marginal of a share on the simplex with 4 criteria: P(w_a <= x) = 1 - (1 - x)^3
    x = np.sort(hr[:, 0])
    ecdf = np.arange(1, n + 1) / n
    D = float(np.abs(ecdf - (1 - (1 - x) ** 3)).max())
    assert D * math.sqrt(n) < 1.63  # Kolmogorov 1 % critical value


def test_uniform_on_a_rank_order() -> None:
    P = WeightPolytope.of(["a", "b", "c", "d"], WeightInfo(order="a >= b >= c >= d"))
    n = 4000
    assert worst_p(P.sample(n, seed=21), dirichlet_of(P.vertices(), n, seed=22)) > 0.01


def test_uniform_on_intervals_and_constraints() -> None:
    info = WeightInfo(intervals={"a": (0.1, 0.6)}, constraints=["b >= c"])
    P = WeightPolytope.of(["a", "b", "c"], info)
    n = 4000
    ref = np.random.default_rng(31).dirichlet(np.ones(3), size=40 * n)
    ref = ref[(ref[:, 0] >= 0.1) & (ref[:, 0] <= 0.6) & (ref[:, 1] >= ref[:, 2])][:n]
    assert len(ref) == n
    assert worst_p(P.sample(n, seed=32), ref) > 0.01


def test_lower_dimensional_polytope() -> None:
    P = WeightPolytope.of(["a", "b", "c"], WeightInfo(intervals={"a": (0.5, 0.5)}))
    w = P.sample(500, seed=1)
    assert np.allclose(w[:, 0], 0.5)
    ref = np.random.default_rng(2).uniform(0, 0.5, size=500)
    assert ks_2samp(w[:, 1], ref)[1] > 0.01
