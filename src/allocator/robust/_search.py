"""Searching for non-dominated portfolios with integer programs and dominance cuts.

Every non-dominated portfolio ``x`` satisfies, for every dominating move ``(R, A)``
(:func:`~allocator.robust.dominance.move_dominates`): *not* [``R`` inside ``x``, ``A``
outside ``x`` and ``x - R + A`` feasible]. Feasibility of ``x - R + A`` changes each row's
activity by ``delta = A_row(A) - A_row(R)``; a row can only break when its slack is smaller
than ``delta``. A **cut** is therefore, for the rows ``r`` that can break,

    sum_{R} x - sum_{A} x  <=  |R| - 1  +  sum_r [row r's slack too small]

written with each row's slack as a variable (``A x + s = upper``), the bracket as a 0/1
indicator shared by every cut with the same row and threshold, or, when only one row can
break, with no indicator at all. Cuts never exclude a non-dominated portfolio.

:class:`Search` keeps the cuts and the non-dominated portfolios found (witnesses) and answers
three questions, each verified exactly in integers:

* :meth:`Search.candidate`: a feasible portfolio satisfying every cut (x_i fixed if asked);
* :meth:`Search.dominator`: a portfolio dominating ``x`` with the fewest changes, or None
  when ``x`` is non-dominated;
* :meth:`Search.refute`: the cut of the smallest part of that move still dominating.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allocator.exceptions import SolverError
from allocator.robust._model import ExactModel, MipRow, solve_mip
from allocator.robust.dominance import Values, dominated_by, dominates, move_dominates

__all__ = ["Cut", "Search"]


@dataclass(frozen=True)
class Cut:
    """Move ``R -> A`` and the rows that may stop it: ``(row, +1, T)`` means the move is
    blocked when ``activity >= T``, ``(row, -1, T)`` when ``activity <= T``."""

    R: tuple[int, ...]
    A: tuple[int, ...]
    conds: tuple[tuple[int, int, int], ...]


@dataclass
class Search:
    """The state of a search on one call (see the module docstring)."""

    model: ExactModel
    v: Values
    cuts: list[Cut] = field(default_factory=list)
    witnesses: list[np.ndarray] = field(default_factory=list)
    mips: int = 0
    mip_seconds: float = 0.0
    settled: dict[int, int] = field(default_factory=dict)
    """Applications proven in (1) or out (0) of every non-dominated portfolio: fixed in every
    search, since every non-dominated portfolio, and a dominator of any portfolio, lies there."""
    _keys: set[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=set)

    def __post_init__(self) -> None:
        M = self.model
        self.rmin = M.row_min
        self.rmax = M.row_max
        self.gcd = M.row_gcd
        self.reach_min, self.reach_max = self._reach()
        self.add_ok = np.array([(self.v.low[:, j] >= 0).all() and (self.v.high[:, j] > 0).any() for j in range(M.n)])

    def _reach(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on each row's activity over the feasible portfolios (their linear relaxation,
        rounded outwards to the row's step): a move is never stopped by a row that cannot reach
        the level that would stop it."""
        M = self.model
        n, k = M.n, len(M.A)
        lo_out = np.array(self.rmin, dtype=np.int64)
        hi_out = np.array(self.rmax, dtype=np.int64)
        rows = self._base_rows()
        for r in range(k):
            for sign in (1.0, -1.0):
                x = solve_mip(
                    n,
                    sign * M.A[r].astype(float),
                    rows,
                    M.lo.astype(float),
                    M.hi.astype(float),
                    np.zeros(n, dtype=bool),
                    presolve=True,
                )
                if x is None:
                    return lo_out, hi_out  # no feasible portfolio at all: keep the plain bounds
                val = float(M.A[r].astype(float) @ x)
                g = int(self.gcd[r])
                if sign > 0:
                    hi_out[r] = min(hi_out[r], g * math.floor((val + 1e-6 * max(1.0, abs(val))) / g))
                else:
                    lo_out[r] = max(lo_out[r], g * math.ceil((val - 1e-6 * max(1.0, abs(val))) / g))
        return lo_out, hi_out

    # ----------------------------------------------------------------- cuts
    def conditions(self, R: list[int], A: list[int]) -> tuple[tuple[int, int, int], ...]:
        """The rows that can stop the move ``R -> A`` on a feasible portfolio holding ``R``."""
        M = self.model
        delta = M.A[:, A].sum(axis=1) - M.A[:, R].sum(axis=1)
        inside = np.zeros(M.n, dtype=bool)
        inside[R] = True
        rest = ~inside
        rest[A] = False
        out = []
        for r in np.flatnonzero(delta != 0).tolist():
            coef = M.A[r]
            g = int(self.gcd[r])
            d = int(delta[r])
            base = int(coef[R].sum())
            if d > 0 and math.isfinite(M.upper[r]):
                T = g * math.ceil((int(M.upper[r]) - d + 1) / g)  # blocked iff activity >= T
                top = base + int(np.where(rest, np.where(coef > 0, coef * M.hi, coef * M.lo), 0).sum())
                if min(top, self.reach_max[r]) >= T:
                    out.append((r, 1, T))
            elif d < 0 and math.isfinite(M.lower[r]):
                T = g * math.floor((int(M.lower[r]) - d - 1) / g)  # blocked iff activity <= T
                bottom = base + int(np.where(rest, np.where(coef < 0, coef * M.hi, coef * M.lo), 0).sum())
                if max(bottom, self.reach_min[r]) <= T:
                    out.append((r, -1, T))
        return tuple(out)

    def add_cut(self, R: list[int], A: list[int]) -> bool:
        """Add the cut of move ``R -> A`` (which must dominate); False if it was there."""
        key = (tuple(sorted(int(j) for j in R)), tuple(sorted(int(j) for j in A)))
        if key in self._keys:
            return False
        self._keys.add(key)
        self.cuts.append(Cut(key[0], key[1], self.conditions(list(key[0]), list(key[1]))))
        return True

    def applies(self, R: list[int], A: list[int], x: np.ndarray) -> bool:
        """Whether the move ``R -> A`` can be made on ``x`` (and leaves it feasible)."""
        if not x[R].all() or x[A].any():
            return False
        y = x.copy()
        y[R] = False
        y[A] = True
        return bool(self.model.feasible(y))

    def local_cuts(self, *, max_conditions: int = 1) -> int:
        """Cuts of every dominating single addition and one-for-one swap that at most
        ``max_conditions`` rows can stop; returns how many were added."""
        free = np.flatnonzero(self.model.free).tolist()
        added = 0
        for j in free:
            if self.add_ok[j] and len(self.conditions([], [j])) <= max_conditions:
                added += self.add_cut([], [j])
        for s in free:
            for j in free:
                if s != j and move_dominates(self.v, [s], [j]) and len(self.conditions([s], [j])) <= max_conditions:
                    added += self.add_cut([s], [j])
        return added

    def cuts_for(self, i: int, funded: bool) -> int:
        """Cuts of the single moves that bring ``i`` in (``funded=False``) or take it out."""
        free = np.flatnonzero(self.model.free).tolist()
        added = 0
        if not funded:
            if self.add_ok[i]:
                added += self.add_cut([], [i])
            for s in free:
                if s != i and move_dominates(self.v, [s], [i]):
                    added += self.add_cut([s], [i])
        else:
            for j in free:
                if j != i and move_dominates(self.v, [i], [j]):
                    added += self.add_cut([i], [j])
        return added

    # ----------------------------------------------------------------- MIPs
    def _base_rows(self) -> list[MipRow]:
        M = self.model
        return [
            MipRow(np.flatnonzero(M.A[r]), M.A[r][M.A[r] != 0].astype(float), M.lower[r], M.upper[r])
            for r in range(len(M.A))
        ]

    def _solve(self, *args: Any, **kwargs: Any) -> np.ndarray | None:
        t0 = time.perf_counter()
        try:
            out: np.ndarray | None = solve_mip(*args, **kwargs)
            return out
        finally:
            self.mips += 1
            self.mip_seconds += time.perf_counter() - t0

    def candidate(
        self,
        fix: dict[int, int] | None = None,
        *,
        exclude: list[np.ndarray] | None = None,
        rows_in_apps: list[MipRow] | None = None,
        rel_gap: float = 0.0,
        time_limit: float | None = None,
    ) -> np.ndarray | None:
        """A feasible portfolio satisfying every cut, of (near-)largest central value; None if none.

        ``exclude``: portfolios it must differ from; ``rows_in_apps``: more rows on the
        applications' indicators. With ``rel_gap=0`` the central value is proven largest.
        """
        M = self.model
        n = M.n
        lo = M.lo.astype(float).copy()
        hi = M.hi.astype(float).copy()
        for j, val in (self.settled | (fix or {})).items():
            lo[j] = hi[j] = float(val)
        col_lo, col_hi, integer = list(lo), list(hi), [True] * n
        rows: list[MipRow] = []
        up: dict[int, int] = {}
        dn: dict[int, int] = {}

        def new_col(a: float, b: float, is_int: bool) -> int:
            col_lo.append(a)
            col_hi.append(b)
            integer.append(is_int)
            return len(col_lo) - 1

        for r in range(len(M.A)):
            nz = np.flatnonzero(M.A[r])
            coef = M.A[r][nz].astype(float)
            if math.isfinite(M.upper[r]):
                up[r] = new_col(0.0, max(0.0, float(M.upper[r] - self.rmin[r])), False)
                rows.append(MipRow(np.append(nz, up[r]), np.append(coef, 1.0), M.upper[r], M.upper[r]))
            if math.isfinite(M.lower[r]):
                dn[r] = new_col(0.0, max(0.0, float(self.rmax[r] - M.lower[r])), False)
                rows.append(MipRow(np.append(nz, dn[r]), np.append(coef, -1.0), M.lower[r], M.lower[r]))

        def slack_bound(r: int, sense: int, T: int) -> tuple[int, float]:
            # the condition "activity >= T" is "upper slack <= upper - T"; "activity <= T" is "lower slack <= T - lower"
            return (up[r], float(M.upper[r] - T)) if sense > 0 else (dn[r], float(T - M.lower[r]))

        indicators: dict[tuple[int, int, int], int] = {}
        for cut in self.cuts:
            if any(hi[j] == 0 for j in cut.R) or any(lo[j] == 1 for j in cut.A):
                continue  # cannot apply
            R = [j for j in cut.R if lo[j] != 1]
            A = [j for j in cut.A if hi[j] != 0]
            live = []
            void = False
            for r, sense, thr in cut.conds:
                if (sense > 0 and thr <= self.rmin[r]) or (sense < 0 and thr >= self.rmax[r]):
                    void = True  # always blocked: the cut says nothing
                    break
                if (sense > 0 and thr > self.rmax[r]) or (sense < 0 and thr < self.rmin[r]):
                    continue  # never blocked
                live.append((r, sense, thr))
            if void:
                continue
            literal = np.array(R + A, dtype=np.int64)
            signs = np.array([1.0] * len(R) + [-1.0] * len(A))
            if not live:
                if len(literal) == 0:
                    return None  # a move that applies to every portfolio: none is non-dominated
                rows.append(MipRow(literal, signs, -math.inf, len(R) - 1))
            elif len(live) == 1:
                col, bound = slack_bound(*live[0])
                big = col_hi[col] - bound
                # slack <= bound + big * (|R| - sum_R x + sum_A x)
                rows.append(
                    MipRow(np.append(col, literal), np.append(1.0, big * signs), -math.inf, bound + big * len(R))
                )
            else:
                zs = []
                for key in live:
                    if key not in indicators:
                        indicators[key] = new_col(0.0, 1.0, True)
                    zs.append(indicators[key])
                rows.append(MipRow(np.append(literal, zs), np.append(signs, -np.ones(len(zs))), -math.inf, len(R) - 1))
        chains: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for key, z in indicators.items():
            col, bound = slack_bound(*key)
            big = col_hi[col] - bound
            rows.append(
                MipRow(np.array([col, z]), np.array([1.0, big]), -math.inf, bound + big)
            )  # z = 1 -> slack <= bound
            chains.setdefault(key[:2], []).append((key[2] * key[1], z))
        for lst in chains.values():  # a harder threshold implies every easier one
            lst.sort()
            for (_, z_easy), (_, z_hard) in itertools.pairwise(lst):
                rows.append(MipRow(np.array([z_easy, z_hard]), np.array([1.0, -1.0]), 0.0, math.inf))
        for p in exclude or ():
            rows.append(MipRow(np.arange(n), np.where(p, -1.0, 1.0), 1.0 - float(p.sum()), math.inf))
        rows.extend(rows_in_apps or ())
        N = len(col_lo)
        obj = np.zeros(N)
        obj[:n] = self.v.central
        x = self._solve(
            N, obj, rows, np.array(col_lo), np.array(col_hi), np.array(integer), rel_gap=rel_gap, time_limit=time_limit
        )
        if x is None:
            return None
        out: np.ndarray = np.rint(x[:n]).astype(bool)
        if not self.model.feasible(out):
            raise SolverError("the solver returned a portfolio that breaks a rule (numerical trouble)")
        return out

    def dominator(self, x: np.ndarray, *, time_limit: float | None = None) -> np.ndarray | None:
        """A feasible portfolio dominating ``x`` with the fewest changes, or None (x is non-dominated)."""
        M, v = self.model, self.v
        n = M.n
        rows = self._base_rows()
        inx = np.asarray(x, dtype=bool)
        for k in range(v.K):
            c = np.where(inx, v.high[k], v.low[k]).astype(float)
            rows.append(MipRow(np.arange(n), c, float(v.high[k][inx].sum()), math.inf))
        rows.append(MipRow(np.arange(n), v.central.astype(float), float(v.central[inx].sum() + 1), math.inf))
        obj = np.where(inx, -1.0, 1.0)
        lo, hi = M.lo.astype(float).copy(), M.hi.astype(float).copy()
        for j, val in self.settled.items():
            lo[j] = hi[j] = float(val)
        y = self._solve(
            n, obj, rows, lo, hi, np.ones(n, dtype=bool), maximize=False, time_limit=time_limit, presolve=True
        )
        if y is None:
            return None
        out: np.ndarray = np.rint(y).astype(bool)
        if not (M.feasible(out) and dominates(v, out, inx)):
            raise SolverError("the solver returned a dominating portfolio that is not one (numerical trouble)")
        return out

    def refute(self, x: np.ndarray, y: np.ndarray) -> Cut:
        """Add the cut of the smallest part of the move ``x -> y`` that still dominates and applies."""
        R = np.flatnonzero(x & ~y).tolist()
        A = np.flatnonzero(y & ~x).tolist()
        changed = True
        while changed:
            changed = False
            for part in (R, A):
                for e in list(part):
                    part.remove(e)
                    if (R or A) and move_dominates(self.v, R, A) and self.applies(R, A, x):
                        changed = True
                    else:
                        part.append(e)
        R.sort()
        A.sort()
        if not self.add_cut(R, A):
            raise SolverError("a portfolio the cuts exclude came back (numerical trouble)")
        return self.cuts[-1]

    # --------------------------------------------------------------- witnesses
    def add_witness(self, x: np.ndarray) -> None:
        """Record a non-dominated portfolio."""
        if not any(np.array_equal(w, x) for w in self.witnesses):
            self.witnesses.append(np.asarray(x, dtype=bool).copy())

    def known_dominator(self, x: np.ndarray) -> np.ndarray | None:
        """A recorded non-dominated portfolio that dominates ``x``."""
        k = dominated_by(self.v, np.array(self.witnesses).reshape(len(self.witnesses), self.model.n), x)
        return None if k < 0 else self.witnesses[k]
