"""Numbers for people: money, scores, points, percentages, ranks and lists, per language.

One format per language, everywhere (terminal, workbook, sentences, the HTTP service):

========================  ============================  ===========================
what                      ``en``                        ``nb`` (formal Bokmål)
========================  ============================  ===========================
money (NOK)               ``NOK 2,300,000``             ``2 300 000 kr``
money (other currency)    ``EUR 100,000``               ``100 000 EUR``
a weighted score          ``0.936`` (3 decimals)        ``0,936``
points on the call's      ``5.25 of 7``                 ``5,25 av 7``
scale (2 decimals)
a share                   ``3.3 %``                     ``3,3 %``
a list, cut               ``A, B and 4 more``           ``A, B og 4 til``
========================  ============================  ===========================

The Norwegian thousands separator and the space before ``kr`` and ``%`` are no-break
spaces (U+00A0), so that an amount is never split over two lines.

Ranks: :func:`ranks` numbers applications by weighted score, 1 = best, **ties share the
better rank** and the next rank skips ("1, 2, 2, 4", standard competition ranking). It is
the one rank numbering used in decisions, reports, the terminal and the meeting paper.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from math import isfinite

from allocator.exceptions import AllocatorError

__all__ = [
    "LANGUAGES",
    "NBSP",
    "amount_in_steps",
    "check_lang",
    "cut_list",
    "join_ids",
    "money",
    "number",
    "percent",
    "points",
    "ranks",
    "score",
]

LANGUAGES = ("en", "nb")
"""The languages of the words: English and Norwegian Bokmål."""

NBSP = "\u00a0"
"""The no-break space of Norwegian amounts (``2 300 000 kr``)."""

_ALIASES = {
    "en": "en",
    "english": "en",
    "nb": "nb",
    "no": "nb",
    "nob": "nb",
    "bokmål": "nb",
    "bokmal": "nb",
    "norwegian": "nb",
}


def check_lang(lang: str) -> str:
    """The language code for ``lang``: ``'en'`` or ``'nb'`` (``'no'``, ``'bokmål'`` accepted).

    Examples
    --------
    >>> check_lang("NO"), check_lang("en")
    ('nb', 'en')
    """
    code = _ALIASES.get(str(lang).strip().lower())
    if code is None:
        raise AllocatorError(f"lang {lang!r} is not supported; use 'en' (English) or 'nb' (Norwegian Bokmål)")
    return code


def _grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


def money(amount: float | Fraction, currency: str = "NOK", lang: str = "en") -> str:
    """An amount in whole units: ``NOK 2,300,000`` (en), ``2 300 000 kr`` (nb, no-break spaces).

    A fractional amount is rounded to the nearest whole unit (money is whole kroner).

    Examples
    --------
    >>> money(2300000, "NOK", "en")
    'NOK 2,300,000'
    >>> money(2300000, "NOK", "nb").replace(NBSP, " ")
    '2 300 000 kr'
    >>> money(-5000, "EUR", "nb").replace(NBSP, " ")
    '-5 000 EUR'
    """
    lang = check_lang(lang)
    n = round(amount)
    unit = (currency or "NOK").upper()
    sign = "-" if n < 0 else ""
    if lang == "nb":
        shown = "kr" if unit == "NOK" else unit
        return f"{sign}{_grouped(abs(n), NBSP)}{NBSP}{shown}"
    return f"{sign}{unit} {_grouped(abs(n), ',')}"


def amount_in_steps(amount: int, step: int | None) -> int:
    """``amount`` rounded **down** to a whole number of ``step`` (an amount said in a
    sentence must be one the call can grant; rounding down keeps a promise such as "funded
    with a request of at most ..." true).

    Examples
    --------
    >>> amount_in_steps(316_666, 10_000), amount_in_steps(316_666, None), amount_in_steps(9_999, 10_000)
    (310000, 316666, 0)
    """
    if not step or step <= 1:
        return int(amount)
    return int(amount) // int(step) * int(step)


def number(x: float | Fraction, lang: str = "en", decimals: int = 3) -> str:
    """A number with ``decimals`` decimals and the language's decimal mark; tiny values
    keep two significant digits rather than showing as zero.

    Examples
    --------
    >>> number(0.6123, "en"), number(0.6123, "nb"), number(0.00042, "en"), number(5.25, "nb", 2)
    ('0.612', '0,612', '0.00042', '5,25')
    """
    lang = check_lang(lang)
    v = float(x)
    if not isfinite(v):
        s = "∞" if v > 0 else ("-∞" if v < 0 else "-")
    elif v == 0 or abs(v) >= 0.5 * 10 ** (-decimals):
        s = f"{v:.{decimals}f}"
    else:
        s = f"{v:.2g}"
    return s.replace(".", ",") if lang == "nb" else s


def score(x: float | Fraction, lang: str = "en") -> str:
    """A weighted score, three decimals (the exact value stays in the data).

    Examples
    --------
    >>> score(0.9357142857142857, "en"), score(0.9357142857142857, "nb")
    ('0.936', '0,936')
    """
    return number(x, lang, 3)


def points(x: float, top: float, lang: str = "en") -> str:
    """A score in the call's own points, two decimals: ``5.25 of 7`` / ``5,25 av 7``.

    Examples
    --------
    >>> points(5.25, 7, "en"), points(5.25, 7.0, "nb")
    ('5.25 of 7', '5,25 av 7')
    """
    lang = check_lang(lang)
    of = "av" if lang == "nb" else "of"
    return f"{number(x, lang, 2)} {of} {number(top, lang, 0) if float(top).is_integer() else number(top, lang, 2)}"


def percent(x: float | None, lang: str = "en", decimals: int = 1, *, sign: bool = False) -> str:
    """A percentage (``x`` in per cent, not a share), one decimal: ``+3.3 %`` / ``+3,3 %``.

    Examples
    --------
    >>> percent(3.2608, "en", sign=True), percent(40, "nb", 0).replace(NBSP, " ")
    ('+3.3 %', '40 %')
    """
    lang = check_lang(lang)
    if x is None:
        return "-"
    s = f"{x:+.{decimals}f}" if sign else f"{x:.{decimals}f}"
    if lang == "nb":
        return s.replace(".", ",") + f"{NBSP}%"
    return s + " %"


def ranks(scores: Sequence[float | Fraction]) -> list[int]:
    """Rank by score, 1 = best; **ties share the better rank** and the next rank skips.

    Examples
    --------
    >>> ranks([0.5, 0.9, 0.5, 0.7, 0.1])
    [3, 1, 3, 2, 5]
    """
    counts = Counter(scores)  # the distinct scores sorted once (few when panels score in whole points)
    first: dict[float | Fraction, int] = {}
    k = 1
    for s in sorted(counts, reverse=True):
        first[s] = k
        k += counts[s]
    return [first[s] for s in scores]


def join_ids(ids: Sequence[str], lang: str = "en", limit: int = 6) -> str:
    """``A, B and C`` / ``A, B og C``; longer lists end with ``and 4 more`` / ``og 4 til``.

    Examples
    --------
    >>> join_ids(["A", "B", "C"], "en"), join_ids(["A", "B"], "nb")
    ('A, B and C', 'A og B')
    >>> join_ids([str(i) for i in range(10)], "en", limit=3)
    '0, 1 and 8 more'
    """
    lang = check_lang(lang)
    items = [str(i) for i in ids]
    word = "og" if lang == "nb" else "and"
    if len(items) > limit:
        shown = items[: max(1, limit - 1)]
        rest = len(items) - len(shown)
        return ", ".join(shown) + f" {word} {rest} {'til' if lang == 'nb' else 'more'}"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} {items[-1]}"


def cut_list(items: Sequence[str], lang: str = "en", limit: int = 12, *, where: str = "") -> str:
    """A list for the terminal, cut after ``limit`` items: ``A, B, ... and 312 more`` /
    ``A, B, ... og 312 til``, with where the full list is (``where``) when cut.

    Examples
    --------
    >>> cut_list(["A", "B", "C"], "en")
    'A, B, C'
    >>> cut_list([f"X{i}" for i in range(315)], "en", limit=3, where="the decisions file")
    'X0, X1, X2 ... and 312 more (all in the decisions file)'
    >>> cut_list([f"X{i}" for i in range(5)], "nb", limit=2)
    'X0, X1 ... og 3 til'
    """
    lang = check_lang(lang)
    items = [str(i) for i in items]
    if len(items) <= limit:
        return ", ".join(items)
    rest = len(items) - limit
    more = f"og {rest} til" if lang == "nb" else f"and {rest} more"
    tail = f" ({'alle i' if lang == 'nb' else 'all in'} {where})" if where else ""
    return ", ".join(items[:limit]) + f" ... {more}{tail}"
