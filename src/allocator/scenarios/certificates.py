"""Decision certificates across weight scenarios: regions of weights proven to share a decision.

For one feasible set of portfolios (the same frame, rules, eligibility and scores) the value
of a portfolio ``x`` under weights ``w`` is linear in ``w``: ``w . S(x)``, with ``S(x)`` the
per-criterion totals of what it funds (each application's normalised scores times the share
granted). The pool keeps them exactly, as integers over one common denominator (that of the
whole pool), so that every comparison below is integer arithmetic.

**The certificate.** Let ``R`` be a polytope of weights (a cone: weights matter up to a
positive factor) and ``P`` a portfolio that is *value-optimal* at every extreme ray ``v`` of
``R`` (no portfolio is worth more under ``v``). The best value ``max_y w . S(y)`` is convex in
``w`` and ``w . S(P)`` linear, so ``P`` is value-optimal on all of ``R``. Let ``P`` moreover be
the *decision* (the optimum the tie-break rule picks) at some ``u`` in ``R``, and ``w`` in
``R`` with every constraint of ``R`` that is tight at ``w`` also tight at ``u`` (always so
for ``w`` inside ``R``). If a portfolio ``y`` ties with ``P`` at ``w``, then, ``w`` lying in the
relative interior of the face ``F`` of ``R`` cut out by those tight constraints, ``w`` is a
positive combination of the extreme rays of ``F`` with ``v . (S(P) - S(y)) >= 0`` at each,
so all those terms are zero: ``y`` ties with ``P`` on all of ``F``, ``u`` included, where ``P``
won the tie-break. The tie-break keys (green score, total grant, ids) do not depend on the
weights, so ``P`` wins it at ``w`` too: ``P`` is the decision at ``w``, with no solve.

**The regions.** For a decision ``P``, the candidate region is ``{w >= 0 : w . (S(P) - S(Q))
>= 0}`` over every known portfolio ``Q``: where ``P`` beats everything known. Its extreme
rays are enumerated exactly (:mod:`allocator.scenarios.cones`); each is proven by one solve
of the value alone (the worker does that, :meth:`PortfolioPool.open_rays` says which). A ray
where another portfolio is worth more adds that portfolio, the region shrinks, and the new
rays are proven in turn; when every ray has ``P`` value-optimal, the region is certified.
Every comparison is exact (integers and fractions); the solver only proves optima. Where
the objective is integer-scaled (all-or-nothing calls, and partial funding whose scaled
values stay below ``2**53``) that proof is exact too (an absolute gap below one unit); where
it is not, the optimum at a ray is HiGHS's, within its tolerances, the same authority
:func:`allocator.solve` rests on for such calls.

Examples
--------
>>> import numpy as np
>>> pool = PortfolioPool(2)
>>> a = pool.add(np.array([1.0, 0.0]), (3, 1))   # totals: strong on criterion 0
>>> b = pool.add(np.array([0.0, 1.0]), (1, 3))   # strong on criterion 1
>>> pool.decided(a, (2, 1))                            # a is the decision at weights (2, 1)
>>> pool.open_rays(a)                                  # rays of {w : w_0 >= w_1}, unproven
[(1, 0), (1, 1)]
>>> pool.record((1, 0), a); pool.record((1, 1), b)     # proven: a optimal at (1, 0), b at (1, 1)
>>> pool.open_rays(a)                                  # (1, 1): a ties b there, value-optimal
[]
>>> pool.certified((5, 2)), pool.certified((1, 1)), pool.certified((1, 5))
(0, None, None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm
from operator import mul

import numpy as np

from allocator.model import Problem
from allocator.model.scoring import IntegerParts
from allocator.scenarios.cones import Cone, dot, primitive, unit

__all__ = ["PortfolioPool", "Totals", "integer_ray"]


class Totals:
    """Exact per-criterion totals of portfolios, as integers over one denominator.

    The total of criterion ``c`` is the sum over the applications of the normalised score
    times the share of the request granted; ``of(grants)`` returns its numerators over
    :attr:`denominator` (the same for every portfolio of the problem).

    Parameters
    ----------
    problem, parts
        The problem and its :func:`allocator.model.scoring.integer_parts`.

    Examples
    --------
    >>> from allocator.data import small_example
    >>> from allocator.model.scoring import integer_parts
    >>> p = small_example()  # one criterion on 0-10: A 9, B 6, C 5
    >>> t = Totals(p, integer_parts(p))
    >>> Fraction(t.of([0, 50, 50])[0], t.denominator)
    Fraction(11, 10)
    """

    def __init__(self, problem: Problem, parts: IntegerParts) -> None:
        requests = [a.requested for a in problem.applications]
        self.partial = problem.options.partial
        L = lcm(*requests) if self.partial else 1
        self.denominator = lcm(*parts.D) * L
        self._share = [L // r for r in requests]
        self._requests = requests
        self._nums = []
        for j, D in enumerate(parts.D):
            num = (parts.digits[j].astype(object) * parts.A[j] + parts.B[j]).tolist()
            self._nums.append([int(v) * (self.denominator // (D * L)) for v in num])

    def of(self, grants: Sequence[int] | np.ndarray) -> tuple[int, ...]:
        """The numerators of the totals of a portfolio granting ``grants`` (input order)."""
        g = [int(v) for v in grants]
        shares = [v * m for v, m in zip(g, self._share, strict=True)] if self.partial else [1 if v else 0 for v in g]
        return tuple(sum(map(mul, num, shares)) for num in self._nums)


def integer_ray(values: Sequence[Fraction]) -> tuple[int, ...]:
    """The primitive integer vector on the ray of ``values`` (non-negative fractions).

    >>> integer_ray((Fraction(1, 2), Fraction(1, 3), Fraction(0)))
    (3, 2, 0)
    """
    m = lcm(*(v.denominator for v in values))
    return primitive([v.numerator * (m // v.denominator) for v in values])


@dataclass
class _Entry:
    """One known portfolio: its totals, where it is proven the decision, its region."""

    x: np.ndarray
    totals: tuple[int, ...]
    decided_at: list[tuple[int, ...]] = field(default_factory=list)
    hits: int = 0
    cone: Cone | None = None
    seen: int = 0  # portfolios 0 .. seen-1 of the pool are cut into the region
    certified: bool = False
    effort: int = 0
    pending: int = 0  # open rays at the last refresh
    fresh: int = -1  # pool size at the last refresh
    matrix: np.ndarray | None = None  # the region's constraints in floats, rows scaled to 1


class PortfolioPool:
    """Portfolios found so far for one feasible set, where each is the decision, and the
    weight regions certified for them (see the module documentation).

    Parameters
    ----------
    n_criteria
        The number of criteria (the length of weight vectors and of portfolio totals).
    """

    def __init__(self, n_criteria: int) -> None:
        self.d = n_criteria
        self._entries: list[_Entry] = []
        self._keys: dict[bytes, int] = {}
        self._floats = np.zeros((0, n_criteria))
        self._optimal: dict[tuple[int, ...], int] = {}  # ray -> a portfolio proven value-optimal there
        self._certified: list[int] = []

    def __len__(self) -> int:
        return len(self._entries)

    def portfolio(self, k: int) -> np.ndarray:
        """Portfolio ``k`` (column values)."""
        return self._entries[k].x

    def totals(self, k: int) -> tuple[int, ...]:
        """The per-criterion totals of portfolio ``k`` (numerators over the pool's denominator)."""
        return self._entries[k].totals

    def hits(self, k: int) -> int:
        """How many scenarios portfolio ``k`` was the decision of (solved or certified)."""
        return self._entries[k].hits

    def effort(self, k: int) -> int:
        """Solves spent so far on proving the region of portfolio ``k``."""
        return self._entries[k].effort

    def spend(self, k: int, solves: int) -> None:
        """Count ``solves`` more spent on the region of portfolio ``k``."""
        self._entries[k].effort += solves

    def is_certified(self, k: int) -> bool:
        """Whether portfolio ``k`` has a certified region."""
        return self._entries[k].certified

    def find(self, x: np.ndarray) -> int | None:
        """The index of portfolio ``x`` if known."""
        return self._keys.get(np.asarray(x, dtype=float).tobytes())

    def add(self, x: np.ndarray, totals: Sequence[int]) -> int:
        """Record portfolio ``x`` with its ``totals`` (integer numerators over the pool's one
        denominator); its index (the old one if known)."""
        arr = np.asarray(x, dtype=float)
        key = arr.tobytes()
        k = self._keys.get(key)
        if k is None:
            if len(totals) != self.d:
                raise ValueError(f"{len(totals)} totals for {self.d} criteria")
            k = len(self._entries)
            self._keys[key] = k
            self._entries.append(_Entry(arr.copy(), tuple(int(t) for t in totals)))
            self._floats = np.vstack([self._floats, [float(t) for t in totals]])
        return k

    def decided(self, k: int, w: Sequence[int]) -> None:
        """Portfolio ``k`` is proven the decision at the (integer) weights ``w``."""
        e = self._entries[k]
        e.hits += 1
        ray = primitive(w)
        if ray not in e.decided_at and len(e.decided_at) < 16:
            e.decided_at.append(ray)

    def decision_points(self, k: int) -> list[tuple[int, ...]]:
        """Weights at which portfolio ``k`` was proven the decision (up to 16)."""
        return self._entries[k].decided_at

    def count(self, k: int) -> None:
        """One more scenario had portfolio ``k`` as its decision (certified)."""
        self._entries[k].hits += 1

    def value(self, k: int, w: Sequence[int]) -> int:
        """The value of portfolio ``k`` under integer weights ``w`` (times the denominator)."""
        return dot(w, self._entries[k].totals)

    def best(self, weights: np.ndarray) -> int | None:
        """The known portfolio of highest value under ``weights`` (floats), or None."""
        if not self._entries:
            return None
        return int(np.argmax(self._floats @ np.asarray(weights, dtype=float)))

    def best_exact(self, w: Sequence[int]) -> int:
        """The known portfolio of highest exact value under ``w`` (the first of equals)."""
        values = [self.value(k, w) for k in range(len(self._entries))]
        return values.index(max(values))

    # ------------------------------------------------------------ certificates
    def certified(self, w: Sequence[int]) -> int | None:
        """The portfolio certified as the decision at integer weights ``w``, or None."""
        if not self._certified or not any(w):
            return None
        wf = np.asarray(w, dtype=float)
        wf /= wf.sum()
        values = self._floats @ wf
        top = float(values.max())
        near = top - 1e-9 * max(1.0, abs(top))
        for k in self._certified:
            if values[k] >= near and self._inside(k, w, wf):
                return k
        return None

    def _inside(self, k: int, w: Sequence[int], wf: np.ndarray) -> bool:
        """Whether ``w`` is in the certified region of ``k`` (and not on a boundary where
        another portfolio could win the tie-break): floats first, integers where close."""
        e = self._entries[k]
        cone, A = e.cone, e.matrix
        assert cone is not None and A is not None
        s = A @ wf
        tol = 1e-9 * (np.abs(A) @ wf) + 1e-300
        if np.any(s < -tol):
            return False
        tight = set()
        for h in np.flatnonzero(s <= tol).tolist():
            v = dot(cone.constraints[h], w)
            if v < 0:
                return False
            if v == 0:
                tight.add(h)
        if not tight:
            return True
        return any(cone.contains(u) and tight <= cone.tight(u) for u in e.decided_at)

    def _constraint(self, k: int, j: int) -> tuple[int, ...]:
        return primitive([a - b for a, b in zip(self._entries[k].totals, self._entries[j].totals, strict=True)])

    def open_rays(self, k: int) -> list[tuple[int, ...]]:
        """Bring the region of portfolio ``k`` up to date with every known portfolio and
        return its extreme rays where ``k`` is not yet proven value-optimal (none: the
        region is certified from now on)."""
        e = self._entries[k]
        if e.certified:
            return []
        if e.cone is None:
            e.cone = Cone(self.d)
        new = np.array([j for j in range(e.seen, len(self._entries)) if j != k], dtype=np.int64)
        e.seen = len(self._entries)
        if len(new):
            # Floats first: a portfolio worse than k at every ray by a clear margin cuts
            # nothing, now or later (the region only shrinks); the others are cut exactly,
            # nearest competitors (at a point where k is the decision) first, so that the
            # region shrinks fast and most of the others are seen to cut nothing.
            F = self._floats
            if e.decided_at:
                new = new[np.argsort((F[k] - F[new]) @ np.asarray(unit(e.decided_at[0])), kind="stable")]
            diff, size = F[k] - F[new], np.abs(F[k]) + np.abs(F[new])
            todo = np.ones(len(new), dtype=bool)
            while todo.any():
                rays = e.cone.unit_rays()
                loose = (diff[todo] @ rays > 1e-9 * (size[todo] @ rays) + 1e-300).all(axis=1)
                idx = np.flatnonzero(todo)
                todo[idx[loose]] = False
                if not todo.any():
                    break
                first = int(idx[~loose][0])
                todo[first] = False
                a = self._constraint(k, int(new[first]))
                if any(a):
                    e.cone.cut(a)
        open_ = [r for r, _ in e.cone.rays if not self._optimal_at(k, r)]
        e.pending, e.fresh = len(open_), len(self._entries)
        if not open_ and e.cone.rays and any(e.cone.contains(u) for u in e.decided_at):
            e.certified = True
            A = np.array([[float(v) for v in a] for a in e.cone.constraints])
            e.matrix = A / np.maximum(np.abs(A).max(axis=1, keepdims=True), 1e-300)
            self._certified.append(k)
        return open_

    def pending(self, k: int) -> int | None:
        """The open rays of ``k``'s region at its last refresh, if no portfolio came since."""
        e = self._entries[k]
        return e.pending if e.fresh == len(self._entries) else None

    def n_rays(self, k: int) -> int:
        """The number of extreme rays of ``k``'s region as last brought up to date."""
        cone = self._entries[k].cone
        return 0 if cone is None else len(cone)

    def _optimal_at(self, k: int, ray: tuple[int, ...]) -> bool:
        j = self._optimal.get(ray)
        return j is not None and (j == k or self.value(k, ray) >= self.value(j, ray))

    def record(self, ray: Sequence[int], j: int) -> None:
        """Portfolio ``j`` is proven value-optimal (not necessarily the decision) at ``ray``."""
        self._optimal[primitive(ray)] = j

    def optimum_at(self, ray: Sequence[int]) -> int | None:
        """A portfolio proven value-optimal at ``ray``, if one is known."""
        return self._optimal.get(primitive(ray))
