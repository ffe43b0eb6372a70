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
from math import gcd, lcm

import numpy as np

from allocator.model import Problem
from allocator.model.normalise import exact, normalised_score

__all__ = [
    "IntegerParts",
    "Scores",
    "eligibility",
    "exact",
    "integer_parts",
    "integer_totals",
    "normalised_score",
    "reduced_denominator",
    "score",
]

# An integer-scaled objective is used only while every coefficient and every sum stays
# well inside the integers a double represents exactly.
_MAX_SCALE = 10**12
_MAX_INT_TOTAL = 2**50


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
    numerators, common
        The exact totals as integers over one common denominator:
        ``exact[i] == Fraction(numerators[i], common)`` (int64, or Python ints in an object
        array when they would overflow). ``None`` when the scores were computed one fraction
        at a time (scores that are not short decimals).
    """

    weighted: np.ndarray
    by_criterion: np.ndarray
    normalised: np.ndarray
    exact: tuple[Fraction, ...]
    denominator: int
    eligible: np.ndarray
    reasons: tuple[str, ...]
    numerators: np.ndarray | None = None
    common: int = 1

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
    fast = _score_integers(problem)
    return fast if fast is not None else _score_fractions(problem)


def _score_fractions(problem: Problem) -> Scores:
    """The reference computation, one exact fraction at a time (any scores)."""
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
            nv = normalised_score(c, raw, norm)
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


_DECIMALS = 6  # scores typed with up to 6 decimals take the vectorised path
_INT64_SAFE = 2**62


def _decimal_integers(x: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``(a, k)`` with ``x == a / 10**k`` exactly as typed (``exact(x)``), or None.

    A decimal ``a / 10**k`` that rounds to ``x`` is the decimal ``repr(x)`` shows whenever one
    unit in the last place of ``x`` is below ``10**-k``, so ``exact(x) == a / 10**k``.
    """
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64), 0
    top = float(np.abs(x).max())
    for k in range(_DECIMALS + 1):
        s = 10**k
        if top * s >= 2**51:  # beyond this a unit in the last place may exceed 10**-k
            return None
        a = np.rint(x * s)
        if np.array_equal(a / s, x):
            return a.astype(np.int64), k
    return None


def _divide(num: np.ndarray, den: int) -> np.ndarray:
    """``num / den`` correctly rounded (as ``float(Fraction(num, den))``)."""
    if num.dtype != object and den < 2**53 and (len(num) == 0 or int(np.abs(num).max()) < 2**53):
        return num.astype(float) / float(den)
    return np.array([int(v) / den for v in num.tolist()], dtype=float)


def _fractions(num: np.ndarray, den: int) -> tuple[Fraction, ...]:
    """``Fraction(num[i], den)`` for every i (reduced; as fast as the private shortcuts of
    ``fractions`` that were tried here: 20 ms for 10 000)."""
    return tuple(Fraction(int(t), den) for t in num.tolist())


@dataclass(frozen=True)
class IntegerParts:
    """Every normalised score as an integer fraction: criterion j of application i is
    ``(A[j] * digits[j][i] + B[j]) / D[j]``, ``digits`` the decimals of the score as typed.

    Computed once per problem; :func:`integer_totals` combines them with any weights, which
    is how scenario sweeps re-weight a call without re-reading its applications.
    """

    raw: np.ndarray
    digits: tuple[np.ndarray, ...]
    A: tuple[int, ...]
    B: tuple[int, ...]
    D: tuple[int, ...]


def integer_parts(problem: Problem) -> IntegerParts | None:
    """The :class:`IntegerParts` of ``problem``; None when a score is not a short decimal."""
    crits = problem.criteria
    n, m = len(problem.applications), len(crits)
    raw = np.array([[a.scores[c.name] for c in crits] for a in problem.applications], dtype=float).reshape(n, m)
    digits, As, Bs, Ds = [], [], [], []
    for j, c in enumerate(crits):
        dec = _decimal_integers(raw[:, j])
        if dec is None:
            return None
        a, k = dec
        ten = 10**k
        if problem.options.normalisation == "range":
            lo, span = exact(c.scale_min), exact(c.scale_max) - exact(c.scale_min)
            # (a / ten - lo) / span = (a lo.den - lo.num ten) span.den / (ten lo.den span.num)
            A = lo.denominator * span.denominator
            B = -lo.numerator * ten * span.denominator
            D = ten * lo.denominator * span.numerator
        else:
            hi = exact(c.scale_max)
            A, B, D = hi.denominator, 0, ten * hi.numerator
        digits.append(a)
        As.append(A)
        Bs.append(B)
        Ds.append(D)
    return IntegerParts(raw, tuple(digits), tuple(As), tuple(Bs), tuple(Ds))


def integer_totals(
    parts: IntegerParts, weights: list[Fraction], *, contributions: bool = False
) -> tuple[np.ndarray, int, list[tuple[np.ndarray, int, np.ndarray]]]:
    """Weighted totals ``numerators / common`` for exact ``weights`` (one per criterion).

    Numerators are int64, or Python ints in an object array when they could overflow. With
    ``contributions`` also, per criterion, ``(normalised numerator, D, weighted numerator)``.
    """
    n = len(parts.raw)
    common = 1
    for D, w in zip(parts.D, weights, strict=True):
        common = lcm(common, D * w.denominator)
    bound = 0
    wide = common >= _INT64_SAFE
    for a, A, B, D, w in zip(parts.digits, parts.A, parts.B, parts.D, weights, strict=True):
        amax = int(np.abs(a).max()) if n else 0
        factor = common // (D * w.denominator)
        bound += factor * abs(w.numerator) * (abs(A) * amax + abs(B))
        wide = wide or max(abs(A), abs(B), abs(w.numerator), factor) >= _INT64_SAFE
    wide = wide or bound >= _INT64_SAFE
    totals: np.ndarray = np.zeros(n, dtype=object if wide else np.int64)
    extra: list[tuple[np.ndarray, int, np.ndarray]] = []
    for a, A, B, D, w in zip(parts.digits, parts.A, parts.B, parts.D, weights, strict=True):
        num = (a.astype(object) if wide else a) * A + B  # normalised score = num / D
        contrib = num * w.numerator  # weighted contribution = contrib / (D * w.den)
        totals = totals + contrib * (common // (D * w.denominator))
        if contributions:
            extra.append((num, D, contrib))
    return totals, common, extra


def reduced_denominator(totals: np.ndarray, common: int) -> int:
    """Least common denominator of the fractions ``totals[i] / common``."""
    g = common
    if totals.dtype != object and len(totals):
        g = gcd(common, int(np.gcd.reduce(np.abs(totals))))
    else:
        for t in totals.tolist():
            g = gcd(g, int(t))
            if g == 1:
                break
    return common // g


def _score_integers(problem: Problem) -> Scores | None:
    """The same as :func:`_score_fractions`, vectorised over integer numerators.

    Returns None (use the reference path) when a score is not a short decimal.
    """
    parts = integer_parts(problem)
    if parts is None:
        return None
    crits = problem.criteria
    raw = parts.raw
    n, m = raw.shape
    weights = [exact(c.weight) for c in crits]
    totals, common, extra = integer_totals(parts, weights, contributions=True)
    normalised = np.zeros((n, m))
    by_crit = np.zeros((n, m))
    for j, ((num, D, contrib), w) in enumerate(zip(extra, weights, strict=True)):
        normalised[:, j] = _divide(num, D)
        by_crit[:, j] = _divide(contrib, D * w.denominator)
    denominator = reduced_denominator(totals, common)
    weighted = _divide(totals, common)
    eligible, reasons = _eligibility(problem, raw, weighted)
    return Scores(
        weighted=weighted,
        by_criterion=by_crit,
        normalised=normalised,
        exact=_fractions(totals, common),
        denominator=denominator,
        eligible=eligible,
        reasons=reasons,
        numerators=totals,
        common=common,
    )


def _eligibility(problem: Problem, raw: np.ndarray, weighted: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Eligibility and reasons from raw scores and weighted totals (as the reference path)."""
    crits = problem.criteria
    n = len(weighted)
    eligible = np.ones(n, dtype=bool)
    reasons = [""] * n
    threshold = problem.options.min_total_score
    below: list[tuple[int, int]] = []
    for j, c in enumerate(crits):
        if c.threshold is not None:
            below.extend((int(i), j) for i in np.flatnonzero(raw[:, j] < c.threshold))
    low_total = np.flatnonzero(weighted < threshold) if threshold is not None else np.zeros(0, dtype=np.int64)
    if below or len(low_total):
        why: dict[int, list[str]] = {}
        for i, j in sorted(below):
            c = crits[j]
            why.setdefault(i, []).append(f"{c.display} scored {raw[i, j]:g}, below the threshold {c.threshold:g}")
        for i in low_total.tolist():
            why.setdefault(i, []).append(f"weighted score {weighted[i]:.4g} is below the threshold {threshold:g}")
        for i, w_ in why.items():
            eligible[i] = False
            reasons[i] = "; ".join(w_)
    return eligible, tuple(reasons)


def eligibility(problem: Problem) -> dict[str, str]:
    """The ineligible applications and, for each, the thresholds it missed."""
    s = score(problem)
    return {a.id: r for a, ok, r in zip(problem.applications, s.eligible, s.reasons, strict=True) if not ok}
