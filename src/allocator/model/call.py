"""What rule selection and validation read of a call, as a protocol.

:class:`~allocator.model.problem.Problem` validates its rules on construction, so the
modules that do so (:mod:`~allocator.model.selectors`, :mod:`~allocator.model.validate`)
stand below it and cannot name it: they read a :class:`Call`, which every Problem is.
"""

from __future__ import annotations

from typing import Protocol

from allocator.model.parts import Application, Criterion, Options
from allocator.model.rules import Rule

__all__ = ["Call"]


class Call(Protocol):
    """The parts of a problem that rule selection and validation read."""

    @property
    def frame(self) -> int:
        """The frame, whole kroner."""

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """The criteria."""

    @property
    def applications(self) -> tuple[Application, ...]:
        """The applications, in input order."""

    @property
    def options(self) -> Options:
        """How the decision is made."""

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The call's rules."""
