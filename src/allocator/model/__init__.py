"""The domain model: a call's criteria, applications, options, rules and the problem itself.

Everything a call *is*, as frozen pydantic models, and nothing about solving it:
:mod:`~allocator.model.parts` (Criterion, Application, Options), :mod:`~allocator.model.rules`
(the call's rules as data), :mod:`~allocator.model.problem` (Problem, checked as a whole),
:mod:`~allocator.model.table` (a DataFrame of applications <-> the fields of a Problem).
"""

from allocator.model.parts import Application, Criterion, Frozen, Options
from allocator.model.problem import Problem

__all__ = ["Application", "Criterion", "Frozen", "Options", "Problem"]
