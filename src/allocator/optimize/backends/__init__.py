"""Solver backends: HiGHS in-process (default) and PuLP (CBC, HiGHS via PuLP, any PuLP solver).

:func:`make_backend` is the one factory; every backend implements
:class:`~allocator.optimize.backends.base.Backend`.
"""

from __future__ import annotations

from typing import Any

from allocator.exceptions import SolverError
from allocator.optimize.backends.base import Backend, RawResult
from allocator.optimize.backends.highs import HighsBackend, highs_version
from allocator.optimize.linear import LinearModel

__all__ = ["Backend", "RawResult", "make_backend", "solver_info"]


def make_backend(
    model: LinearModel,
    solver: Any = "highs",
    *,
    threads: int | None = 1,
    name: str = "allocator",
    options: dict[str, Any] | None = None,
    relax: bool = False,
) -> Backend:
    """A backend for ``solver``: 'highs' (default, highspy in-process), 'cbc', 'pulp-highs',
    or any PuLP solver object. ``options`` are HiGHS options (only for 'highs'); ``relax``
    loads the linear relaxation (HiGHS only), whose solves return row duals.

    The only place a backend is created: nothing outside this package touches a solver's
    own objects."""
    if solver is None or solver == "highs" or relax:
        return HighsBackend(model, threads=threads, options=options, relax=relax)
    from allocator.optimize.backends.pulp import (
        PulpBackend,  # imports PuLP: only when asked for
    )

    if isinstance(solver, str) and solver not in ("cbc", "pulp-highs"):
        raise SolverError(f"unknown solver {solver!r}; use 'highs', 'cbc', 'pulp-highs' or a PuLP solver object")
    return PulpBackend(model, solver, name=name)


def solver_info(solver: Any) -> tuple[str, str]:
    """The name and version a solution reports for ``solver``, without loading a model."""
    if solver is None or solver == "highs":
        return "highs", highs_version()
    from allocator.optimize.backends.pulp import pulp_version

    return (solver if isinstance(solver, str) else type(solver).__name__), f"PuLP {pulp_version()}"
