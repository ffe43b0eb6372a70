"""Cells of the report's sheets: formats, typed columns, tables sized to their contents."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Col", "Formats", "plain", "table", "write"]

_HEADER_FILL = "#1F4E78"
_MAX_WIDTH = 60


def plain(value: Any) -> Any:
    """numpy scalars to Python, NaN to None (written as an empty cell)."""
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


@dataclass(frozen=True)
class Col:
    header: str
    kind: str  # text, money, score, int, pct, num
    width: float = 0.0


class Formats:
    """Cell formats by (kind, fill), created once per workbook."""

    def __init__(self, wb: Any, currency: str) -> None:
        self.wb = wb
        unit = "kr" if currency.upper() in ("NOK", "SEK", "DKK", "") else currency
        self.num = {
            "text": None,
            "money": f'#,##0 "{unit}"',
            "score": "0.0000",
            "int": "0",
            "pct": "0%",
            "num": "General",
        }
        self.cache: dict[tuple[str, str | None, bool], Any] = {}
        self.header = wb.add_format(
            {"bold": True, "font_color": "white", "bg_color": _HEADER_FILL, "text_wrap": True, "valign": "top"}
        )
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.section = wb.add_format({"bold": True, "font_size": 12, "bottom": 1})
        self.label = wb.add_format({"bold": True})

    def get(self, kind: str, fill: str | None = None, bold: bool = False) -> Any:
        key = (kind, fill, bold)
        if key not in self.cache:
            props: dict[str, Any] = {"valign": "top"}
            if self.num.get(kind):
                props["num_format"] = self.num[kind]
            if fill:
                props["bg_color"] = fill
            if bold:
                props["bold"] = True
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def _shown_len(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == "money" and isinstance(value, (int, float)):
        return len(f"{value:,.0f}") + 3
    if kind == "score" and isinstance(value, (int, float)):
        return 7
    return len(str(value))


def table(
    ws: Any, fmts: Formats, cols: list[Col], rows: list[list[Any]], fills: list[str | None], *, top: int = 0
) -> int:
    """Write a header and rows at row ``top``; autofilter, frozen header, widths. Returns rows used."""
    for c, col in enumerate(cols):
        ws.write_string(top, c, col.header, fmts.header)
    for r, (row, fill) in enumerate(zip(rows, fills, strict=True), start=top + 1):
        for c, (col, value) in enumerate(zip(cols, row, strict=True)):
            write(ws, r, c, value, fmts.get(col.kind, fill))
    last = top + len(rows)
    ws.autofilter(top, 0, max(last, top), len(cols) - 1)
    ws.freeze_panes(top + 1, 1)
    for c, col in enumerate(cols):
        longest = max(
            [_shown_len(row[c], col.kind) for row in rows] + [len(col.header) if len(col.header) < 14 else 12]
        )
        ws.set_column(c, c, min(_MAX_WIDTH, max(6, col.width, longest + 2)))
    return len(rows) + 1


def write(ws: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    value = plain(value)
    if value is None:
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)
