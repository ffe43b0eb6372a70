"""Every error a user of allocator can cause, in one place.

All of them derive from :class:`AllocatorError`, itself a :class:`ValueError`, so
``except ValueError`` keeps working for callers that do not know this library.
Messages name the item, the field, the value and the fix, in that order::

    row 3 (id 'A-017'), column 'requested': -5000 is not a positive whole amount;
    give the requested amount in whole kroner, greater than 0
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AllocatorError",
    "InfeasibleError",
    "InputError",
    "PolicyError",
    "SolverError",
]


class AllocatorError(ValueError):
    """Base class of every error a caller can cause (bad data, bad options, no solution)."""


class InputError(AllocatorError):
    """Input data that cannot describe a call: a missing column, a bad amount, a duplicate id.

    Attributes
    ----------
    row, column, value
        Where the problem is, when it concerns one cell (``None`` otherwise).
    """

    def __init__(
        self,
        message: str,
        *,
        row: int | str | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(message)
        self.row = row
        self.column = column
        self.value = value


class PolicyError(AllocatorError):
    """A policy (rules, weights, thresholds) that is malformed or refers to unknown names."""


class SolverError(AllocatorError):
    """The solver could not be run, or ended without any portfolio (time limit, error)."""


class InfeasibleError(AllocatorError):
    """No portfolio satisfies every rule. ``diagnosis`` says which rules conflict."""

    def __init__(self, message: str, *, diagnosis: Any = None, solution: Any = None) -> None:
        super().__init__(message)
        self.diagnosis = diagnosis
        self.solution = solution
