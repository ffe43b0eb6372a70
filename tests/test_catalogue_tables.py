"""Bad-input catalogue, part 1: DataFrames, CSV, XLSX and JSON tables.

Each case is refused with the expected exception, a message naming the culprit (row, column,
value) and the fix, and leaves the caller's DataFrame and every file as they were (see
tests/catalogue.py). Part 2 (test_catalogue_files.py) covers .pb, TOML, the command line and
the arguments of the public functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from allocator import Problem, read_problem, read_table
from allocator.exceptions import AllocatorError, InputError
from tests.catalogue import Case, check

W = {"green": 0.5, "smart": 0.5}


def base() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["A-1", "A-2", "A-3", "A-4"],
            "requested": [100_000, 150_000, 80_000, 120_000],
            "green": [5, 3, 4, 2],
            "smart": [2, 5, 3, 4],
        },
        index=[7, 8, 9, 10],
    )


def cell(column: str, row: int, value: Any, df: pd.DataFrame | None = None) -> pd.DataFrame:
    """``base()`` (or ``df``) with one cell (1-based data row) replaced; the column becomes object."""
    out = (base() if df is None else df).copy()
    values = out[column].astype(object).tolist() if column in out else [None] * len(out)
    values[row - 1] = value
    out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


def ff(df: pd.DataFrame, **kw: Any) -> Callable[[Path], Any]:
    kw.setdefault("frame", 300_000)
    kw.setdefault("weights", W)
    kw.setdefault("scales", (1, 7))
    return lambda _: Problem.from_frame(df, **kw)


def frame_case(name: str, df: pd.DataFrame, says: tuple[str, ...], **kw: Any) -> Case:
    return Case(name, ff(df, **kw), InputError, says, objects=(df,))


def frame_cases() -> list[Case]:
    c: list[Case] = []
    r = "row 2 (id 'A-2'), column 'requested'"
    for name, value, what in [
        ("negative", -5000, "-5000"),
        ("zero", 0, "0"),
        ("fraction", 150_000.5, "150000.5"),
        ("text", "abc", "'abc'"),
        ("empty", None, "empty"),
        ("1e30", 1e30, "1e+30"),
        ("2**70", 2**70, "1180591620717411303424"),
        ("2**53", 2**53, "9007199254740992"),
        ("inf", np.inf, "inf"),
        ("ambiguous comma", "150,000", "'150,000'"),
        ("boolean", True, "True"),
        ("decimal comma", "150 000,50", "'150 000,50'"),
        ("400 digits", 10**400, "401 digits"),
        ("unicode digits", "١٥٠٠٠٠", "'١٥٠٠٠٠'"),
        ("superscript", "²", "'²'"),
        ("groups of two", "15 00 00", "'15 00 00'"),
    ]:
        c.append(frame_case(f"requested {name}", cell("requested", 2, value), (r, what)))
    c += [
        frame_case(
            "minimum above request",
            cell("minimum", 3, 90_000, base().assign(minimum=np.nan)),
            ("row 3 (id 'A-3'), column 'minimum'", "90000", "exceeds the requested amount 80000"),
        ),
        frame_case(
            "minimum fraction", cell("minimum", 1, 0.5, base().assign(minimum=np.nan)), ("row 1", "'minimum'", "0.5")
        ),
        frame_case(
            "total cost below request",
            cell("total_cost", 2, 50_000, base().assign(total_cost=np.nan)),
            ("row 2 (id 'A-2'), column 'total_cost'", "50000", "below the requested amount 150000"),
        ),
        frame_case(
            "total cost text",
            cell("total_cost", 4, "mye", base().assign(total_cost=np.nan)),
            ("row 4", "'total_cost'", "'mye'"),
        ),
        frame_case("duplicate id", cell("id", 4, "A-2"), ("rows 2 and 4", "'id'", "'A-2'")),
        frame_case(
            "NFC and NFD ids",
            base().assign(id=["\u00c5-1", "A\u030a-1", "x", "y"]),
            ("rows 1 and 2", "'Å-1'", "U+030A", "NFC"),
        ),
        frame_case(
            "zero-width space id", cell("id", 3, "A-1\u200b"), ("rows 1 and 3", "'A-1'", "U+200B ZERO WIDTH SPACE")
        ),
        frame_case(
            "no-break space id",
            base().assign(id=["A 1", "A\u00a01", "x", "y"]),
            ("rows 1 and 2", "U+00A0 NO-BREAK SPACE"),
        ),
        frame_case("empty id", cell("id", 2, "  "), ("row 2", "'id'", "empty")),
        frame_case("fractional id", cell("id", 2, 1.5), ("row 2", "'id'", "1.5")),
        frame_case("boolean id", cell("id", 1, False), ("row 1", "'id'", "False")),
        frame_case("score text", cell("green", 3, "høy"), ("row 3 (id 'A-3'), column 'green'", "'høy'")),
        frame_case("score empty", cell("smart", 1, None), ("row 1 (id 'A-1'), column 'smart'", "empty")),
        frame_case("score above scale", cell("green", 2, 9), ("row 2", "'green'", "9", "[1, 7]")),
        frame_case("score inf", cell("green", 2, np.inf), ("row 2", "'green'", "inf")),
        frame_case("score 1e12", cell("green", 2, 1e12), ("row 2", "'green'", "1000000000000", "range"), scales=None),
        frame_case(
            "threshold text (defect 10)", base(), ("threshold 'abc'", "'green'", "[1, 7]"), thresholds={"green": "abc"}
        ),
        frame_case("threshold outside scale", base(), ("threshold 9", "'smart'", "[1, 7]"), thresholds={"smart": 9}),
        frame_case(
            "weight 1e308", base(), ("weight 1e+308", "'green'", "largest weight"), weights={"green": 1e308, "smart": 1}
        ),
        frame_case(
            "weight 1e-308",
            base(),
            ("weight 1e-308", "'green'", "smallest positive weight"),
            weights={"green": 1e-308, "smart": 1},
        ),
        frame_case("weight negative", base(), ("weight -1", "'smart'"), weights={"green": 1, "smart": -1}),
        frame_case("weight nan", base(), ("weight nan", "'green'"), weights={"green": float("nan"), "smart": 1}),
        frame_case("weights all zero", base(), ("every weight is 0",), weights={"green": 0, "smart": 0}),
        frame_case("weights name a field", base(), ("'requested'", "application field"), weights={"requested": 1}),
        frame_case("weights unknown criterion", base(), ("'innovation'", "no column"), weights={"innovation": 1}),
        frame_case(
            "missing requested column", base().drop(columns="requested"), ("missing column 'requested'", "'id'")
        ),
        frame_case("frame zero", base(), ("frame 0",), frame=0),
        frame_case("frame text", base(), ("frame 'mye'",), frame="mye"),
        frame_case("frame 2**60", base(), ("frame 1152921504606846976", "largest amount"), frame=2**60),
        frame_case("frame ambiguous", base(), ("frame '2,300,000'", "2 300 000"), frame="2,300,000"),
        frame_case("min_total_score nan", base(), ("min_total_score nan", "finite"), min_total_score=float("nan")),
        frame_case("min_total_score inf", base(), ("min_total_score inf", "finite"), min_total_score=float("inf")),
        frame_case("scale reversed", base(), ("scale (7, 1)", "'green'"), scales={"green": (7, 1), "smart": (1, 7)}),
        frame_case("partial yes", base(), ("partial", "'yes'", "true or false"), options={"partial": "yes"}),
        frame_case("step zero", base(), ("step 0", "greater than 0"), options={"step": 0}),
        frame_case(
            "minimum 2**53",
            cell("minimum", 2, 2**53, base().assign(minimum=np.nan)),
            ("row 2", "'minimum'", "largest amount"),
        ),
        frame_case(
            "duplicate column", pd.concat([base(), base()[["green"]]], axis=1), ("column 'green'", "more than once")
        ),
        frame_case("unknown keyword", base(), ("unknown column keyword 'reqested'",), reqested="requested"),
    ]
    return c


def write_csv(text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda p: p.write_bytes(text.encode(encoding))


HEAD = "id,requested,green,smart\n"
ROWS = "A-1,100000,5,2\nA-2,150000,3,5\n"


def rp(name: str, **kw: Any) -> Callable[[Path], Any]:
    kw.setdefault("frame", 300_000)
    kw.setdefault("weights", W)
    kw.setdefault("scales", (1, 7))
    return lambda d: read_problem(d / name, **kw)


def csv_case(
    name: str,
    text: str | bytes,
    says: tuple[str, ...],
    *,
    call: Callable[[Path], Any] | None = None,
    error: type[BaseException] = InputError,
) -> Case:
    content = text.encode() if isinstance(text, str) else text
    return Case(name, call or rp("a.csv"), error, says, files={"a.csv": content})


def csv_cases() -> list[Case]:
    return [
        csv_case("UTF-16 without a mark", (HEAD + ROWS).encode("utf-16-le"), ("a.csv", "NUL bytes", "UTF-16")),
        csv_case(
            "Mac Roman (defect 25)",
            ("Søknadsnr,requested,green,smart\n" + ROWS).encode("mac_roman"),
            ("a.csv", "'S¿knadsnr'", "line 1", "'Søknadsnr'", "mac_roman"),
        ),
        csv_case(
            "undefined Windows-1252 byte", (HEAD + "Å-1,100000,5,2\n").encode("mac_roman"), ("a.csv", "0x81", "line 2")
        ),
        csv_case(
            "invalid UTF-16 after its mark", b"\xff\xfe" + b"i\x00d\x00\x00\xd8", ("a.csv", "UTF-16", "byte-order mark")
        ),
        csv_case("sep of two characters", HEAD + ROWS, ("sep 'ab'",), call=lambda d: read_table(d / "a.csv", sep="ab")),
        csv_case("sep a letter", HEAD + ROWS, ("sep 'x'",), call=lambda d: read_table(d / "a.csv", sep="x")),
        csv_case("too many cells", HEAD + "A-1,100000,5,2,9\n", ("line 2", "5 cells", "header of 4")),
        csv_case("requested 1e400", HEAD + "A-1,1e400,5,2\n", ("row 1 (id 'A-1'), column 'requested'", "inf")),
        csv_case(
            "requested 5000 digits", HEAD + "A-1," + "9" * 5000 + ",5,2\n", ("row 1", "'requested'", "5000 characters")
        ),
        csv_case(
            "requested ambiguous", HEAD + 'A-1,"2,300,000",5,2\n', ("row 1", "'requested'", "'2,300,000'", "2 300 000")
        ),
        csv_case(
            "requested with øre",
            "id;requested;green;smart\nA-1;kr 2 300 000,50;5;2\n",
            ("row 1", "'requested'", "'kr 2 300 000,50'", "whole"),
        ),
        csv_case("empty file", "", ("a.csv is empty",)),
        csv_case("header only", HEAD, ("no rows",)),
        csv_case(
            "zero-width duplicate ids", HEAD + "A-1,100000,5,2\nA-1\u200b,150000,3,5\n", ("rows 1 and 2", "U+200B")
        ),
        csv_case(
            "score with two commas", "id;requested;green;smart\nA-1;100000;4,5,6;2\n", ("row 1", "'green'", "'4,5,6'")
        ),
        csv_case(
            "unknown encoding",
            HEAD + ROWS,
            ("unknown encoding 'latin-9000'",),
            call=lambda d: read_table(d / "a.csv", encoding="latin-9000"),
        ),
        csv_case(
            "wrong encoding given",
            ("Søknadsnr,requested\n").encode(),
            ("not ascii text", "line 1, column 2"),
            call=lambda d: read_table(d / "a.csv", encoding="ascii"),
        ),
        csv_case(
            "csv total cost below request",
            "id,requested,total_cost,green,smart\nA-1,100000,90000,5,2\n",
            ("row 1 (id 'A-1'), column 'total_cost'", "90000", "below"),
        ),
        csv_case(
            "binary file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("a.csv", "NUL bytes", "not look like a text file")
        ),
        csv_case(
            "csv minimum above request",
            "id,requested,minimum,green,smart\nA-1,100000,200000,5,2\n",
            ("row 1", "'minimum'", "200000"),
        ),
        Case("missing file", rp("none.csv"), InputError, ("none.csv", "not found")),
        Case("xls workbook", rp("a.xls"), InputError, ("a.xls", "save it again"), files={"a.xls": b"x"}),
    ]


def xlsx(rows: list[list[Any]], merge: str | None = None, sheet: str = "Søknader") -> Callable[[Path], None]:
    def write(p: Path) -> None:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet
        for r in rows:
            ws.append(r)
        if merge:
            ws.merge_cells(merge)
        wb.save(p)

    return write


XH = ["id", "requested", "category", "green", "smart"]
XR = [["A-1", 100_000, "klynge", 5, 2], ["A-2", 150_000, None, 3, 5], ["A-3", 80_000, None, 4, 3]]


def xlsx_case(name: str, content: Callable[[Path], None] | bytes, says: tuple[str, ...], **kw: Any) -> Case:
    return Case(name, rp("a.xlsx", **kw), InputError, says, files={"a.xlsx": content})


def xlsx_cases() -> list[Case]:
    return [
        xlsx_case(
            "merged cells (defect 17)",
            xlsx([XH, *XR], merge="C2:C4"),
            ("sheet 'Søknader'", "C2:C4", "'category'", "'klynge'", "unmerge"),
        ),
        xlsx_case("merged header", xlsx([XH, *XR], merge="D1:E1"), ("D1:E1", "merged")),
        xlsx_case("not a workbook", b"id,requested\nA,1\n", ("a.xlsx", "as a spreadsheet")),
        xlsx_case("missing sheet", xlsx([XH, *XR]), ("no sheet 'Ark1'", "'Søknader'"), sheet="Ark1"),
        xlsx_case("sheet number too high", xlsx([XH, *XR]), ("no sheet number 3",), sheet=3),
        xlsx_case(
            "xlsx requested text",
            xlsx([XH, ["A-1", "mye", "k", 5, 2]]),
            ("row 1 (id 'A-1'), column 'requested'", "'mye'"),
        ),
        xlsx_case(
            "xlsx requested fraction", xlsx([XH, ["A-1", 100_000.25, "k", 5, 2]]), ("row 1", "'requested'", "100000.25")
        ),
        xlsx_case("empty sheet", xlsx([]), ("the sheet is empty",)),
        xlsx_case("duplicate ids", xlsx([XH, ["A-1", 1, "k", 5, 2], ["A-1", 2, "k", 5, 2]]), ("rows 1 and 2", "'A-1'")),
        xlsx_case(
            "score outside the scale", xlsx([XH, ["A-1", 100_000, "k", 8, 2]]), ("row 1", "'green'", "8", "[1, 7]")
        ),
    ]


def js(data: Any) -> bytes:
    return json.dumps(data).encode()


PROBLEM = {
    "frame": 300_000,
    "criteria": [{"name": "green", "weight": 1, "scale_min": 1, "scale_max": 7}],
    "applications": [
        {"id": "A-1", "requested": 100_000, "scores": {"green": 5}},
        {"id": "A-2", "requested": 150_000, "scores": {"green": 3}},
    ],
}


def problem_with(**changes: Any) -> bytes:
    data = json.loads(json.dumps(PROBLEM))
    for path, value in changes.items():
        *head, last = path.split("__")
        node: Any = data
        for k in head:
            node = node[int(k)] if k.isdigit() else node[k]
        node[int(last) if last.isdigit() else last] = value
    return js(data)


def json_case(name: str, content: bytes, says: tuple[str, ...], *, whole: bool = False) -> Case:
    call = (lambda d: read_problem(d / "a.json")) if whole else rp("a.json")
    return Case(name, call, InputError, says, files={"a.json": content})


def json_cases() -> list[Case]:
    rec = [{"id": "A-1", "requested": 100_000, "green": 5, "smart": 2}]
    return [
        json_case("nested 100 000 deep (defect 13)", b"[" * 100_000 + b"]" * 100_000, ("a.json", "nested too deeply")),
        json_case(
            "400-digit amount (defect 12)",
            b'[{"id": "A", "requested": 1' + b"0" * 400 + b', "green": 5, "smart": 2}]',
            ("row 1 (id 'A'), column 'requested'", "401 digits", "largest amount"),
        ),
        json_case(
            "5000-digit amount",
            b'[{"id": "A", "requested": ' + b"9" * 5000 + b', "green": 5, "smart": 2}]',
            ("a.json", "4 300 digits", "whole kroner"),
        ),
        json_case("not JSON", b"{id: A}", ("a.json is not valid JSON", "line 1")),
        json_case("a number", b"42", ("a.json", "expected a list of records", "int")),
        json_case(
            "float overflow",
            b'[{"id": "A", "requested": 1e400, "green": 5, "smart": 2}]',
            ("row 1 (id 'A')", "'requested'", "inf"),
        ),
        json_case(
            "invalid UTF-8", '[{"id": "Å"}]'.encode("cp1252"), ("a.json is not UTF-8", "0xC5", "line 1, column 10")
        ),
        json_case(
            "NaN score",
            b'[{"id": "A", "requested": 5, "green": NaN, "smart": 2}]',
            ("row 1 (id 'A'), column 'green'", "empty"),
        ),
        json_case(
            "problem: negative request",
            problem_with(applications__0__requested=-5),
            ("requested", "-5", "greater than 0"),
            whole=True,
        ),
        json_case(
            "problem: weight 1e308",
            problem_with(criteria__0__weight=1e308),
            ("weight", "1e+308", "largest weight"),
            whole=True,
        ),
        json_case(
            "problem: partial yes",
            problem_with(options={"partial": "yes"}),
            ("partial", "'yes'", "true or false"),
            whole=True,
        ),
        json_case(
            "problem: total cost below",
            problem_with(applications__1__total_cost=100),
            ("'A-2'", "total cost 100", "below"),
            whole=True,
        ),
        json_case(
            "problem: NFD duplicate",
            problem_with(applications__0__id="\u00c5", applications__1__id="A\u030a"),
            ("'Å'", "more than once"),
            whole=True,
        ),
        json_case(
            "problem: frame 2**53",
            problem_with(frame=2**53),
            ("frame", "9007199254740992", "largest amount"),
            whole=True,
        ),
        json_case(
            "problem: score 1e300", problem_with(criteria__0__scale_max=1e300), ("scale_max", "1e+300"), whole=True
        ),
        Case(
            "records and a bad weight",
            rp("a.json", weights={"green": -2, "smart": 1}),
            InputError,
            ("weight -2", "'green'"),
            files={"a.json": js(rec)},
        ),
    ]


CASES = frame_cases() + csv_cases() + xlsx_cases() + json_cases()


def test_the_catalogue_is_large_and_covers_every_input() -> None:
    assert len(CASES) >= 80
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(case: Case, tmp_path: Path) -> None:
    msg = check(case, tmp_path)
    assert issubclass(case.error, AllocatorError)
    assert "\n" not in msg.strip()
