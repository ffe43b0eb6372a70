"""One grammar for every amount of money, wherever it is written.

Table cells, ``--frame`` and ``--step`` on the command line, the policy file (the frame,
the step, every amount in a rule), the de minimis ledger and keyword arguments such as
``frame="2 300 000"`` are all read by :func:`parse_amount`. An amount is **whole kroner**,
at most :data:`~allocator.model.limits.MAX_AMOUNT` (10**13) in magnitude.

Numbers: an ``int`` (numpy integers too), or a float, ``Decimal`` or ``Fraction`` that is
finite and whole (``2300000.0``, ``2.3e6``). ``True`` / ``False`` are refused.

Text, after surrounding whitespace and invisible format characters (zero-width spaces,
direction marks, soft hyphens) are removed::

    amount   = [prefix] [sign] number [suffix]
    prefix   = "kr" | "kr." | "NOK"                  (any case, spaces after it allowed)
    suffix   = "kr" | "kr." | "NOK" | ",-" | ".-"     (spaces before it allowed)
    sign     = "+" | "-" | "−" (U+2212)
    number   = digits [decimals]                      2300000   2300000,00   2300000.00
             | grouped [decimals]                     2 300 000   2.300.000   2_300_000
             | digits ["." digits] ("e"|"E") [sign] digits          2.3e6   23E5
    grouped  = 1-3 digits, then groups of exactly 3 digits, all separated by the same
               separator: a space (any of the plain, no-break U+00A0, figure U+2007, thin
               U+2009 and narrow no-break U+202F spaces, one or more), "_", "'" or "."
    decimals = "," digits, or "." digits when the separator is not "."

Digits are ASCII ``0-9`` only. The decimals must be zeros (an amount is whole kroner) and
the exponent form must give a whole number. Refused as ambiguous: a comma followed by
exactly three digits (``150,000`` and ``2,300,000``: a decimal comma, or English thousands
separators?); write ``150000`` or ``150 000``. A dot followed by groups of exactly three
digits is a Norwegian thousands separator (``150.000`` is 150 000); any other dot is a
decimal point (``150.5`` is refused as not whole).

Errors are :class:`CellError` whose message is the reason (``"is not a whole number of
kroner"``); callers add where the value was and the fix.

Examples
--------
>>> [parse_amount(v) for v in ("kr 2 300 000", "2_300_000", "2\\u00a0300\\u202f000", "2.3e6",
...                            "2.300.000", "2 300 000,00", "2300000 NOK", "150 000,-")]
[2300000, 2300000, 2300000, 2300000, 2300000, 2300000, 2300000, 150000]
>>> parse_amount("") is None, parse_amount(-5000)
(True, -5000)
>>> parse_amount("150,000")
Traceback (most recent call last):
...
allocator.model.amounts.CellError: is ambiguous (a comma before three digits could be a decimal comma or an English thousands separator): write 150000 or 150 000
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from allocator.exceptions import InputError
from allocator.model.limits import MAX_AMOUNT, amount_range_error, kroner

__all__ = ["AMOUNT_EXAMPLES", "CellError", "is_missing", "parse_amount", "show"]

AMOUNT_EXAMPLES = "2300000, 2 300 000, 2_300_000, kr 2.300.000 or 2.3e6"
"""How to write an amount, for messages."""


class CellError(InputError):
    """A value that cannot be read; the message says why (callers add where and the fix).

    An :class:`~allocator.exceptions.InputError`, so that one which escapes its caller is
    still an :class:`~allocator.exceptions.AllocatorError`.
    """


def is_missing(value: Any) -> bool:
    """True for an empty cell: None, NaN, NaT, ``pd.NA`` or blank text."""
    if value is None:
        return True
    kind = type(value)
    if kind is int or kind is bool:
        return False
    if isinstance(value, str):
        return not _clean(value)
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, numbers.Integral):
        return False
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict, set)) else False
    except (TypeError, ValueError):
        return False


def show(value: Any) -> str:
    """A cell's value as a user would recognise it in a message (long values shortened).

    >>> show(150000), show(" A "), show(None), show(10**500)
    ('150000', "' A '", 'empty', 'a number of 501 digits')
    """
    if is_missing(value):
        return "empty"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:50]) + f"... ({len(value)} characters)"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        n = abs(int(value))
        if n >= 10**30:  # str() of a huge int is slow, and refused beyond 4 300 digits
            digits = int(n.bit_length() * math.log10(2)) + 1
            digits += n >= 10**digits
            return f"{'minus ' if value < 0 else ''}a number of {digits} digits"
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            f = float(value)
        except OverflowError:
            return "a number beyond 1e308"
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    text = repr(value)
    return text if len(text) <= 60 else text[:50] + "..."


_SPACE = "\u0020\u00a0\u2007\u2009\u202f"
_PREFIX = re.compile(r"^(?:kr\.?|nok)(?![a-z])\s*", re.IGNORECASE)
_SUFFIX = re.compile(r"\s*(?:kr\.?|nok|,-|\.-)$", re.IGNORECASE)
_SIGN = re.compile(r"^([+\-\u2212])\s*")
_PLAIN = re.compile(r"^([0-9]+)(?:([.,])([0-9]+))?$")
_GROUPED = re.compile(r"^([0-9]{1,3})([ _'.])([0-9]{3}(?:\2[0-9]{3})*)(?:([.,])([0-9]+))?$")
_EXPONENT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)[eE]([+\-]?[0-9]{1,6})$")
_AMBIGUOUS = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+$")


def _clean(text: str) -> str:
    """Text without invisible format characters (Unicode category Cf) and outer whitespace."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


def _decimal(text: str) -> Decimal:
    """The number written in ``text`` by the grammar of the module, exactly."""
    s = re.sub(f"[{_SPACE}]+", " ", _clean(text))  # every kind of space is one separator
    s = _PREFIX.sub("", s)
    s = _SUFFIX.sub("", s)
    sign = ""
    if m := _SIGN.match(s):
        sign = "-" if m.group(1) != "+" else ""
        s = s[m.end() :]
    if _AMBIGUOUS.match(s):
        digits = s.replace(",", "")
        raise CellError(
            "is ambiguous (a comma before three digits could be a decimal comma or an English thousands "
            f"separator): write {digits} or {kroner(int(digits))}"
        )
    if m := _PLAIN.match(s):
        whole, point, decimals = m.group(1), m.group(2), m.group(3)
        if point == "." and len(decimals) == 3:  # "150.000": a Norwegian thousands dot
            return Decimal(sign + whole + decimals)
        return Decimal(f"{sign}{whole}.{decimals}" if point else sign + whole)
    if m := _GROUPED.match(s):
        head, sep, rest, point, decimals = m.groups()
        if point == "." and sep == ".":
            raise CellError(
                f"is not an amount (a dot cannot both group the digits and start the decimals); write it like {AMOUNT_EXAMPLES}"
            )
        digits = head + rest.replace(sep, "")
        return Decimal(f"{sign}{digits}.{decimals}" if point else sign + digits)
    if m := _EXPONENT.match(s):
        return Decimal(f"{sign}{m.group(1)}e{m.group(2)}")
    raise CellError(f"is not an amount; write whole kroner like {AMOUNT_EXAMPLES}")


def _whole(value: Decimal | Fraction) -> int:
    """``value`` as an int, after the range check (so that 1e400000 never becomes an int)."""
    why = amount_range_error(value)
    if why is not None:
        raise CellError(why)
    if value != int(value):
        raise CellError("is not a whole number of kroner")
    return int(value)


def parse_amount(value: Any) -> int | None:
    """An amount of money in whole kroner, by the grammar of the module; None when empty.

    The sign is kept (callers say whether 0 or a negative amount is allowed); the
    magnitude is at most :data:`~allocator.model.limits.MAX_AMOUNT`.

    Raises
    ------
    CellError
        Not an amount, not whole, ambiguous, out of range, or not finite.
    """
    if type(value) is int:
        return _whole(Fraction(value)) if abs(value) > MAX_AMOUNT else value
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise CellError("is a yes/no value, not an amount")
    if isinstance(value, numbers.Integral):
        return _whole(Fraction(int(value)))
    if isinstance(value, (Decimal, Fraction)):
        if isinstance(value, Decimal) and not value.is_finite():
            raise CellError("is not a finite amount")
        return _whole(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f):
            raise CellError("is not a finite amount")
        return _whole(Fraction(f))
    if isinstance(value, str):
        try:
            return _whole(_decimal(value))
        except InvalidOperation:  # pragma: no cover - the patterns only let numbers through
            raise CellError(f"is not an amount; write whole kroner like {AMOUNT_EXAMPLES}") from None
    raise CellError(f"is a {type(value).__name__}, not an amount")
