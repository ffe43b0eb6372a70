"""Why this portfolio, and what else: explanations, the frame curve, alternatives, the
comparison with ranking by score, and the diagnosis of rules that cannot all hold."""

from allocator.analysis.alternatives import (
    Alternatives,
    Portfolio,
    all_optima,
    diverse,
    k_best,
)
from allocator.analysis.baseline import Comparison, compare, rank_and_fund
from allocator.analysis.explain import explain, explanations
from allocator.analysis.explanation import Explanation
from allocator.analysis.frontier import entry_frames, frame_breakpoints, frame_curve
from allocator.optimize.diagnose import Diagnosis, diagnose

__all__ = [
    "Alternatives",
    "Comparison",
    "Diagnosis",
    "Explanation",
    "Portfolio",
    "all_optima",
    "compare",
    "diagnose",
    "diverse",
    "entry_frames",
    "explain",
    "explanations",
    "frame_breakpoints",
    "frame_curve",
    "k_best",
    "rank_and_fund",
]
