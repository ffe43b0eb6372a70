"""Scores as exact fractions: the decimal a user typed, a criterion's normalised score and an
application's weighted value, computed one way for every exact use (the problem's own
checks, :mod:`allocator.model.scoring`, the report). The formula is explained in
:mod:`allocator.model.scoring`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from allocator.model.parts import Criterion

__all__ = ["exact", "normalised_score", "weighted_value"]


def exact(x: float) -> Fraction:
    """The decimal a user typed (0.4, 3.5), as an exact fraction (not 0.4000000000000000222).

    >>> exact(0.1), exact(3)
    (Fraction(1, 10), Fraction(3, 1))
    """
    return Fraction(repr(float(x)))


def normalised_score(c: Criterion, raw: float, normalisation: str) -> Fraction:
    """Criterion ``c``'s normalised score of ``raw``, exactly (0 = not funding).

    >>> c = Criterion(name="g", weight=1, scale_min=1, scale_max=7)
    >>> normalised_score(c, 4, "max"), normalised_score(c, 4, "range")
    (Fraction(4, 7), Fraction(1, 2))
    """
    if normalisation == "range":
        return (exact(raw) - exact(c.scale_min)) / (exact(c.scale_max) - exact(c.scale_min))
    return exact(raw) / exact(c.scale_max)


def weighted_value(criteria: Sequence[Criterion], scores: Mapping[str, float], normalisation: str) -> Fraction:
    """The value of funding an application with ``scores`` in full: the sum over ``criteria``
    of the weight times the normalised score, exactly (a value of 0 stays 0, not float noise).

    >>> cs = [Criterion(name="g", weight=0.6, scale_max=7), Criterion(name="s", weight=0.4, scale_max=7)]
    >>> weighted_value(cs, {"g": 7, "s": 4}, "max")
    Fraction(29, 35)
    """
    return sum(
        (exact(c.weight) * normalised_score(c, scores[c.name], normalisation) for c in criteria),
        Fraction(0),
    )
