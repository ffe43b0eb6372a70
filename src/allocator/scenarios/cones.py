"""Exact cones of weight vectors: the extreme rays of ``{w >= 0 : a_k . w >= 0 for every k}``.

A weight region is a polyhedral cone (weights only matter up to a positive factor). Its
extreme rays are computed by the double description method (Motzkin et al., 1953; Fukuda
and Prodon, 1996), in exact integer arithmetic: each ray is a tuple of Python integers
divided by their greatest common divisor, and each cut keeps the rays on the allowed side,
drops the others and adds, for every adjacent pair across the cut, the positive
combination of the two that lies on it. Adjacency is decided combinatorially (two rays are
adjacent when no third ray is zero on every constraint both are zero on), which is exact
for the pointed cones here (they lie in the non-negative orthant).

Constraint ``c`` for ``c < d`` (``d`` the dimension) is ``w_c >= 0``; the constraints cut
in later are numbered ``d, d + 1, ...`` in the order of :meth:`Cone.cut`. Each ray carries
the set of constraints it is zero on (its *tight set*).

Examples
--------
>>> c = Cone(2)               # the quadrant w >= 0
>>> c.cut((1, -1))            # w_0 >= w_1
>>> sorted(r for r, _ in c.rays)
[(1, 0), (1, 1)]
>>> c.contains((3, 1)), c.contains((1, 3))
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from math import gcd
from operator import mul

import numpy as np

__all__ = ["Cone", "dot", "primitive", "unit"]

Ray = tuple[int, ...]


def dot(a: Sequence[int], b: Sequence[int]) -> int:
    """Exact inner product of two integer vectors (of equal length)."""
    return sum(map(mul, a, b))


def primitive(v: Sequence[int]) -> Ray:
    """``v`` divided by the greatest common divisor of its entries (the zero vector as is).

    >>> primitive((4, 0, -6))
    (2, 0, -3)
    """
    g = 0
    for x in v:
        g = gcd(g, x)
    return tuple(v) if g in (0, 1) else tuple(x // g for x in v)


def unit(ray: Sequence[int]) -> list[float]:
    """``ray`` (non-negative integers of any size) in floats, scaled to sum 1.

    >>> unit((1, 3))
    [0.25, 0.75]
    """
    shift = max(max(v.bit_length() for v in ray) - 60, 0)
    vals = [float(v >> shift) for v in ray]
    total = sum(vals)
    return [v / total for v in vals] if total > 0 else vals


class Cone:
    """The cone ``{w in R^d : w >= 0, a_k . w >= 0}``, as its extreme rays.

    Parameters
    ----------
    d
        The dimension (number of criteria).
    """

    def __init__(self, d: int) -> None:
        if d < 1:
            raise ValueError(f"dimension {d} must be at least 1")
        self.d = d
        self.constraints: list[Ray] = [tuple(int(i == c) for i in range(d)) for c in range(d)]
        everything = frozenset(range(d))
        self.rays: list[tuple[Ray, frozenset[int]]] = [
            (tuple(int(i == c) for i in range(d)), everything - {c}) for c in range(d)
        ]
        self._unit: np.ndarray | None = None

    def unit_rays(self) -> np.ndarray:
        """The rays in floats, each scaled to sum 1, as the columns of a ``d x n`` array."""
        if self._unit is None:
            try:
                a = np.array([r for r, _ in self.rays], dtype=float).reshape(-1, self.d)
                a /= a.sum(axis=1, keepdims=True)
            except OverflowError:  # entries beyond the floats: scale each ray first
                a = np.array([unit(r) for r, _ in self.rays], dtype=float).reshape(-1, self.d)
            self._unit = a.T
        return self._unit

    def cut(self, a: Sequence[int]) -> None:
        """Intersect with ``a . w >= 0`` (integers); the constraint gets the next number."""
        a = tuple(int(v) for v in a)
        if len(a) != self.d:
            raise ValueError(f"constraint of length {len(a)} in dimension {self.d}")
        h = len(self.constraints)
        self.constraints.append(a)
        self._unit = None
        side = [dot(a, r) for r, _ in self.rays]
        plus = [k for k, s in enumerate(side) if s > 0]
        minus = [k for k, s in enumerate(side) if s < 0]
        if not minus:  # nothing cut away: the rays on the plane become tight on it
            self.rays = [(r, z | {h}) if s == 0 else (r, z) for (r, z), s in zip(self.rays, side, strict=True)]
            return
        new: list[tuple[Ray, frozenset[int]]] = []
        for p in plus:
            rp, zp = self.rays[p]
            for n in minus:
                rn, zn = self.rays[n]
                common = zp & zn
                if len(common) < self.d - 2 or not self._adjacent(common, p, n):
                    continue
                sp, sn = side[p], -side[n]  # both positive
                ray = primitive([sp * y + sn * x for x, y in zip(rp, rn, strict=True)])
                new.append((ray, common | {h}))
        kept = [(r, z | {h}) if s == 0 else (r, z) for (r, z), s in zip(self.rays, side, strict=True) if s >= 0]
        self.rays = kept + new

    def _adjacent(self, common: frozenset[int], p: int, n: int) -> bool:
        return not any(k != p and k != n and common <= z for k, (_, z) in enumerate(self.rays))

    def tight(self, w: Sequence[int]) -> frozenset[int]:
        """The constraints that are zero at ``w``."""
        return frozenset(k for k, a in enumerate(self.constraints) if dot(a, w) == 0)

    def contains(self, w: Sequence[int]) -> bool:
        """Whether ``w`` (integers) satisfies every constraint."""
        return all(dot(a, w) >= 0 for a in self.constraints)

    def __len__(self) -> int:
        return len(self.rays)
