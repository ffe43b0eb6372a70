"""The cell parsers of the table readers (:mod:`allocator.model.cells`): numbers, texts, tags
and attribute values as users type them, each against a value worked out here by hand or
by an oracle written from the module's documentation (no code of the module is reused)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator.model.cells import CellError, parse_number, parse_tags, parse_text, to_scalar

NUMBERS = {
    "4,5": 4.5,
    "4.5": 4.5,
    "-4,25": -4.25,
    "+3": 3.0,
    "1 000,5": 1000.5,
    "1\u00a0000,5": 1000.5,
    "1.000.000": 1000000.0,  # dots group thousands where nothing else can be meant
    "1.000,5": 1000.5,
    "1.000": 1.0,  # a single dot is a decimal point: a score of 1, not 1000
    "0.875": 0.875,
    "4.500": 4.5,
    "0.125": 0.125,
    "1.234.567": 1234567.0,
    "1.234.567,89": 1234567.89,
    "12.345,5": 12345.5,
    "-1.234,5": -1234.5,
    "0,125": 0.125,
    ".5": 0.5,
    "5.": 5.0,
    "1e3": 1000.0,
    "2.5E-1": 0.25,
    " 7 ": 7.0,
    "1'000": 1000.0,
}


@pytest.mark.parametrize(("text", "value"), NUMBERS.items())
def test_numbers_as_typed(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [(6, 6.0), (4.5, 4.5), (np.int64(3), 3.0), (np.float64(2.5), 2.5), (Fraction(1, 4), 0.25), (Decimal("1.5"), 1.5)],
)
def test_numbers_given_as_numbers(value: Any, expected: float) -> None:
    out = parse_number(value)
    assert out == expected and type(out) is float


@pytest.mark.parametrize("empty", [None, float("nan"), pd.NA, "", "   ", np.nan])
def test_empty_cells_are_none(empty: Any) -> None:
    assert parse_number(empty) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "is a yes/no value, not a number"),
        (False, "is a yes/no value, not a number"),
        ("fire", "is not a number"),
        ("4,5,6", "is not a number"),
        ("1.2.3", "is not a number"),  # dots that do not group thousands
        ("0.234.567", "is not a number"),
        ("1.234.56", "is not a number"),
        ("1,2.5", "is not a number"),
        (float("inf"), "is not a finite number"),
        ("-inf", "is not a number"),
        ("1e999", "is not a finite number"),
        (10**400, "is not a finite number (too large)"),
        (Fraction(10**400, 3), "is not a finite number (too large)"),
        ([4], "is a list, not a number"),
        (b"4", "is a bytes, not a number"),
        (date(2024, 1, 1), "is a date, not a number"),
    ],
)
def test_numbers_refused_with_the_reason(value: Any, message: str) -> None:
    with pytest.raises(CellError) as err:
        parse_number(value)
    assert str(err.value) == message


def _oracle(sign: str, whole: int, decimals: str, style: str) -> tuple[str, float]:
    """A number written in one of the documented styles, and its value (exact decimal)."""
    digits = str(whole)
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    sep = {"plain": "", "space": " ", "nbsp": "\u00a0", "dots": "."}[style]
    text = sign + sep.join(groups)
    if decimals:
        text += "," + decimals  # a decimal comma in every style (a point is tested below)
    value = float(Decimal(f"{sign}{whole}.{decimals or '0'}"))
    if style == "dots" and len(groups) == 2 and not decimals:  # "1.234": one dot is a decimal point
        value = float(Decimal(text))
    return text, value


@given(
    st.sampled_from(["", "-", "+"]),
    st.integers(0, 10**12),
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=6)),
    st.sampled_from(["plain", "space", "nbsp", "dots"]),
)
def test_any_grouped_number_with_a_decimal_comma(sign: str, whole: int, decimals: str, style: str) -> None:
    text, value = _oracle(sign, whole, decimals, style)
    assert parse_number(text) == value, text


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_any_float_written_by_python(x: float) -> None:
    assert parse_number(repr(x)) == x
    assert parse_number(x) == x


def test_texts() -> None:
    assert parse_text(None) == "" and parse_text(float("nan")) == "" and parse_text(pd.NA) == ""
    assert parse_text(17.0) == "17" and parse_text(-3.0) == "-3"  # whole floats as Excel gives ids
    assert parse_text(17.5) == "17.5"
    assert parse_text(17) == "17"
    assert parse_text("  VT\u00a0078\u200b ") == "VT 078"
    assert parse_text("A\u030a-1") == "\u00c5-1"


def test_tags() -> None:
    assert parse_tags("Telemark; ny søker,FoU") == ("Telemark", "ny søker", "FoU")
    assert parse_tags("a; b ,,c;") == ("a", "b", "c")
    assert parse_tags(None) == () and parse_tags("") == () and parse_tags(" ; , ") == ()
    assert parse_tags(["x ", " ", "A\u030a"]) == ("x", "\u00c5")  # a list is taken as it is, cleaned
    assert parse_tags(("a,b", "c")) == ("a,b", "c")  # its items are not split
    assert parse_tags(12.0) == ("12",)


def test_attribute_values() -> None:
    assert to_scalar(None) is None and to_scalar(float("nan")) is None and to_scalar(pd.NA) is None
    assert to_scalar(True) is True and to_scalar(False) is False
    for value, expected in [(np.int64(7), 7), (7, 7), (np.float64(2.5), 2.5), (2.5, 2.5), (Fraction(1, 2), 0.5)]:
        out = to_scalar(value)
        assert out == expected and type(out) is type(expected), value
    assert to_scalar(np.bool_(True)) is True and to_scalar(np.bool_(False)) is False
    assert to_scalar("  Vestfold\u200b ") == "Vestfold"
    assert to_scalar(date(2024, 2, 29)) == "2024-02-29"
    assert to_scalar(datetime(2024, 1, 1, 12, 30)) == "2024-01-01T12:30:00"
    assert to_scalar(pd.Timestamp("2023-12-31")) == "2023-12-31T00:00:00"
    assert to_scalar(b"x") == "b'x'"
    assert to_scalar(Decimal("1.5")) == 1.5 and type(to_scalar(Decimal("1.5"))) is float


def test_weights_and_scores_with_three_decimals_are_decimals() -> None:
    """ "0.125" was read as 125 (a dot before three digits taken for a thousands separator):
    weights typed as text, in a table or on the command line, were off by 1000."""
    import io

    from allocator import Problem
    from allocator.model.arguments import check_weights

    assert check_weights({"green": "0.125", "smart": "0.875"}) == {"green": 0.125, "smart": 0.875}
    table = io.StringIO("id;requested;green;smart\nA;100000;4.500;3\nB;100000;6;1.250\n")
    p = Problem.from_frame(
        pd.read_csv(table, sep=";", dtype=str),
        frame=100_000,
        weights={"green": "0.5", "smart": "0.125"},
        scales={"green": (1, 7), "smart": (1, 7)},
    )
    assert [a.scores for a in p.applications] == [{"green": 4.5, "smart": 3.0}, {"green": 6.0, "smart": 1.25}]
    assert [c.weight for c in p.criteria] == [0.5, 0.125]
