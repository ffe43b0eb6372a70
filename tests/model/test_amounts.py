"""One grammar for every amount (issue 9, defect 24): a table cell, ``--frame``, the policy file,
a rule, the de minimis ledger and ``Problem(frame=...)`` accept and refuse the same texts."""

from __future__ import annotations

import io
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem
from allocator.cli import main
from allocator.exceptions import AllocatorError
from allocator.io.policy import parse_policy
from allocator.model.amounts import CellError, parse_amount
from allocator.model.ledger import LedgerEntry
from allocator.model.limits import MAX_AMOUNT
from allocator.model.rules import parse_money

ACCEPTED = {
    "kr 2 300 000": 2_300_000,
    "2_300_000": 2_300_000,
    "2 300 000": 2_300_000,
    "2\u00a0300\u00a0000": 2_300_000,
    "2\u202f300\u2009000": 2_300_000,
    "2.3e6": 2_300_000,
    "2.300.000": 2_300_000,
    "2.300.000,00": 2_300_000,
    "2 300 000,-": 2_300_000,
    "2300000 NOK": 2_300_000,
    "NOK 2300000": 2_300_000,
    "kr. 2'300'000": 2_300_000,
    "2300000.00": 2_300_000,
    "23E5": 2_300_000,
    "2 300 000\u200b": 2_300_000,
    "10 000 000 000 000": MAX_AMOUNT,
    "10_000_000_000_000,00": MAX_AMOUNT,
}
REFUSED = [
    "2,300,000",
    "150,000",
    "2 300 000,50",
    "2.3456789e6",
    "10 000 000 000 001",
    "1e14",
    "mye",
    "15 00 00",
    "١٢٣",
    "2.300.000.00",
    "kr",
    "1_0",
]


def via_cell(text: str) -> int:
    df = pd.DataFrame({"id": ["A"], "requested": [text], "g": [1]})
    return Problem.from_frame(df, frame=MAX_AMOUNT, weights={"g": 1}, scales=(0, 1)).applications[0].requested


def via_cli(text: str, tmp: Path) -> int:
    path = tmp / "a.json"
    p = Problem(
        frame=1,
        criteria=[Criterion(name="g", weight=1)],
        applications=[Application(id="A", requested=1, scores={"g": 1})],
    )
    path.write_text(p.model_dump_json())
    out, err = io.StringIO(), io.StringIO()
    code = main(["solve", str(path), "--frame", text, "--out", "-", "-q"], stdout=out, stderr=err)
    if code:
        raise AllocatorError(err.getvalue())
    return int(re.search(r'"frame": (\d+)', out.getvalue()).group(1))  # type: ignore[union-attr]


def via_policy(text: str) -> int:
    frame = parse_policy(f'frame = "{text}"\n').frame
    assert frame is not None
    return frame


def via_rule(text: str) -> int:
    rule = parse_policy(f'[[rules]]\nkind = "group"\nmax_amount = "{text}"\n').rules[0]
    return int(rule.max_amount)  # type: ignore[attr-defined]


def via_ledger(text: str) -> int:
    return LedgerEntry(organisation="Acme AS", date=date(2022, 1, 1), amount=text).amount


def via_problem(text: str) -> int:
    return Problem(
        frame=text,
        criteria=[Criterion(name="g", weight=1)],
        applications=[Application(id="A", requested=1, scores={"g": 1})],
    ).frame


READERS = [via_cell, via_policy, via_rule, via_ledger, via_problem, parse_money]


@pytest.mark.parametrize(("text", "amount"), ACCEPTED.items(), ids=list(ACCEPTED))
def test_every_reader_accepts_the_same_amounts(text: str, amount: int, tmp_path: Path) -> None:
    assert parse_amount(text) == amount
    for read in READERS:
        assert read(text) == amount, read.__name__
    if "\u200b" not in text:  # argparse on a real command line never sees a zero-width space
        assert via_cli(text, tmp_path) == amount


@pytest.mark.parametrize("text", REFUSED)
def test_every_reader_refuses_the_same_texts(text: str, tmp_path: Path) -> None:
    with pytest.raises(CellError):
        parse_amount(text)
    for read in [*READERS, lambda t: via_cli(t, tmp_path)]:
        with pytest.raises((AllocatorError, ValueError)) as info:
            read(text)
        assert text.strip() in str(info.value) or repr(text.strip()) in str(info.value), str(info.value)


def _spaced(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@given(
    st.integers(0, MAX_AMOUNT),
    st.sampled_from([" ", "\u00a0", "\u202f", "_", ".", "'"]),
    st.sampled_from(["", "kr ", "NOK "]),
    st.sampled_from(["", " kr", ",-", ",00"]),
)
def test_grouped_amounts_round_trip(n: int, sep: str, prefix: str, suffix: str) -> None:
    text = prefix + _spaced(n, sep) + suffix
    assert parse_amount(text) == n, text


@given(st.integers(-(10**20), 10**20))
def test_integers_inside_the_range_are_themselves_and_outside_are_refused(n: int) -> None:
    for value in (n, str(n), float(n) if abs(n) < 2**53 else n):
        if abs(n) <= MAX_AMOUNT:
            assert parse_amount(value) == n
        else:
            with pytest.raises(CellError, match="largest amount"):
                parse_amount(value)


@pytest.mark.parametrize(
    "value",
    [1e400, float("nan"), True, [1], {"a": 1}, 10**5000],
    ids=["inf", "nan", "bool", "list", "dict", "10**5000"],
)
def test_values_that_are_no_amount_are_cell_errors_not_crashes(value: Any) -> None:
    if isinstance(value, float) and math.isnan(value):
        assert parse_amount(value) is None  # NaN is an empty cell
        return
    with pytest.raises(CellError):
        parse_amount(value)
