"""allocator: decide how a public funding frame is best spent.

The short path, in a notebook::

    import allocator
    df = allocator.read_table("applications.csv")       # Norwegian Excel CSV, XLSX, JSON
    problem = allocator.Problem.from_frame(df, frame=2_300_000,
                                           weights={"green": 0.4, "smart": 0.3, "innovation": 0.3})
    solution = allocator.solve(problem)
    solution.to_frame()
    allocator.compare(solution, allocator.rank_and_fund(problem))

The rest lives in subpackages: :mod:`allocator.rules` (the call's rules),
:mod:`allocator.analysis` (explanations, frame curve, alternatives, diagnosis),
:mod:`allocator.scenarios` (sweeps), :mod:`allocator.io` (files), :mod:`allocator.optimize`
(formulation, backends), :mod:`allocator.report` (the Excel workbook).
"""

from allocator._version import __version__ as __version__
from allocator.analysis import compare, explain, rank_and_fund
from allocator.data import load_example
from allocator.exceptions import AllocatorError
from allocator.io import (
    load_policy,
    read_pabulib,
    read_problem,
    read_table,
    write_decisions,
)
from allocator.model import Application, Criterion, Options, Problem
from allocator.model.solution import Decision, Reason, Solution
from allocator.optimize import solve
from allocator.report import write_report
from allocator.rules import check
from allocator.scenarios import run_scenarios
from allocator.status import Status

__all__ = [
    "AllocatorError",
    "Application",
    "Criterion",
    "Decision",
    "Options",
    "Problem",
    "Reason",
    "Solution",
    "Status",
    "check",
    "compare",
    "explain",
    "load_example",
    "load_policy",
    "rank_and_fund",
    "read_pabulib",
    "read_problem",
    "read_table",
    "run_scenarios",
    "solve",
    "write_decisions",
    "write_report",
]
