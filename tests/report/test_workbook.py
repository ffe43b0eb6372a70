"""The Excel report, read back with openpyxl (an independent reader of the file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from allocator import (
    Application,
    Criterion,
    Problem,
    compare,
    explain,
    rank_and_fund,
    solve,
)
from allocator.model.solution import Solution
from allocator.report import (
    DIFFERS_FILL,
    FUNDED_FILL,
    INELIGIBLE_FILL,
    PARTLY_FILL,
    write_report,
)

DAY = dt.date(2024, 3, 1)


def _problem(**options: Any) -> Problem:
    """Rank-and-fund takes A (best score) and then nothing fits; the optimum is B + C."""
    return Problem(
        name="test call",
        frame=100_000,
        criteria=[
            Criterion(name="green", weight=0.6, scale_max=10, label="Green", label_nb="Grønn"),
            Criterion(name="smart", weight=0.4, scale_min=1, scale_max=7, threshold=2),
        ],
        applications=[
            Application(
                id="A",
                title='=HYPERLINK("http://x")',
                requested=60_000,
                scores={"green": 9, "smart": 6},
            ),
            Application(
                id="B",
                title="Vann",
                requested=50_000,
                minimum=30_000,
                scores={"green": 7, "smart": 5},
            ),
            Application(id="C", title="Nano", requested=50_000, scores={"green": 7, "smart": 4}),
            Application(id="D", title="Låg", requested=20_000, scores={"green": 9, "smart": 1}),
        ],
    ).with_options(**options)


def _table(ws: Any, header_row: int = 1) -> list[dict[str, Any]]:
    """The rows under the header row, until the first row without an id (the totals)."""
    values = list(ws.iter_rows(min_row=header_row, values_only=True))
    header = values[0]
    rows = []
    for row in values[1:]:
        if not any(v is not None for v in row[:2]) or row[0] is None:
            break
        rows.append(dict(zip(header, row, strict=False)))
    return rows


def _pairs(ws: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if isinstance(row[0], str)}


def _titles(ref: str | None) -> str:
    return (ref or "").replace("$", "")


def _fill(cell: Any) -> str | None:
    rgb = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else None
    return f"#{rgb[-6:]}" if isinstance(rgb, str) else None


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Solution]:
    p = _problem()
    return p, solve(p)


def test_sheets_in_both_languages(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    en = openpyxl.load_workbook(write_report(s, tmp_path / "en.xlsx", problem=p, date=DAY))
    assert en.sheetnames == [
        "Summary",
        "Agenda with assessment",
        "Decisions",
        "Rank and fund",
        "Analysis",
        "Charts",
    ]
    nb = openpyxl.load_workbook(write_report(s, tmp_path / "nb.xlsx", problem=p, lang="nb", date=DAY))
    assert nb.sheetnames == [
        "Sammendrag",
        "Saksliste med vurdering",
        "Tildelinger",
        "Sammenligning",
        "Analyse",
        "Diagrammer",
    ]


def test_decisions_sorted_funded_first_with_totals_and_colours(
    tmp_path: Path, solved: tuple[Problem, Solution]
) -> None:
    p, s = solved
    ws = openpyxl.load_workbook(write_report(s, tmp_path / "r.xlsx", problem=p, date=DAY))["Decisions"]
    rows = _table(ws)
    funded = sorted((d for d in s.decisions if d.funded), key=lambda d: -d.score)
    others = sorted((d for d in s.decisions if not d.funded), key=lambda d: -d.score)
    assert [r["Id"] for r in rows] == [d.id for d in funded + others]
    assert {r["Id"]: r["Granted"] for r in rows} == s.grants
    # grant and reason beside the title; points of the call (0.6 x 7/10 x 10 + ...: weighted mean on 0-10 for
    # green and 1-7 for smart differ, so the points run 0-100)
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Id", "Title", "Granted", "Reason"]
    for r in rows:
        d = s.decision(r["Id"])
        assert r["Score (of 100)"] == pytest.approx(100 * d.score / 1.0)
        assert r["Rank"] == d.rank
    # totals against the frame
    values = list(ws.iter_rows(values_only=True))
    total = next(v for v in values if v[1] == "Total")
    assert total[2] == s.total_granted and total[6] == p.total_requested
    frame = next(v for v in values if v[1] == "Frame")
    left = next(v for v in values if v[1] == "Left of the frame")
    assert frame[2] == p.frame and left[2] == p.frame - s.total_granted
    # colours: funded in full green, ineligible grey, and a legend says so
    for i, r in enumerate(rows, start=2):
        d = s.decision(r["Id"])
        want = FUNDED_FILL if d.funded else (INELIGIBLE_FILL if not d.eligible else None)
        assert _fill(ws.cell(i, 1)) == want
        assert "#,##0" in ws.cell(i, 3).number_format and "NOK" in ws.cell(i, 3).number_format
    assert any(v[0] == "Colours" for v in values)
    assert ws.freeze_panes == "C2"
    # a title that looks like a formula stays text; D misses the smart threshold and says which
    a = next(i for i, r in enumerate(rows, start=2) if r["Id"] == "A")
    assert ws.cell(a, 2).data_type == "s" and ws.cell(a, 2).value.startswith("=HYPERLINK")
    d_row = next(r for r in rows if r["Id"] == "D")
    assert "minimum requirements" in d_row["Reason"] and "smart scored 1, below the threshold 2" in d_row["Reason"]


def test_every_sheet_prints_on_a4(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "r.xlsx", problem=p, lang="nb", date=DAY))
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToWidth or 1) == 1, ws.title
        assert ws.oddFooter.right.text.endswith("side &P av &N") and "test call" in ws.oddFooter.left.text
        assert "01.03.2024" in ws.oddFooter.center.text
    assert int(wb["Sammendrag"].page_setup.fitToHeight or 1) == 1  # the Summary on one page (1 is the file's default)
    meeting = wb["Saksliste med vurdering"]
    assert int(meeting.page_setup.fitToHeight) == 0  # one page wide, as long as it takes
    assert _titles(meeting.print_title_rows) == "3:3" and _titles(meeting.print_title_cols) == "A:B"
    assert _titles(wb["Tildelinger"].print_title_rows) == "1:1" and _titles(wb["Tildelinger"].print_title_cols) == "A:B"


def test_meeting_paper_in_rank_order(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    ws = openpyxl.load_workbook(write_report(s, tmp_path / "r.xlsx", problem=p, lang="nb", date=DAY))[
        "Saksliste med vurdering"
    ]
    rows = _table(ws, header_row=3)
    assert [r["Søknadsnr."] for r in rows] == [d.id for d in sorted(s.decisions, key=lambda d: (d.rank, d.id))]
    for r in rows:
        d = s.decision(r["Søknadsnr."])
        assert r["Foreslått tilskudd"] == d.granted and r["Søknadsbeløp"] == d.requested
        expected = (
            f"Tilskudd på {d.granted:,} kr".replace(",", "\u00a0").replace(" kr", "\u00a0kr") if d.funded else "Avslag"
        )
        assert r["Forslag til vedtak"] == expected
        assert r["Begrunnelse"] and r["Begrunnelse"].startswith(("Innvilget", "Søknaden", "Ikke innvilget"))
        assert r["Rangering"] == d.rank


def test_rank_and_fund_sheet_matches_the_baseline(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    base = rank_and_fund(p)
    assert base.grants != s.grants  # the case is built so that they differ
    ws = openpyxl.load_workbook(write_report(s, tmp_path / "r.xlsx", problem=p, date=DAY))["Rank and fund"]
    rows = _table(ws)
    assert {r["Id"]: r["Granted, rank and fund"] for r in rows} == base.grants
    assert {r["Id"]: r["Granted, best portfolio"] for r in rows} == s.grants
    for i, r in enumerate(rows, start=2):
        differs = r["Granted, best portfolio"] != r["Granted, rank and fund"]
        assert (_fill(ws.cell(i, 1)) == DIFFERS_FILL) is differs
        assert r["Difference"] == r["Granted, best portfolio"] - r["Granted, rank and fund"]
    values = list(ws.iter_rows(values_only=True))
    totals = next(v for v in values if v[1] == "Total")
    assert totals[5] == s.total_granted and totals[6] == base.total_granted
    value = next(v for v in values if v[1] == "Value")
    assert value[5] == pytest.approx(s.objective) and value[6] == pytest.approx(base.objective)


def test_summary_key_figures_first(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    ws = openpyxl.load_workbook(write_report(s, tmp_path / "r.xlsx", problem=p, date=DAY))["Summary"]
    summary = _pairs(ws)
    comp = compare(s, rank_and_fund(p))
    labels = [row[0] for row in ws.iter_rows(values_only=True) if isinstance(row[0], str)]
    assert labels.index("Frame") < labels.index("Technical details") < labels.index("Solver")
    assert ws["A1"].value == "test call"
    assert summary["Frame"] == p.frame
    assert summary["Granted in total"] == s.total_granted
    assert summary["Left of the frame"] == p.frame - s.total_granted
    assert summary["Requested in total"] == p.total_requested
    assert summary["Funded"] == s.n_funded
    assert summary["Gain over ranking by score"] == pytest.approx(comp.improvement_pct / 100) and comp.improvement > 0
    assert summary["Value, best portfolio"] == pytest.approx(comp.optimal_value)
    assert summary["Funded only in the best portfolio"] == ", ".join(comp.only_optimal)
    assert summary["Outcome of the optimisation"] == "optimal (proven)"
    assert summary["Tie-break among equal portfolios"].startswith("higher total Green score")
    assert summary["Funding"] == "all or nothing"
    assert summary["Green"] == pytest.approx(0.6) and summary["smart"] == pytest.approx(0.4)  # weights in per cent
    row = next(r for r in ws.iter_rows() if r[0].value == "Green")
    assert "%" in row[1].number_format


def test_partial_funding_colours_and_words(tmp_path: Path) -> None:
    p = _problem(partial=True, step=10_000)
    s = solve(p)
    assert any(0 < d.granted < d.requested for d in s.decisions)
    ws = openpyxl.load_workbook(write_report(s, tmp_path / "p.xlsx", problem=p, date=DAY))["Decisions"]
    for i, r in enumerate(_table(ws), start=2):
        d = s.decision(r["Id"])
        assert r["Granted"] == d.granted
        if 0 < d.granted < d.requested:
            assert _fill(ws.cell(i, 1)) == PARTLY_FILL and r["Reason"].startswith("Funded in part")
    assert _pairs(openpyxl.load_workbook(tmp_path / "p.xlsx")["Summary"])["Funding"].startswith("partial")


def test_explanations_and_analysis(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    df = explain(p, s, lang="nb")
    before = df.copy()
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "e.xlsx", problem=p, explanations=df, lang="nb", date=DAY))
    assert "Forklaringer" in wb.sheetnames
    rows = _table(wb["Forklaringer"])
    assert {r["Søknadsnr."]: r["Forklaring"] for r in rows} == dict(zip(df["id"], df["sentence_nb"], strict=True))
    analysis = {r["Søknadsnr."]: r for r in _table(wb["Analyse"])}
    for _, e in df.iterrows():
        got = analysis[e["id"]]
        if e["funded"]:
            assert got["Fall før tilskuddet går tapt"] == pytest.approx(e["margin_down"])
        elif e["margin_up"] == e["margin_up"]:  # not NaN
            assert got["Økning som trengs for innvilgelse"] == pytest.approx(e["margin_up"])
        else:
            assert got["Økning som trengs for innvilgelse"] is None
        assert got["Vektet poengsum (eksakt)"] == pytest.approx(e["score"])
    assert df.equals(before)
    # the reasons in the decision sheets are the explanations' sentences
    decisions = {r["Søknadsnr."]: r["Begrunnelse"] for r in _table(wb["Tildelinger"])}
    assert decisions == dict(zip(df["id"], df["sentence_nb"], strict=True))


def test_without_problem(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "e.xlsx", date=DAY))
    assert wb.sheetnames == [
        "Summary",
        "Agenda with assessment",
        "Decisions",
        "Analysis",
        "Charts",
    ]  # no baseline without a problem
    rows = _table(wb["Decisions"])
    assert {r["Id"]: r["Weighted score"] for r in rows} == pytest.approx({d.id: d.score for d in s.decisions})
    # an explicit baseline gives the comparison even without the problem
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "b.xlsx", baseline=rank_and_fund(p), date=DAY))
    assert "Rank and fund" in wb.sheetnames
