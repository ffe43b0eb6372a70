"""Every refusal of the table reader (:mod:`allocator.model.table`) word for word, with the
error's ``row``, ``column`` and ``value``; and every field it fills, from a table written
here. The messages are what an adviser reads; a changed word is a changed interface."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from allocator import Problem
from allocator.exceptions import InputError

WEIGHTS = {"green": 0.6, "smart": 0.4}


def base() -> dict[str, list[Any]]:
    return {
        "Søknadsnr": ["A-1", "A-2", "A-3"],
        "Søknadsbeløp": [100_000, "200 000", 300_000],
        "Grønn omstilling": [6, 4, 5],
        "smart": [3, 7, 2],
    }


def read(columns: dict[str, list[Any]], **kwargs: Any) -> Problem:
    kwargs.setdefault("weights", WEIGHTS)
    kwargs.setdefault("scales", (1, 7))
    return Problem.from_frame(pd.DataFrame(columns), frame=kwargs.pop("frame", 500_000), **kwargs)


def refused(columns: dict[str, list[Any]], **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as err:
        read(columns, **kwargs)
    return err.value


def edit(**changes: Any) -> dict[str, list[Any]]:
    cols = base()
    for key, value in changes.items():
        name, _, row = key.rpartition("_")
        name = {"id": "Søknadsnr", "req": "Søknadsbeløp", "green": "Grønn omstilling"}.get(name, name)
        if name not in cols:
            cols[name] = [None] * 3
        cols[name][int(row) - 1] = value
    return cols


CASES: list[tuple[dict[str, Any], dict[str, Any], str, int | None, str | None, Any]] = [
    (
        {"id_2": 2.5},
        {},
        "row 2, column 'Søknadsnr': 2.5 is not a usable id; give a text or whole-number id",
        2,
        "Søknadsnr",
        2.5,
    ),
    (
        {"id_1": True},
        {},
        "row 1, column 'Søknadsnr': True is not a usable id; give a text or whole-number id",
        1,
        "Søknadsnr",
        True,
    ),
    (
        {"id_3": " "},
        {},
        "row 3, column 'Søknadsnr': the cell is empty; give every application a unique id",
        3,
        "Søknadsnr",
        " ",
    ),
    (
        {"id_3": "A-1"},
        {},
        "rows 1 and 3, column 'Søknadsnr': id 'A-1' appears twice; give every application a unique id",
        3,
        "Søknadsnr",
        "A-1",
    ),
    (
        {"id_3": "A-1\u200b"},
        {},
        "rows 1 and 3, column 'Søknadsnr': id 'A-1' appears twice (the cells differ only invisibly: U+200B "
        "ZERO WIDTH SPACE; ids are compared after Unicode normalisation NFC, without invisible characters); "
        "give every application a unique id",
        3,
        "Søknadsnr",
        "A-1\u200b",
    ),
    (
        {"green_2": "fire"},
        {},
        "row 2 (id 'A-2'), column 'Grønn omstilling': 'fire' is not a number; give a score on the criterion's scale",
        2,
        "Grønn omstilling",
        "fire",
    ),
    (
        {"smart_3": None},
        {},
        "row 3 (id 'A-3'), column 'smart': the cell is empty; give a score on the criterion's scale in every row "
        "(0 if it truly scored nothing)",
        3,
        "smart",
        float("nan"),  # the cell as pandas holds it
    ),
    (
        {"smart_3": "\u200b"},
        {},
        "row 3 (id 'A-3'), column 'smart': the cell is empty; give a score on the criterion's scale in every row "
        "(0 if it truly scored nothing)",
        3,
        "smart",
        "\u200b",
    ),
    (
        {"smart_1": 8},
        {},
        "row 1 (id 'A-1'), column 'smart': 8 lies outside the scale [1, 7]; correct the score, or the scale "
        "given as scales={'smart': (1, 7)}",
        1,
        "smart",
        8.0,
    ),
    (
        {"smart_1": -1},
        {"scales": {"green": (1, 7)}},
        "row 1 (id 'A-1'), column 'smart': -1 lies outside the scale [0, 7]; correct the score, or give the "
        "scale with scales={'smart': (min, max)} (the default scale runs from 0 to the largest score of the "
        "criteria without one)",
        1,
        "smart",
        -1.0,
    ),
    (
        {"req_2": "200 000,50"},
        {},
        "row 2 (id 'A-2'), column 'Søknadsbeløp': '200 000,50' is not a whole number of kroner; give the "
        "requested amount in whole kroner, greater than 0",
        2,
        "Søknadsbeløp",
        "200 000,50",
    ),
    (
        {"req_3": None},
        {},
        "row 3 (id 'A-3'), column 'Søknadsbeløp': the cell is empty; give the requested amount in whole kroner, "
        "greater than 0",
        3,
        "Søknadsbeløp",
        None,
    ),
    (
        {"req_1": 0},
        {},
        "row 1 (id 'A-1'), column 'Søknadsbeløp': 0 must be greater than 0; give the requested amount in whole "
        "kroner, greater than 0",
        1,
        "Søknadsbeløp",
        0,
    ),
    (
        {"minimum_2": 250_000},
        {},
        "row 2 (id 'A-2'), column 'minimum': 250000 exceeds the requested amount 200000; lower the minimum to at "
        "most the request, or leave it empty",
        2,
        "minimum",
        250_000,
    ),
    (
        {"minimum_3": -5},
        {},
        "row 3 (id 'A-3'), column 'minimum': -5 must be greater than 0; give the smallest viable grant in whole "
        "kroner, greater than 0, or leave the cell empty",
        3,
        "minimum",
        -5,
    ),
    (
        {"total_cost_1": 50_000},
        {},
        "row 1 (id 'A-1'), column 'total_cost': 50000 is below the requested amount 100000; give the whole "
        "project's cost (at least the request), or leave it empty",
        1,
        "total_cost",
        50_000,
    ),
    (
        {"total_cost_2": "mye"},
        {},
        "row 2 (id 'A-2'), column 'total_cost': 'mye' is not an amount; write whole kroner like 2300000, "
        "2 300 000, 2_300_000, kr 2.300.000 or 2.3e6; give the total project cost in whole kroner, greater than 0, "
        "or leave the cell empty",
        2,
        "total_cost",
        "mye",
    ),
    (
        {},
        {"thresholds": {"green": 9}},
        "threshold 9 of criterion 'green' (column 'Grønn omstilling') lies outside its scale [1, 7]; give a "
        "threshold on the scale, or the scale with scales={'green': (min, max)}",
        None,
        "Grønn omstilling",
        9,
    ),
    (
        {},
        {"thresholds": {"smart": "høy"}},
        "threshold 'høy' of criterion 'smart' (column 'smart') is not a number; give a number on its scale [1, 7], "
        "e.g. thresholds={'smart': 4}",
        None,
        "smart",
        "høy",
    ),
    (
        {},
        {"thresholds": {"smart": True}},
        "threshold True of criterion 'smart' (column 'smart') lies outside its scale [1, 7]; give a threshold on "
        "the scale, or the scale with scales={'smart': (min, max)}",
        None,
        "smart",
        True,
    ),
    *(
        (
            {},
            {argument: {"blue": value}},
            f"{argument} names unknown criterion 'blue'; correct it to one of the criteria (keys of weights) "
            "['green', 'smart']",
            None,
            "blue",
            value,
        )
        for argument, value in (("scales", (1, 7)), ("thresholds", 2), ("labels", "Blå"), ("labels_nb", "Blå"))
    ),
]


@pytest.mark.parametrize(("changes", "kwargs", "message", "row", "column", "value"), CASES)
def test_each_refusal_word_for_word(
    changes: dict[str, Any], kwargs: dict[str, Any], message: str, row: int | None, column: str | None, value: Any
) -> None:
    cols = edit(**changes)
    kept = pd.DataFrame(cols).copy(deep=True)
    err = refused(cols, **kwargs)
    assert str(err) == message
    assert (err.row, err.column) == (row, column)
    if isinstance(value, float) and value != value:
        assert isinstance(err.value, float) and err.value != err.value  # NaN, as the cell holds it
    else:
        assert err.value == value
    pd.testing.assert_frame_equal(pd.DataFrame(cols), kept)  # the caller's table as it was


def test_the_edges_that_are_accepted() -> None:
    """A minimum equal to the request, a cost equal to it, thresholds at both ends of the scale."""
    p = read(
        base() | {"minimum": [100_000, None, None], "total_cost": [None, 200_000, None]},
        thresholds={"green": 1, "smart": 7},
    )
    assert (p.applications[0].minimum, p.applications[1].total_cost) == (100_000, 200_000)
    assert [c.threshold for c in p.criteria] == [1, 7]
    empty_request = refused(edit(req_2=float("nan")) | {"Søknadsbeløp": [100_000, float("nan"), 300_000]})
    assert isinstance(empty_request.value, float) and empty_request.value != empty_request.value


def test_reviewer_spreads() -> None:
    cols = base() | {"green_min": [5, 4, 5], "green_max": [7, 4, 6]}
    p = read(cols)
    assert [a.spread for a in p.applications] == [{"green": (5.0, 7.0)}, {"green": (4.0, 4.0)}, {"green": (5.0, 6.0)}]
    cols["green_max"][0] = 5.5  # the score 6 lies outside 5 .. 5.5
    err = refused(cols)
    assert err.row == 1 and "5.5" in str(err) and "6" in str(err)


def test_refusals_of_the_whole_table() -> None:
    with pytest.raises(InputError) as err:
        Problem.from_frame([{"id": "A"}], frame=10, weights=WEIGHTS)  # type: ignore[arg-type]
    assert str(err.value) == "expected a pandas DataFrame of applications, got list" and err.value.value == "list"
    with pytest.raises(InputError) as err:
        Problem.from_frame(pd.DataFrame(), frame=10, weights=WEIGHTS)
    assert str(err.value) == "the table is empty (no columns, no rows); give one row per application"
    assert err.value.value == 0
    with pytest.raises(InputError) as err:
        Problem.from_frame(pd.DataFrame({k: [] for k in base()}), frame=10, weights=WEIGHTS)
    assert str(err.value) == (
        "the table has no rows (columns ['Søknadsnr', 'Søknadsbeløp', 'Grønn omstilling', 'smart']); "
        "give one row per application"
    )
    assert err.value.value == 0
    dup = pd.DataFrame([[1, 2, 3, 4]], columns=["Søknadsnr", "smart", "Grønn omstilling", "smart"])
    with pytest.raises(InputError) as err:
        Problem.from_frame(dup, frame=10, weights=WEIGHTS)
    assert str(err.value) == "column 'smart' appears more than once; give each column its own header"
    assert err.value.column == "smart"


def test_every_field_read() -> None:
    cols = base() | {
        "title": ["Klynge for vann", None, 17.0],
        "applicant": ["Vannklyngen AS", "", None],
        "category": ["klynge", "nettverk", None],
        "tags": ["Telemark; ny", None, "a,b"],
        "minimum": [50_000, None, "150 000"],
        "total_cost": [None, 400_000, "kr 600.000"],
        "Fylke": ["Telemark", None, "Vestfold"],
    }
    p = read(
        cols,
        name="VTFK 2022",
        currency="EUR",
        thresholds={"smart": 2},
        labels={"smart": "Smart spesialisering"},
        labels_nb={"green": "Grønn"},
        scales={"green": (1, 7)},
    )
    assert (p.name, p.currency, p.frame) == ("VTFK 2022", "EUR", 500_000)
    green, smart = p.criteria
    assert (green.name, green.weight, green.scale_min, green.scale_max, green.threshold) == ("green", 0.6, 1, 7, None)
    assert (green.label, green.label_nb, green.scale_inferred) == ("Grønn omstilling", "Grønn", False)
    # smart: no scale given, so the shared default 0 .. the largest score of such criteria (7)
    assert (smart.scale_min, smart.scale_max, smart.threshold, smart.scale_inferred) == (0, 7, 2, True)
    assert (smart.label, smart.label_nb) == ("Smart spesialisering", "")
    a1, a2, a3 = p.applications
    assert (a1.id, a1.title, a1.applicant, a1.category, a1.tags) == (
        "A-1",
        "Klynge for vann",
        "Vannklyngen AS",
        "klynge",
        ("Telemark", "ny"),
    )
    assert (a2.title, a2.applicant, a2.category, a2.tags) == ("", "", "nettverk", ())
    assert (a3.title, a3.tags) == ("17", ("a", "b"))
    assert [(a.requested, a.minimum, a.total_cost) for a in p.applications] == [
        (100_000, 50_000, None),
        (200_000, None, 400_000),
        (300_000, 150_000, 600_000),
    ]
    assert [a.scores for a in p.applications] == [
        {"green": 6.0, "smart": 3.0},
        {"green": 4.0, "smart": 7.0},
        {"green": 5.0, "smart": 2.0},
    ]
    assert [a.attributes for a in p.applications] == [{"Fylke": "Telemark"}, {"Fylke": None}, {"Fylke": "Vestfold"}]
    plain = read(base())
    assert (plain.name, plain.currency) == ("", "NOK")
    assert [c.label for c in plain.criteria] == ["Grønn omstilling", ""]  # a header equal to the name is no label
    assert [c.label_nb for c in plain.criteria] == ["", ""]
    assert [(a.title, a.applicant, a.category) for a in plain.applications] == [("", "", "")] * 3
