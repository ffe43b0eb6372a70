"""Checks of the arguments of the public functions: the right type, and values that mean something.

A wrong *type* (``solve("problem")``, ``rank_and_fund(df)``) is a programming mistake and
raises a :class:`TypeError` that names the function, the argument, the type expected and
how to get one. A wrong *value* of the right type (``time_limit=-1``, ``rel_gap=nan``) is
an :class:`~allocator.exceptions.InputError` naming the argument, the value and the fix.

Examples
--------
>>> solve_options(time_limit=10, rel_gap=0.01, threads=1)
>>> solve_options(time_limit=-1)
Traceback (most recent call last):
...
allocator.exceptions.InputError: time_limit -1 must be a positive number of seconds; give e.g. time_limit=60, or None for no limit
>>> expect_problem("problem", "solve")
Traceback (most recent call last):
...
TypeError: solve: expected an allocator.Problem, got str; build one with allocator.Problem.from_frame(df, frame=..., weights=...), allocator.read_problem(path) or allocator.load_example()
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from allocator.exceptions import InputError
from allocator.model.problem import Problem

__all__ = ["check_solve", "expect", "expect_problem", "seconds", "solve_options"]

_HOW = "build one with allocator.Problem.from_frame(df, frame=..., weights=...), allocator.read_problem(path) or allocator.load_example()"


def expect(value: Any, kind: type | tuple[type, ...], function: str, what: str, how: str) -> None:
    """TypeError unless ``value`` is a ``kind``: '<function>: expected <what>, got <type>; <how>'."""
    if not isinstance(value, kind):
        raise TypeError(f"{function}: expected {what}, got {type(value).__name__}; {how}")


def expect_problem(value: Any, function: str) -> None:
    """TypeError unless ``value`` is a :class:`~allocator.model.problem.Problem`."""
    if isinstance(value, Problem):
        return
    how = _HOW
    if type(value).__name__ == "DataFrame":
        how = "a DataFrame of applications becomes one with allocator.Problem.from_frame(df, frame=..., weights=...)"
    elif type(value).__name__ == "Solution":
        how = "give the Problem that was solved, not its Solution"
    expect(value, Problem, function, "an allocator.Problem", how)


def seconds(name: str, value: Any) -> None:
    """Refuse ``value`` unless it is None or a finite number of seconds > 0 (``name`` for messages)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds or None, not {type(value).__name__}; give e.g. {name}=60")
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise InputError(
            f"{name} {value!r} must be a positive number of seconds; give e.g. {name}=60, or None for no limit",
            column=name,
            value=value,
        )


def solve_options(*, time_limit: Any = None, rel_gap: Any = 0.0, threads: Any = None) -> None:
    """Refuse a time limit, relative gap or thread count that means nothing (see the module)."""
    seconds("time_limit", time_limit)
    if isinstance(rel_gap, bool) or not isinstance(rel_gap, numbers.Real):
        raise TypeError(
            f"rel_gap must be a number between 0 and 1, not {type(rel_gap).__name__}; give e.g. rel_gap=0.01"
        )
    if not 0 <= float(rel_gap) < 1:  # refuses nan too
        raise InputError(
            f"rel_gap {rel_gap!r} must be at least 0 and below 1 (0 proves optimality; 0.01 accepts a portfolio "
            "within 1 % of the best); give e.g. rel_gap=0",
            column="rel_gap",
            value=rel_gap,
        )
    if threads is None:
        return
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise TypeError(f"threads must be a whole number or None, not {type(threads).__name__}; give e.g. threads=1")
    if threads < 1:
        raise InputError(f"threads {threads} must be at least 1; give e.g. threads=1", column="threads", value=threads)


def check_solve(
    function: str, problem: Any, *, time_limit: Any = None, rel_gap: Any = 0.0, threads: Any = None
) -> None:
    """:func:`expect_problem` and :func:`solve_options` in one call."""
    expect_problem(problem, function)
    solve_options(time_limit=time_limit, rel_gap=rel_gap, threads=threads)
