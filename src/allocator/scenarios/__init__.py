"""Scenario sweeps: many variants of one call (weights, frames, rules, scores), solved fast.

:mod:`~allocator.scenarios.spec` (a :class:`Scenario` as data),
:mod:`~allocator.scenarios.generators` (lists of scenarios), :mod:`~allocator.scenarios.run`
(serially or on any executor, Dask included), :mod:`~allocator.scenarios.worker` (one loaded
model per worker), :mod:`~allocator.scenarios.results` (tables of the outcomes).
"""

from allocator.scenarios.generators import (
    combine,
    frame_range,
    perturbed_scores,
    rule_variants,
    weight_grid,
    weight_samples,
)
from allocator.scenarios.results import ScenarioResults
from allocator.scenarios.run import process_pool, run_scenarios
from allocator.scenarios.spec import Scenario, ScorePerturbation

__all__ = [
    "Scenario",
    "ScenarioResults",
    "ScorePerturbation",
    "combine",
    "frame_range",
    "perturbed_scores",
    "process_pool",
    "rule_variants",
    "run_scenarios",
    "weight_grid",
    "weight_samples",
]
