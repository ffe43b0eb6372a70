"""Uncertainty as data: parsing, validation against a call, JSON round trip, reviewers' spread."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from allocator import Application, Criterion, Problem
from allocator.exceptions import InputError
from allocator.robust import LinearConstraint, ScoreIntervals, Uncertainty, WeightInfo


def call() -> Problem:
    crit = [
        Criterion(name="green", weight=0.6, scale_min=1, scale_max=7),
        Criterion(name="smart", weight=0.4, scale_min=1, scale_max=7),
    ]
    apps = [
        Application(id="A-1", requested=100, scores={"green": 7, "smart": 1.5}),
        Application(id="A-2", requested=80, scores={"green": 4, "smart": 5}),
    ]
    return Problem(frame=150, criteria=crit, applications=apps)


def test_orders_and_constraints_parse() -> None:
    assert WeightInfo(order="green >= smart").order == ("green", "smart")
    assert WeightInfo(order=["green", "others"]).order == ("green", "others")
    c = LinearConstraint.parse("0.5*green + smart <= 0.7 + breadth")
    assert c.coefficients == {"green": 0.5, "smart": 1.0, "breadth": -1.0} and c.sense == "<=" and c.rhs == 0.7
    g, h = c.exact_row(["green", "smart", "breadth"])
    assert g == [Fraction(-1, 2), -1, 1] and h == Fraction(-7, 10)
    assert LinearConstraint.parse("green ≥ 2 * smart").text == "green - 2*smart >= 0"
    rows = WeightInfo(order="green >= others", intervals={"smart": (0.1, 0.4)}).rows(["green", "smart", "breadth"])
    assert [t for _, _, t in rows] == ["smart >= 0.1", "smart <= 0.4", "green >= smart", "green >= breadth"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: WeightInfo(order="green >= "), "write it as 'green >= smart >= others'"),
        (lambda: WeightInfo(order="green >= green"), "names a criterion twice"),
        (lambda: WeightInfo(intervals={"green": (0.6, 0.2)}), "0 <= low <= high <= 1"),
        (lambda: LinearConstraint.parse("green = smart"), "no '>=' or '<='"),
        (lambda: LinearConstraint.parse("green >= smart breadth"), "a .+. or .-. is missing"),
        (lambda: LinearConstraint.parse("1 >= 0.5"), "names no criterion"),
        (lambda: ScoreIntervals(plus_minus=-1), "give a number >= 0"),
        (lambda: ScoreIntervals(intervals={"A-1": {"green": (5, 4)}}), "must have low <= high"),
    ],
)
def test_malformed_information_is_refused_with_the_fix(make: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        make()  # type: ignore[operator]


def test_checked_against_the_call() -> None:
    p = call()
    with pytest.raises(InputError, match=r"unknown criteria \['breadth'\]; the criteria are \['green', 'smart'\]"):
        Uncertainty.of(order="green >= breadth").check(p)
    with pytest.raises(
        InputError,
        match=r"application 'A-1', criterion 'green': score interval \(6, 8\) lies outside the scale \[1, 7\]",
    ):
        Uncertainty.of(score_intervals={"A-1": {"green": (6, 8)}}).check(p)
    with pytest.raises(InputError, match="unknown application id 'A-9'"):
        Uncertainty.of(score_intervals={"A-9": {"green": (6, 7)}}).check(p)
    with pytest.raises(InputError, match=r"plus_minus names unknown criteria \['x'\]"):
        Uncertainty.of(plus_minus={"x": 1.0}).check(p)


def test_plus_minus_is_clipped_to_the_scale_and_given_intervals_win() -> None:
    p = call()
    low, high = Uncertainty.of(
        plus_minus={"green": 0.5, "smart": 1}, score_intervals={"A-2": {"smart": (4, 6)}}
    ).scores.bounds(p)
    assert (low[0], high[0]) == ([Fraction(13, 2), 1], [7, Fraction(5, 2)])
    assert (low[1], high[1]) == ([Fraction(7, 2), 4], [Fraction(9, 2), 6])


def test_json_round_trip() -> None:
    u = Uncertainty.of(
        order="green >= smart",
        intervals={"green": (0.2, 0.8)},
        constraints=["smart >= 0.1"],
        plus_minus={"green": 0.5},
        score_intervals={"A-1": {"smart": (1, 2)}},
    )
    assert Uncertainty.model_validate_json(u.model_dump_json()) == u
    with pytest.raises(InputError, match="Uncertainty"):
        Uncertainty.model_validate_json('{"weights": {"order": 3}}')


def test_from_reviews_range_and_sd() -> None:
    reviews = pd.DataFrame({"Søknadsnr": ["A-1", "A-1", "A-1", "A-2"], "Grønn": [6, 7, 5, 4], "Smart": [2, 2, 1, 5]})
    r = ScoreIntervals.from_reviews(reviews, id="Søknadsnr", criteria={"green": "Grønn", "smart": "Smart"})
    assert r.intervals == {
        "A-1": {"green": (5.0, 7.0), "smart": (1.0, 2.0)},
        "A-2": {"green": (4.0, 4.0), "smart": (5.0, 5.0)},
    }
    s = ScoreIntervals.from_reviews(reviews, id="Søknadsnr", criteria={"green": "Grønn"}, how="sd", k=1)
    assert s.intervals["A-1"]["green"] == (5.0, 7.0)  # mean 6, standard deviation 1
    with pytest.raises(InputError, match=r"missing columns \['Innovasjon'\]"):
        ScoreIntervals.from_reviews(reviews, id="Søknadsnr", criteria={"innovation": "Innovasjon"})
    bad = reviews.assign(Grønn=[6, None, 5, 4])
    with pytest.raises(InputError, match="'A-1', column 'Grønn': a review score is missing"):
        ScoreIntervals.from_reviews(bad, id="Søknadsnr", criteria={"green": "Grønn"})
