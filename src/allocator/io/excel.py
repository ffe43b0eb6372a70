"""Excel workbooks (.xlsx): read a sheet of applications (openpyxl), write a decision sheet (xlsxwriter)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from allocator.exceptions import AllocatorError, InputError
from allocator.model.columns import text_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["merged_ranges", "read_xlsx", "refuse_merged_cells", "write_xlsx"]


def read_xlsx(p: Path, sheet: str | int | None) -> pd.DataFrame:
    """The sheet (first, or by name / 0-based position) as a DataFrame; id and tag columns as text."""
    import pandas as pd

    try:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise AllocatorError("reading .xlsx needs openpyxl: pip install openpyxl") from None
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError) as exc:
        raise InputError(
            f"cannot read {p.name} as an Excel workbook ({type(exc).__name__}: {exc}); save it as .xlsx from Excel",
            value=str(p),
        ) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb[names[0]]
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(names):
                raise InputError(f"{p.name} has no sheet number {sheet} (0-based); its sheets are {names}; pass sheet=<name or number>", value=sheet)
            ws = wb[names[sheet]]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise InputError(f"{p.name} has no sheet {sheet!r}; its sheets are {names}; pass sheet=<name>", value=sheet)
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        title = ws.title
    finally:
        wb.close()
    refuse_merged_cells(p, title, rows)
    rows = [r for r in rows if any(v is not None and str(v).strip() for v in r)]
    if not rows:
        raise InputError(f"{p.name}: the sheet is empty; give a header row and one row per application", value=str(p))
    header = rows[0]
    width = max(i + 1 for i, v in enumerate(header) if v is not None and str(v).strip())
    names_ = [str(h).strip() if h is not None else f"column {i + 1}" for i, h in enumerate(header[:width])]
    body = [r[:width] + [None] * (width - len(r[:width])) for r in rows[1:]]
    df = pd.DataFrame(body, columns=names_)
    for col in text_columns(names_):
        df[col] = [None if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v in df[col]]
    return df.infer_objects()



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
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    rel_ns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    try:
        with zipfile.ZipFile(p) as z:
            book = ElementTree.fromstring(z.read("xl/workbook.xml"))
            rid = next((e.get(f"{{{ns['r']}}}id") for e in book.iterfind("m:sheets/m:sheet", ns) if e.get("name") == sheet), None)
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


def write_xlsx(df: pd.DataFrame, p: Path) -> None:
    """One sheet 'Decisions': header frozen, filter on, amounts with thousands separators."""
    import pandas as pd

    with pd.ExcelWriter(p, engine="xlsxwriter") as writer:
        df.to_excel(writer, sheet_name="Decisions", index=False)
        ws = writer.sheets["Decisions"]
        money = writer.book.add_format({"num_format": "#,##0"})
        for j, col in enumerate(df.columns):
            width = min(60, max([len(str(col))] + [len(str(v)) for v in df[col].tolist()]) + 2)
            ws.set_column(j, j, width, money if col in ("requested", "granted") else None)
        ws.freeze_panes(1, 1)
        if len(df):
            ws.autofilter(0, 0, len(df), len(df.columns) - 1)
