"""Robust decisions: which grants hold under any reasonable weights and scores, and a fair draw."""

from allocator.robust.exact import ExactResult, TooManyPortfolios, classify, nondominated
from allocator.robust.polytope import WeightPolytope
from allocator.robust.uncertainty import LinearConstraint, ScoreIntervals, Uncertainty, WeightInfo, uncertainty_from_policy

__all__ = [
    "ExactResult",
    "LinearConstraint",
    "ScoreIntervals",
    "TooManyPortfolios",
    "Uncertainty",
    "WeightInfo",
    "WeightPolytope",
    "classify",
    "nondominated",
    "uncertainty_from_policy",
]
