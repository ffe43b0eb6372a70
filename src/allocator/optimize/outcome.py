"""One answer of :class:`~allocator.optimize.engine.Engine`: a portfolio, exactly valued, and
how it was found."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from allocator.status import Status

__all__ = ["Outcome"]


@dataclass(frozen=True)
class Outcome:
    """One answer of the engine: a portfolio, exactly valued, and how it was found.

    Attributes
    ----------
    x
        Column values (integer columns rounded).
    grants
        Grant per application (input order), whole kroner.
    value
        The exact value of the portfolio under the engine's objective.
    status
        ``OPTIMAL`` (proven), or ``FEASIBLE`` (a time limit or a gap; see ``bound``).
    bound
        An upper bound on the value of any portfolio (value units), when known.
    method, solves
        How the answer was found ("mip", "knapsack", "lagrange", "certificate", ...) and how
        many solver runs it took.
    tie_break, tied
        The tie-break keys applied (ending in "id") and whether other portfolios had the
        same value (``None``: not examined).
    """

    x: np.ndarray
    grants: np.ndarray
    value: Fraction
    status: Status = Status.OPTIMAL
    bound: float | None = None
    method: str = "mip"
    solves: int = 1
    tie_break: tuple[str, ...] = ()
    tied: bool | None = None

    @property
    def funded(self) -> np.ndarray:
        """Boolean mask of the funded applications (input order)."""
        return self.grants > 0

    @property
    def total(self) -> int:
        """Total grant, whole kroner."""
        return int(self.grants.sum())
