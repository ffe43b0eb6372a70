"""The best portfolio at each extreme weight point and at the centroid: the first witnesses.

The portfolio maximising the value at one admissible weight vector and score (midpoint
scores at an extreme point), ties broken by the central value, is non-dominated: a portfolio
dominating it would be at least as good there and strictly better at the centre.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from allocator.exceptions import InfeasibleError, SolverError
from allocator.robust._model import ExactModel, MipRow, solve_mip
from allocator.robust._search import Search
from allocator.robust.dominance import Values

__all__ = ["corners", "lexicographic"]


def lexicographic(model: ExactModel, v: Values, c: np.ndarray, search: Search | None) -> np.ndarray:
    """The feasible portfolio maximising ``c . x``, then the central value (two MIPs)."""
    n = model.n
    rows = [
        MipRow(np.flatnonzero(model.A[r]), model.A[r][model.A[r] != 0].astype(float), model.lower[r], model.upper[r])
        for r in range(len(model.A))
    ]
    lo, hi, integ = model.lo.astype(float), model.hi.astype(float), np.ones(n, dtype=bool)
    x = solve_mip(n, c.astype(float), rows, lo, hi, integ, presolve=True)
    if x is None:
        raise InfeasibleError(
            "no portfolio satisfies every rule of the call and the frame; see allocator.diagnose(problem)"
        )
    best = float(np.rint(x) @ c)
    rows.append(MipRow(np.arange(n), c.astype(float), best, np.inf))
    y = solve_mip(n, v.central.astype(float), rows, lo, hi, integ, presolve=True)
    if search is not None:
        search.mips += 2
    if y is None:  # pragma: no cover - the first stage found one
        raise SolverError("the second stage of a lexicographic solve found no portfolio (numerical trouble)")
    return np.asarray(np.rint(y).astype(bool))


def corners(
    model: ExactModel, v: Values, portfolios: np.ndarray | None, search: Search | None
) -> tuple[tuple[tuple[Fraction, ...], np.ndarray], ...]:
    """Best portfolio at each extreme point (midpoint scores) and at the centroid."""
    objs = [(w, v.low[k] + v.high[k]) for k, w in enumerate(v.vertices)]
    m = len(v.names)
    centroid = tuple(sum((w[j] for w in v.vertices), Fraction(0)) / v.K for j in range(m))
    objs.append((centroid, v.central))
    out = []
    for w, c in objs:
        if portfolios is not None:
            val = portfolios.astype(np.int64) @ c
            best = np.flatnonzero(val == val.max())
            k = best[np.argmax(portfolios[best].astype(np.int64) @ v.central)]
            out.append((w, portfolios[k].copy()))
        else:
            out.append((w, lexicographic(model, v, c, search)))
    return tuple(out)
