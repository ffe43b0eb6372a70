"""Robust decisions: which grants hold under any reasonable weights and scores, and a fair draw.

Robust Portfolio Modeling (Liesiö, Mild and Salo 2007; Liesiö 2008) on a call with all its
rules: weights and scores are sets (:class:`Uncertainty`), the non-dominated portfolios and
each application's core index and class (core, borderline, exterior) are exact
(:func:`nondominated`, :func:`classify`), the acceptability of each application is sampled
with weights uniform on the admissible polytope (:func:`acceptability`), and the borderline
is settled by a verifiable draw (:func:`draw`, :class:`Lottery`). :func:`robust` runs it all.

    from allocator.robust import Uncertainty, robust
    u = Uncertainty.of(order="green >= smart >= others", plus_minus=0.5)
    r = robust(problem, u, samples=10_000, draw_seed="3 6 1 4 4 2")
    r.to_frame(lang="nb")
"""

from allocator.robust.analysis import (
    LABELS,
    ApplicationRobustness,
    Robustness,
    RobustnessReport,
    robust,
)
from allocator.robust.draw import (
    DrawPlan,
    DrawRecord,
    Lottery,
    draw,
    input_hash,
    plan_draw,
    tickets,
    verify_draw,
)
from allocator.robust.exact import (
    DEFAULT_LIMIT,
    ExactResult,
    TooManyPortfolios,
    classify,
    nondominated,
)
from allocator.robust.polytope import WeightPolytope
from allocator.robust.sample import Acceptability, acceptability
from allocator.robust.uncertainty import (
    LinearConstraint,
    ScoreIntervals,
    Uncertainty,
    WeightInfo,
    uncertainty_from_policy,
)

__all__ = [
    "DEFAULT_LIMIT",
    "LABELS",
    "Acceptability",
    "ApplicationRobustness",
    "DrawPlan",
    "DrawRecord",
    "ExactResult",
    "LinearConstraint",
    "Lottery",
    "Robustness",
    "RobustnessReport",
    "ScoreIntervals",
    "TooManyPortfolios",
    "Uncertainty",
    "WeightInfo",
    "WeightPolytope",
    "acceptability",
    "classify",
    "draw",
    "input_hash",
    "nondominated",
    "plan_draw",
    "robust",
    "tickets",
    "uncertainty_from_policy",
    "verify_draw",
]
