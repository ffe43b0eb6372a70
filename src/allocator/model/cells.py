"""Cell parsing for the table adapters: amounts, scores, texts and tags, as users type them.

Amounts are whole kroner. Accepted: integers, floats without a fractional part, and text
written the Norwegian way or plainly: ``"150000"``, ``"150 000"`` (space, non-breaking or
narrow space), ``"150.000"`` (dot as thousands separator), ``"150 000,00"`` (decimal comma),
``"kr 150.000"``, ``"150 000 kr"``, ``"NOK 150000"``, ``"150 000,-"``. Refused: fractions of a
krone, text that is not a number, and ``"150,000"`` (a comma before exactly three digits is
ambiguous: 150 kroner with a decimal comma, or 150 000 with an English thousands separator).

The parsers return ``None`` for an empty cell (``None``, NaN, ``pd.NA``, blank text) and raise
:class:`CellError`, whose message is the *reason and the fix*; the adapters add the row and
column and turn it into an :class:`~allocator.exceptions.InputError`.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CellError",
    "is_missing",
    "parse_amount",
    "parse_number",
    "parse_tags",
    "parse_text",
    "show",
    "to_scalar",
]


class CellError(ValueError):
    """A cell that cannot be read; the message says why and what to write instead."""


_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2009']+")
_CURRENCY = re.compile(r"^(?:kr\.?|nok)\s*|\s*(?:kr\.?|nok|,-|\.-)$", re.IGNORECASE)
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+(?:,\d+)?$")
_POINT_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_AMBIGUOUS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$")


def is_missing(value: Any) -> bool:
    """True for an empty cell: None, NaN, NaT, ``pd.NA`` or blank text."""
    if value is None:
        return True
    kind = type(value)
    if kind is int or kind is bool:
        return False
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, numbers.Integral):
        return False
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def show(value: Any) -> str:
    """A cell's value as a user would recognise it in a message."""
    if is_missing(value):
        return "empty"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        f = float(value)
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    return repr(value)


def _decimal_from_text(text: str) -> Decimal:
    s = text.strip()
    s = _CURRENCY.sub("", s).strip()
    s = _SPACES.sub("", s)
    if _AMBIGUOUS.match(s):
        raise CellError(
            "is ambiguous (a comma before three digits could be a decimal comma or an English "
            "thousands separator: write 150000 or 150 000)"
        )
    if _DOT_THOUSANDS.match(s):
        s = s.replace(".", "").replace(",", ".")
    elif _COMMA_DECIMAL.match(s):
        s = s.replace(",", ".")
    elif not _POINT_DECIMAL.match(s):
        raise CellError("is not a number")
    try:
        return Decimal(s)
    except InvalidOperation:  # pragma: no cover - the patterns above only let numbers through
        raise CellError("is not a number") from None


def parse_number(value: Any) -> float | None:
    """A real number (a score, a weight); text may use a decimal comma ("4,5").

    Examples
    --------
    >>> parse_number("4,5"), parse_number(6), parse_number(" "), parse_number("1 000,5")
    (4.5, 6.0, None, 1000.5)
    """
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise CellError("is a yes/no value, not a number")
    if isinstance(value, numbers.Real):
        f = float(value)
    elif isinstance(value, str):
        s = value.strip()
        s = _SPACES.sub("", s)
        if _DOT_THOUSANDS.match(s):
            s = s.replace(".", "").replace(",", ".")
        elif _COMMA_DECIMAL.match(s):
            s = s.replace(",", ".")
        elif not _POINT_DECIMAL.match(s):
            raise CellError("is not a number")
        f = float(s)
    else:
        raise CellError(f"is a {type(value).__name__}, not a number")
    if not math.isfinite(f):
        raise CellError("is not a finite number")
    return f


def parse_amount(value: Any) -> int | None:
    """An amount of money in whole kroner (sign kept; the caller checks the range).

    Examples
    --------
    >>> [parse_amount(v) for v in (150000, 150000.0, "150 000", "150 000,00", "kr 150.000")]
    [150000, 150000, 150000, 150000, 150000]
    >>> parse_amount("")
    >>> parse_amount("150 000,50")
    Traceback (most recent call last):
    ...
    allocator.model.cells.CellError: is not a whole number of kroner
    """
    if type(value) is int:
        return value
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise CellError("is a yes/no value, not an amount")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f):
            raise CellError("is not a finite amount")
        if not f.is_integer():
            raise CellError("is not a whole number of kroner")
        return int(f)
    if isinstance(value, str):
        d = _decimal_from_text(value)
        if not d.is_finite():
            raise CellError("is not a finite amount")
        if d != d.to_integral_value():
            raise CellError("is not a whole number of kroner")
        return int(d)
    raise CellError(f"is a {type(value).__name__}, not an amount")


def parse_text(value: Any) -> str:
    """Text of a cell ('' when empty; whole floats such as 17.0 become '17')."""
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_tags(value: Any) -> tuple[str, ...]:
    """Free tags separated by ';' or ',' (a list or tuple is taken as it is).

    Examples
    --------
    >>> parse_tags("Telemark; ny søker,FoU")
    ('Telemark', 'ny søker', 'FoU')
    """
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    text = parse_text(value)
    return tuple(t.strip() for t in re.split(r"[;,]", text) if t.strip())


def to_scalar(value: Any) -> str | int | float | bool | None:
    """A cell as a plain JSON scalar for ``Application.attributes`` (None when empty)."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return value.strip()
    try:
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
