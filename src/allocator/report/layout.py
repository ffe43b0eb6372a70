"""How the workbook looks and prints: cell formats per language, A4 print setup, tables.

Every sheet is set up to print as it is on A4: landscape, one page wide (the Summary on one
page), the header rows and the id/title columns repeated on every page, and a footer with
the call, the date and "side X av Y" / "page X of Y". Text is written as text, never as a
formula, so a title beginning with ``=`` cannot run in the adviser's spreadsheet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from allocator.words import term

__all__ = [
    "DIFFERS_FILL",
    "FUNDED_FILL",
    "INELIGIBLE_FILL",
    "PARTLY_FILL",
    "STATE_AID_FILL",
    "Col",
    "Formats",
    "line_height",
    "lines_of",
    "print_setup",
    "write_cell",
    "write_table",
]

FUNDED_FILL = "#E2EFDA"  # light green: funded in full
PARTLY_FILL = "#DDEBF7"  # light blue: funded in part
INELIGIBLE_FILL = "#EDEDED"  # grey: does not meet the minimum requirements
DIFFERS_FILL = "#FFF2CC"  # light yellow: the two portfolios differ
STATE_AID_FILL = "#FCE4D6"  # light orange: to be reported to the state-aid register
_HEADER_FILL = "#1F4E78"
_MAX_WIDTH = 60


@dataclass(frozen=True)
class Col:
    """A column of a table: its header, the kind of its cells and its width (characters).

    Kinds: ``text``, ``wrap`` (text that wraps, for sentences), ``money``, ``points`` (two
    decimals), ``score`` (three decimals), ``exact`` (the full float), ``int``, ``pct``
    (a share shown in per cent, one decimal), ``pct_signed`` (the same with its sign),
    ``center`` (short text, centred).
    """

    header: str
    kind: str = "text"
    width: float = 0.0


class Formats:
    """Cell formats by (kind, fill, bold), created once per workbook, in one language."""

    def __init__(self, wb: Any, currency: str, lang: str) -> None:
        self.wb = wb
        unit = (currency or "NOK").upper()
        # the locale tag makes the separators those of the language in any spreadsheet that
        # reads it (LibreOffice); Excel uses the reader's own settings, Norwegian for an adviser
        loc = "[$-414]" if lang == "nb" else "[$-809]"
        money = f'{loc}#,##0 "{"kr" if unit == "NOK" else unit}"' if lang == "nb" else f'{loc}"{unit} "#,##0'
        pct = f"{loc}0.0\\ %" if lang == "nb" else f"{loc}0.0%"
        signed = f"{loc}+0.0\\ %;-0.0\\ %" if lang == "nb" else f"{loc}+0.0%;-0.0%"
        self.num = {
            "money": money,
            "points": f"{loc}0.00",
            "score": f"{loc}0.000",
            "exact": f"{loc}0.000000000",
            "int": "0",
            "pct": pct,
            "pct_signed": signed,
        }
        self.cache: dict[tuple[str, str | None, bool], Any] = {}
        self.header = wb.add_format(
            {
                "bold": True,
                "font_color": "white",
                "bg_color": _HEADER_FILL,
                "text_wrap": True,
                "valign": "top",
                "border": 1,
            }
        )
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.subtitle = wb.add_format({"italic": True, "font_color": "#595959"})
        self.section = wb.add_format({"bold": True, "font_size": 12, "bottom": 1})
        self.label = wb.add_format({"bold": True, "valign": "top"})
        self.note = wb.add_format({"text_wrap": True, "valign": "top", "italic": True})

    def get(self, kind: str, fill: str | None = None, bold: bool = False) -> Any:
        """The format for a cell of ``kind`` (see :class:`Col`)."""
        key = (kind, fill, bold)
        if key not in self.cache:
            props: dict[str, Any] = {"valign": "top"}
            if kind in self.num:
                props["num_format"] = self.num[kind]
            if kind == "wrap":
                props["text_wrap"] = True
            if kind == "center":
                props["align"] = "center"
            if fill:
                props["bg_color"] = fill
            if bold:
                props["bold"] = True
                props["top"] = 1
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def _footer_text(text: str) -> str:
    """Text for a header/footer: '&' doubled (a code otherwise), kept short."""
    text = " ".join(str(text).split())
    if len(text) > 70:
        text = text[:69] + "…"
    return text.replace("&", "&&")


def print_setup(
    ws: Any,
    *,
    lang: str,
    call: str,
    date: str,
    header_rows: tuple[int, int] | None = None,
    id_columns: int = 0,
    one_page: bool = False,
) -> None:
    """A4 landscape, one page wide (or one page), repeated rows and columns, a footer."""
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.7)
    ws.fit_to_pages(1, 1 if one_page else 0)
    if header_rows is not None:
        ws.repeat_rows(*header_rows)
    if id_columns:
        ws.repeat_columns(0, id_columns - 1)
    # a space after the font size code: "&8" followed by a date's digits would be read as "&801"
    ws.set_footer(f"&L&8 {_footer_text(call)}&C&8 {_footer_text(date)}&R&8 {term('footer.page', lang)}")


def _plain(value: Any) -> Any:
    """numpy scalars to Python, NaN to None (an empty cell)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            value = str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is not None and not isinstance(value, (str, int, float, bool)):
        try:
            import pandas as pd

            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
        return str(value)
    return value


def write_cell(ws: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    """One cell, as text or number (never a formula)."""
    value = _plain(value)
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _shown_len(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == "money" and isinstance(value, (int, float)):
        return len(f"{value:,.0f}") + 4
    if kind in ("points", "score", "pct") and isinstance(value, (int, float)):
        return 7
    return max((len(line) for line in str(value).splitlines()), default=0)


def write_table(
    ws: Any,
    fmts: Formats,
    cols: Sequence[Col],
    rows: Sequence[Sequence[Any]],
    fills: Sequence[str | None] | None = None,
    *,
    top: int = 0,
    filter: bool = True,
    freeze_columns: int = 1,
) -> int:
    """Write a header at row ``top`` and the rows below it; filter, frozen header, widths.

    Returns the index of the row after the last one written.
    """
    fills = list(fills) if fills is not None else [None] * len(rows)
    widths = []
    for c, col in enumerate(cols):
        if col.width:
            width = col.width
        else:
            longest = max([_shown_len(row[c], col.kind) for row in rows] + [min(len(col.header), 14)])
            width = min(_MAX_WIDTH, max(8, longest + 2))
        widths.append(width)
        ws.set_column(c, c, width)
    for c, col in enumerate(cols):
        ws.write_string(top, c, col.header, fmts.header)
    ws.set_row(
        top,
        line_height(max(lines_of(col.header, w) for col, w in zip(cols, widths, strict=True))),
    )
    for r, (row, fill) in enumerate(zip(rows, fills, strict=True), start=top + 1):
        for c, (col, value) in enumerate(zip(cols, row, strict=True)):
            write_cell(ws, r, c, value, fmts.get(col.kind, fill))
        wrapped = [
            lines_of(v, w)
            for v, col, w in zip(row, cols, widths, strict=True)
            if col.kind == "wrap" and isinstance(v, str)
        ]
        if wrapped and max(wrapped) > 1:
            ws.set_row(r, line_height(max(wrapped)))
    last = top + len(rows)
    if filter and rows:
        ws.autofilter(top, 0, last, len(cols) - 1)
    ws.freeze_panes(top + 1, freeze_columns)
    return last + 1


def lines_of(text: str, width: float) -> int:
    """How many lines ``text`` takes in a wrapped cell ``width`` characters wide (by words)."""
    room = max(1, int(width) - 2)
    n = 0
    for para in str(text).splitlines() or [""]:
        used = 0
        n += 1
        for word in para.split():
            need = len(word) + (1 if used else 0)
            if used and used + need > room:
                n += 1
                used = len(word)
            else:
                used += need
    return n


def line_height(lines: int) -> float:
    """Row height in points for ``lines`` lines of 11-point text."""
    return 15.0 * max(1, lines)
