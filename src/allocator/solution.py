"""Old home of :class:`Solution`, :class:`Decision`, :class:`Reason` and :class:`RuleRef`.

They are the call's data model and live in :mod:`allocator.model.solution` (next to the
:class:`~allocator.model.problem.Problem` they answer); ``allocator.Solution`` is the public
name. This module re-exports them so that ``from allocator.solution import Solution`` keeps
working.
"""

from allocator.model.solution import Decision, Reason, RuleRef, Solution

__all__ = ["Decision", "Reason", "RuleRef", "Solution"]
