"""Every feasible portfolio of a small call, and the non-dominated ones among them.

With at most :data:`BRUTE_MAX` applications free to decide (neither ineligible, forbidden
nor locked), every subset of them is checked against every row in integers, in chunks of
bit patterns. The non-dominated portfolios are then found without any solver:

1. a portfolio to which some application can be added (feasibly, and with a value that is
   never negative and sometimes positive) is dominated by that addition;
2. the rest, in decreasing central value, are kept when no portfolio already kept dominates
   them: a dominating portfolio has a larger central value, so it comes first, and a
   dominated one is dominated by a non-dominated one (dominance is transitive).
"""

from __future__ import annotations

import numpy as np

from allocator.robust._model import ExactModel
from allocator.robust.dominance import Values

__all__ = ["BRUTE_MAX", "dominated", "feasible_portfolios", "nondominated_of"]

BRUTE_MAX = 22
"""Most free applications for which every portfolio is enumerated (2**22 = 4 194 304)."""

_CHUNK = 1 << 16


def feasible_portfolios(model: ExactModel) -> np.ndarray:
    """Every feasible portfolio, shape ``(count, n)``, boolean (only for small calls)."""
    free = np.flatnonzero(model.free)
    k = len(free)
    if k > BRUTE_MAX:
        raise ValueError(f"{k} free applications: too many to enumerate (at most {BRUTE_MAX})")
    base = model.lo.astype(bool)
    base_act = model.activity(base.astype(np.int64))
    Af = model.A[:, free]  # (rows, k)
    out = []
    for start in range(0, 1 << k, _CHUNK):
        codes = np.arange(start, min(1 << k, start + _CHUNK), dtype=np.int64)
        bits = ((codes[:, None] >> np.arange(k)) & 1).astype(np.int64)  # (c, k)
        act = bits @ Af.T + base_act
        ok = ((act >= model.lower) & (act <= model.upper)).all(axis=1)
        if ok.any():
            X = np.repeat(base[None, :], int(ok.sum()), axis=0)
            X[:, free] = bits[ok].astype(bool)
            out.append(X)
    return np.concatenate(out) if out else np.zeros((0, model.n), dtype=bool)


def _maximal(model: ExactModel, v: Values, X: np.ndarray) -> np.ndarray:
    """Mask of the portfolios no single dominating addition improves."""
    keep = np.ones(len(X), dtype=bool)
    act = model.activity(X.astype(np.int64))
    for j in np.flatnonzero(model.free):
        if not ((v.low[:, j] >= 0).all() and (v.high[:, j] > 0).any()):
            continue
        after = act + model.A[:, j]
        fits = ~X[:, j] & ((after >= model.lower) & (after <= model.upper)).all(axis=1)
        keep &= ~fits
    return keep


def nondominated_of(model: ExactModel, v: Values, X: np.ndarray, *, limit: int | None = None) -> np.ndarray | None:
    """The non-dominated portfolios among the feasible ``X``, by decreasing central value.

    None when there are more than ``limit``.
    """
    X = X[_maximal(model, v, X)]
    F = X.astype(np.int64) @ v.central
    X = X[np.lexsort((np.arange(len(X)), -F))]
    kept = np.zeros((0, model.n), dtype=bool)
    for start in range(0, len(X), 256):
        block = X[start : start + 256]
        alive = ~dominated(v, kept, block).any(axis=0) if len(kept) else np.ones(len(block), dtype=bool)
        before = len(kept)
        for b in np.flatnonzero(alive):
            p = block[b : b + 1]
            fresh = kept[before:]
            if len(fresh) and dominated(v, fresh, p).any():
                continue
            kept = np.vstack([kept, p])
            if limit is not None and len(kept) > limit:
                return None
    return kept


def dominated(v: Values, Q: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``out[q, p]``: whether portfolio ``Q[q]`` dominates ``P[p]`` (exact: integers below 2**53)."""
    Qf = Q.astype(float)
    Pf = P.astype(float)
    low, high = v.low.astype(float), v.high.astype(float)
    QL, QH = Qf @ low.T, Qf @ high.T  # (M, K)
    PL, PH = Pf @ low.T, Pf @ high.T  # (B, K)
    weak = np.ones((len(Q), len(P)), dtype=bool)
    strict = np.zeros((len(Q), len(P)), dtype=bool)
    for k in range(v.K):
        both_low = (Qf * low[k]) @ Pf.T  # value of Q & P on low scores
        both_high = (Qf * high[k]) @ Pf.T
        gain_low = QL[:, k : k + 1] - both_low  # low value of Q \ P
        gain_high = QH[:, k : k + 1] - both_high
        loss_high = PH[None, :, k] - both_high  # high value of P \ Q
        loss_low = PL[None, :, k] - both_low
        weak &= gain_low >= loss_high
        strict |= gain_high > loss_low
    return weak & strict
