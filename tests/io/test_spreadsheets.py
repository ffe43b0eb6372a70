"""Spreadsheets as advisers have them: .xlsx, .xls and .ods (python-calamine), openpyxl as the
fallback for .xlsx; the same table whatever the format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from allocator import read_problem, read_table
from allocator.data import example_frame, example_metadata
from allocator.exceptions import InputError
from allocator.io.excel import read_spreadsheet

DATA = Path(__file__).parents[1] / "data"  # six applications of the example, saved by LibreOffice


@pytest.mark.parametrize("suffix", [".xls", ".ods"])
def test_xls_and_ods_read_like_the_csv(suffix: str) -> None:
    got = read_table(DATA / f"applications{suffix}")
    want = example_frame().head(6)
    assert list(got.columns) == list(want.columns)
    for col in want.columns:
        assert [None if pd.isna(v) else v for v in got[col]] == [None if pd.isna(v) else v for v in want[col]], col
    meta = example_metadata()
    p = read_problem(
        DATA / f"applications{suffix}",
        frame=1_000_000,
        weights=meta["weights"],
        scales=(1, 7),
        **meta["columns"],
    )
    assert [a.id for a in p.applications] == list(want["Søknadsnr"]) and p.total_requested == int(
        want["Søknadsbeløp"].sum()
    )


def test_both_engines_read_xlsx_alike(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    df = example_frame()
    with pd.ExcelWriter(path) as w:
        pd.DataFrame({"note": ["a sheet before the table"]}).to_excel(w, sheet_name="Les meg", index=False)
        df.to_excel(w, sheet_name="Søknader", index=False)
    a = read_spreadsheet(path, "Søknader", engine="calamine")
    b = read_spreadsheet(path, 1, engine="openpyxl")
    pd.testing.assert_frame_equal(a, b)
    assert list(a["Søknadsnr"]) == list(df["Søknadsnr"])
    with pytest.raises(InputError, match=r"has no sheet 'Nope'.*Les meg"):
        read_table(path, sheet="Nope")
    with pytest.raises(InputError, match="no sheet number 5"):
        read_table(path, sheet=5)


def test_openpyxl_does_not_read_ods() -> None:
    with pytest.raises(InputError, match="python-calamine"):
        read_spreadsheet(DATA / "applications.ods", None, engine="openpyxl")
