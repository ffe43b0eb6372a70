"""Files in and out: CSV, spreadsheets (.xlsx, .xls, .ods) and JSON tables of applications, and decision tables.

Reading (:func:`read_table`, :func:`read_problem`):

- ``.csv``: the separator (``,``, ``;`` or tab) is detected from the header line. A
  ``;``-separated file is read the way Norwegian Excel writes it, with a decimal comma
  (``4,5``); numbers written with space thousands separators (``150 000``) become numbers
  too. The encoding is detected by :func:`allocator.model.encoding.decode`: a byte-order
  mark (UTF-8, UTF-16, UTF-32), else UTF-8, else Windows-1252 (what older Excel versions
  write) when the text reads as a Norwegian table can; anything else (a Mac Roman file,
  UTF-16 without a mark) is refused with the line and the fix. ``sep`` must be one
  character.
- ``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``: the first sheet, or ``sheet=`` (a name or a
  0-based position), via python-calamine (openpyxl for .xlsx when calamine is missing).
  An .xlsx sheet with merged cells is refused (a merged cell reads as one value and blanks, not
  as its value in every row it covers): unmerge them and fill in each row.
- ``.json``: a list of records (one object per application; a ``scores`` object inside a
  record is spread into one column per criterion), or a whole :class:`~allocator.model.problem.Problem`
  as written by ``problem.model_dump_json()``. UTF-8, or UTF-16/32 with a byte-order mark.

Writing (:func:`write_decisions`, atomic: see :mod:`allocator.io.atomic`): ``.csv`` (``,`` and decimal point; ``norwegian=True``
for ``;``, decimal comma and a byte-order mark so that Norwegian Excel opens it directly),
``.xlsx`` (one sheet, via xlsxwriter) or ``.json`` (the whole Solution).

Every failure a user can cause (missing file, unreadable file, unknown suffix, missing
sheet) is an :class:`~allocator.exceptions.InputError` naming the file and what to do.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Hashable
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.exceptions import InputError
from allocator.io.atomic import replacing
from allocator.io.excel import SPREADSHEET_SUFFIXES, read_spreadsheet, write_xlsx
from allocator.io.json_tables import is_problem, problem_from_json, read_json, read_json_table
from allocator.model.cells import parse_number
from allocator.model.columns import text_columns
from allocator.model.encoding import decode
from allocator.model.guards import expect
from allocator.model.problem import Problem
from allocator.model.solution import Solution

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["READ_SUFFIXES", "WRITE_SUFFIXES", "read_problem", "read_table", "write_decisions"]

READ_SUFFIXES = (".csv", *SPREADSHEET_SUFFIXES, ".json")
WRITE_SUFFIXES = (".csv", ".xlsx", ".json")


def _file(path: str | Path, suffixes: tuple[str, ...], verb: str) -> Path:
    if not isinstance(path, (str, PathLike)):
        raise TypeError(
            f"expected the path of a file to {verb} (str or pathlib.Path), got {type(path).__name__}; "
            f"give e.g. 'applications{suffixes[0]}'"
        )
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in suffixes:
        hint = "; save the workbook as .xlsx" if suffix in (".xlsb", ".numbers") else ""
        raise InputError(
            f"cannot {verb} {str(p)!r}: unknown file type {suffix or '(no suffix)'!r}; "
            f"use one of {', '.join(suffixes)}{hint}",
            column="path",
            value=str(p),
        )
    if verb == "read":
        if not p.exists():
            raise InputError(f"file {str(p)!r} not found; check the path", column="path", value=str(p))
        if not p.is_file():
            raise InputError(f"{str(p)!r} is not a file; give the path of a {suffix} file", column="path", value=str(p))
    return p


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    **columns: Hashable,
) -> pd.DataFrame:
    """Read a table of applications from .csv, .xlsx / .xls / .ods or .json into a DataFrame.

    Parameters
    ----------
    path
        The file; its suffix chooses the reader.
    sheet
        For spreadsheets: the sheet's name or 0-based position. Default: the first sheet.
    sep
        For .csv: the separator. Default: detected from the header line (';', ',' or tab).
    encoding
        For .csv: the text encoding. Default: detected (a byte-order mark, else UTF-8, else
        Windows-1252 when it reads right; see :func:`allocator.model.encoding.decode`).
    **columns
        Optional column mapping (``requested="Søknadsbeløp"``): the named columns are
        renamed to the field or criterion name in the returned table.

    Returns
    -------
    pandas.DataFrame
        The table as written, headers unchanged (except the renames asked for). Id and tag
        columns are text.

    Examples
    --------
    >>> from allocator.data import EXAMPLE_CSV
    >>> df = read_table(EXAMPLE_CSV)
    >>> df.shape, df["Søknadsbeløp"].dtype.kind
    ((26, 15), 'i')
    """
    p = _file(path, READ_SUFFIXES, "read")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        df = _read_csv(p, sep=sep, encoding=encoding)
    elif suffix in SPREADSHEET_SUFFIXES:
        df = read_spreadsheet(p, sheet)
    else:
        df = read_json_table(p)
    if columns:
        missing = [str(c) for c in columns.values() if c not in df.columns]
        if missing:
            raise InputError(
                f"{p.name}: column {missing[0]!r} is not in the table; the table has columns "
                f"{[str(c) for c in df.columns]}; correct the column mapping",
                column=missing[0],
            )
        df = df.rename(columns={v: k for k, v in columns.items()})
    return df


def _check_sep(sep: str | None, p: Path) -> None:
    """``sep`` is None or one character that can separate cells."""
    if sep is None:
        return
    if not isinstance(sep, str):
        raise TypeError(f"read_table: sep must be a one-character str such as ';' or ',', not {type(sep).__name__}")
    if len(sep) != 1 or sep in '\r\n"' or sep.isalnum():
        raise InputError(
            f"{p.name}: sep {sep!r} cannot separate cells; give one character such as ';', ',' or '\\t', "
            "or leave sep out to detect it from the header line",
            column="sep",
            value=sep,
        )


def _detect_sep(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {s: len(re.findall(re.escape(s), re.sub(r'"[^"]*"', "", header))) for s in (";", ",", "\t")}
    best = max(counts, key=lambda s: (counts[s], s == ";"))
    return best if counts[best] else ","


_SPACED = {
    ";": re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?$"),
    ",": re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:\.\d+)?$"),
}


def _spaced_numbers(df: pd.DataFrame, sep: str) -> pd.DataFrame:
    """Columns of numbers written with space thousands separators ("150 000") as numbers."""
    import pandas as pd

    pattern = _SPACED.get(sep, _SPACED[","])
    plain = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
    converted: dict[Any, Any] = {}
    for col in df.columns:
        if df[col].dtype.kind in "iufb":
            continue
        values = df[col].tolist()
        texts = [v.strip() for v in values if isinstance(v, str) and v.strip()]
        if not texts or len(texts) != sum(1 for v in values if not pd.isna(v)):
            continue
        if not any(pattern.match(t) for t in texts) or not all(pattern.match(t) or plain.match(t) for t in texts):
            continue
        numbers = [parse_number(v) for v in values]
        if all(x is None or float(x).is_integer() for x in numbers):
            converted[col] = pd.array([None if x is None else int(x) for x in numbers], dtype="Int64")
            if not any(x is None for x in numbers):
                converted[col] = converted[col].astype("int64")
        else:
            converted[col] = [float("nan") if x is None else x for x in numbers]
    for col, v in converted.items():  # df is our own, freshly read
        df[col] = v
    return df


def _read_csv(p: Path, *, sep: str | None, encoding: str | None) -> pd.DataFrame:
    import pandas as pd

    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read {str(p)!r}: {exc.strerror or exc}; check the file and its permissions", value=str(p)
        ) from None
    _check_sep(sep, p)
    text = decode(raw, p.name, encoding=encoding)
    if not text.strip():
        raise InputError(f"{p.name} is empty; give a header row and one row per application", value=str(p))
    sep = sep or _detect_sep(text)
    decimal = "," if sep == ";" else "."
    try:
        reader = csv.reader(io.StringIO(text), delimiter=sep)
        header = next(reader)
        for record in reader:
            if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
                raise InputError(
                    f"{p.name}, line {reader.line_num}: {len(record)} cells under a header of {len(header)} "
                    f"columns; check that every row has as many cells as the header, or pass sep= "
                    f"(the separator was taken to be {sep!r})",
                    row=reader.line_num - 1,
                    value=sep.join(record),
                )
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            decimal=decimal,
            dtype={h: str for h in text_columns(header)},
            skipinitialspace=True,
            skip_blank_lines=True,
        )
    except InputError:
        raise
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise InputError(
            f"cannot read {p.name} as a table separated by {sep!r}: {str(exc).strip()}; "
            "check that every row has as many cells as the header, or pass sep=",
            value=str(p),
        ) from None
    return _spaced_numbers(df, sep)


def read_problem(
    path: str | Path,
    *,
    frame: int | None = None,
    weights: dict[str, float] | None = None,
    sheet: str | int | None = None,
    **kw: Any,
) -> Problem:
    """Read a problem from a file: a table of applications, or a whole Problem as JSON.

    Parameters
    ----------
    path
        .csv, .xlsx / .xls / .ods or .json.
    frame, weights
        Required for a table (see :func:`~allocator.model.table.problem_from_frame`).
        For a Problem JSON they are optional and replace the file's frame / weights.
    sheet
        For spreadsheets: which sheet (default the first).
    **kw
        For a table: everything :func:`~allocator.model.table.problem_from_frame`
        takes (``scales``, ``thresholds``, ``labels``, ``options``, ``name``, column
        mapping); the name defaults to the file's stem. For a Problem JSON: ``options``
        (a dict of changed options) and ``name`` only.

    Examples
    --------
    >>> from allocator.data import EXAMPLE_CSV
    >>> p = read_problem(EXAMPLE_CSV, frame=2_300_000, weights={"green": 0.6, "smart": 0.4}, scales=(1, 7))
    >>> p.name, p.total_requested
    ('vtfk_2022_round2', 4705000)
    """
    p = _file(path, READ_SUFFIXES, "read")
    if p.suffix.lower() == ".json":
        data = read_json(p)
        if is_problem(data):
            return problem_from_json(data, p, frame=frame, weights=weights, **kw)
    if frame is None or weights is None:
        missing = "frame" if frame is None else "weights"
        raise InputError(
            f"{p.name} is a table of applications: give {missing}=..., e.g. "
            "frame=2_300_000, weights={'green': 0.4, 'smart': 0.3, 'innovation': 0.3}",
            column=missing,
        )

    df = read_table(p, sheet=sheet)
    kw.setdefault("name", p.stem)
    return Problem.from_frame(df, frame=frame, weights=weights, **kw)


def write_decisions(solution: Solution, path: str | Path, *, norwegian: bool = False) -> Path:
    """Write a solution's decisions to .csv, .xlsx or .json (chosen by the suffix).

    Parameters
    ----------
    solution
        The result of :func:`allocator.solve` (or :func:`allocator.rank_and_fund`).
    path
        Where to write; an existing file is replaced atomically (written beside it and
        renamed into place: if writing fails, the old file is left as it was).
    norwegian
        For .csv: ';' separator, decimal comma and a UTF-8 byte-order mark, as Norwegian
        Excel expects. Default: ',' and a decimal point, UTF-8 without BOM.

    Returns
    -------
    Path
        The file written.
    """
    expect(
        solution,
        Solution,
        "write_decisions",
        "an allocator.Solution",
        "give the result of allocator.solve or allocator.rank_and_fund",
    )
    expect(
        path,
        (str, PathLike),
        "write_decisions",
        "a path (str or pathlib.Path)",
        "give where to write, e.g. 'decisions.xlsx'",
    )
    p = _file(path, WRITE_SUFFIXES, "write")
    suffix = p.suffix.lower()
    if not p.parent.exists():
        raise InputError(
            f"cannot write {str(p)!r}: folder {str(p.parent)!r} does not exist; create it first", value=str(p)
        )
    if p.is_dir():
        raise InputError(
            f"cannot write {str(p)!r}: it is a folder; give a file name such as {str(p / ('decisions' + suffix))!r}",
            value=str(p),
        )
    try:
        with replacing(p) as tmp:
            if suffix == ".json":
                tmp.write_text(solution.model_dump_json(indent=2), encoding="utf-8")
            else:
                df = solution.to_frame()
                if suffix == ".csv" and norwegian:
                    df.to_csv(tmp, sep=";", decimal=",", index=False, encoding="utf-8-sig")
                elif suffix == ".csv":
                    df.to_csv(tmp, index=False, encoding="utf-8")
                else:
                    write_xlsx(df, tmp)
    except OSError as exc:
        raise InputError(
            f"cannot write {str(p)!r}: {exc.strerror or exc}; check the folder, the free space and that the file is not "
            "open (the previous file, if any, is unchanged)",
            value=str(p),
        ) from None
    return p
