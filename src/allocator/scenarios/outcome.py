"""What one scenario of a sweep gave (:class:`ScenarioOutcome`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from allocator.exceptions import SolverError
from allocator.model import Problem
from allocator.optimize.solve import solve
from allocator.scenarios.spec import Scenario
from allocator.status import Status

__all__ = ["ScenarioOutcome", "from_scratch", "outcome"]


@dataclass(frozen=True)
class ScenarioOutcome:
    """What one scenario gave: status first, then the grants (input order) and the numbers."""

    scenario: str
    status: Status
    granted: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    frame: int
    runtime: float
    solves: int
    method: str
    message: str = ""
    tie_break: tuple[str, ...] = ()
    tied: bool | None = None


def outcome(
    name: str,
    grants: np.ndarray,
    value: Fraction,
    status: Status,
    bound: float | None,
    frame: int,
    t0: float,
    solves: int,
    method: str,
    keys: tuple[str, ...],
    tied: bool | None,
) -> ScenarioOutcome:
    """The outcome of scenario ``name`` granting ``grants`` of exact ``value`` (``t0``: its start)."""
    if int(grants.sum()) > frame:
        raise SolverError(f"scenario {name!r}: grants of {int(grants.sum())} over the frame {frame}; this is a bug")
    v = float(value)
    optimal = status is Status.OPTIMAL
    gap = 0.0 if optimal else (max(0.0, (bound - v) / max(abs(bound), 1e-12)) if bound is not None else None)
    runtime = time.perf_counter() - t0
    return ScenarioOutcome(
        name, status, grants, v, v if optimal else bound, gap, frame, runtime, solves, method, "", keys, tied
    )


def from_scratch(scenario: Scenario, base: Problem, t0: float, **settings: Any) -> ScenarioOutcome:
    """Scenario ``scenario`` of ``base`` solved by :func:`allocator.solve` with ``settings``."""
    variant = scenario.apply(base)
    sol = solve(variant, raise_on_failure=False, **settings)
    granted = np.array([d.granted for d in sol.decisions], dtype=np.int64) if sol.status.has_solution else None
    return ScenarioOutcome(
        scenario.name,
        sol.status,
        granted,
        sol.objective,
        sol.bound,
        sol.gap,
        variant.frame,
        time.perf_counter() - t0,
        sol.solves,
        "solve",
        sol.message,
        sol.tie_break,
        sol.tied,
    )
