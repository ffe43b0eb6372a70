"""One status for every way a solve can end, whatever the solver."""

from __future__ import annotations

from enum import Enum

__all__ = ["Status"]


class Status(str, Enum):
    """How a solve ended.

    ``OPTIMAL``
        Proven optimal (within the requested gap, 0 by default).
    ``FEASIBLE``
        A portfolio was found but not proven optimal (time limit); see ``gap``.
    ``INFEASIBLE``
        No portfolio satisfies the rules; see the diagnosis.
    ``NO_SOLUTION``
        The solver stopped (time limit) before finding any portfolio.
    ``ERROR``
        The solver failed; the message says why.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """Whether decisions can be read (OPTIMAL or FEASIBLE)."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)
