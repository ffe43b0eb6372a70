"""The Excel report, read back with openpyxl (an independent reader of the file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from allocator import (
    AllocatorError,
    Application,
    Criterion,
    Problem,
    Status,
    compare,
    rank_and_fund,
    solve,
)
from allocator.report import write_report
from allocator.report.excel import DIFFERS_FILL, FUNDED_FILL
from allocator.solution import Solution


def _problem(**options: Any) -> Problem:
    """Rank-and-fund takes A (best score) and then nothing fits; the optimum is B + C."""
    return Problem(
        name="test call",
        frame=100_000,
        criteria=[
            Criterion(name="green", weight=0.6, scale_max=10),
            Criterion(name="smart", weight=0.4, scale_min=1, scale_max=7, threshold=2),
        ],
        applications=[
            Application(id="A", title="=HYPERLINK(\"http://x\")", requested=60_000, scores={"green": 9, "smart": 6}),
            Application(id="B", title="Vann", requested=50_000, minimum=30_000, scores={"green": 7, "smart": 5}),
            Application(id="C", title="Nano", requested=50_000, scores={"green": 7, "smart": 4}),
            Application(id="D", title="Låg", requested=20_000, scores={"green": 9, "smart": 1}),
        ],
    ).with_options(**options)


def _rows(ws: Any) -> list[dict[str, Any]]:
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    rows = []
    for row in values[1:]:
        if row[0] is None:  # the blank line before the totals
            break
        rows.append(dict(zip(header, row, strict=True)))
    return rows


def _summary(ws: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0] is not None}


def _fill(cell: Any) -> str | None:
    rgb = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type == "solid" else None
    return f"#{rgb[-6:]}" if isinstance(rgb, str) else None


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Solution]:
    p = _problem()
    return p, solve(p)


def test_sheets_and_decisions_in_input_order(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    out = write_report(s, tmp_path / "r.xlsx", problem=p)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Decisions", "Rank and fund"]
    ws = wb["Decisions"]
    rows = _rows(ws)
    frame = s.to_frame()
    assert [r["id"] for r in rows] == list(frame["id"]) == ["A", "B", "C", "D"]
    assert [r["granted"] for r in rows] == list(frame["granted"])
    assert [r["funded"] == "yes" for r in rows] == list(frame["funded"])
    assert [r["green"] for r in rows] == [a.scores["green"] for a in p.applications]
    assert [r["reason"] for r in rows] == [d.reason.value for d in s.decisions]
    assert sum(r["granted"] for r in rows) == s.total_granted <= p.frame
    # Funded rows, and only they, are highlighted; amounts carry thousands separators.
    for i, r in enumerate(rows, start=2):
        assert (_fill(ws.cell(i, 1)) == FUNDED_FILL) is (r["funded"] == "yes")
        assert "#,##0" in ws.cell(i, 6).number_format and "kr" in ws.cell(i, 6).number_format
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{len(rows) + 1}"
    assert ws.column_dimensions["B"].width > 6
    # A title that looks like a formula stays text.
    assert ws.cell(2, 2).data_type == "s" and ws.cell(2, 2).value.startswith("=HYPERLINK")
    # D misses the smart threshold and says so.
    assert rows[3]["eligible"] == "no" and "threshold" in rows[3]["note"]


def test_rank_and_fund_sheet_matches_the_baseline(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    base = rank_and_fund(p)
    assert base.grants != s.grants  # the case is built so that they differ
    ws = openpyxl.load_workbook(write_report(s, tmp_path / "r.xlsx", problem=p))["Rank and fund"]
    rows = _rows(ws)
    assert {r["id"]: r["granted, rank and fund"] for r in rows} == base.grants
    assert {r["id"]: r["granted, optimal"] for r in rows} == s.grants
    for i, r in enumerate(rows, start=2):
        differs = r["granted, optimal"] != r["granted, rank and fund"]
        assert (_fill(ws.cell(i, 1)) == DIFFERS_FILL) is differs
        assert r["difference"] == r["granted, optimal"] - r["granted, rank and fund"]
    totals = next(row for row in ws.iter_rows(values_only=True) if row[1] == "Total")
    assert totals[4] == s.total_granted and totals[5] == base.total_granted
    assert totals[7] == pytest.approx(s.objective) and totals[8] == pytest.approx(base.objective)


def test_summary_states_the_outcome_and_the_comparison(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    summary = _summary(openpyxl.load_workbook(write_report(s, tmp_path / "r.xlsx", problem=p))["Summary"])
    comp = compare(s, rank_and_fund(p))
    assert summary["Call"] == "test call"
    assert summary["Status"].startswith("optimal")
    assert summary["Frame"] == p.frame
    assert summary["Total granted"] == s.total_granted
    assert summary["Frame left"] == p.frame - s.total_granted
    assert summary["Total requested"] == p.total_requested
    assert summary["Funded"] == s.n_funded
    assert summary["Value, optimal portfolio"] == pytest.approx(comp.optimal_value)
    assert summary["Value, rank and fund"] == pytest.approx(comp.baseline_value)
    assert summary["Gain"] == pytest.approx(comp.improvement) and comp.improvement > 0
    assert summary["Funded only by the optimum"] == ", ".join(comp.only_optimal)
    assert summary["Tie-break among equal-value portfolios"].startswith("higher total green score")
    assert summary["Funding"] == "all or nothing"
    assert summary["smart"] == 0.4  # the criteria table: name, weight


def test_partial_funding_shows_the_share(tmp_path: Path) -> None:
    p = _problem(partial=True, step=10_000)
    s = solve(p)
    rows = _rows(openpyxl.load_workbook(write_report(s, tmp_path / "p.xlsx", problem=p))["Decisions"])
    for r, d in zip(rows, s.decisions, strict=True):
        assert r["granted"] == d.granted
        assert r["share granted"] == pytest.approx(d.granted / d.requested)
    assert _summary(openpyxl.load_workbook(tmp_path / "p.xlsx")["Summary"])["Funding"].startswith("partial")


def test_without_problem_and_with_explanations(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    expl = pd.DataFrame({"id": ["A", "B"], "requested_kr": [60_000, 50_000], "why": ["x", None], "margin": [0.5, float("nan")]})
    before = expl.copy()
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "e.xlsx", explanations=expl))
    assert wb.sheetnames == ["Summary", "Decisions", "Explanations"]  # no baseline without a problem
    assert list(wb["Explanations"].iter_rows(values_only=True)) == [
        ("id", "requested_kr", "why", "margin"),
        ("A", 60_000, "x", 0.5),
        ("B", 50_000, None, None),
    ]
    pd.testing.assert_frame_equal(expl, before)
    # An explicit baseline gives the comparison even without the problem.
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "b.xlsx", baseline=rank_and_fund(p)))
    assert "Rank and fund" in wb.sheetnames


def test_a_solution_without_portfolio_is_reported(tmp_path: Path) -> None:
    s = Solution(status=Status.NO_SOLUTION, message="time limit reached", frame=100, problem_name="x")
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "n.xlsx"))
    summary = _summary(wb["Summary"])
    assert summary["Status"] == "no_solution (time limit reached)"
    assert summary["Optimality"] == "no portfolio"
    assert list(wb["Decisions"].iter_rows(values_only=True))[1:] == []


def test_an_infeasible_call_is_reported_with_its_diagnosis(tmp_path: Path) -> None:
    """Issue 9, defect 20: an infeasible problem raised ``zip() argument 2 is longer``."""
    from allocator.model.rules import GroupLimit

    p = _problem().model_copy(update={"rules": [GroupLimit(min_amount=150_000)]})
    s = solve(p, raise_on_failure=False)
    assert s.status is Status.INFEASIBLE and s.decisions == ()
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "i.xlsx", problem=p))
    summary = _summary(wb["Summary"])
    assert summary["Status"].startswith("infeasible (no portfolio satisfies every rule")
    assert summary["Applications"] == 4 and summary["Total requested"] == 180_000
    assert summary["Optimality"] == "no portfolio"
    assert "Why no portfolio exists: rules in conflict" in summary
    assert "50 000 kr" in summary["all applications: at least 150 000 kr"]  # the least change to the floor
    assert list(wb["Decisions"].iter_rows(values_only=True))[1:] == []


def test_errors_are_allocator_errors(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    with pytest.raises(AllocatorError, match="folder exists"):
        write_report(s, tmp_path / "missing" / "r.xlsx")
    with pytest.raises(AllocatorError, match="expected a Solution"):
        write_report(p, tmp_path / "r.xlsx")  # type: ignore[arg-type]
    other = p.model_copy(update={"applications": p.applications[:2]})
    with pytest.raises(AllocatorError, match="not those of the solution"):
        write_report(s, tmp_path / "r.xlsx", problem=other)
    with pytest.raises(AllocatorError, match="DataFrame"):
        write_report(s, tmp_path / "r.xlsx", explanations=[1, 2])  # type: ignore[arg-type]


def test_summary_names_the_rules_rank_and_fund_breaks(tmp_path: Path) -> None:
    from allocator.data import load_example, load_example_policy
    from allocator.model.rules import GroupLimit
    from allocator.rules.check import check

    # a floor that going down the list cannot meet: its applications rank too low
    base = load_example_policy().apply(load_example())
    p = base._rebuilt(rules=[*base.rules, GroupLimit(category="klynge: mikro*", min_count=3, label="three micro/nano")])
    s = solve(p)
    broken = check(p, rank_and_fund(p)).rules
    assert broken == ["three micro/nano"] and check(p, s).ok
    summary = _summary(openpyxl.load_workbook(write_report(s, tmp_path / "r.xlsx", problem=p))["Summary"])
    assert summary["Rules of the call broken by rank and fund"] == "; ".join(broken)
    plain = _summary(openpyxl.load_workbook(write_report(solve(_problem()), tmp_path / "p.xlsx", problem=_problem()))["Summary"])
    assert plain["Rules of the call broken by rank and fund"] == "-"
