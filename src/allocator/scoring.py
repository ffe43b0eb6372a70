"""Scores: from raw criterion scores to the value of funding an application.

The value of funding application *i* in full is its weighted score

    s_i = sum_c w_c * n_c(score_ic)

where ``n_c`` normalises criterion *c* to a ratio scale on which **not funding is worth 0**
(the baseline of multi-attribute portfolio analysis; Clemen & Smith 2009). By default
``n_c(x) = x / scale_max``; with ``Options.normalisation = "range"`` it is
``(x - scale_min) / (scale_max - scale_min)``, which makes the worst possible application
worth exactly as much as funding nothing. A partially funded application is worth
``s_i * granted / requested``.

Values are computed twice: as floats for the solver, and as exact fractions, which give a
common denominator so that the objective can be scaled to integers. With integer
coefficients an absolute gap below 1 proves optimality exactly and ties are detected
exactly rather than within a floating-point tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import numpy as np

from allocator.model import Criterion, Problem

__all__ = ["Scores", "score", "exact", "eligibility"]

# An integer-scaled objective is used only while every coefficient and every sum stays
# well inside the integers a double represents exactly.
_MAX_SCALE = 10**12
_MAX_INT_TOTAL = 2**50


def exact(x: float) -> Fraction:
    """The decimal a user typed (0.4, 3.5), as an exact fraction (not 0.4000000000000000222)."""
    return Fraction(repr(float(x)))


def _normalised(c: Criterion, raw: float, normalisation: str) -> Fraction:
    if normalisation == "range":
        return (exact(raw) - exact(c.scale_min)) / (exact(c.scale_max) - exact(c.scale_min))
    return exact(raw) / exact(c.scale_max)


@dataclass(frozen=True)
class Scores:
    """Weighted scores of a problem's applications, in input order.

    Attributes
    ----------
    weighted
        Weighted total per application (float), the ``score`` of the decisions.
    by_criterion
        Weighted contribution per criterion, shape (n_applications, n_criteria).
    normalised
        Normalised, unweighted score per criterion, same shape (used by tie-breaks).
    exact
        The weighted totals as exact fractions.
    denominator
        Common denominator of the exact totals (1 for integer scores such as votes).
    eligible
        Whether each application passes every threshold.
    reasons
        For an ineligible application, the threshold it missed, in words.
    """

    weighted: np.ndarray
    by_criterion: np.ndarray
    normalised: np.ndarray
    exact: tuple[Fraction, ...]
    denominator: int
    eligible: np.ndarray
    reasons: tuple[str, ...]

    def integer_scale(self, multipliers: list[Fraction] | None = None) -> int | None:
        """The factor that makes every value coefficient an integer, or None if too large.

        ``multipliers`` are extra per-application factors (partial funding multiplies the
        value by step / requested); the factor covers all of them.
        """
        denom = self.denominator
        if multipliers:
            for s, m in zip(self.exact, multipliers, strict=True):
                denom = lcm(denom, (s * m).denominator)
                if denom > _MAX_SCALE:
                    return None
        total = sum(self.exact) * denom
        if denom > _MAX_SCALE or total > _MAX_INT_TOTAL:
            return None
        return denom


def score(problem: Problem) -> Scores:
    """Weighted scores and eligibility of every application of ``problem``.

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=10, criteria=[Criterion(name="g", weight=0.5, scale_max=4)],
    ...             applications=[Application(id="A", requested=5, scores={"g": 3})])
    >>> score(p).weighted.tolist()
    [0.375]
    """
    crits = problem.criteria
    norm = problem.options.normalisation
    n, m = len(problem.applications), len(crits)
    normalised = np.zeros((n, m))
    by_crit = np.zeros((n, m))
    exact_totals: list[Fraction] = []
    eligible = np.ones(n, dtype=bool)
    reasons: list[str] = []
    weights = [exact(c.weight) for c in crits]
    threshold = problem.options.min_total_score
    for i, app in enumerate(problem.applications):
        total = Fraction(0)
        why: list[str] = []
        for j, c in enumerate(crits):
            raw = app.scores[c.name]
            nv = _normalised(c, raw, norm)
            normalised[i, j] = float(nv)
            by_crit[i, j] = float(weights[j] * nv)
            total += weights[j] * nv
            if c.threshold is not None and raw < c.threshold:
                why.append(f"{c.display} scored {raw:g}, below the threshold {c.threshold:g}")
        if threshold is not None and float(total) < threshold:
            why.append(f"weighted score {float(total):.4g} is below the threshold {threshold:g}")
        eligible[i] = not why
        reasons.append("; ".join(why))
        exact_totals.append(total)
    denominator = 1
    for t in exact_totals:
        denominator = lcm(denominator, t.denominator)
    return Scores(
        weighted=np.array([float(t) for t in exact_totals]),
        by_criterion=by_crit,
        normalised=normalised,
        exact=tuple(exact_totals),
        denominator=denominator,
        eligible=eligible,
        reasons=tuple(reasons),
    )


def eligibility(problem: Problem) -> dict[str, str]:
    """The ineligible applications and, for each, the thresholds it missed."""
    s = score(problem)
    return {a.id: r for a, ok, r in zip(problem.applications, s.eligible, s.reasons, strict=True) if not ok}
