"""allocator: decide how a public funding frame is best spent.

The short path, in a notebook::

    import allocator
    problem = allocator.Problem.from_frame(df, frame=2_300_000,
                                           weights={"green": 0.4, "smart": 0.3, "innovation": 0.3})
    solution = allocator.solve(problem)
    solution.to_frame()
    allocator.compare(solution, allocator.rank_and_fund(problem))
"""

from allocator.adapters.pabulib import read_pabulib
from allocator.adapters.tables import read_problem, read_table, write_decisions
from allocator.baseline import Comparison, compare, rank_and_fund
from allocator.alternatives import all_optima, diverse, k_best
from allocator.examples import load_example
from allocator.exceptions import AllocatorError, InfeasibleError, InputError, PolicyError, SolverError
from allocator.explain import explain
from allocator.formulation import Formulation, build
from allocator.frontier import frame_breakpoints, frame_curve
from allocator.model import Application, Criterion, Options, Problem
from allocator.policy import Policy, load_policy
from allocator.report import write_report
from allocator.solution import Decision, Reason, Solution
from allocator.solve import solve
from allocator.status import Status
from allocator.rules import (
    BudgetPots,
    CoFinancing,
    DeMinimis,
    Exclusive,
    FundedCount,
    GroupLimit,
    LedgerEntry,
    MaxGrant,
    MultiYear,
    MustFund,
    MustNotFund,
    Requires,
    Rule,
)
from allocator.rules.check import CheckResult, Violation, check
from allocator.rules.diagnose import Diagnosis, diagnose
from allocator.scenario_results import ScenarioResults
from allocator.scenarios import (
    Scenario,
    ScorePerturbation,
    combine,
    frame_range,
    perturbed_scores,
    process_pool,
    rule_variants,
    run_scenarios,
    weight_grid,
    weight_samples,
)

__version__ = "0.1.0"

__all__ = [
    # scenario sweeps (allocator.scenarios)
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
    # the call's rules (allocator.rules), policy files, checker and diagnosis
    "BudgetPots",
    "CheckResult",
    "CoFinancing",
    "DeMinimis",
    "Diagnosis",
    "Exclusive",
    "FundedCount",
    "GroupLimit",
    "LedgerEntry",
    "MaxGrant",
    "MultiYear",
    "MustFund",
    "MustNotFund",
    "Policy",
    "Requires",
    "Rule",
    "Violation",
    "check",
    "diagnose",
    "load_policy",
    # why this portfolio: explanations, the frame curve, alternatives
    "all_optima",
    "diverse",
    "explain",
    "frame_breakpoints",
    "frame_curve",
    "k_best",
    # the core
    "Application",
    "AllocatorError",
    "Comparison",
    "Criterion",
    "Decision",
    "Formulation",
    "InfeasibleError",
    "InputError",
    "Options",
    "PolicyError",
    "Problem",
    "Reason",
    "Solution",
    "SolverError",
    "Status",
    "build",
    "compare",
    "load_example",
    "rank_and_fund",
    "read_problem",
    "read_table",
    "read_pabulib",
    "solve",
    "write_decisions",
    "write_report",
]
