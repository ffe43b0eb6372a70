"""Decision certificates across weight scenarios: skip the solve when weights already prove it.

For one feasible set of portfolios (the same frame, rules, eligibility and scores) the value
of a portfolio ``x`` under weights ``w`` is linear in ``w``: ``w . S(x)``, with ``S(x)`` the
per-criterion totals of what it funds (each application's normalised scores times the share
granted). Let ``x`` be the **decision** (the optimum the tie-break rule picks) under weights
``w_1 .. w_k``, and ``w = sum_j lambda_j w_j`` with ``lambda > 0``. For any portfolio ``y``,

    w . (S(x) - S(y)) = sum_j lambda_j w_j . (S(x) - S(y)) >= 0,

with equality only if ``y`` ties with ``x`` under every ``w_j``; the tie-break keys (green
score, total grant, ids) do not depend on the weights, and ``x`` won every such tie. So
``x`` is the decision under every weight vector in the cone the ``w_j`` span (a generator
with ``lambda_j = 0`` is simply not used), and those scenarios need no solve at all.
:class:`PortfolioPool` keeps the decisions found so far with the weights at which each was
proven, offers the best known portfolio for new weights (a warm start), and certifies weights
inside a decision's cone. Membership is found in floating point (non-negative least squares)
and then **verified in exact rational arithmetic**, so a certificate is a proof, not an
approximation. (Without a tie-break, "the decision" reads "an optimum", and the same holds.)

Examples
--------
>>> import numpy as np
>>> from fractions import Fraction as F
>>> pool = PortfolioPool(2)
>>> x, totals = np.array([1.0, 0.0]), np.array([1.0, 0.0])
>>> k = pool.add(x, totals, (F(1), F(0)))
>>> _ = pool.add(x, totals, (F(2, 3), F(1, 3)))
>>> pool.certified(k, (F(4, 5), F(1, 5)))   # between the two proven weight vectors
True
>>> pool.certified(k, (F(1, 2), F(1, 2)))   # outside their cone: not proven
False
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["PortfolioPool", "in_cone", "nnls"]


def nnls(A: np.ndarray, b: np.ndarray, *, tol: float = 1e-12, max_iter: int = 200) -> np.ndarray:
    """Non-negative least squares, ``min ||A x - b||`` with ``x >= 0`` (Lawson and Hanson)."""
    k = A.shape[1]
    x = np.zeros(k)
    passive = np.zeros(k, dtype=bool)
    grad = A.T @ (b - A @ x)
    it = 0
    while not passive.all() and np.max(np.where(passive, -np.inf, grad)) > tol and it < max_iter:
        it += 1
        passive[int(np.argmax(np.where(passive, -np.inf, grad)))] = True
        while True:
            z = np.zeros(k)
            z[passive] = np.linalg.lstsq(A[:, passive], b, rcond=None)[0]
            if np.all(z[passive] > tol):
                break
            bad = passive & (z <= tol)
            denom = x[bad] - z[bad]
            alpha = float(np.min(np.where(denom > 0, x[bad] / np.where(denom > 0, denom, 1.0), 1.0)))
            x = x + alpha * (z - x)
            passive &= x > tol
            x[~passive] = 0.0
            if not passive.any():
                z = np.zeros(k)
                break
        x = z
        grad = A.T @ (b - A @ x)
    return x


def _solve_exact(columns: list[tuple[Fraction, ...]], target: tuple[Fraction, ...]) -> list[Fraction] | None:
    """Some exact solution of ``sum_j lam_j columns[j] == target`` (free unknowns 0), or None."""
    m, k = len(target), len(columns)
    rows = [[columns[j][i] for j in range(k)] + [target[i]] for i in range(m)]
    pivots: list[int] = []
    r = 0
    for col in range(k):
        piv = next((i for i in range(r, m) if rows[i][col] != 0), None)
        if piv is None:
            continue
        rows[r], rows[piv] = rows[piv], rows[r]
        p = rows[r][col]
        rows[r] = [v / p for v in rows[r]]
        for i in range(m):
            if i != r and rows[i][col] != 0:
                f = rows[i][col]
                rows[i] = [a - f * c for a, c in zip(rows[i], rows[r], strict=True)]
        pivots.append(col)
        r += 1
        if r == m:
            break
    if any(all(v == 0 for v in rows[i][:k]) and rows[i][k] != 0 for i in range(m)):
        return None  # inconsistent
    lam = [Fraction(0)] * k
    for i, col in enumerate(pivots):
        lam[col] = rows[i][k]
    return lam


def in_cone(generators: list[tuple[Fraction, ...]], w: tuple[Fraction, ...], floats: np.ndarray | None = None) -> bool:
    """Whether ``w`` is a non-negative combination of ``generators`` (proven exactly).

    ``floats``: the generators as a float array (one row each), if already at hand.
    """
    if not generators:
        return False
    A = (floats if floats is not None else np.array([[float(v) for v in g] for g in generators])).T
    b = np.array([float(v) for v in w])
    lam = nnls(A, b)
    if np.linalg.norm(A @ lam - b) > 1e-7 * max(1.0, float(np.linalg.norm(b))):
        return False
    support = [j for j in range(len(generators)) if lam[j] > 0]
    if not support:
        return all(v == 0 for v in w)
    exact = _solve_exact([generators[j] for j in support], w)
    return exact is not None and all(v >= 0 for v in exact) and any(v > 0 for v in exact)


def _normalised(w: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    s = sum(w, Fraction(0))
    return tuple(v / s for v in w) if s > 0 else w


class PortfolioPool:
    """Decisions found so far, and the weights at which each was proven the decision.

    Parameters
    ----------
    n_criteria
        The number of criteria (the length of weight vectors and of portfolio totals).
    """

    def __init__(self, n_criteria: int) -> None:
        self._n = n_criteria
        self._keys: dict[bytes, int] = {}
        self._portfolios: list[np.ndarray] = []
        self._totals: list[np.ndarray] = []
        self._proven: list[list[tuple[Fraction, ...]]] = []
        self._proven_floats: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._portfolios)

    def portfolio(self, k: int) -> np.ndarray:
        """Portfolio ``k`` (column values)."""
        return self._portfolios[k]

    def add(self, x: np.ndarray, totals: np.ndarray, weights: tuple[Fraction, ...]) -> int:
        """Record that portfolio ``x`` (per-criterion ``totals``) is the decision under ``weights``."""
        arr = np.asarray(x, dtype=float)
        key = arr.tobytes()
        k = self._keys.get(key)
        if k is None:
            k = len(self._portfolios)
            self._keys[key] = k
            self._portfolios.append(arr.copy())
            self._totals.append(np.asarray(totals, dtype=float))
            self._proven.append([])
            self._proven_floats.append(np.zeros((0, self._n)))
        g = _normalised(weights)
        if g not in self._proven[k]:
            self._proven[k].append(g)
            self._proven_floats[k] = np.vstack([self._proven_floats[k], [float(v) for v in g]])
        return k

    def best(self, weights: np.ndarray) -> int | None:
        """The known portfolio of highest value under ``weights`` (floats), or None."""
        if not self._portfolios:
            return None
        values = np.array(self._totals) @ np.asarray(weights, dtype=float)
        return int(np.argmax(values))

    def certified(self, k: int, weights: tuple[Fraction, ...]) -> bool:
        """Whether portfolio ``k`` is proven the decision under ``weights``."""
        G = self._proven_floats[k]
        if len(G) == 0:
            return False
        w = np.array([float(v) for v in weights])
        total = float(w.sum())
        if total <= 0:
            return False
        w /= total
        # Normalised generators and weights lie on the simplex: a point outside the box of the
        # generators cannot be a convex (hence conic) combination of them.
        if np.any(w < G.min(axis=0) - 1e-12) or np.any(w > G.max(axis=0) + 1e-12):
            return False
        return in_cone(self._proven[k], _normalised(weights), G)
