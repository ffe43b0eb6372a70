"""Bad input gives one AllocatorError naming the row, the column, the value and the fix.

One test per kind of mistake. Each checks the error's type and attributes, that its message
names the row (from 1 at the first data row), the column as the user's table names it, the
value and a fix, and that the caller's DataFrame is left exactly as it was.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from allocator import AllocatorError, Problem
from allocator.exceptions import InputError

WEIGHTS = {"green": 0.6, "smart": 0.4}
FIXES = ("give", "correct", "lower", "map it", "name the column", "choose one", "leave it empty")


def table() -> pd.DataFrame:
    """A valid table with Norwegian headers, mixed dtypes and a non-default index."""
    return pd.DataFrame(
        {
            "Søknadsnr": ["2022-01", "2022-02", "2022-03", "2022-04"],
            "Tittel": ["Vann", "Nano", "IT", "Nettverk"],
            "Søknadsbeløp": [150_000, 200_000, 90_000, 60_000],
            "Minimumsbeløp": [100_000.0, np.nan, 50_000.0, 40_000.0],
            "Grønn omstilling": [6, 5, 3, 7],
            "Smart spesialisering": [5.0, 6.5, 4.0, 2.0],
            "Fylkesdel": ["Vestfold", "Telemark", "Telemark", "Vestfold"],
        },
        index=[10, 20, 30, 40],
    )


def run(df: Any, **kw: Any) -> InputError:
    """problem_from_frame must raise an InputError and leave ``df`` untouched."""
    before = df.copy(deep=True) if isinstance(df, pd.DataFrame) else None
    kw.setdefault("frame", 300_000)
    kw.setdefault("weights", WEIGHTS)
    kw.setdefault("scales", (1, 7))
    with pytest.raises(AllocatorError) as info:
        Problem.from_frame(df, **kw)
    err = info.value
    assert isinstance(err, InputError), type(err)
    assert isinstance(err, ValueError)
    assert err.__cause__ is None, "no pandas/pydantic traceback behind it"
    assert err.__context__ is None or err.__suppress_context__
    assert "Traceback" not in str(err) and "pydantic" not in str(err).lower()
    if before is not None:
        assert df.equals(before)
        assert df.dtypes.equals(before.dtypes)
        assert df.index.equals(before.index)
        assert list(df.columns) == list(before.columns)
    return err


def names(err: InputError, *, row: int | None, column: str | None, value: str, quoted: bool = True) -> None:
    """The message names the row, the column (quoted as in the table), the value and a fix."""
    msg = str(err)
    if row is not None:
        assert re.search(rf"\brows? (\d+ and )?{row}\b", msg), msg
        assert err.row == row
    if column is not None:
        assert (f"'{column}'" if quoted else column) in msg
        assert err.column == column
    assert value in msg
    assert any(f in msg for f in FIXES), msg
    assert "\n" not in msg


def with_cell(column: str, row: int, value: Any) -> pd.DataFrame:
    """The valid table with one cell (1-based data row) replaced; dtype becomes object."""
    df = table()
    values = df[column].astype(object).tolist()
    values[row - 1] = value
    return df.assign(**{column: pd.Series(values, index=df.index, dtype=object)})


# --------------------------------------------------------------------- columns
def test_missing_column_lists_the_columns_present_and_the_keyword() -> None:
    df = table().drop(columns="Søknadsbeløp")
    err = run(df)
    names(err, row=None, column="requested", value="'Tittel'")
    msg = str(err)
    for col in df.columns:
        assert repr(col) in msg
    assert "requested='<column>'" in msg


def test_mapped_column_that_is_absent() -> None:
    err = run(table(), requested="Beløp")
    names(err, row=None, column="Beløp", value="requested='Beløp'")
    assert "'Søknadsbeløp'" in str(err)  # the columns present


def test_unknown_mapping_keyword() -> None:
    err = run(table(), reqested="Søknadsbeløp")
    names(err, row=None, column="reqested", value="reqested")
    assert "requested" in str(err)


def test_two_columns_could_be_the_same_field() -> None:
    df = table().assign(Saksnummer=["a", "b", "c", "d"])
    err = run(df)
    assert "'Søknadsnr'" in str(err) and "'Saksnummer'" in str(err)
    assert "id=" in str(err)


def test_duplicate_column_headers() -> None:
    df = pd.concat([table(), table()[["Tittel"]]], axis=1)
    err = run(df)
    names(err, row=None, column="Tittel", value="more than once")


# ------------------------------------------------------------------------ ids
def test_duplicate_ids_name_both_rows() -> None:
    df = with_cell("Søknadsnr", 4, "2022-02")
    err = run(df)
    names(err, row=4, column="Søknadsnr", value="'2022-02'")
    assert "rows 2 and 4" in str(err)


def test_empty_id() -> None:
    err = run(with_cell("Søknadsnr", 3, None))
    names(err, row=3, column="Søknadsnr", value="empty")


# -------------------------------------------------------------------- amounts
def test_negative_amount() -> None:
    err = run(with_cell("Søknadsbeløp", 2, -5000))
    names(err, row=2, column="Søknadsbeløp", value="-5000")
    assert "id '2022-02'" in str(err)
    assert err.value == -5000


def test_zero_amount() -> None:
    err = run(with_cell("Søknadsbeløp", 3, 0))
    names(err, row=3, column="Søknadsbeløp", value="0 must be greater than 0")


@pytest.mark.parametrize("bad", ["abc", "150,000", "1.5e", "150 000,50", True, 12.5, [1]])
def test_non_numeric_or_fractional_amount(bad: Any) -> None:
    err = run(with_cell("Søknadsbeløp", 1, bad))
    names(err, row=1, column="Søknadsbeløp", value="id '2022-01'")
    assert err.value is bad or err.value == bad


def test_infinite_amount() -> None:
    err = run(table().assign(Søknadsbeløp=[150_000.0, math.inf, 1.0, 2.0]))
    names(err, row=2, column="Søknadsbeløp", value="inf")


def test_empty_requested_amount() -> None:
    err = run(table().assign(Søknadsbeløp=[150_000.0, np.nan, 1.0, 2.0]))
    names(err, row=2, column="Søknadsbeløp", value="empty")


def test_blank_text_requested_amount() -> None:
    err = run(with_cell("Søknadsbeløp", 4, "   "))
    names(err, row=4, column="Søknadsbeløp", value="empty")


def test_minimum_above_the_request() -> None:
    err = run(with_cell("Minimumsbeløp", 3, 95_000))
    names(err, row=3, column="Minimumsbeløp", value="95000")
    assert "90000" in str(err)


def test_negative_minimum() -> None:
    err = run(with_cell("Minimumsbeløp", 1, "-10 000"))
    names(err, row=1, column="Minimumsbeløp", value="'-10 000'")


def test_bad_total_cost() -> None:
    df = table().assign(Prosjektkostnad=["300 000", "kr 400.000", "x", None])
    err = run(df)
    names(err, row=3, column="Prosjektkostnad", value="'x'")


# --------------------------------------------------------------------- scores
def test_score_above_its_scale() -> None:
    err = run(with_cell("Grønn omstilling", 2, 9))
    names(err, row=2, column="Grønn omstilling", value="9")
    assert "[1, 7]" in str(err)


def test_score_below_the_default_scale() -> None:
    err = run(with_cell("Smart spesialisering", 4, -1.5), scales=None)
    names(err, row=4, column="Smart spesialisering", value="-1.5")
    assert "scales=" in str(err)


def test_nan_score() -> None:
    err = run(table().assign(**{"Grønn omstilling": [6.0, np.nan, 3.0, 7.0]}))
    names(err, row=2, column="Grønn omstilling", value="empty")


def test_non_numeric_score() -> None:
    err = run(with_cell("Smart spesialisering", 1, "høy"))
    names(err, row=1, column="Smart spesialisering", value="'høy'")


# ------------------------------------------------------------------ the table
def test_empty_table() -> None:
    err = run(table().iloc[:0])
    names(err, row=None, column=None, value="no rows")
    assert "'Søknadsbeløp'" in str(err)


def test_table_without_columns() -> None:
    err = run(pd.DataFrame())
    names(err, row=None, column=None, value="no columns, no rows")


def test_not_a_dataframe() -> None:
    err = run([{"id": "A", "requested": 1}])
    assert "DataFrame" in str(err)


# ------------------------------------------------------------ weights, frame
def test_weights_name_an_unknown_criterion() -> None:
    err = run(table(), weights={"grean": 1.0, "smart": 1.0})
    names(err, row=None, column="grean", value="'grean'")
    assert "Grønn omstilling" in str(err) and "grean='<column>'" in str(err)


def test_no_criteria() -> None:
    err = run(table(), weights={})
    names(err, row=None, column="weights", value="{}", quoted=False)


@pytest.mark.parametrize("bad", [-0.5, math.nan, "heavy"])
def test_bad_weight(bad: Any) -> None:
    err = run(table(), weights={"green": bad, "smart": 1.0})
    names(err, row=None, column="green", value="'green'")


def test_all_weights_zero() -> None:
    err = run(table(), weights={"green": 0, "smart": 0.0})
    names(err, row=None, column="weights", value="0", quoted=False)


def test_weights_naming_a_field() -> None:
    err = run(table().assign(title=1), weights={"title": 1.0})
    names(err, row=None, column="title", value="'title'")


@pytest.mark.parametrize(
    ("frame", "shown"),
    [
        (0, "frame 0 "),
        (-100_000, "frame -100000 "),
        (2_300_000.5, "frame 2300000.5 "),
        ("many", "frame 'many' "),
        (None, "frame is missing"),
        (True, "frame True "),
    ],
)
def test_bad_frame(frame: Any, shown: str) -> None:
    err = run(table(), frame=frame)
    names(err, row=None, column="frame", value=shown, quoted=False)
    assert "frame=" in str(err)


# ---------------------------------------------------------- scales, thresholds
def test_scales_for_an_unknown_criterion() -> None:
    err = run(table(), scales={"green": (1, 7), "blue": (1, 7)})
    names(err, row=None, column="blue", value="'blue'")


@pytest.mark.parametrize("scale", [(7, 1), (0, 0), (-5, -1), (1, 2, 3), "x"])
def test_bad_scale(scale: Any) -> None:
    err = run(table(), scales={"green": scale, "smart": (1, 7)})
    names(err, row=None, column="Grønn omstilling", value="'green'")


def test_threshold_outside_the_scale() -> None:
    err = run(table(), thresholds={"green": 9})
    names(err, row=None, column="Grønn omstilling", value="9")


def test_problem_from_frame_method_raises_the_same() -> None:
    df = with_cell("Søknadsbeløp", 2, "-1")
    before = df.copy()
    with pytest.raises(InputError, match=r"row 2 \(id '2022-02'\), column 'Søknadsbeløp'"):
        Problem.from_frame(df, frame=100, weights=WEIGHTS, scales=(1, 7))
    assert df.equals(before)


def _all_cells() -> Iterator[tuple[str, int]]:
    for col in ("Søknadsbeløp", "Grønn omstilling", "Smart spesialisering"):
        for row in (1, 4):
            yield col, row


@pytest.mark.parametrize(("column", "row"), list(_all_cells()))
def test_error_points_at_the_right_cell(column: str, row: int) -> None:
    """Whatever the index, the row named is the 1-based position in the table."""
    df = with_cell(column, row, "??").iloc[::-1]  # reversed: index 40, 30, 20, 10
    err = run(df)
    names(err, row=5 - row, column=column, value="'??'")
    assert f"id '{df['Søknadsnr'].iloc[4 - row]}'" in str(err)
