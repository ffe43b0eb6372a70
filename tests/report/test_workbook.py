"""The Excel report, read back with openpyxl (an independent reader of the file)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from allocator import (
    AllocatorError,
    Application,
    Criterion,
    Problem,
    Status,
    compare,
    explain,
    rank_and_fund,
    solve,
)
from allocator.report import (
    DIFFERS_FILL,
    FUNDED_FILL,
    INELIGIBLE_FILL,
    PARTLY_FILL,
    STATE_AID_FILL,
    Report,
    write_report,
)
from allocator.solution import Solution

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
