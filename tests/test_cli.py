"""The command line, run in-process through ``main(argv)`` and once as a real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

import allocator.cli
from allocator import (
    Application,
    Criterion,
    Problem,
    compare,
    load_example,
    rank_and_fund,
    solve,
)
from allocator.cli import main
from allocator.optimize.backends.pulp import cbc_available
from tests.brute import lexicographic_best

# Six applications: requests, green (0-10), smart (1-7). Ranking by score funds A,
# then B fills the frame; the optimum (B, C, F) is worth more. D misses the smart threshold of 2.
ROWS = [
    ("A", 60_000, 9.0, 6.0),
    ("B", 50_000, 7.0, 5.0),
    ("C", 50_000, 7.0, 4.5),
    ("D", 20_000, 9.0, 1.0),
    ("E", 30_000, 4.0, 3.0),
    ("F", 10_000, 2.5, 2.0),
]
WEIGHTS = {"green": 0.6, "smart": 0.4}
FRAME = 110_000


def reference_problem() -> Problem:
    """The problem the CSV below describes, built directly (not through the adapters)."""
    return Problem(
        frame=FRAME,
        criteria=[
            Criterion(name="green", weight=WEIGHTS["green"], scale_min=0, scale_max=10),
            Criterion(name="smart", weight=WEIGHTS["smart"], scale_min=1, scale_max=7, threshold=2),
        ],
        applications=[Application(id=i, requested=r, scores={"green": g, "smart": s}) for i, r, g, s in ROWS],
    )


SOLVE_ARGS = [
    "--frame",
    str(FRAME),
    "--weight",
    "green=0.6",
    "--weight",
    "smart=0.4",
    "--scale",
    "green=0:10",
    "--scale",
    "smart=1:7",
    "--threshold",
    "smart=2",
]


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def csv_path(tmp_path: Path) -> Path:
    p = tmp_path / "applications.csv"
    pd.DataFrame(ROWS, columns=["id", "requested", "green", "smart"]).to_csv(p, index=False)
    return p


@pytest.fixture()
def norwegian_csv(tmp_path: Path) -> Path:
    """';'-separated, decimal comma, spaced thousands, Norwegian headers, as Excel saves it."""
    lines = ["Søknadsnr;Søknadsbeløp;Grønn omstilling;Smart spesialisering"]
    lines += [
        f"{i};{r:,}".replace(",", " ") + f";{str(g).replace('.', ',')};{str(s).replace('.', ',')}"
        for i, r, g, s in ROWS
    ]
    p = tmp_path / "søknader.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_solve_csv_matches_brute_force(tmp_path: Path, csv_path: Path) -> None:
    out = tmp_path / "decisions.csv"
    code, stdout, err = run(["solve", str(csv_path), *SOLVE_ARGS, "--out", str(out)])
    assert code == 0, err
    assert err == ""
    best = lexicographic_best(reference_problem())
    assert best is not None
    got = pd.read_csv(out, dtype={"id": str})
    assert list(got["id"]) == [r[0] for r in ROWS]  # input order kept
    assert dict(zip(got["id"], got["granted"].astype(int), strict=True)) == best.grants
    assert got["granted"].sum() <= FRAME
    assert float(got["value"].sum()) == pytest.approx(float(best.value))
    # The printed table and summary say the same, and compare with rank-and-fund.
    assert f"{float(best.value):.3f}" in stdout
    comp = compare(solve(reference_problem()), rank_and_fund(reference_problem()))
    assert comp.improvement > 0
    assert f"{comp.baseline_value:.3f}" in stdout and "Compared with ranking" in stdout
    assert f"(+{comp.improvement_pct:.1f} %)" in stdout
    assert str(out.resolve()) in stdout
    runs = solve(reference_problem()).solves
    assert f", {runs} {'run' if runs == 1 else 'runs'}" in stdout  # singular and plural as they should be


def test_norwegian_csv_and_xlsx_give_the_same_decisions(tmp_path: Path, csv_path: Path, norwegian_csv: Path) -> None:
    mapping = [
        "--column",
        "id=Søknadsnr",
        "--column",
        "requested=Søknadsbeløp",
        "--column",
        "green=Grønn omstilling",
        "--column",
        "smart=Smart spesialisering",
    ]
    outs = {}
    for name, src, extra in (("plain", csv_path, []), ("norwegian", norwegian_csv, mapping)):
        outs[name] = tmp_path / f"{name}.json"
        code, _, err = run(["solve", str(src), *SOLVE_ARGS, *extra, "-q", "--out", str(outs[name])])
        assert code == 0, err
    xlsx_in = tmp_path / "applications.xlsx"
    pd.read_csv(csv_path).to_excel(xlsx_in, index=False, sheet_name="Søknader")
    outs["xlsx"] = tmp_path / "from-xlsx.xlsx"
    code, _, err = run(["solve", str(xlsx_in), *SOLVE_ARGS, "--sheet", "Søknader", "-q", "--out", str(outs["xlsx"])])
    assert code == 0, err
    grants = [
        {d["id"]: d["granted"] for d in json.loads(outs[k].read_text())["decisions"]} for k in ("plain", "norwegian")
    ]
    ws = openpyxl.load_workbook(outs["xlsx"])["Decisions"]
    header = [c.value for c in ws[1]]
    rows = [
        r
        for r in ws.iter_rows(min_row=2, values_only=True)
        if r[0] is not None and r[header.index("Granted")] is not None
    ]
    grants.append({row[header.index("Id")]: row[header.index("Granted")] for row in rows[: len(ROWS)]})
    assert grants[0] == grants[1] == grants[2] == lexicographic_best(reference_problem()).grants  # type: ignore[union-attr]


def test_out_dash_prints_only_json_and_summary_on_stderr(csv_path: Path) -> None:
    code, stdout, err = run(["solve", str(csv_path), *SOLVE_ARGS, "--out", "-"])
    assert code == 0, err
    data = json.loads(stdout)
    assert data["status"] == "optimal"
    assert {d["id"]: d["granted"] for d in data["decisions"]} == solve(reference_problem()).grants
    assert "Outcome of the optimisation        optimal (proven)" in err and "Compared with ranking" in err


def test_solve_problem_json_partial(tmp_path: Path) -> None:
    problem = reference_problem().with_options(partial=True, step=10_000)
    src = tmp_path / "problem.json"
    src.write_text(reference_problem().model_dump_json(), encoding="utf-8")
    code, stdout, err = run(["solve", str(src), "--partial", "--step", "10000", "-q", "--out", "-"])
    assert code == 0, err
    got = {d["id"]: d["granted"] for d in json.loads(stdout)["decisions"]}
    assert got == lexicographic_best(problem).grants  # type: ignore[union-attr]


def test_demo_writes_the_workbook_in_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(["demo"])
    assert code == 0, err
    path = tmp_path / "allocator-demo.xlsx"
    assert path.is_file() and str(path.resolve()) in stdout
    problem = load_example()
    expected = solve(problem)
    assert "illustrative" in stdout
    assert f"{'Value':<34} {expected.objective:.3f}" in stdout
    for d in expected.decisions:  # every application appears in the printed table
        assert d.id in stdout
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Agenda with assessment", "Decisions", "Rank and fund", "Analysis", "Charts"]
    ws = wb["Decisions"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, max_row=len(problem.applications) + 1, values_only=True))
    assert sorted(r[header.index("Id")] for r in rows) == sorted(a.id for a in problem.applications)
    assert {r[header.index("Id")]: r[header.index("Granted")] for r in rows} == expected.grants
    assert sum(r[header.index("Granted")] for r in rows) <= problem.frame == 2_300_000


def test_demo_as_a_process_prints_clean_json(tmp_path: Path) -> None:
    """A real process: the HiGHS banner (printed at C level) must not reach stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", "allocator", "demo", "--partial", "-q", "--out", "-"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    expected = solve(load_example().with_options(partial=True))
    assert {d["id"]: d["granted"] for d in data["decisions"]} == expected.grants
    assert data["total_granted"] <= data["frame"]
    assert "Compared with ranking" in proc.stderr
    assert list(tmp_path.iterdir()) == []  # --out - writes no file


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        (["solve", "{missing}", "--frame", "100", "--weight", "green=1"], 1, "not found"),
        (["solve", "{csv}", "--frame", "100000", "--weight", "green"], 2, "green=0.4"),
        (["solve", "{csv}", "--weight", "green=1"], 2, "--frame is required"),
        (["solve", "{csv}", "--frame", "100000"], 2, "--weight"),
        (["solve", "{csv}", "--frame", "0", "--weight", "green=1"], 1, "frame 0"),
        (["solve", "{csv}", "--frame", "1.5", "--weight", "green=1"], 2, "whole"),
        (["solve", "{csv}", "--frame", "100000", "--weight", "blue=1"], 1, "'blue'"),
        (["solve", "{bad}", "--frame", "100000", "--weight", "green=1"], 1, "row 2"),
        (["solve", "{csv}", "--frame", "100000", "--weight", "green=1", "--out", "x.txt"], 2, ".csv, .xlsx or .json"),
        (
            ["solve", "{csv}", "--frame", "100000", "--weight", "green=1", "--out", "{missing_dir}/d.csv"],
            1,
            "does not exist",
        ),
        (["demo", "--time-limit", "-3"], 2, "positive"),
        (["frobnicate"], 2, "invalid choice"),
        ([], 2, "required"),
    ],
)
def test_errors_are_one_line(argv: list[str], code: int, fragment: str, tmp_path: Path, csv_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,requested,green\nA,1000,3\nB,-5000,4\n", encoding="utf-8")
    names = {"csv": csv_path, "missing": tmp_path / "nope.csv", "bad": bad, "missing_dir": tmp_path / "no" / "such"}
    argv = [a.format(**names) for a in argv]
    got, stdout, err = run(argv)
    assert got == code
    assert stdout == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("allocator: error: "), err
    assert fragment in lines[0]


def test_unexpected_errors_show_a_traceback_only_with_debug(csv_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(allocator.cli.commands, "_solve", boom)
    code, _, err = run(["solve", str(csv_path), *SOLVE_ARGS])
    assert code == 1 and err.count("\n") == 1 and "RuntimeError: kaboom" in err and "--debug" in err
    with pytest.raises(RuntimeError, match="kaboom"):
        run(["solve", str(csv_path), *SOLVE_ARGS, "--debug"])


def test_cbc_gives_the_same_decisions_or_a_clear_error(csv_path: Path) -> None:
    code, stdout, err = run(["solve", str(csv_path), *SOLVE_ARGS, "--solver", "cbc", "-q", "--out", "-"])
    if cbc_available():
        assert code == 0, err
        got = {d["id"]: d["granted"] for d in json.loads(stdout)["decisions"]}
        assert got == lexicographic_best(reference_problem()).grants  # type: ignore[union-attr]
    else:
        assert code == 1 and stdout == "" and "CBC" in err and err.count("\n") == 1


def test_help_and_version() -> None:
    from allocator import __version__

    code, stdout, _ = run(["--version"])
    assert code == 0 and stdout.strip() == f"allocator {__version__}"
    code, stdout, _ = run(["solve", "--help"])
    assert code == 0 and "--weight NAME=W" in stdout and "--policy" in stdout


def test_policy_file_and_command_line_overrides(tmp_path: Path) -> None:
    from allocator.data import EXAMPLE_CSV, EXAMPLE_POLICY
    from allocator.io.policy import load_policy
    from allocator.rules.check import check

    policy = load_policy(EXAMPLE_POLICY)
    problem = policy.apply(EXAMPLE_CSV)
    assert problem.rules  # the example policy has rules
    code, stdout, err = run(["solve", str(EXAMPLE_CSV), "--policy", str(EXAMPLE_POLICY), "-q", "--out", "-"])
    assert code == 0, err
    got = {d["id"]: d["granted"] for d in json.loads(stdout)["decisions"]}
    assert got == solve(problem).grants
    assert check(problem, got).ok  # the call's rules hold, checked independently of the solver
    # rank and fund went down the list within the rules, so the comparison is fair
    assert "Compared with ranking by score" in err and "Rules broken by ranking by score" not in err
    assert check(problem, rank_and_fund(problem)).ok
    # --frame and --weight override the policy (weights key by key).
    code, stdout, err = run(
        [
            "solve",
            str(EXAMPLE_CSV),
            "--policy",
            str(EXAMPLE_POLICY),
            "--frame",
            "1500000",
            "--weight",
            "green=0.6",
            "-q",
            "--out",
            "-",
        ]
    )
    assert code == 0, err
    data = json.loads(stdout)
    assert data["frame"] == 1_500_000 and data["total_granted"] <= 1_500_000
    changed = problem.with_frame(1_500_000).with_weights({"green": 0.6})
    assert {d["id"]: d["granted"] for d in data["decisions"]} == solve(changed).grants


def test_demo_with_the_example_rules(tmp_path: Path) -> None:
    from allocator.data import load_example_policy
    from allocator.rules.check import check

    out = tmp_path / "rules.json"
    code, stdout, err = run(["demo", "--rules", "-q", "--out", str(out)])
    assert code == 0, err
    problem = load_example_policy().apply(load_example())
    got = {d["id"]: d["granted"] for d in json.loads(out.read_text())["decisions"]}
    assert got == solve(problem).grants and check(problem, got).ok
    assert "Rules at their limit" in stdout


def test_explain_prints_and_writes_the_sentences(tmp_path: Path, csv_path: Path) -> None:
    from allocator.analysis.explain import explain

    out = tmp_path / "why.xlsx"
    code, stdout, err = run(["solve", str(csv_path), *SOLVE_ARGS, "--explain", "--lang", "nb", "--out", str(out)])
    assert code == 0, err
    problem = reference_problem()
    expected = explain(problem, solve(problem), lang="nb")
    ws = openpyxl.load_workbook(out)["Forklaringer"]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert {r[header.index("Søknadsnr.")]: r[header.index("Forklaring")] for r in rows} == dict(
        zip(expected["id"], expected["sentence"], strict=True)
    )
    assert "Forklaring:" in stdout
    for first_words in (s.split(":")[0] for s in expected["sentence"]):
        assert first_words in stdout  # "Innvilget (...)", "Ikke innvilget", ...


@pytest.mark.parametrize(
    ("extra", "table", "fragment"),
    [
        (["--weight", "innov=1"], None, "--column innov=HEADER"),
        (["--weight", "green=1", "--scale", "green=1:5"], None, "--scale green=1:5"),
        (["--weight", "green=1", "--scale", "green=0:10", "--threshold", "green=12"], None, "--scale green=MIN:MAX"),
        (
            ["--weight", "green=1"],
            {"Søknadsnr": ["A"], "Saksnr": ["B"], "requested": [1], "green": [1]},
            "--column id=Søknadsnr",
        ),
        (["--weight", "green=1", "--column", "requested=Beløp"], None, "--column requested=..."),
    ],
)
def test_errors_name_the_command_line_options(
    tmp_path: Path, csv_path: Path, extra: list[str], table: dict[str, Any] | None, fragment: str
) -> None:
    src = csv_path
    if table is not None:
        src = tmp_path / "t.csv"
        pd.DataFrame(table).to_csv(src, index=False)
    code, stdout, err = run(["solve", str(src), "--frame", "100000", *extra])
    assert code == 1 and stdout == ""
    line = err.strip()
    assert line.startswith("allocator: error: ") and "\n" not in line
    assert fragment.rstrip(".") in line, line
    for python in ("={", "='", "=(", "scales=", "thresholds=", "weights="):
        assert python not in line, line


def test_long_lists_are_cut_in_the_terminal(tmp_path: Path) -> None:
    # one large, best-scored application against 300 small ones worth more together:
    # ranking by score funds the large one, the optimum the 300
    rows = [("BIG", 300_000, 7.0)] + [(f"S-{k:03d}", 1_000, 6.0) for k in range(300)]
    src = tmp_path / "many.csv"
    pd.DataFrame(rows, columns=["id", "requested", "green"]).to_csv(src, index=False)
    out = tmp_path / "many.xlsx"
    code, stdout, err = run(
        ["solve", str(src), "--frame", "300000", "--weight", "green=1", "--scale", "green=1:7", "--out", str(out)]
    )
    assert code == 0, err
    line = next(x for x in stdout.splitlines() if x.strip().startswith("Funded only in the best portfolio"))
    assert line.endswith("... and 288 more (all in many.xlsx)") and line.count("S-") == 12
    assert max(len(x) for x in stdout.splitlines()) < 200
    assert "... and 260 more (all in many.xlsx)" in stdout  # the decision table shows 40 of the 300 funded
