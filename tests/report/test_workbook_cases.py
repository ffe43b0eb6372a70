"""The Excel report in its edge cases and extras, read back with openpyxl: no portfolio, an
infeasible call's diagnosis, the state-aid flag, extra sheets, native charts, a failed write,
errors, the rules rank and fund breaks, and the reviewers' spread."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from allocator import (
    AllocatorError,
    Application,
    Criterion,
    Problem,
    Status,
    rank_and_fund,
    solve,
)
from allocator.model.solution import Solution
from allocator.report import (
    STATE_AID_FILL,
    Report,
    write_report,
)
from tests.report.test_workbook import DAY, _fill, _pairs, _table, _titles, solved

__all__ = ["solved"]


def test_a_solution_without_portfolio_is_reported(tmp_path: Path) -> None:
    s = Solution(
        status=Status.NO_SOLUTION,
        message="time limit reached",
        frame=100,
        problem_name="x",
    )
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "n.xlsx", date=DAY))
    assert wb.sheetnames == ["Summary"]
    summary = _pairs(wb["Summary"])
    assert summary["Outcome of the optimisation"] == "no portfolio found within the time limit"


def test_an_infeasible_problem_writes_its_diagnosis(tmp_path: Path) -> None:
    """Issue 9, defect 20: write_report on an infeasible solution raised ValueError (zip)."""
    from allocator.analysis import diagnose
    from allocator.model.rules import GroupLimit

    p = Problem(
        name="conflict",
        frame=300_000,
        criteria=[Criterion(name="g", weight=1)],
        applications=[
            Application(id="C1", requested=200_000, category="cluster", scores={"g": 1}),
            Application(id="C2", requested=100_000, category="cluster", scores={"g": 1}),
            Application(id="N1", requested=180_000, category="network", scores={"g": 1}),
        ],
        rules=[
            GroupLimit(
                category="cluster",
                min_amount=300_000,
                label="clusters get 300 000",
                label_nb="klynger får 300 000",
            ),
            GroupLimit(
                category="network",
                min_count=1,
                label="at least one network",
                label_nb="minst ett nettverk",
            ),
        ],
    )
    s = solve(p, raise_on_failure=False)
    assert s.status is Status.INFEASIBLE and not s.decisions
    expected = diagnose(p)
    for lang, sheet, summary in (
        ("en", "Diagnosis", "Summary"),
        ("nb", "Diagnose", "Sammendrag"),
    ):
        wb = openpyxl.load_workbook(write_report(s, tmp_path / f"i-{lang}.xlsx", problem=p, lang=lang, date=DAY))
        assert wb.sheetnames == [summary, sheet]
        text = " ".join(str(v) for row in wb[summary].iter_rows(values_only=True) for v in row if v)
        rows = _table(wb[sheet])
        assert len(rows) == len(expected.violations) >= 2
        names = {
            "en": {"frame": "the frame"},
            "nb": {
                "frame": "rammen",
                "clusters get 300 000": "klynger får 300 000",
                "at least one network": "minst ett nettverk",
            },
        }[lang]
        want = {names.get(c, c) for c in expected.conflicting}
        assert {r["Rule" if lang == "en" else "Regel"] for r in rows} == want
        for name in want - {"the frame", "rammen"}:
            assert name in text  # the Summary names the conflicting rules
    assert (
        "no portfolio satisfies every rule"
        in _pairs(openpyxl.load_workbook(tmp_path / "i-en.xlsx")["Summary"])["Outcome of the optimisation"]
    )


def test_state_aid_register_flag(tmp_path: Path) -> None:
    p = Problem(
        name="big",
        frame=3_000_000,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[
            Application(id="A", requested=1_150_000, scores={"g": 9}),
            Application(id="B", requested=1_149_999, scores={"g": 9}),
            Application(id="C", requested=500_000, scores={"g": 8}),
        ],
    )
    s = solve(p)
    assert s.funded_ids == ["A", "B", "C"]
    ws = openpyxl.load_workbook(write_report(s, tmp_path / "s.xlsx", problem=p, eur_nok=11.5, date=DAY))["Decisions"]
    for i, r in enumerate(_table(ws), start=2):
        flagged = r["Id"] == "A"  # 100 000 EUR x 11.5 = 1 150 000 kr: at the threshold, and not one krone below
        assert (r["Report to the state-aid register"] == "yes") is flagged
        assert (_fill(ws.cell(i, ws.max_column)) == STATE_AID_FILL) is flagged
    # without a rate there is no flag column, and the Summary says how to give the rate
    wb = openpyxl.load_workbook(write_report(s, tmp_path / "n.xlsx", problem=p, date=DAY))
    assert "Report to the state-aid register" not in [c.value for c in wb["Decisions"][1]]
    assert any("EUR/NOK" in str(v) for row in wb["Summary"].iter_rows(values_only=True) for v in row)


def test_extra_sheets_and_sheet_choice(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved

    def robustness(report: Report) -> None:
        ws = report.add_sheet("Robusthet", header_rows=(0, 0), id_columns=1)
        ws.write_string(0, 0, report.term("id"), report.formats.header)
        for r, d in enumerate(report.data.by_rank(), start=1):
            ws.write_string(r, 0, d.id)

    wb = openpyxl.load_workbook(
        write_report(
            s,
            tmp_path / "x.xlsx",
            problem=p,
            lang="nb",
            sheets=["summary", "meeting"],
            extra_sheets=[robustness],
            date=DAY,
        )
    )
    assert wb.sheetnames == ["Sammendrag", "Saksliste med vurdering", "Robusthet"]
    ws = wb["Robusthet"]
    assert [r[0] for r in ws.iter_rows(values_only=True)] == [
        "Søknadsnr.",
        "A",
        "B",
        "C",
        "D",
    ] or ws["A1"].value == "Søknadsnr."
    assert ws.page_setup.orientation == "landscape" and _titles(ws.print_title_rows) == "1:1"


def test_charts_are_native(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    from allocator.analysis import frame_curve

    p, s = solved
    out = write_report(
        s,
        tmp_path / "c.xlsx",
        problem=p,
        frame_curve=frame_curve(p, frames=[0, 50_000, 100_000, 160_000]),
        date=DAY,
    )
    with zipfile.ZipFile(out) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = [z.read(n).decode() for n in charts]
    assert len(charts) == 2
    assert "<c:scatterChart>" in xml[0] and "Charts!$B$2:$B$5" in xml[0] and "Charts!$C$2:$C$5" in xml[0]
    assert "<c:barChart>" in xml[1]
    ws = openpyxl.load_workbook(out)["Charts"]
    assert [ws.cell(r, 1).value for r in range(2, 6)] == [0, 50_000, 100_000, 160_000]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    out = tmp_path / "r.xlsx"
    out.write_bytes(b"the previous report")

    def broken(report: Report) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_report(s, out, problem=p, extra_sheets=[broken])
    assert out.read_bytes() == b"the previous report"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.xlsx"]  # no temporary file left


def test_errors_are_allocator_errors(tmp_path: Path, solved: tuple[Problem, Solution]) -> None:
    p, s = solved
    with pytest.raises(AllocatorError, match="does not exist"):
        write_report(s, tmp_path / "missing" / "r.xlsx")
    with pytest.raises(AllocatorError, match="expected a Solution"):
        write_report(p, tmp_path / "r.xlsx")  # type: ignore[arg-type]
    other = p.model_copy(update={"applications": p.applications[:2]})
    with pytest.raises(AllocatorError, match="not those of the solution"):
        write_report(s, tmp_path / "r.xlsx", problem=other)
    with pytest.raises(AllocatorError, match="explanations must be"):
        write_report(s, tmp_path / "r.xlsx", explanations=[1, 2])
    with pytest.raises(AllocatorError, match="unknown sheet"):
        write_report(s, tmp_path / "r.xlsx", sheets=["nope"])
    with pytest.raises(AllocatorError, match="lang"):
        write_report(s, tmp_path / "r.xlsx", lang="de")


def test_summary_names_the_rules_rank_and_fund_breaks(tmp_path: Path) -> None:
    from allocator.data import load_example, load_example_policy
    from allocator.model.rules import GroupLimit
    from allocator.rules.check import check

    # a floor that going down the list cannot meet: its applications rank too low
    base = load_example_policy().apply(load_example())
    p = base._rebuilt(
        rules=[
            *base.rules,
            GroupLimit(category="klynge: mikro*", min_count=3, label="three micro/nano"),
        ]
    )
    s = solve(p)
    broken = check(p, rank_and_fund(p)).rules
    assert broken == ["three micro/nano"] and check(p, s).ok
    summary = _pairs(openpyxl.load_workbook(write_report(s, tmp_path / "r.xlsx", problem=p, date=DAY))["Summary"])
    assert summary["Rules broken by ranking by score"] == "; ".join(broken)
    # the rules at their limit, by name, with what they use (the first eight; the rest on the Rules sheet)
    from allocator.rules.usage import rule_usage

    binding = [u for u in rule_usage(p, s) if u.at_limit]
    assert binding
    for u in binding[:8]:
        name = f"{u.label} [{u.part}]" if u.part else u.label
        assert summary[name] == u.used


def test_the_reviewers_spread_in_the_meeting_paper(tmp_path: Path) -> None:
    p = Problem(
        name="panel",
        frame=100,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[
            Application(id="A", requested=60, scores={"g": 7.5}, spread={"g": (6, 9)}),
            Application(id="B", requested=50, scores={"g": 6}),
        ],
    )
    ws = openpyxl.load_workbook(write_report(solve(p), tmp_path / "s.xlsx", problem=p, date=DAY))[
        "Agenda with assessment"
    ]
    rows = {r["Id"]: r for r in _table(ws, header_row=3)}
    # one criterion on 0-10: the points are the raw scores, the spread the lowest and highest review
    assert rows["A"]["Score (of 10)"] == pytest.approx(7.5) and rows["A"]["Spread (lowest-highest)"] == "6.00 – 9.00"
    assert rows["B"]["Spread (lowest-highest)"] in (None, "")  # one score, no panel
