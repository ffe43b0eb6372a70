"""The ranges allocator supports: money, weights, scores and scales.

Every value outside these ranges is refused where it comes in (a table's cell, a policy
file, a keyword argument, a field of a model), with the row, the column and the value,
so that no solver ever sees it. The ranges are wide enough for any real call and narrow
enough for exact arithmetic in the solver:

* **Money** (requests, minimums, total costs, the frame, the step, amounts in rules and
  the de minimis ledger): whole kroner from 0 up to :data:`MAX_AMOUNT`, 10**13
  (10 000 000 000 000 kr: about five times Norway's whole state budget, millions of times
  any call's frame). Every amount, and every sum of grants (which never exceeds the
  frame), is then exact in a double. Larger amounts were tried: from about 4e13 HiGHS
  returned wrong portfolios as optimal on random calls (amounts of 14 digits next to 1 kr,
  and tie-break keys of that size), and from 1e15 it treats a matrix value as infinite.
* **Weights**: 0, or between :data:`MIN_WEIGHT` (10**-6) and :data:`MAX_WEIGHT` (10**6).
  Only the ratios of the weights matter, so any real weighting fits (percentages,
  points, shares).
* **Scores, scale ends and thresholds**: finite numbers between -:data:`MAX_SCORE` and
  :data:`MAX_SCORE` (10**9: Pabulib vote counts fit). A scale's top is positive and its
  bottom at least -:data:`MAX_SCALE_RATIO` (10**6) times its top, so that a score's share
  of the top, score / top, lies between -10**6 and 1.

With these bounds no weighted, normalised score the solver sees exceeds 10**12 in magnitude.

Examples
--------
>>> MAX_AMOUNT == 10**13
True
>>> check_weight(0.4), check_weight(0)
(0.4, 0.0)
>>> check_weight(1e308)
Traceback (most recent call last):
...
ValueError: is above the largest weight allocator accepts (1000000); only the ratios of weights matter: divide every weight by the same number
"""

from __future__ import annotations

import math

from allocator.exceptions import InputError

__all__ = [
    "MAX_AMOUNT",
    "MAX_SCALE_RATIO",
    "MAX_SCORE",
    "MAX_WEIGHT",
    "MIN_WEIGHT",
    "amount_range_error",
    "check_scale",
    "check_score",
    "check_value_spread",
    "check_weight",
    "kroner",
]

MAX_AMOUNT = 10**13
"""The largest amount of money, whole kroner (10 000 000 000 000): what every solver handles
exactly at the edges of the other ranges (tests/model/test_limits.py)."""

MIN_WEIGHT = 1e-6
"""The smallest positive weight."""

MAX_WEIGHT = 1e6
"""The largest weight."""

MAX_SCORE = 1e9
"""The largest magnitude of a score, a scale end or a threshold."""

MAX_SCALE_RATIO = 1e6
"""A scale's bottom is at least -MAX_SCALE_RATIO times its top."""

MIN_VALUE_SHARE = 1e-8
"""Where values are not exact integers, an application worth something is worth at least this
share of what all applications are worth together (the solvers' tolerances are 1e-9 to 1e-7)."""


def kroner(amount: int) -> str:
    """An amount with spaces between groups of three digits, as Norwegians write it.

    >>> kroner(2300000), kroner(-5000)
    ('2 300 000', '-5 000')
    """
    return f"{amount:,}".replace(",", " ")


def amount_range_error(value: object) -> str | None:
    """Why ``value`` (a number, exact or not) lies outside the money range, or None."""
    try:
        too_big = value > MAX_AMOUNT  # type: ignore[operator]
        too_small = value < -MAX_AMOUNT  # type: ignore[operator]
    except TypeError:  # pragma: no cover - callers pass numbers
        return None
    if too_big or too_small:
        return (
            f"is {'above' if too_big else 'below'} the largest amount allocator accepts "
            f"({'-' if too_small else ''}{kroner(MAX_AMOUNT)} kr)"
        )
    return None


def check_weight(value: float) -> float:
    """A weight within the supported range, as a float; ValueError (the reason) otherwise."""
    try:
        w = float(value)
    except OverflowError:  # an int beyond 1e308
        w = math.copysign(math.inf, value)
    if math.isnan(w):
        raise ValueError("is not a finite number; give a weight of at least 0")
    if w < 0:
        raise ValueError("is negative; give a weight of at least 0")
    if w > MAX_WEIGHT:  # inf too
        raise ValueError(
            f"is above the largest weight allocator accepts ({MAX_WEIGHT:.0f}); only the ratios of weights "
            "matter: divide every weight by the same number"
        )
    if 0 < w < MIN_WEIGHT:
        raise ValueError(
            f"is below the smallest positive weight allocator accepts ({MIN_WEIGHT:g}); give 0 to ignore the "
            "criterion, or multiply every weight by the same number"
        )
    return w


def check_score(value: float) -> float:
    """A score, scale end or threshold within +-MAX_SCORE; ValueError (the reason) otherwise."""
    try:
        x = float(value)
    except OverflowError:  # an int beyond 1e308
        x = math.copysign(math.inf, value)
    if math.isnan(x):
        raise ValueError("is not a finite number")
    if abs(x) > MAX_SCORE:  # inf too
        raise ValueError(
            f"lies outside the range allocator accepts for scores and scales (-{MAX_SCORE:.0e} to {MAX_SCORE:.0e})"
        )
    return x


def check_scale(low: float, high: float) -> None:
    """A scale [low, high]: ends in range, low < high, high > 0, low >= -MAX_SCALE_RATIO * high."""
    for end in (low, high):
        check_score(end)
    if not high > low:
        raise ValueError(f"the scale's top {high:g} must exceed its bottom {low:g}")
    if high <= 0:
        raise ValueError(f"the scale's top {high:g} must be positive (a ratio scale: not funding is worth 0)")
    if low < -MAX_SCALE_RATIO * high:
        raise ValueError(
            f"the scale's bottom {low:g} lies more than {MAX_SCALE_RATIO:.0e} times its top {high:g} below 0; "
            "give the scale's real bottom and top"
        )


def check_value_spread(ids: list[str], values: list[float]) -> None:
    """Refuse a call whose application values (weighted, normalised scores, as floats) span too
    wide a range for a solver to tell them apart: a value of 1e-12 next to one of 1 was left
    unfunded, within every solver's tolerance. ``InputError`` names the application.
    """
    mags = [abs(v) for v in values]
    total = sum(mags)
    small = [(m, i) for m, i in zip(mags, ids, strict=True) if 0 < m < MIN_VALUE_SHARE * total]
    if small:
        m, i = min(small)
        raise InputError(
            f"application {i!r} is worth {m:.3g} (its weighted, normalised score), less than {MIN_VALUE_SHARE:g} of "
            f"the {total:.6g} all applications are worth together: no solver can tell funding it from not funding "
            "it; check its scores (one just above the bottom of its scale?), bring the weights closer together "
            "(only their ratios matter), or give the criteria scales of similar size",
            row=None,
            column=None,
            value=m,
        )
