"""A mixed-integer linear model as plain arrays: the one representation every backend reads.

:class:`ModelBuilder` collects columns and rows in bulk (coefficient arrays, never
term-by-term expression arithmetic); :meth:`ModelBuilder.build` freezes them into a
:class:`LinearModel` in compressed-row form. The HiGHS backend passes those arrays straight
to ``highspy``; the PuLP backend turns them into an ``LpProblem`` with coefficient lists.
Row and column names are generated (``x_0017``, ``frame``); user text never reaches a solver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["INF", "LinearModel", "ModelBuilder"]

INF = float("inf")


@dataclass(frozen=True)
class LinearModel:
    """max c.x  subject to  row_lower <= A x <= row_upper,  col_lower <= x <= col_upper.

    ``A`` is stored row-wise: row *r* has the entries ``index[start[r]:start[r+1]]`` with
    values ``value[start[r]:start[r+1]]``.
    """

    objective: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    col_names: tuple[str, ...]
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_names: tuple[str, ...]

    @property
    def n_cols(self) -> int:
        """Number of variables."""
        return len(self.objective)

    @property
    def n_rows(self) -> int:
        """Number of constraints."""
        return len(self.row_lower)

    def row(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and coefficients of row ``r``."""
        a, b = self.start[r], self.start[r + 1]
        return self.index[a:b], self.value[a:b]

    def activity(self, x: np.ndarray) -> np.ndarray:
        """A x for a column vector ``x``."""
        prod = self.value * x[self.index]
        return np.add.reduceat(prod, self.start[:-1]) if len(prod) else np.zeros(self.n_rows)


@dataclass
class ModelBuilder:
    """Collects columns and rows, in bulk, for a :class:`LinearModel`."""

    _obj: list[np.ndarray] = field(default_factory=list)
    _lo: list[np.ndarray] = field(default_factory=list)
    _hi: list[np.ndarray] = field(default_factory=list)
    _int: list[np.ndarray] = field(default_factory=list)
    _names: list[str] = field(default_factory=list)
    _rows_idx: list[np.ndarray] = field(default_factory=list)
    _rows_val: list[np.ndarray] = field(default_factory=list)
    _row_lo: list[float] = field(default_factory=list)
    _row_hi: list[float] = field(default_factory=list)
    _row_names: list[str] = field(default_factory=list)
    n_cols: int = 0

    def add_cols(
        self,
        prefix: str,
        n: int,
        *,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = 1.0,
        integer: bool = True,
        objective: float | np.ndarray = 0.0,
    ) -> np.ndarray:
        """Add ``n`` columns named ``{prefix}_{k:04d}``; returns their indices."""
        idx = np.arange(self.n_cols, self.n_cols + n)
        self._obj.append(np.broadcast_to(np.asarray(objective, dtype=float), (n,)).copy())
        self._lo.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy())
        self._hi.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy())
        self._int.append(np.full(n, integer))
        self._names.extend(f"{prefix}_{k:04d}" for k in range(n))
        self.n_cols += n
        return idx

    def add_row(
        self,
        cols: np.ndarray | list[int],
        coefs: np.ndarray | list[float],
        *,
        lower: float = -INF,
        upper: float = INF,
        name: str,
    ) -> int:
        """Add one row ``lower <= sum coefs * x[cols] <= upper``; returns its index.

        Repeated columns are merged (their coefficients added).
        """
        c = np.asarray(cols, dtype=np.int64)
        v = np.asarray(coefs, dtype=float)
        if len(c) != len(np.unique(c)):
            uniq, inv = np.unique(c, return_inverse=True)
            v = np.bincount(inv, weights=v, minlength=len(uniq))
            c = uniq
        keep = v != 0
        self._rows_idx.append(c[keep])
        self._rows_val.append(v[keep])
        self._row_lo.append(float(lower))
        self._row_hi.append(float(upper))
        self._row_names.append(name)
        return len(self._row_lo) - 1

    def add_rows(
        self,
        cols: np.ndarray,
        coefs: np.ndarray,
        *,
        lower: float | np.ndarray = -INF,
        upper: float | np.ndarray = INF,
        prefix: str,
    ) -> np.ndarray:
        """Add ``r`` rows of equal width at once: ``cols`` and ``coefs`` have shape (r, k).

        Rows are named ``{prefix}_{k:04d}``; returns their indices. Columns must be distinct
        within a row.
        """
        cols = np.asarray(cols, dtype=np.int64)
        coefs = np.asarray(coefs, dtype=float)
        r = cols.shape[0]
        lo = np.broadcast_to(np.asarray(lower, dtype=float), (r,))
        hi = np.broadcast_to(np.asarray(upper, dtype=float), (r,))
        first = self.n_rows
        for k in range(r):
            keep = coefs[k] != 0
            self._rows_idx.append(cols[k][keep])
            self._rows_val.append(coefs[k][keep])
        self._row_lo.extend(lo.tolist())
        self._row_hi.extend(hi.tolist())
        self._row_names.extend(f"{prefix}_{k:04d}" for k in range(r))
        return np.arange(first, first + r)

    @property
    def n_rows(self) -> int:
        """Rows added so far."""
        return len(self._row_lo)

    def set_objective(self, objective: np.ndarray) -> None:
        """Replace the objective of the columns added so far (later columns get 0)."""
        obj = np.asarray(objective, dtype=float)
        if len(obj) != self.n_cols:
            raise ValueError(f"objective has {len(obj)} entries for {self.n_cols} columns")
        self._obj = [obj.copy()]

    def set_bounds(self, col: int, lower: float, upper: float) -> None:
        """Change the bounds of one column (used by locks and eligibility)."""
        k, off = self._locate(col)
        self._lo[k][off] = lower
        self._hi[k][off] = upper

    def fix_cols(self, cols: np.ndarray, lower: float | np.ndarray, upper: float | np.ndarray) -> None:
        """Change the bounds of many columns at once (vectorised :meth:`set_bounds`)."""
        cols = np.asarray(cols, dtype=np.int64)
        if len(cols) == 0:
            return
        lo, hi = np.concatenate(self._lo), np.concatenate(self._hi)
        lo[cols] = lower
        hi[cols] = upper
        sizes = np.cumsum([len(a) for a in self._lo])[:-1]
        self._lo = list(np.split(lo, sizes))
        self._hi = list(np.split(hi, sizes))

    def _locate(self, col: int) -> tuple[int, int]:
        base = 0
        for k, arr in enumerate(self._lo):
            if col < base + len(arr):
                return k, col - base
            base += len(arr)
        raise IndexError(col)

    def build(self) -> LinearModel:
        """Freeze into a :class:`LinearModel`."""

        def cat(parts: list[np.ndarray], dt: type) -> np.ndarray:
            return np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)

        objective = cat(self._obj, float)
        if len(objective) < self.n_cols:  # columns added after set_objective
            objective = np.concatenate([objective, np.zeros(self.n_cols - len(objective))])
        lengths = np.array([len(r) for r in self._rows_idx], dtype=np.int64)
        start = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=start[1:])
        return LinearModel(
            objective=objective,
            col_lower=cat(self._lo, float),
            col_upper=cat(self._hi, float),
            integer=cat(self._int, bool),
            col_names=tuple(self._names),
            start=start,
            index=cat(self._rows_idx, np.int64),
            value=cat(self._rows_val, float),
            row_lower=np.array(self._row_lo, dtype=float),
            row_upper=np.array(self._row_hi, dtype=float),
            row_names=tuple(self._row_names),
        )
