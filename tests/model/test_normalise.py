"""model/normalise.py by hand: the exact decimal typed, a criterion's normalised score under
both normalisations, and the weighted value (values worked out by hand in fractions)."""

from __future__ import annotations

from fractions import Fraction

from allocator import Criterion
from allocator.model.normalise import exact, normalised_score, weighted_value

G = Criterion(name="g", weight=0.6, scale_min=1, scale_max=7)
S = Criterion(name="s", weight=0.4, scale_min=1, scale_max=7)


def test_exact_is_the_decimal_typed() -> None:
    assert exact(0.1) == Fraction(1, 10) and exact(0.1 + 0.2) == Fraction("0.30000000000000004")
    assert exact(3) == 3 and isinstance(exact(3), Fraction)


def test_normalised_score_by_scale_top_and_by_range() -> None:
    assert normalised_score(G, 4, "max") == Fraction(4, 7)
    assert normalised_score(G, 4, "range") == Fraction(3, 6)
    assert normalised_score(G, 1, "range") == 0 and normalised_score(G, 7, "range") == 1


def test_weighted_value_sums_weight_times_normalised_score() -> None:
    # max: 0.6 * 7/7 + 0.4 * 4/7 = 3/5 + 8/35 = 29/35; range: 0.6 * 6/6 + 0.4 * 3/6 = 4/5
    assert weighted_value([G, S], {"g": 7, "s": 4}, "max") == Fraction(29, 35)
    assert weighted_value([G, S], {"g": 7, "s": 4}, "range") == Fraction(4, 5)
    # at the bottom of both scales under range normalisation: exactly 0, a Fraction
    zero = weighted_value([G, S], {"g": 1, "s": 1}, "range")
    assert zero == 0 and isinstance(zero, Fraction)
    empty = weighted_value([], {}, "max")
    assert empty == 0 and isinstance(empty, Fraction)
