"""The interface every solver backend offers to :mod:`allocator.solve`.

A backend loads a :class:`~allocator.optimize.linear.LinearModel` once and then supports the few
edits the lexicographic tie-break and the scenario sweeps need: a new objective, an extra
row, new column bounds. Values are returned only with a status that says they exist.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from allocator.status import Status

__all__ = ["Backend", "RawResult", "quiet_stdout"]


@dataclass(frozen=True)
class RawResult:
    """What one solver run produced, in model units (objective as given to the solver)."""

    status: Status
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    runtime: float
    message: str = ""
    row_dual: np.ndarray | None = None
    """Row duals of a linear program (a relaxation), in the solver's sign convention."""


class Backend(Protocol):
    """A loaded model that can be edited and solved repeatedly."""

    name: str
    version: str
    n_rows: int

    def set_objective(self, c: np.ndarray, *, maximize: bool = True) -> None:
        """Replace the objective."""

    def add_row(self, cols: np.ndarray, coefs: np.ndarray, lower: float, upper: float) -> int:
        """Add a constraint row at the end; returns its index."""

    def truncate_rows(self, n_rows: int) -> None:
        """Delete every row from index ``n_rows`` on (the rows added since there were that many)."""

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change a row's bounds."""

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change column bounds."""

    def solve(
        self,
        *,
        time_limit: float | None,
        rel_gap: float,
        abs_gap: float,
        start: np.ndarray | None = None,
        tight: bool = False,
    ) -> RawResult:
        """Solve; status first, values only where the status has a solution. ``tight``:
        with the solver's tightest sensible feasibility tolerance (a second try after a
        point that broke a row once rounded; solvers without such a setting ignore it)."""


_stdout_lock = threading.Lock()


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence C-level writes to file descriptor 1 (HiGHS 1.16 prints a banner on creation).

    Only the descriptor is redirected, for as short a time as the caller holds it, so that
    ``allocator solve ... --out -`` can print clean JSON to standard output.
    """
    fd = 1  # HiGHS writes to the C library's stdout, whatever sys.stdout is (pytest, Jupyter)
    with _stdout_lock:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            sys.stdout.flush()
        try:
            saved = os.dup(fd)
        except OSError:
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            os.close(devnull)
