"""Merged cells in an .xlsx sheet: found in the workbook's XML (whatever reader read the
values) and refused with the range, its value and the fix (a merged cell reads as one value
and blanks, not as its value in every row it covers)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from allocator.exceptions import InputError

__all__ = ["merged_ranges", "refuse_merged_cells"]


def _a1(ref: str) -> tuple[int, int]:
    """'C12' -> (row 12, column 3), both 1-based."""
    m = re.fullmatch(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})", ref.strip().upper())
    if not m:
        return 0, 0
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def merged_ranges(p: Path, sheet: str) -> list[str]:
    """The merged cell ranges ('C2:C4') of a sheet, read from the workbook's XML (any reader)."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    }
    rel_ns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    try:
        with zipfile.ZipFile(p) as z:
            book = ElementTree.fromstring(z.read("xl/workbook.xml"))
            rid = next(
                (e.get(f"{{{ns['r']}}}id") for e in book.iterfind("m:sheets/m:sheet", ns) if e.get("name") == sheet),
                None,
            )
            rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next((e.get("Target") for e in rels.iter(f"{rel_ns}Relationship") if e.get("Id") == rid), None)
            if target is None:
                return []
            name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            xml = z.read(name)
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return []
    return [m.decode() for m in re.findall(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Za-z0-9:$]+)\"", xml)]


def refuse_merged_cells(p: Path, sheet: str, rows: list[list[Any]]) -> None:
    """InputError naming the first merged range of the sheet: its cells read as one value and blanks.

    ``rows`` are the sheet's rows as read (to name the value and the column's header).
    """
    ranges = merged_ranges(p, sheet)
    if not ranges:
        return
    first = ranges[0]
    (r0, c0), (r1, c1) = (_a1(x) for x in [*first.split(":"), first][:2])
    value = rows[r0 - 1][c0 - 1] if 0 < r0 <= len(rows) and 0 < c0 <= len(rows[r0 - 1]) else None
    header = next((r for r in rows if any(v is not None and str(v).strip() for v in r)), [])
    column = header[c0 - 1] if 0 < c0 <= len(header) else None
    named = f" (column {str(column)!r})" if column is not None and r0 > 1 else ""
    more = f"; {len(ranges) - 1} more merged range(s) after it" if len(ranges) > 1 else ""
    raise InputError(
        f"{p.name}, sheet {sheet!r}: cells {first}{named} are merged, holding {value!r}: a merged cell is read as its "
        f"value in {first.split(':')[0]} and blanks in the other {max(1, (r1 - r0 + 1) * (c1 - c0 + 1) - 1)} cell(s), "
        f"not as that value in every row{more}; unmerge the cells in Excel and fill in each row",
        row=r0,
        column=str(column) if column is not None else first,
        value=value,
    )
