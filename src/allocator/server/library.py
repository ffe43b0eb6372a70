"""Every name the service takes from the library, imported in this one place.

The service builds on the library's public functions and models only; where they live may
change with the library's layout, and then this module is the one edit.
"""

from __future__ import annotations

from allocator._version import __version__
from allocator.analysis import (
    Comparison,
    Explanation,
    all_optima,
    compare,
    diverse,
    explain,
    explanations,
    frame_breakpoints,
    frame_curve,
    k_best,
    rank_and_fund,
)
from allocator.analysis.sentences import check_lang
from allocator.data import EXAMPLE_CSV, EXAMPLE_POLICY, load_example, load_example_policy
from allocator.exceptions import AllocatorError, InputError, PolicyError
from allocator.io import Policy, parse_policy, read_table
from allocator.model import Application, Criterion, Options, Problem
from allocator.model.ledger import read_ledger
from allocator.model.parts import format_validation_error
from allocator.model.solution import Decision, Reason, Solution
from allocator.optimize import solve
from allocator.report import write_report
from allocator.rules import check
from allocator.rules.check import CheckResult, Violation
from allocator.scenarios import (
    Scenario,
    ScorePerturbation,
    combine,
    frame_range,
    perturbed_scores,
    run_scenarios,
    weight_grid,
    weight_samples,
)
from allocator.status import Status
from allocator.words import decision_sentence, tie_break_text


def rules_broken(problem: Problem | None, decisions: Solution | None) -> list[str]:
    """Labels of the call's rules that ``decisions`` break (ranking by score cannot meet every floor)."""
    if problem is None or decisions is None or not problem.rules:
        return []
    return check(problem, decisions).rules


__all__ = [
    "EXAMPLE_CSV",
    "EXAMPLE_POLICY",
    "AllocatorError",
    "Application",
    "CheckResult",
    "Comparison",
    "Criterion",
    "Decision",
    "Explanation",
    "InputError",
    "Options",
    "Policy",
    "PolicyError",
    "Problem",
    "Reason",
    "Scenario",
    "ScorePerturbation",
    "Solution",
    "Status",
    "Violation",
    "__version__",
    "all_optima",
    "check",
    "check_lang",
    "combine",
    "compare",
    "decision_sentence",
    "diverse",
    "explain",
    "explanations",
    "format_validation_error",
    "frame_breakpoints",
    "frame_curve",
    "frame_range",
    "k_best",
    "load_example",
    "load_example_policy",
    "parse_policy",
    "perturbed_scores",
    "rank_and_fund",
    "read_ledger",
    "read_table",
    "rules_broken",
    "run_scenarios",
    "solve",
    "tie_break_text",
    "weight_grid",
    "weight_samples",
    "write_report",
]
