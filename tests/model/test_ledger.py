"""The de minimis ledger by hand: the windows' defaults, the aid received and the room left
in exact kroner, and reading a ledger (every refusal word for word)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from allocator.exceptions import PolicyError
from allocator.model.ledger import LedgerEntry, in_window, read_ledger, received_nok, room_nok

D = dt.date
DECIDED = D(2022, 11, 15)  # before 2024: three fiscal years, from 2020-01-01 (rolling would start 2019-11-16)
ENTRIES = [
    LedgerEntry(organisation="Org A", date=D(2021, 5, 1), amount=1_000, currency="EUR"),
    LedgerEntry(organisation="org   a", date=D(2019, 12, 1), amount=500, currency="NOK"),  # rolling only
    LedgerEntry(organisation="Org B", date=D(2022, 1, 1), amount=7, currency="NOK"),
    LedgerEntry(organisation="Org A", date=D(2022, 11, 16), amount=9, currency="NOK"),  # after the decision
]


def test_the_window_by_default_follows_the_regulation_in_force() -> None:
    assert not in_window(D(2019, 12, 1), DECIDED)  # fiscal years before 2024
    assert in_window(D(2019, 12, 1), DECIDED, "rolling")
    assert in_window(D(2021, 3, 11), D(2024, 3, 10))  # rolling from 2024 (fiscal would start 2022-01-01)
    assert not in_window(D(2021, 3, 11), D(2024, 3, 10), "fiscal")


def test_aid_received_in_exact_kroner() -> None:
    # Org A (any case and spacing): EUR 1 000 in the window; at 11.37 exactly 11 370 kr
    got = received_nok(ENTRIES, " ORG a ", decision_date=DECIDED, eur_nok=11.37)
    assert got == Fraction(11_370) and isinstance(got, Fraction)
    assert received_nok(ENTRIES, "Org A", decision_date=DECIDED, eur_nok=Fraction(1, 3)) == Fraction(1_000, 3)
    assert received_nok(ENTRIES, "Org A", decision_date=DECIDED, eur_nok=10, window="rolling") == 10_500
    assert received_nok(ENTRIES, "Org C", decision_date=DECIDED, eur_nok=10) == 0


def test_room_left_in_whole_kroner() -> None:
    # the default ceilings: EUR 200 000 before 2024, 300 000 from 2024-01-01
    assert room_nok([], "x", decision_date=D(2023, 12, 31), eur_nok=10) == 2_000_000
    assert room_nok([], "x", decision_date=D(2024, 1, 1), eur_nok=10) == 3_000_000
    # 100 x 4.35 is 435 exactly, although 100 * 4.35 in floats is 434.99999999999994
    assert room_nok([], "x", decision_date=D(2024, 6, 1), eur_nok=4.35, ceiling=100) == 435
    # EUR 3 000 at exactly 1/3 is 1 000 kr (at 0.3333333333333333 it would be 999.99...)
    assert room_nok([], "x", decision_date=DECIDED, eur_nok=Fraction(1, 3), ceiling=3_000) == 1_000
    # less 1 000/3 received: 666.67, rounded down
    assert room_nok(ENTRIES, "org a", decision_date=DECIDED, eur_nok=Fraction(1, 3), ceiling=3_000) == 666
    # rolling, the 500 kr of 2019 count too: 166.67
    assert (
        room_nok(ENTRIES, "org a", decision_date=DECIDED, eur_nok=Fraction(1, 3), ceiling=3_000, window="rolling")
        == 166
    )
    assert room_nok(ENTRIES, "org a", decision_date=DECIDED, eur_nok=10, ceiling=999) == 0  # more received than allowed


# ------------------------------------------------------------------ reading a ledger
def refused(source: object) -> str:
    with pytest.raises(PolicyError) as exc:
        read_ledger(source)
    return str(exc.value)


def test_a_csv_ledger_with_norwegian_headers(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    path.write_text(
        "Organisasjon;Dato;Beløp;Valuta\n0042;2021-05-01;1 000;eur\nNett AS; 2022-01-01 ;5;\n", encoding="utf-8"
    )
    assert read_ledger(path) == (
        LedgerEntry(organisation="0042", date=D(2021, 5, 1), amount=1_000, currency="EUR"),  # text, zeros kept
        LedgerEntry(organisation="Nett AS", date=D(2022, 1, 1), amount=5, currency="NOK"),  # no currency: NOK
    )
    assert read_ledger(str(path)) == read_ledger(path)
    # a column of organisation numbers only is still text: leading zeros kept, no decimals
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("organisation,date,amount\n0042,2021-05-01,1\n912345678,2021-05-02,2\n", encoding="utf-8")
    assert [e.organisation for e in read_ledger(numbers)] == ["0042", "912345678"]


def test_a_ledger_table_without_a_currency_column_is_in_kroner() -> None:
    df = pd.DataFrame({"organisation": ["A"], "date": ["2021-05-01"], "amount": [3]})
    assert read_ledger(df) == (LedgerEntry(organisation="A", date=D(2021, 5, 1), amount=3, currency="NOK"),)


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    assert refused(missing) == f"de minimis ledger {str(missing)!r} does not exist; give the path of a CSV file"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b" \n")
    assert refused(empty) == (
        f"de minimis ledger {str(empty)!r} is empty; give a header row (organisation, date, amount, currency) and "
        "one row per aid received"
    )
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"organisation;date;amount\n\x81\x8d\x8f;2021-01-01;5\n")
    assert refused(bad).startswith("de minimis ledger bad.csv is not UTF-8 (byte 0x81 at line 2, column 1)")
    quote = tmp_path / "quote.csv"
    quote.write_text('organisation;date;amount\n"x;2021-01-01;5\n', encoding="utf-8")  # a quote never closed
    assert refused(quote) == f"de minimis ledger {str(quote)!r} could not be read as CSV: unexpected end of data"
    assert refused(5) == "a de minimis ledger must be a CSV path or a DataFrame, not int"


def test_missing_columns_and_bad_cells(tmp_path: Path) -> None:
    path = tmp_path / "nocol.csv"
    path.write_text("organisasjon;beløp\nx;1\n", encoding="utf-8")
    assert refused(path) == (
        f"{path}: no column 'date'; the ledger needs columns organisation, date, amount and currency (EUR or NOK); "
        "it has ['organisasjon', 'beløp']"
    )
    assert refused(pd.DataFrame({"org": ["a"], "dato": ["2021-01-01"], "beløp": [1]})) == (
        "the ledger table: no column 'organisation'; the ledger needs columns organisation, date, amount and "
        "currency (EUR or NOK); it has ['org', 'dato', 'beløp']"
    )
    tail = "; the ledger needs organisation, a date YYYY-MM-DD, a whole amount and the currency EUR or NOK"

    def row2(**cells: str) -> str:
        good = {"Organisasjon": "a", "Dato": "2021-05-01", "Beløp": "1", "Valuta": "NOK"}
        return refused(pd.DataFrame([good, good | cells]))

    assert row2(Dato="01.05.2021") == (
        "the ledger table, row 2, column 'Dato': '01.05.2021' is not a date; write it as YYYY-MM-DD, e.g. 2021-05-01"
    )
    assert row2(Beløp="mange").startswith("the ledger table, row 2, column 'Beløp': amount 'mange' is not an amount;")
    assert row2(Beløp="mange").endswith(tail)
    assert row2(Valuta="usd") == "the ledger table, row 2, column 'Valuta': Input should be 'EUR' or 'NOK'" + tail
    assert row2(Organisasjon="") == (
        "the ledger table, row 2, column 'Organisasjon': String should have at least 1 character" + tail
    )
