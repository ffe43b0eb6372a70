"""Proving decisions over regions of weights with solves of the value alone.

Both methods rest on one fact (the proof is in :mod:`allocator.scenarios.certificates`): if
a portfolio ``P`` is value-optimal at weights ``v_1 .. v_m`` and the decision (the tie-break's
pick) at one of them, ``u``, then ``P`` is the decision at every ``w = a u + sum_j b_j v_j``
with ``a > 0`` and ``b_j >= 0``: the best value is convex in the weights, and a portfolio tied
with ``P`` at ``w`` is tied at ``u`` too, where ``P`` won.

* :func:`by_step`: for a scenario ``w`` near a point ``u`` where the best known portfolio
  ``P`` is the decision, one solve at ``w2 = K w - u`` (a small step beyond ``w``, away from
  ``u``). If ``P`` is value-optimal there, ``w = (w2 + u) / K`` is the decision's: one solve
  of the value instead of the value and the tie-break.
* :func:`prove_region`: the extreme rays of ``P``'s candidate region, each proven by a solve
  of the value (new portfolios found there shrink the region), within a budget of solves.

``optimum(pool, ray)`` is the solve: the index in ``pool`` of a portfolio proven
value-optimal at the integer weights ``ray`` (recorded there), or None when nothing is proven.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from allocator.scenarios.certificates import PortfolioPool
from allocator.scenarios.cones import primitive, unit

__all__ = ["STEP", "Optimum", "by_step", "prove_region", "step_point"]

Optimum = Callable[[PortfolioPool, tuple[int, ...]], int | None]

STEP = 24
"""``w2 = K w - u`` with ``K`` at least this (``w`` and ``u`` scaled to equal sums): a step of
about 1/``K`` of the distance from ``u`` to ``w``, beyond ``w``."""


def step_point(w: Sequence[int], u: Sequence[int], k: int = STEP) -> tuple[int, ...] | None:
    """``K w - u`` (both scaled to the same sum) for the smallest ``K >= k`` that keeps it
    non-negative; None when ``w`` is zero where ``u`` is not (no step keeps it a weight).

    >>> step_point((1, 1), (1, 0))       # 24 (1, 1) - (2, 0): past w, away from u
    (11, 12)
    >>> step_point((0, 1), (1, 1)) is None
    True
    """
    sw, su = sum(w), sum(u)
    if sw <= 0 or su <= 0:
        return None
    big = k
    for a, b in zip(w, u, strict=True):
        if b > 0:
            if a == 0:
                return None
            big = max(big, -(-(sw * b) // (su * a)))  # ceil: K su a >= sw b
    ray = primitive([big * su * a - sw * b for a, b in zip(w, u, strict=True)])
    return ray if any(ray) else None


def _unit(v: Sequence[int]) -> np.ndarray:
    return np.asarray(unit(v), dtype=float)


def by_step(pool: PortfolioPool, k: int, w: Sequence[int], optimum: Optimum, *, step: int = STEP) -> bool:
    """Whether portfolio ``k`` is proven the decision at ``w`` by one solve at a step beyond
    ``w`` from the nearest point where ``k`` is the decision (see the module documentation);
    ``step``: ``K`` at least this (a larger ``K``, a shorter step, larger integers)."""
    points = pool.decision_points(k)
    if not points:
        return False
    wf = _unit(w)
    u = min(points, key=lambda p: float(np.abs(_unit(p) - wf).sum()))
    w2 = step_point(w, u, step)
    if w2 is None:
        return False
    j = pool.optimum_at(w2)
    if j is None:
        j = optimum(pool, w2)
        if j is None:
            return False
    return j == k or pool.value(k, w2) >= pool.value(j, w2)


def prove_region(pool: PortfolioPool, k: int, optimum: Optimum, budget: int) -> None:
    """Prove the region of portfolio ``k`` ray by ray while its effort stays within ``budget``
    solves (the pool keeps the effort and the proven rays, so a later call continues)."""
    pending = pool.pending(k)
    if pending is not None and pool.effort(k) + pending > budget:
        return  # as it was last time: not within the budget
    while True:
        rays = pool.open_rays(k)
        if not rays or pool.effort(k) + len(rays) > budget:
            return
        for ray in rays:
            j = pool.optimum_at(ray)
            if j is None:
                pool.spend(k, 1)
                j = optimum(pool, ray)
                if j is None:
                    pool.spend(k, budget)  # nothing proven there: stop trying
                    return
            if j != k and pool.value(j, ray) > pool.value(k, ray):
                break  # a better portfolio there: the region shrinks; bring it up to date
