"""Cell parsing for the table adapters: amounts, scores, texts and tags, as users type them.

Amounts are whole kroner, read by the one grammar of :mod:`allocator.model.amounts`
(``"150000"``, ``"150 000"``, ``"150.000"``, ``"150 000,00"``, ``"kr 150.000"``,
``"150 000 kr"``, ``"NOK 150000"``, ``"150 000,-"``, ``"150_000"``, ``"1.5e5"``). Refused:
fractions of a krone, text that is not a number, and ``"150,000"`` (a comma before exactly
three digits is ambiguous: 150 kroner with a decimal comma, or 150 000 with an English
thousands separator), and amounts beyond :data:`~allocator.model.limits.MAX_AMOUNT`.

Scores and weights are real numbers: a decimal point or a decimal comma (``"4,5"``),
thousands grouped by spaces, or by dots where nothing else can be meant (``"1.234.567"``,
``"1.234,5"``); a single dot is a decimal point (``"0.875"`` and ``"4.500"`` are 0.875 and 4.5:
a score or a weight, unlike an amount, is read as a decimal). Text cells are normalised (NFC, no invisible
characters, plain spaces: :mod:`allocator.model.texts`).

The parsers return ``None`` for an empty cell (``None``, NaN, ``pd.NA``, blank text) and raise
:class:`CellError`, whose message is the *reason and the fix*; the adapters add the row and
column and turn it into an :class:`~allocator.exceptions.InputError`.
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal
from typing import Any

from allocator.model.amounts import CellError, is_missing, show
from allocator.model.amounts import parse_amount as _parse_amount
from allocator.model.texts import clean_text

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


_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2009']+")
# dots that can only group thousands: two or more groups ("1.234.567"), or groups before a
# decimal comma ("1.234,5"); one dot alone ("0.875", "4.500") is a decimal point
_DOT_THOUSANDS = re.compile(r"^[+-]?[1-9][0-9]{0,2}(?:(?:\.[0-9]{3}){2,}(?:,[0-9]+)?|\.[0-9]{3},[0-9]+)$")
_COMMA_DECIMAL = re.compile(r"^[+-]?[0-9]+(?:,[0-9]+)?$")
_POINT_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def parse_number(value: Any) -> float | None:
    """A real number (a score, a weight): a number (``int``, ``float``, ``Decimal``,
    ``Fraction``, numpy's), or text with a decimal point or a decimal comma ("4,5").

    Examples
    --------
    >>> parse_number("4,5"), parse_number(6), parse_number(" "), parse_number("1 000,5")
    (4.5, 6.0, None, 1000.5)
    """
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise CellError("is a yes/no value, not a number")
    if isinstance(value, (numbers.Real, Decimal)):  # Decimal too, as amounts take it
        try:
            f = float(value)
        except OverflowError:  # an int or Fraction beyond 1e308
            raise CellError("is not a finite number (too large)") from None
    elif isinstance(value, str):
        s = _SPACES.sub("", clean_text(value))
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

    The grammar is :func:`allocator.model.amounts.parse_amount`'s, the same for every amount.

    Examples
    --------
    >>> [parse_amount(v) for v in (150000, 150000.0, "150 000", "150 000,00", "kr 150.000", "150_000")]
    [150000, 150000, 150000, 150000, 150000, 150000]
    >>> parse_amount("")
    >>> parse_amount("150 000,50")
    Traceback (most recent call last):
    ...
    allocator.model.amounts.CellError: is not a whole number of kroner
    """
    return _parse_amount(value)


def parse_text(value: Any) -> str:
    """Text of a cell ('' when empty; whole floats such as 17.0 become '17')."""
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))


def parse_tags(value: Any) -> tuple[str, ...]:
    """Free tags separated by ';' or ',' (a list or tuple is taken as it is).

    Examples
    --------
    >>> parse_tags("Telemark; ny søker,FoU")
    ('Telemark', 'ny søker', 'FoU')
    """
    if isinstance(value, (list, tuple)):
        return tuple(clean_text(str(v)) for v in value if clean_text(str(v)))
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
    if isinstance(value, (numbers.Real, Decimal)):
        return float(value)
    if isinstance(value, str):
        return clean_text(value)
    try:
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
