"""The de minimis ledger: aid an undertaking has already received, and the room left.

De minimis aid (bagatellmessig støtte) to one single undertaking may not exceed a ceiling
over a period of three years:

* aid granted from 1 January 2024 (Commission Regulation (EU) 2023/2831): EUR 300 000 over
  any rolling period of three years, counted back from the date the new aid is granted;
* aid granted before (Regulation (EU) 1407/2013): EUR 200 000 over the current and the two
  previous fiscal years.

The ledger is a table of aid already received: organisation, date, amount and currency
(EUR or NOK). The room left for a new grant decided on ``decision_date`` is the ceiling
minus the aid inside the window, converted to kroner at a given EUR/NOK rate. All
arithmetic is exact (the rate is taken as the decimal typed, ``10.1`` is ``101/10``) and the
room is rounded down to whole kroner.

Examples
--------
>>> from datetime import date
>>> entries = [LedgerEntry(organisation="Acme AS", date=date(2021, 5, 1), amount=150_000, currency="EUR"),
...            LedgerEntry(organisation="Acme AS", date=date(2018, 1, 1), amount=90_000, currency="EUR")]
>>> room_nok(entries, "Acme AS", decision_date=date(2022, 11, 15), eur_nok=10)
500000
>>> ceiling_eur(date(2024, 1, 1)), ceiling_eur(date(2023, 12, 31))
(300000, 200000)
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from fractions import Fraction
from math import floor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from allocator.exceptions import InputError, PolicyError
from allocator.model.amounts import AMOUNT_EXAMPLES, CellError, parse_amount, show
from allocator.model.encoding import decode

__all__ = [
    "NEW_REGIME",
    "LedgerEntry",
    "Window",
    "ceiling_eur",
    "in_window",
    "read_ledger",
    "received_nok",
    "room_nok",
    "to_nok",
    "undertaking_key",
    "window_start",
]

Window = Literal["auto", "rolling", "fiscal"]

NEW_REGIME = dt.date(2024, 1, 1)
"""Aid granted from this date falls under Regulation 2023/2831 (EUR 300 000, rolling)."""


class LedgerEntry(BaseModel):
    """De minimis aid already received by one undertaking.

    Parameters
    ----------
    organisation
        The single undertaking (name or organisation number, as the rule's column gives it).
    date
        When the right to the aid was granted.
    amount
        The aid's gross grant equivalent, whole units of ``currency``.
    currency
        ``"EUR"`` or ``"NOK"``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: str = Field(min_length=1)
    date: dt.date
    amount: int = Field(ge=0)
    currency: Literal["EUR", "NOK"] = "NOK"

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v

    @field_validator("amount", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> Any:
        if isinstance(v, bool) or v is None:
            return v  # pydantic refuses them as amounts
        try:
            amount = parse_amount(v)
        except CellError as exc:
            raise ValueError(f"amount {show(v)} {exc}") from None
        if amount is None:
            raise ValueError(f"amount is missing; write whole units, e.g. {AMOUNT_EXAMPLES}")
        return amount

    @field_validator("organisation", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return str(v).strip() if v is not None and not isinstance(v, bool) else v


def undertaking_key(name: Any) -> str:
    """How undertakings are matched between the ledger and the applications (case, spaces)."""
    return " ".join(str(name).split()).casefold()


def ceiling_eur(decision_date: dt.date) -> int:
    """The de minimis ceiling in euro for aid granted on ``decision_date``."""
    return 300_000 if decision_date >= NEW_REGIME else 200_000


def _resolved(window: Window, decision_date: dt.date) -> Literal["rolling", "fiscal"]:
    if window == "auto":
        return "rolling" if decision_date >= NEW_REGIME else "fiscal"
    return window


def window_start(decision_date: dt.date, window: Window = "auto") -> dt.date:
    """First day whose aid counts for a grant decided on ``decision_date``.

    ``rolling``: the day after the same date three years earlier (three years ending on the
    decision date); ``fiscal``: 1 January two years before the decision's year; ``auto``:
    rolling from 2024, fiscal before (the rule of the regulation in force).

    >>> window_start(dt.date(2025, 3, 10)), window_start(dt.date(2022, 11, 15))
    (datetime.date(2022, 3, 11), datetime.date(2020, 1, 1))
    """
    if _resolved(window, decision_date) == "fiscal":
        return dt.date(decision_date.year - 2, 1, 1)
    try:
        back = decision_date.replace(year=decision_date.year - 3)
    except ValueError:  # 29 February
        back = decision_date.replace(year=decision_date.year - 3, day=28)
    return back + dt.timedelta(days=1)


def in_window(day: dt.date, decision_date: dt.date, window: Window = "auto") -> bool:
    """Whether aid granted on ``day`` counts against a grant decided on ``decision_date``."""
    return window_start(decision_date, window) <= day <= decision_date


def to_nok(amount: int, currency: str, eur_nok: Fraction) -> Fraction:
    """An amount in kroner, exactly."""
    return Fraction(amount) * (eur_nok if currency == "EUR" else 1)


def received_nok(
    ledger: Iterable[LedgerEntry],
    undertaking: str,
    *,
    decision_date: dt.date,
    eur_nok: float | Fraction,
    window: Window = "auto",
) -> Fraction:
    """Aid ``undertaking`` received inside the window, in kroner (exact)."""
    rate = eur_nok if isinstance(eur_nok, Fraction) else Fraction(repr(float(eur_nok)))
    key = undertaking_key(undertaking)
    return sum(
        (
            to_nok(e.amount, e.currency, rate)
            for e in ledger
            if undertaking_key(e.organisation) == key and in_window(e.date, decision_date, window)
        ),
        Fraction(0),
    )


def room_nok(
    ledger: Iterable[LedgerEntry],
    undertaking: str,
    *,
    decision_date: dt.date,
    eur_nok: float | Fraction,
    ceiling: int | None = None,
    window: Window = "auto",
) -> int:
    """Whole kroner ``undertaking`` may still receive as de minimis aid (0 if none)."""
    rate = eur_nok if isinstance(eur_nok, Fraction) else Fraction(repr(float(eur_nok)))
    cap = Fraction(ceiling if ceiling is not None else ceiling_eur(decision_date)) * rate
    left = cap - received_nok(ledger, undertaking, decision_date=decision_date, eur_nok=rate, window=window)
    return max(0, floor(left))


_HEADERS: Mapping[str, tuple[str, ...]] = {
    "organisation": ("organisation", "organization", "undertaking", "foretak", "organisasjon", "søker", "mottaker"),
    "date": ("date", "dato", "vedtaksdato", "tildelt"),
    "amount": ("amount", "beløp", "belop", "støtte"),
    "currency": ("currency", "valuta"),
}


def read_ledger(source: str | Path | Any) -> tuple[LedgerEntry, ...]:
    """Read a ledger from a CSV file or a DataFrame.

    Columns ``organisation``, ``date`` (YYYY-MM-DD), ``amount`` and ``currency`` (EUR or
    NOK; NOK if the column is absent). Norwegian headers (organisasjon, dato, beløp, valuta)
    are recognised. Every bad cell gives one :class:`PolicyError` naming row and column.
    """
    import pandas as pd

    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise PolicyError(f"de minimis ledger {str(path)!r} does not exist; give the path of a CSV file")
        try:
            text = decode(path.read_bytes(), path.name)
            if not text.strip():
                raise PolicyError(
                    f"de minimis ledger {str(path)!r} is empty; give a header row (organisation, date, amount, "
                    "currency) and one row per aid received"
                )
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
        except PolicyError:
            raise
        except InputError as exc:  # an encoding that is not UTF-8 or Windows-1252
            raise PolicyError(f"de minimis ledger {exc}") from None
        except Exception as exc:
            raise PolicyError(f"de minimis ledger {str(path)!r} could not be read as CSV: {exc}") from None
        where = str(path)
    elif isinstance(source, pd.DataFrame):
        df, where = source, "the ledger table"
    else:
        raise PolicyError(f"a de minimis ledger must be a CSV path or a DataFrame, not {type(source).__name__}")
    found: dict[str, Any] = {}
    for field, names in _HEADERS.items():
        for c in df.columns:
            if str(c).strip().casefold() in names:
                found[field] = c
                break
    missing = [f for f in ("organisation", "date", "amount") if f not in found]
    if missing:
        raise PolicyError(
            f"{where}: no column {missing[0]!r}; the ledger needs columns organisation, date, amount "
            f"and currency (EUR or NOK); it has {[str(c) for c in df.columns]}"
        )
    out = []
    for k, row in enumerate(df.to_dict("records"), start=1):
        data = {f: row[c] for f, c in found.items()}
        if isinstance(data.get("date"), str):
            try:
                data["date"] = dt.date.fromisoformat(data["date"].strip())
            except ValueError:
                raise PolicyError(
                    f"{where}, row {k}, column {str(found['date'])!r}: {data['date']!r} is not a date; "
                    "write it as YYYY-MM-DD, e.g. 2021-05-01"
                ) from None
        if data.get("currency") in ("", None):
            data.pop("currency", None)
        try:
            out.append(LedgerEntry(**data))
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            col = found.get(str(err["loc"][0]), err["loc"][0]) if err["loc"] else "?"
            msg = err["msg"].removeprefix("Value error, ")
            raise PolicyError(
                f"{where}, row {k}, column {str(col)!r}: {msg}; the ledger needs organisation, a date "
                "YYYY-MM-DD, a whole amount and the currency EUR or NOK"
            ) from None
    return tuple(out)
