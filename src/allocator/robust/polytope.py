"""The admissible weights as a polytope: its extreme points, exactly, and uniform samples.

The weights are shares: ``w >= 0``, ``sum(w) = 1``, and ``g . w >= h`` for every row the
:class:`~allocator.robust.uncertainty.WeightInfo` gives. Because a portfolio's value is
linear in ``w``, "for every admissible weight vector" needs only the **extreme points**
(vertices): :meth:`WeightPolytope.vertices` finds them exactly, in fractions, by solving
every system of ``m - 1`` active rows plus ``sum(w) = 1`` (a float pre-pass, then exact
Gaussian elimination of the candidates).

:meth:`WeightPolytope.sample` draws weight vectors **uniformly** from the polytope by
hit-and-run (Smith 1984): from a point inside, pick a direction uniformly on the unit sphere
of the plane ``sum(w) = 1``, then a point uniformly on the chord through the polytope in
that direction. Drawing each weight uniformly and normalising (a common shortcut) is *not*
uniform: it biases the draws away from the extremes; :func:`naive_sample` keeps that
shortcut for the tests that show the difference. Many chains run side by side (vectorised)
from the centroid of the vertices, each with a burn-in and thinning.

Examples
--------
>>> from allocator.robust.uncertainty import WeightInfo
>>> P = WeightPolytope.of(["a", "b", "c"], WeightInfo(order="a >= b >= c"))
>>> [tuple(str(x) for x in v) for v in P.vertices()]
[('1/3', '1/3', '1/3'), ('1/2', '1/2', '0'), ('1', '0', '0')]
>>> w = P.sample(1000, seed=1)
>>> bool((w[:, 0] >= w[:, 1] - 1e-12).all() and (w[:, 1] >= w[:, 2] - 1e-12).all())
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from allocator.exceptions import InputError
from allocator.robust.weights import WeightInfo

__all__ = ["MAX_SYSTEMS", "WeightPolytope", "naive_sample"]

MAX_SYSTEMS = 2_000_000
"""Most systems of active rows :meth:`WeightPolytope.vertices` will try."""

_TOL = 1e-9


def _solve(M: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    """Exact Gaussian elimination; None when singular."""
    n = len(M)
    A = [[*row, bb] for row, bb in zip(M, b, strict=True)]
    for col in range(n):
        piv = next((r for r in range(col, n) if A[r][col] != 0), None)
        if piv is None:
            return None
        A[col], A[piv] = A[piv], A[col]
        p = A[col][col]
        A[col] = [x / p for x in A[col]]
        for r in range(n):
            if r != col and A[r][col] != 0:
                f = A[r][col]
                A[r] = [x - f * y for x, y in zip(A[r], A[col], strict=True)]
    return [A[i][n] for i in range(n)]


@dataclass(frozen=True)
class WeightPolytope:
    """``{w : w >= 0, sum(w) = 1, G w >= h}`` over the criteria ``names``.

    Attributes
    ----------
    names
        The criteria, in the problem's order.
    G, h
        The rows beyond ``w >= 0`` and ``sum(w) = 1`` (exact fractions).
    labels
        Each row in words (``"green >= smart"``), for messages.
    """

    names: tuple[str, ...]
    G: tuple[tuple[Fraction, ...], ...]
    h: tuple[Fraction, ...]
    labels: tuple[str, ...]

    @classmethod
    def of(cls, names: Sequence[str], info: WeightInfo | None = None) -> WeightPolytope:
        """The polytope of ``info`` over ``names``; InputError if it is empty."""
        rows = (info or WeightInfo()).rows(list(names))
        P = cls(
            tuple(names),
            tuple(tuple(g) for g, _, _ in rows),
            tuple(h for _, h, _ in rows),
            tuple(t for _, _, t in rows),
        )
        if not P.vertices():
            raise InputError(
                f"no weights satisfy the weight information together ({'; '.join(P.labels)}), with every share >= 0 "
                "and the shares summing to 1; loosen an interval or a constraint"
            )
        return P

    @property
    def m(self) -> int:
        """Number of criteria."""
        return len(self.names)

    def _all_rows(self) -> tuple[list[list[Fraction]], list[Fraction]]:
        m = self.m
        A = [[Fraction(int(i == j)) for j in range(m)] for i in range(m)] + [list(g) for g in self.G]
        b = [Fraction(0)] * m + list(self.h)
        # drop exact duplicates
        seen: dict[tuple[tuple[Fraction, ...], Fraction], None] = {}
        for row, rhs in zip(A, b, strict=True):
            seen.setdefault((tuple(row), rhs), None)
        rows = list(seen)
        return [list(r) for r, _ in rows], [h for _, h in rows]

    def contains(self, w: Sequence[Fraction | float], *, tol: float = 0.0) -> bool:
        """Whether ``w`` is admissible (exactly for fractions; within ``tol`` for floats)."""
        if any(isinstance(x, float) for x in w):
            wf = np.asarray([float(x) for x in w])
            if abs(wf.sum() - 1) > tol + 1e-12 or (wf < -tol).any():
                return False
            G = np.array([[float(x) for x in g] for g in self.G]).reshape(len(self.G), self.m)
            return bool((G @ wf >= np.array([float(x) for x in self.h]) - tol).all())
        wq = [Fraction(x) for x in w]
        if sum(wq) != 1 or any(x < 0 for x in wq):
            return False
        return all(sum(g * x for g, x in zip(row, wq, strict=True)) >= h for row, h in zip(self.G, self.h, strict=True))

    def vertices(self) -> list[tuple[Fraction, ...]]:
        """Every extreme point, exactly, in a fixed order (sorted)."""
        return list(_vertices(self))

    def centroid(self) -> tuple[Fraction, ...]:
        """The mean of the vertices: a point in the relative interior."""
        V = self.vertices()
        return tuple(sum((v[j] for v in V), Fraction(0)) / len(V) for j in range(self.m))

    # ------------------------------------------------------------------ sampling
    def sample(
        self, n: int, seed: int = 0, *, chains: int = 64, burn_in: int | None = None, thin: int | None = None
    ) -> np.ndarray:
        """``n`` weight vectors uniform on the polytope (hit-and-run), shape ``(n, m)``.

        ``chains`` chains run side by side from the centroid; each discards ``burn_in``
        steps (default ``50 m``) and keeps every ``thin``-th point (default ``2 m``). Rows are
        ordered chain by chain (samples ``k * per_chain .. (k+1) * per_chain - 1`` come from
        chain ``k``), which :mod:`allocator.robust.sample` uses for batch-means errors.
        """
        if n < 0:
            raise InputError(f"n ({n}) must be >= 0")
        m = self.m
        rng = np.random.default_rng(seed)
        V = np.array([[float(x) for x in v] for v in self.vertices()])
        if n == 0:
            return np.zeros((0, m))
        if len(V) == 1 or m == 1:
            return np.repeat(V[:1], n, axis=0)
        # orthonormal basis of the directions of the affine hull of the polytope
        D = V[1:] - V[0]
        U, sing, _ = np.linalg.svd(D.T, full_matrices=False)
        rank = int((sing > 1e-10 * max(1.0, sing.max())).sum())
        if rank == 0:
            return np.repeat(V[:1], n, axis=0)
        B = U[:, :rank]
        G = np.vstack([np.eye(m), np.array([[float(x) for x in g] for g in self.G]).reshape(len(self.G), m)])
        h = np.concatenate([np.zeros(m), np.array([float(x) for x in self.h])])
        burn = 50 * m if burn_in is None else burn_in
        step = 2 * m if thin is None else max(1, thin)
        k = max(1, min(chains, n))
        per = math.ceil(n / k)
        x = np.repeat(V.mean(axis=0)[None, :], k, axis=0)
        out = np.empty((k, per, m))
        GB = G @ B
        total = burn + per * step
        kept = 0
        for t in range(1, total + 1):
            z = rng.standard_normal((k, rank))
            z /= np.linalg.norm(z, axis=1, keepdims=True)
            d = z @ B.T  # (k, m)
            slack = G @ x.T - h[:, None]  # (rows, k) >= 0
            rate = GB @ z.T  # (rows, k): d . G_row
            with np.errstate(divide="ignore", invalid="ignore"):
                lim = -slack / rate
            lo = np.where(rate > _TOL, lim, -np.inf).max(axis=0)
            hi = np.where(rate < -_TOL, lim, np.inf).min(axis=0)
            lo = np.minimum(lo, 0.0)
            hi = np.maximum(hi, 0.0)
            u = rng.random(k)
            x = x + (lo + u * (hi - lo))[:, None] * d
            if t > burn and (t - burn) % step == 0:
                out[:, kept] = x
                kept += 1
        res = out.reshape(k * per, m)[:n]
        res = np.clip(res, 0.0, None)
        return np.asarray(res / res.sum(axis=1, keepdims=True))


def _vertices(P: WeightPolytope) -> tuple[tuple[Fraction, ...], ...]:
    A, b = P._all_rows()
    m = P.m
    r = len(A)
    if m == 1:
        return ((Fraction(1),),) if all(row[0] >= h for row, h in zip(A, b, strict=True)) else ()
    n_sys = math.comb(r, m - 1)
    if n_sys > MAX_SYSTEMS:
        raise InputError(
            f"the weight information has {r - m} constraints over {m} criteria: too many to find the extreme points "
            f"({n_sys} systems); give fewer constraints"
        )
    Af = np.array([[float(x) for x in row] for row in A])
    bf = np.array([float(x) for x in b])
    found: set[tuple[Fraction, ...]] = set()
    combos = np.array(list(itertools.combinations(range(r), m - 1)), dtype=np.int64).reshape(-1, m - 1)
    for start in range(0, len(combos), 20_000):
        chunk = combos[start : start + 20_000]
        M = np.concatenate([Af[chunk], np.ones((len(chunk), 1, m))], axis=1)
        rhs = np.concatenate([bf[chunk], np.ones((len(chunk), 1))], axis=1)
        det = np.linalg.det(M)
        ok = np.abs(det) > 1e-12
        if not ok.any():
            continue
        sol = np.linalg.solve(M[ok], rhs[ok][..., None])[..., 0]
        feas = ((Af @ sol.T) >= bf[:, None] - 1e-7).all(axis=0)
        for idx in np.flatnonzero(feas):
            rows = chunk[np.flatnonzero(ok)[idx]]
            Mq = [A[i] for i in rows] + [[Fraction(1)] * m]
            bq = [b[i] for i in rows] + [Fraction(1)]
            w = _solve(Mq, bq)
            if w is None:
                continue
            if all(sum(a * x for a, x in zip(row, w, strict=True)) >= h for row, h in zip(A, b, strict=True)):
                found.add(tuple(w))
    return tuple(sorted(found))


def naive_sample(m: int, n: int, seed: int = 0) -> np.ndarray:
    """Each weight uniform on [0, 1], then normalised: the biased shortcut (for comparison only)."""
    rng = np.random.default_rng(seed)
    w = rng.random((n, m))
    return np.asarray(w / w.sum(axis=1, keepdims=True))
