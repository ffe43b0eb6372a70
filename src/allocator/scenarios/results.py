"""The tidy results of a scenario run.

:class:`ScenarioResults` holds one :class:`~allocator.scenarios.worker.ScenarioOutcome` per scenario and turns
them into tables: :meth:`~ScenarioResults.summary` (one row per scenario),
:meth:`~ScenarioResults.funding_share` (one row per application: the share of scenarios
that fund it) and :meth:`~ScenarioResults.decisions` (one row per scenario and application).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from allocator.exceptions import AllocatorError
from allocator.model.problem import Problem
from allocator.model.solution import Solution
from allocator.optimize.solve import solve
from allocator.scenarios.outcome import ScenarioOutcome
from allocator.scenarios.spec import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ScenarioResults"]


@dataclass(frozen=True)
class ScenarioResults:
    """The outcome of every scenario of a run, in the order of the scenarios.

    Attributes
    ----------
    problem
        The base call.
    scenarios
        The scenarios, as given.
    outcomes
        One :class:`~allocator.scenarios.worker.ScenarioOutcome` per scenario (status, grants, value, time).
    wall_time
        Seconds the whole run took.
    """

    problem: Problem
    scenarios: tuple[Scenario, ...]
    outcomes: tuple[ScenarioOutcome, ...]
    wall_time: float = 0.0

    def __len__(self) -> int:
        return len(self.outcomes)

    def __iter__(self) -> Iterator[ScenarioOutcome]:
        return iter(self.outcomes)

    def __getitem__(self, name: str) -> ScenarioOutcome:
        for o in self.outcomes:
            if o.scenario == name:
                return o
        raise AllocatorError(f"no scenario named {name!r}")

    @property
    def granted(self) -> np.ndarray:
        """Grants, shape (scenarios, applications), input order; -1 where no solution."""
        n = len(self.problem.applications)
        out = np.full((len(self.outcomes), n), -1, dtype=np.int64)
        for k, o in enumerate(self.outcomes):
            if o.granted is not None:
                out[k] = o.granted
        return out

    def summary(self) -> pd.DataFrame:
        """One row per scenario: status, value, number funded, total granted, gap, time."""
        import pandas as pd

        rows = []
        for o in self.outcomes:
            g = o.granted if o.granted is not None else np.zeros(0, dtype=np.int64)
            rows.append(
                {
                    "scenario": o.scenario,
                    "status": o.status.value,
                    "value": o.objective,
                    "n_funded": int(np.count_nonzero(g > 0)),
                    "total_granted": int(g.sum()),
                    "frame": o.frame,
                    "gap": o.gap,
                    "time_s": o.runtime,
                    "method": o.method,
                    "solves": o.solves,
                    "message": o.message,
                }
            )
        return pd.DataFrame(rows)

    def funding_share(self) -> pd.DataFrame:
        """Per application (input order): the share of solved scenarios that fund it.

        Columns ``funded_share``, ``n_scenarios_funded``, ``mean_granted`` (over solved
        scenarios); indexed by application id.
        """
        import pandas as pd

        solved = [o.granted for o in self.outcomes if o.granted is not None]
        ids = [a.id for a in self.problem.applications]
        if not solved:
            return pd.DataFrame(
                {"funded_share": np.nan, "n_scenarios_funded": 0, "mean_granted": np.nan},
                index=pd.Index(ids, name="id"),
            )
        g = np.vstack(solved)
        funded = (g > 0).sum(axis=0)
        return pd.DataFrame(
            {"funded_share": funded / len(solved), "n_scenarios_funded": funded, "mean_granted": g.mean(axis=0)},
            index=pd.Index(ids, name="id"),
        )

    def decisions(self) -> pd.DataFrame:
        """One row per scenario and application: ``scenario, id, granted, funded``."""
        import pandas as pd

        ids = np.array([a.id for a in self.problem.applications], dtype=object)
        parts = []
        for o in self.outcomes:
            if o.granted is None:
                continue
            parts.append(
                pd.DataFrame({"scenario": o.scenario, "id": ids, "granted": o.granted, "funded": o.granted > 0})
            )
        if not parts:
            return pd.DataFrame({"scenario": [], "id": [], "granted": [], "funded": []})
        return pd.concat(parts, ignore_index=True)

    def scenario(self, name: str) -> Scenario:
        """The scenario called ``name``."""
        for s in self.scenarios:
            if s.name == name:
                return s
        raise AllocatorError(f"no scenario named {name!r}")

    def solution(self, name: str, **solve_options: Any) -> Solution:
        """The full :class:`~allocator.model.solution.Solution` of one scenario (solved again)."""

        return solve(self.scenario(name).apply(self.problem), **solve_options)

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status.value] = counts.get(o.status.value, 0) + 1
        st = ", ".join(f"{v} {k}" for k, v in counts.items())
        return f"ScenarioResults({len(self.outcomes)} scenarios: {st}; {self.wall_time:.2f}s)"
