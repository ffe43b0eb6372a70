"""Files in and out: CSV, spreadsheets (.xlsx, .xls, .ods) and JSON tables of applications, and decision tables.

Reading (:func:`read_table`, :func:`read_problem`):

- ``.csv``: the separator (``,``, ``;`` or tab) is detected from the header line. A
  ``;``-separated file is read the way Norwegian Excel writes it, with a decimal comma
  (``4,5``); numbers written with space thousands separators (``150 000``) become numbers
  too. UTF-8 with or without a byte-order mark; files that are not UTF-8 are read as
  Windows-1252 (what older Excel versions write).
- ``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``: the first sheet, or ``sheet=`` (a name or a
  0-based position), via python-calamine (openpyxl for .xlsx when calamine is missing).
- ``.json``: a list of records (one object per application; a ``scores`` object inside a
  record is spread into one column per criterion), or a whole :class:`~allocator.model.problem.Problem`
  as written by ``problem.model_dump_json()``.

Writing (:func:`write_decisions`): ``.csv`` (``,`` and decimal point; ``norwegian=True``
for ``;``, decimal comma and a byte-order mark so that Norwegian Excel opens it directly),
``.xlsx`` (one sheet, via xlsxwriter) or ``.json`` (the whole Solution).

Every failure a user can cause (missing file, unreadable file, unknown suffix, missing
sheet) is an :class:`~allocator.exceptions.InputError` naming the file and what to do.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from allocator.exceptions import InputError
from allocator.io.excel import SPREADSHEET_SUFFIXES, read_spreadsheet, write_xlsx
from allocator.model.cells import parse_number
from allocator.model.columns import text_columns
from allocator.model.problem import Problem
from allocator.solution import Solution

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["READ_SUFFIXES", "WRITE_SUFFIXES", "read_problem", "read_table", "write_decisions"]

READ_SUFFIXES = (".csv", *SPREADSHEET_SUFFIXES, ".json")
WRITE_SUFFIXES = (".csv", ".xlsx", ".json")

def _file(path: str | Path, suffixes: tuple[str, ...], verb: str) -> Path:
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
        For .csv: the text encoding. Default: UTF-8 (with or without BOM), else Windows-1252.
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
        df = _read_json_table(p)
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


def _decode(raw: bytes, encoding: str | None, p: Path) -> str:
    if encoding is not None:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(f"{p.name}: cannot decode as {encoding!r} ({exc}); give the file's encoding", value=encoding) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


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
        raise InputError(f"cannot read {str(p)!r}: {exc.strerror or exc}; check the file and its permissions", value=str(p)) from None
    text = _decode(raw, encoding, p)
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
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise InputError(
            f"cannot read {p.name} as a table separated by {sep!r}: {str(exc).strip()}; "
            "check that every row has as many cells as the header, or pass sep=",
            value=str(p),
        ) from None
    return _spaced_numbers(df, sep)


def _read_json(p: Path) -> Any:
    try:
        return json.loads(p.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{p.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", value=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {str(p)!r}: {exc}; give a UTF-8 JSON file", value=str(p)) from None


def _is_problem(data: Any) -> bool:
    return isinstance(data, dict) and "applications" in data and "criteria" in data


def _read_json_table(p: Path) -> pd.DataFrame:
    import pandas as pd

    data = _read_json(p)
    if _is_problem(data):

        return Problem.model_validate(data).to_frame()
    records = data.get("applications") if isinstance(data, dict) else data
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(
            f"{p.name}: expected a list of records (one object per application) or a Problem; "
            f"got {type(data).__name__}",
            value=str(p),
        )
    flat = []
    for r in records:
        row = {k: v for k, v in r.items() if k not in ("scores", "attributes")}
        for nested in ("scores", "attributes"):
            if isinstance(r.get(nested), dict):
                row.update({k: v for k, v in r[nested].items() if k not in row})
        if isinstance(row.get("tags"), list):
            row["tags"] = ";".join(str(t) for t in row["tags"])
        flat.append(row)
    return pd.DataFrame(flat)


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
        data = _read_json(p)
        if _is_problem(data):
            return _problem_from_json(data, p, frame=frame, weights=weights, **kw)
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


def _problem_from_json(
    data: dict[str, Any], p: Path, *, frame: int | None, weights: dict[str, float] | None, **kw: Any
) -> Problem:

    unknown = sorted(set(kw) - {"options", "name"})
    if unknown:
        raise InputError(
            f"{p.name} holds a whole Problem; {unknown[0]}= applies only to tables "
            "(give frame=, weights=, options= or name= to change it)",
            column=unknown[0],
        )
    problem: Problem = Problem.model_validate(data)
    if frame is not None:
        problem = problem.with_frame(frame)
    if weights is not None:
        problem = problem.with_weights(weights)
    if kw.get("options"):
        problem = problem.with_options(**dict(kw["options"]))
    if kw.get("name"):
        problem = problem.model_copy(update={"name": str(kw["name"])})
    return problem


def write_decisions(solution: Solution, path: str | Path, *, norwegian: bool = False) -> Path:
    """Write a solution's decisions to .csv, .xlsx or .json (chosen by the suffix).

    Parameters
    ----------
    solution
        The result of :func:`allocator.solve` (or :func:`allocator.rank_and_fund`).
    path
        Where to write; an existing file is replaced.
    norwegian
        For .csv: ';' separator, decimal comma and a UTF-8 byte-order mark, as Norwegian
        Excel expects. Default: ',' and a decimal point, UTF-8 without BOM.

    Returns
    -------
    Path
        The file written.
    """
    p = _file(path, WRITE_SUFFIXES, "write")
    suffix = p.suffix.lower()
    if not p.parent.exists():
        raise InputError(f"cannot write {str(p)!r}: folder {str(p.parent)!r} does not exist; create it first", value=str(p))
    try:
        if suffix == ".json":
            p.write_text(solution.model_dump_json(indent=2), encoding="utf-8")
            return p
        df = solution.to_frame()
        if suffix == ".csv":
            if norwegian:
                df.to_csv(p, sep=";", decimal=",", index=False, encoding="utf-8-sig")
            else:
                df.to_csv(p, index=False, encoding="utf-8")
        else:
            write_xlsx(df, p)
    except OSError as exc:
        raise InputError(f"cannot write {str(p)!r}: {exc.strerror or exc}; check the folder and that the file is not open", value=str(p)) from None
    return p
