"""Excel workbooks (.xlsx): read a sheet of applications (openpyxl), write a decision sheet (xlsxwriter)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from allocator.exceptions import AllocatorError, InputError
from allocator.model.columns import text_columns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_xlsx", "write_xlsx"]


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
                raise InputError(f"{p.name} has no sheet number {sheet} (0-based); its sheets are {names}", value=sheet)
            ws = wb[names[sheet]]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise InputError(f"{p.name} has no sheet {sheet!r}; its sheets are {names}; pass sheet=<name>", value=sheet)
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
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
