"""Adapters: DataFrame <-> Problem, CSV / Excel / JSON in, decisions out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

import allocator
from allocator import AllocatorError, Problem, Solution, Status
from allocator.exceptions import InputError
from allocator.io.tables import read_problem, read_table, write_decisions
from allocator.model.cells import parse_amount, parse_number, parse_tags
from tests.conftest import examples

W = {"green": 0.5, "smart": 0.3, "innovation": 0.2}


def norwegian() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Søknadsnr": ["007", "008", "009"],
            "Tittel": ["Vann", "Nano", "IT"],
            "Søker": ["Eksempel A AS", "Eksempel B AS", "Eksempel C SA"],
            "Søknadsbeløp": ["150 000", "kr 200.000", "90 000,00"],
            "Minstebeløp": [100_000, None, 45_000],
            "Totalkostnad": [400_000, 350_000, 200_000],
            "Tema": ["vann", "nano", "IT"],
            "Stikkord": ["Telemark; ny søker", "Vestfold,FoU", None],
            "Grønn omstilling": [6, 5, 3],
            "Smart spesialisering": ["5,5", "6", "4"],
            "Innovasjon": [4, 7, 2],
            "Fylkesdel": ["Telemark", "Vestfold", "Telemark"],
            "Annen offentlig støtte": [0, 50_000, None],
        }
    )


# ------------------------------------------------------------------ parsing
@pytest.mark.parametrize(
    ("text", "kroner"),
    [
        ("150000", 150_000),
        ("150 000", 150_000),
        ("150\u00a0000", 150_000),
        ("150\u202f000", 150_000),
        ("150 000,00", 150_000),
        ("150.000", 150_000),
        ("1.500.000,-", 1_500_000),
        ("kr 150.000", 150_000),
        ("150 000 kr", 150_000),
        ("NOK 150000", 150_000),
        ("150000.0", 150_000),
        (150_000.0, 150_000),
        (np.int64(150_000), 150_000),
        (np.float32(2048.0), 2048),
    ],
)
def test_amounts_written_the_norwegian_way(text: Any, kroner: int) -> None:
    assert parse_amount(text) == kroner


@pytest.mark.parametrize("bad", ["150,000", "1,500,000", "abc", "150 000,50", "12.5", "inf", "kr", "--5"])
def test_amounts_that_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(bad)


@given(st.integers(min_value=1, max_value=10**10), st.sampled_from([" ", "\u00a0", "."]), st.booleans(), st.booleans())
@examples(60)
def test_any_formatted_amount_reads_back(kroner: int, sep: str, decimals: bool, prefix: bool) -> None:
    text = f"{kroner:,}".replace(",", sep) + (",00" if decimals else "")
    if prefix:
        text = "kr " + text
    assert parse_amount(text) == kroner


def test_scores_and_tags() -> None:
    assert parse_number("4,5") == 4.5
    assert parse_number("  ") is None
    assert parse_tags("a; b ,,c") == ("a", "b", "c")


# -------------------------------------------------------------- from a frame
def test_norwegian_headers_are_recognised_and_the_frame_is_untouched() -> None:
    df = norwegian()
    before = df.copy(deep=True)
    p = Problem.from_frame(
        df,
        frame="2 300 000",
        weights={"green": 0.5, "smart": 0.3, "innovation": 0.2},
        scales=(1, 7),
        name="t",  # type: ignore[arg-type]
    )
    assert df.equals(before) and df.dtypes.equals(before.dtypes)
    a, b, c = p.applications
    assert (a.id, a.title, a.applicant, a.category) == ("007", "Vann", "Eksempel A AS", "vann")
    assert [x.requested for x in p.applications] == [150_000, 200_000, 90_000]
    assert [x.minimum for x in p.applications] == [100_000, None, 45_000]
    assert [x.total_cost for x in p.applications] == [400_000, 350_000, 200_000]
    assert a.tags == ("Telemark", "ny søker") and b.tags == ("Vestfold", "FoU") and c.tags == ()
    assert a.scores == {"green": 6.0, "smart": 5.5, "innovation": 4.0}
    assert a.attributes == {"Fylkesdel": "Telemark", "Annen offentlig støtte": 0}
    assert c.attributes["Annen offentlig støtte"] is None
    assert p.frame == 2_300_000
    assert [cr.label for cr in p.criteria] == ["Grønn omstilling", "Smart spesialisering", "Innovasjon"]


def test_headers_match_ignoring_case_and_spaces() -> None:
    df = norwegian().rename(columns={"Søknadsbeløp": "  SØKNADSBELØP ", "Grønn omstilling": "grønn   omstilling"})
    p = Problem.from_frame(df, frame=500_000, weights=W, scales=(1, 7))
    assert p.applications[1].requested == 200_000
    assert p.applications[0].scores["green"] == 6.0


def test_explicit_mapping_wins_over_recognised_headers() -> None:
    df = norwegian().assign(Egen=[1, 2, 3])
    p = Problem.from_frame(df, frame=500_000, weights={"green": 1, "own": 1}, own="Egen", green="Innovasjon", scales=7)
    assert [a.scores["green"] for a in p.applications] == [4.0, 7.0, 2.0]
    assert [a.scores["own"] for a in p.applications] == [1.0, 2.0, 3.0]
    # "Grønn omstilling" is no criterion now, so it is kept as an attribute
    assert p.applications[0].attributes["Grønn omstilling"] == 6


def test_scale_defaults_and_forms() -> None:
    df = pd.DataFrame({"id": ["a", "b"], "requested": [1, 2], "green": [2, 4], "smart": [1, 3]})
    p = Problem.from_frame(df, frame=3, weights={"green": 1, "smart": 1})
    # default: one scale shared by every criterion, 0 to the largest score in any of them
    assert [(c.scale_min, c.scale_max) for c in p.criteria] == [(0, 4), (0, 4)]
    assert all(c.scale_inferred for c in p.criteria)
    p = Problem.from_frame(df, frame=3, weights={"green": 1, "smart": 1}, scales=5)
    assert [(c.scale_min, c.scale_max) for c in p.criteria] == [(0, 5), (0, 5)]
    assert not any(c.scale_inferred for c in p.criteria)
    p = Problem.from_frame(df, frame=3, weights={"green": 1, "smart": 1}, scales={"green": (1, 7)})
    assert [(c.scale_min, c.scale_max) for c in p.criteria] == [(1, 7), (0, 3)]  # shared by those without one
    assert [c.scale_inferred for c in p.criteria] == [False, True]
    zeros = df.assign(smart=[0, 0], green=[0, 0])
    p = Problem.from_frame(zeros, frame=3, weights={"green": 1, "smart": 1})
    assert p.criteria[1].scale_max == 1  # all zeros: a scale of (0, 1)


def test_thresholds_make_applications_ineligible() -> None:
    df = pd.DataFrame({"id": ["a", "b", "c"], "requested": [100, 100, 100], "green": [2, 6, 7], "smart": [7, 7, 1]})
    p = Problem.from_frame(df, frame=300, weights={"green": 1, "smart": 1}, scales=(1, 7), thresholds={"green": 3})
    s = allocator.solve(p)
    assert s.funded_ids == ["b", "c"]
    assert "threshold" in s.decision("a").note.lower() or not s.decision("a").eligible
    q = Problem.from_frame(df, frame=300, weights={"green": 1, "smart": 1}, scales=(1, 7), min_total_score=1.3)
    assert q.options.min_total_score == 1.3
    assert allocator.solve(q).funded_ids == ["b"]  # weighted: a 9/7, b 13/7, c 8/7


def test_options_and_from_frame_method() -> None:
    df = norwegian()
    p = Problem.from_frame(df, frame=300_000, weights=W, scales=(1, 7), options={"partial": True, "step": 5000})
    assert p.options.partial and p.options.step == 5000
    assert Problem.from_frame(df, frame=300_000, weights=W, scales=(1, 7)) == Problem.from_frame(
        df, frame=300_000, weights=W, scales=(1, 7)
    )


def test_row_order_changes_no_decision() -> None:
    df = norwegian()
    p = Problem.from_frame(df, frame=300_000, weights=W, scales=(1, 7))
    q = Problem.from_frame(df.iloc[[2, 0, 1]], frame=300_000, weights=W, scales=(1, 7))
    assert allocator.solve(p).grants == allocator.solve(q).grants


def test_to_frame_round_trip() -> None:
    p = Problem.from_frame(norwegian(), frame=300_000, weights=W, scales=(1, 7), name="x")
    df = p.to_frame()
    assert df["minimum"].dtype == "Int64" and df["requested"].dtype == "int64"
    q = Problem.from_frame(
        df,
        frame=p.frame,
        weights=p.weights,
        scales={c.name: (c.scale_min, c.scale_max) for c in p.criteria},
        labels={c.name: c.label for c in p.criteria},
        name="x",
    )
    assert q == p


scores = st.integers(1, 7)


@st.composite
def tables(draw: Any) -> pd.DataFrame:
    n = draw(st.integers(1, 8))
    ids = draw(st.lists(st.text("ABC123-", min_size=1, max_size=5), min_size=n, max_size=n, unique=True))
    req = draw(st.lists(st.integers(1, 5_000_000), min_size=n, max_size=n))
    mins = [draw(st.one_of(st.none(), st.integers(1, r))) for r in req]
    return pd.DataFrame(
        {
            "id": ids,
            "requested": req,
            "minimum": pd.array(mins, dtype="Int64"),
            "green": draw(st.lists(scores, min_size=n, max_size=n)),
            "smart": draw(st.lists(st.floats(1, 7), min_size=n, max_size=n)),
            "region": draw(st.lists(st.sampled_from(["Vestfold", "Telemark", None]), min_size=n, max_size=n)),
        }
    )


@given(tables())
@examples(40)
def test_any_valid_table_round_trips_and_is_not_mutated(df: pd.DataFrame) -> None:
    before = df.copy(deep=True)
    kw: dict[str, Any] = {"frame": 1_000_000, "weights": {"green": 0.7, "smart": 0.3}, "scales": (1, 7)}
    p = Problem.from_frame(df, **kw)
    assert df.equals(before) and df.dtypes.equals(before.dtypes)
    assert [a.id for a in p.applications] == list(df["id"])
    assert [a.requested for a in p.applications] == list(df["requested"])
    assert [a.minimum for a in p.applications] == [None if pd.isna(m) else int(m) for m in df["minimum"]]
    assert Problem.from_frame(p.to_frame(), **kw) == p


# ------------------------------------------------------------------ reading
def test_csv_semicolon_decimal_comma_cp1252(tmp_path: Path) -> None:
    text = (
        "Søknadsnr;Søknadsbeløp;Minimumsbeløp;Grønn omstilling;Smart spesialisering;Innovasjon;Søker\n"
        "001;150 000;100 000;5,5;6;4;Eksempel Ærlig AS\n"
        "002;90 000;;4;3,5;7;Eksempel Øst AS\n"
    )
    path = tmp_path / "s.csv"
    path.write_bytes(text.encode("cp1252"))
    df = read_table(path)
    assert df["Søknadsnr"].tolist() == ["001", "002"]
    assert df["Søknadsbeløp"].tolist() == [150_000, 90_000]
    assert df["Grønn omstilling"].tolist() == [5.5, 4.0]
    assert df["Søker"].tolist() == ["Eksempel Ærlig AS", "Eksempel Øst AS"]
    p = read_problem(path, frame=200_000, weights=W, scales=(1, 7))
    assert [a.minimum for a in p.applications] == [100_000, None]
    assert p.name == "s"


@pytest.mark.parametrize("bom", [True, False])
def test_csv_comma_utf8(tmp_path: Path, bom: bool) -> None:
    text = 'id,requested,green,title\nA,"150 000",3.5,"Vann, avløp"\nB,90000,4,Nano\n'
    path = tmp_path / "c.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    df = read_table(path)
    assert list(df.columns) == ["id", "requested", "green", "title"]
    assert df["requested"].tolist() == [150_000, 90_000]
    assert df["green"].tolist() == [3.5, 4.0]
    assert df["title"].tolist() == ["Vann, avløp", "Nano"]


def test_read_table_renames_mapped_columns(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("nr;beløp;g\nA;100;3\n", encoding="utf-8")
    df = read_table(path, id="nr", requested="beløp", green="g")
    assert list(df.columns) == ["id", "requested", "green"]
    with pytest.raises(InputError, match="'nope'"):
        read_table(path, requested="nope")


def test_xlsx_sheets(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Notes"
    ws.append(["nothing here"])
    ws2 = wb.create_sheet("Søknader")
    ws2.append(["Søknadsnr", "Søknadsbeløp", "Grønn omstilling", None])
    ws2.append([1, 150000, 5])
    ws2.append([2, 90000.0, 6.5])
    path = tmp_path / "a.xlsx"
    wb.save(path)
    df = read_table(path, sheet="Søknader")
    assert df["Søknadsnr"].tolist() == ["1", "2"]
    assert df["Søknadsbeløp"].tolist() == [150_000, 90_000]
    assert read_table(path, sheet=1).equals(df)
    p = read_problem(path, sheet="Søknader", frame=200_000, weights={"green": 1}, scales=(1, 7))
    assert p.ids == ["1", "2"]
    with pytest.raises(InputError, match=r"no sheet 'Ark1'.*'Notes', 'Søknader'"):
        read_table(path, sheet="Ark1")
    with pytest.raises(InputError, match="no sheet number 5"):
        read_table(path, sheet=5)


def test_json_records_and_problem(tmp_path: Path) -> None:
    records = [
        {"id": "A", "requested": 100, "scores": {"green": 3}, "tags": ["x", "y"]},
        {"id": "B", "requested": 50, "scores": {"green": 5}},
    ]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    p = read_problem(path, frame=120, weights={"green": 1}, scales=(1, 7))
    assert p.application("A").tags == ("x", "y") and p.application("B").scores == {"green": 5.0}
    whole = tmp_path / "p.json"
    whole.write_text(p.model_dump_json(), encoding="utf-8")
    assert read_problem(whole) == p
    q = read_problem(whole, frame=200, weights={"green": 2})
    assert q.frame == 200 and q.weights == {"green": 2.0}
    assert read_table(whole)["requested"].tolist() == [100, 50]
    with pytest.raises(InputError, match="applies only to tables"):
        read_problem(whole, scales=(1, 7))


def test_read_problem_needs_frame_and_weights_for_a_table(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,requested,green\nA,1,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="frame="):
        read_problem(path, weights={"green": 1})
    with pytest.raises(InputError, match="weights="):
        read_problem(path, frame=10)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.csv", None, "not found"),
        ("t.xls", b"x", "cannot read t.xls as a spreadsheet"),
        ("t.xlsb", b"x", "unknown file type '.xlsb'.*save the workbook as .xlsx"),
        ("t.txt", b"x", "unknown file type '.txt'"),
        ("empty.csv", b"", "is empty"),
        ("bad.xlsx", b"not a zip file", "cannot read bad.xlsx as a spreadsheet"),
        ("bad.json", b"{oops", "not valid JSON.*line 1"),
        ("scalar.json", b"42", "list of records"),
        ("ragged.csv", b"a,b\n1,2\n1,2,3,4\n", "line 3: 4 cells under a header of 2 columns"),
        ("header.csv", b"id,requested,green\n", "no rows"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes | None, match: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=match):
        read_problem(path, frame=10, weights={"green": 1})


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InputError, match="is not a file"):
        read_table(tmp_path / "d.csv")


# ------------------------------------------------------------------ writing
@pytest.fixture(scope="module")
def solution() -> Solution:
    df = norwegian()
    return allocator.solve(Problem.from_frame(df, frame=300_000, weights=W, scales=(1, 7)))


def test_write_csv(tmp_path: Path, solution: Solution) -> None:
    path = write_decisions(solution, tmp_path / "d.csv")
    back = pd.read_csv(path, dtype={"id": str})
    want = solution.to_frame()
    assert back["id"].tolist() == want["id"].tolist()
    assert back["granted"].tolist() == want["granted"].tolist()
    assert back["score"].tolist() == pytest.approx(want["score"].tolist(), rel=1e-12)


def test_write_norwegian_csv(tmp_path: Path, solution: Solution) -> None:
    path = write_decisions(solution, tmp_path / "d.csv", norwegian=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("id;title;")
    assert "," in raw.decode("utf-8-sig").splitlines()[1]  # decimal comma in the scores
    back = read_table(path)
    want = solution.to_frame()
    assert back["granted"].tolist() == want["granted"].tolist()
    assert back["score"].tolist() == pytest.approx(want["score"].tolist(), rel=1e-12)


def test_write_xlsx(tmp_path: Path, solution: Solution) -> None:
    path = write_decisions(solution, tmp_path / "d.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Decisions"]
    back = read_table(path)
    assert back["granted"].tolist() == solution.to_frame()["granted"].tolist()
    assert back["funded"].tolist() == solution.to_frame()["funded"].tolist()


def test_write_json(tmp_path: Path, solution: Solution) -> None:
    path = write_decisions(solution, tmp_path / "d.json")
    back = Solution.model_validate_json(path.read_text(encoding="utf-8"))
    assert back.status is Status.OPTIMAL
    assert back.grants == solution.grants and back.decisions == solution.decisions


@pytest.mark.parametrize("name", ["d.xls", "d.parquet", "d"])
def test_write_unknown_suffix(tmp_path: Path, solution: Solution, name: str) -> None:
    with pytest.raises(AllocatorError, match=r"unknown file type.*\.csv, \.xlsx, \.json"):
        write_decisions(solution, tmp_path / name)


def test_write_into_a_missing_folder(tmp_path: Path, solution: Solution) -> None:
    with pytest.raises(InputError, match="does not exist"):
        write_decisions(solution, tmp_path / "no" / "d.csv")
