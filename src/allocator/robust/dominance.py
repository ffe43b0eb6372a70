"""Dominance between portfolios when weights and scores are sets (exact, in integers).

With weights ``w`` in the polytope ``W`` (extreme points ``w^1 .. w^K``) and every
normalised score ``v_ic`` in an interval ``[lo_ic, hi_ic]``, the value of portfolio ``p`` is
``V(p, w, v) = sum_{i in p} sum_c w_c v_ic``. Following Liesiö, Mild and Salo (2007,
EJOR 181:1488-1505) and, for interval scores, Liesiö (2008, EJOR 190:679-695):

    q **dominates** p  iff  V(q, w, v) >= V(p, w, v) for every admissible (w, v),
                            and V(q, w, v) > V(p, w, v) for some.

Applications in both portfolios contribute the same to both values and cancel, so the
worst case for q takes the low scores on ``q \\ p`` and the high scores on ``p \\ q``; the
difference is then linear in ``w`` and is smallest at an extreme point. With
``a_i^k = w^k . lo_i`` and ``b_i^k = w^k . hi_i``:

    q dominates p  iff  for every k:  sum_{q \\ p} a^k >= sum_{p \\ q} b^k
                        and for some k: sum_{q \\ p} b^k >  sum_{p \\ q} a^k.

:class:`Values` holds ``a`` and ``b`` as integers (the exact fractions times one common
denominator) and the **central value** ``F_i = sum_k (a_i^k + b_i^k)``: the value at the
centroid of the extreme points with mid-interval scores, a point inside the admissible set.
Every dominating portfolio has a strictly larger ``F`` (the difference is bilinear, >= 0 on
the set and not identically 0, so it is positive inside), which orders searches.

A **move** ``(R, A)`` takes the applications ``R`` out of a portfolio and puts ``A`` in;
its dominance depends only on ``R`` and ``A`` (:func:`move_dominates`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import TYPE_CHECKING

import numpy as np

from allocator.exceptions import InputError
from allocator.robust.polytope import WeightPolytope
from allocator.robust.uncertainty import Uncertainty, exact

if TYPE_CHECKING:
    from allocator.model import Criterion, Problem

__all__ = ["Values", "dominated_by", "dominates", "move_dominates", "normalise", "values"]

_MAX_INT = 2**50


@dataclass(frozen=True)
class Values:
    """Low and high values per extreme weight point and application (integers).

    Attributes
    ----------
    low, high
        Shape ``(K, n)``: ``low[k, i] = D * w^k . lo_i`` and ``high[k, i] = D * w^k . hi_i``.
    central
        ``F_i = sum_k (low[k, i] + high[k, i])``.
    scale
        The common denominator ``D``.
    vertices
        The extreme weight points (exact), in the order of the rows.
    names
        The criteria.
    """

    low: np.ndarray
    high: np.ndarray
    central: np.ndarray
    scale: int
    vertices: tuple[tuple[Fraction, ...], ...]
    names: tuple[str, ...]

    @property
    def K(self) -> int:
        """Number of extreme weight points."""
        return int(self.low.shape[0])


def normalise(problem: Problem, c: Criterion, raw: Fraction) -> Fraction:
    """A raw score on the ratio scale of the problem's normalisation, exactly."""
    if problem.options.normalisation == "range":
        lo, hi = exact(c.scale_min), exact(c.scale_max)
        return (raw - lo) / (hi - lo)
    return raw / exact(c.scale_max)


def values(problem: Problem, uncertainty: Uncertainty, polytope: WeightPolytope | None = None) -> Values:
    """The :class:`Values` of ``problem`` under ``uncertainty`` (exact)."""
    names = tuple(c.name for c in problem.criteria)
    P = polytope or WeightPolytope.of(names, uncertainty.weights)
    V = P.vertices()
    low_raw, high_raw = uncertainty.scores.bounds(problem)
    lo = [[normalise(problem, c, x) for c, x in zip(problem.criteria, row, strict=True)] for row in low_raw]
    hi = [[normalise(problem, c, x) for c, x in zip(problem.criteria, row, strict=True)] for row in high_raw]
    a = [[sum((w[j] * lo[i][j] for j in range(len(names))), Fraction(0)) for i in range(len(lo))] for w in V]
    b = [[sum((w[j] * hi[i][j] for j in range(len(names))), Fraction(0)) for i in range(len(hi))] for w in V]
    d = 1
    for row in (*a, *b):
        for x in row:
            d = lcm(d, x.denominator)
    A = [[int(x * d) for x in row] for row in a]
    B = [[int(x * d) for x in row] for row in b]
    total = sum(abs(x) for row in (*A, *B) for x in row)
    if total > _MAX_INT:
        raise InputError(
            "the weight and score bounds need too fine fractions for exact integer values "
            f"(common denominator {d}); round the intervals and weight constraints to fewer decimals"
        )
    low = np.array(A, dtype=np.int64).reshape(len(V), len(lo))
    high = np.array(B, dtype=np.int64).reshape(len(V), len(lo))
    return Values(low, high, (low + high).sum(axis=0), d, tuple(V), names)


def dominates(v: Values, q: np.ndarray, p: np.ndarray) -> bool:
    """Whether portfolio ``q`` dominates ``p`` (0/1 or boolean arrays over the applications)."""
    qb, pb = np.asarray(q, dtype=bool), np.asarray(p, dtype=bool)
    gain, loss = qb & ~pb, pb & ~qb
    if (v.low[:, gain].sum(axis=1) < v.high[:, loss].sum(axis=1)).any():
        return False
    return bool((v.high[:, gain].sum(axis=1) > v.low[:, loss].sum(axis=1)).any())


def dominated_by(v: Values, Q: np.ndarray, p: np.ndarray) -> int:
    """Index of the first portfolio (row of ``Q``) that dominates ``p``, or -1 (vectorised)."""
    if len(Q) == 0:
        return -1
    Qb = np.asarray(Q, dtype=bool)
    pb = np.asarray(p, dtype=bool)
    gain = (Qb & ~pb).astype(np.int64)  # (M, n)
    loss = (pb & ~Qb).astype(np.int64)
    weak = (gain @ v.low.T >= loss @ v.high.T).all(axis=1)
    strict = (gain @ v.high.T > loss @ v.low.T).any(axis=1)
    hit = np.flatnonzero(weak & strict)
    return int(hit[0]) if len(hit) else -1


def move_dominates(v: Values, R: Sequence[int], A: Sequence[int]) -> bool:
    """Whether taking ``R`` out and putting ``A`` in gives a dominating portfolio (any portfolio)."""
    r, a = list(R), list(A)
    if (v.low[:, a].sum(axis=1) < v.high[:, r].sum(axis=1)).any():
        return False
    return bool((v.high[:, a].sum(axis=1) > v.low[:, r].sum(axis=1)).any())
