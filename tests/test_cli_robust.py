"""``allocator robust`` and ``allocator draw``, in-process, and the robustness sheet of the report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest

from allocator import Application, Criterion, Problem, solve, write_report
from allocator.cli import main
from allocator.io import parse_policy
from allocator.robust import DrawRecord, Uncertainty, robust, uncertainty_from_policy
from allocator.robust.excel import sheet_writer


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def small_table(tmp_path: Path) -> Path:
    path = tmp_path / "apps.csv"
    path.write_text("id,requested,green,smart\nA,60000,7,5\nB,50000,5,6\nC,40000,4,4\nD,30000,2,2\n", encoding="utf-8")
    return path


def test_robust_demo_prints_every_class_and_writes_json(tmp_path: Path) -> None:
    code, out, err = run(["robust", "--demo", "--samples", "300", "--out", str(tmp_path / "r.json")])
    assert code == 0, err
    assert "partial funding is set aside" in err
    assert "borderline" in out and "core" in out and "exterior" in out
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["complete"] and data["nondominated"] >= 2 and data["samples"] == 300
    classes = {a["robust_class"] for a in data["applications"]}
    assert classes == {"core", "borderline", "exterior"}
    for a in data["applications"]:
        if a["robust_class"] == "core":
            assert a["acceptability"] == 1 and a["core_index"] == 1 and a["lottery"] == "core"
        if a["robust_class"] == "borderline":
            assert 0 < a["core_index"] < 1 and 0 < a["inclusion_probability"] < 1


def test_robust_on_a_table_with_options_and_norwegian(tmp_path: Path) -> None:
    path = small_table(tmp_path)
    code, out, err = run(
        [
            "robust",
            str(path),
            "--frame",
            "100000",
            "--weight",
            "green=0.5",
            "--weight",
            "smart=0.5",
            "--scale",
            "green=1:7",
            "--scale",
            "smart=1:7",
            "--order",
            "green >= smart",
            "--plus-minus",
            "1",
            "--lang",
            "nb",
            "--out",
            str(tmp_path / "r.xlsx"),
        ]
    )
    assert code == 0, err
    assert "kjerne" in out or "grensetilfelle" in out
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert "Robusthet" in wb.sheetnames
    ws = wb["Robusthet"]
    header = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "id")
    assert "klasse" in header and "kjerneindeks" in header


def test_robust_json_on_stdout_is_clean() -> None:
    code, out, err = run(["robust", "--demo", "--out", "-"])
    assert code == 0, err
    assert json.loads(out)["method"] == "enumeration"


def test_draw_publishes_then_draws_then_verifies(tmp_path: Path) -> None:
    code, out, err = run(["draw", "--demo"])
    assert code == 0, err
    assert "inclusion probability (exact)" in out and "no --seed" in out
    rec = tmp_path / "record.json"
    code, out, err = run(["draw", "--demo", "--seed", "3 6 1 4 4 2", "--out", str(rec)])
    assert code == 0, err
    record = DrawRecord.model_validate_json(rec.read_text(encoding="utf-8"))
    assert record.seed == "3 6 1 4 4 2" and record.drawn
    code, out, _ = run(["draw", "--demo", "--verify", str(rec)])
    assert code == 0 and "matches" in out
    data = json.loads(rec.read_text(encoding="utf-8"))
    data["drawn"] = data["drawn"][:-1]
    rec.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(["draw", "--demo", "--verify", str(rec)])
    assert code == 1 and "does NOT match" in out


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    code, _, err = run(["robust"])
    assert code == 1 and "give APPLICATIONS" in err
    code, _, err = run(["robust", "--demo", "--interval", "green=0.2"])
    assert code == 2 and "green=0.2:0.6" in err
    code, _, err = run(["robust", "--demo", "--order", "green >= nosuch"])
    assert code == 1 and "unknown criteria ['nosuch']" in err
    code, _, err = run(["draw", "--demo", "--seed", " "])
    assert code == 1 and "seed" in err


def test_policy_robustness_table() -> None:
    text = """
frame = 100
[weights]
green = 1
[robustness]
order = "green >= smart"
constraints = ["smart >= 0.1"]
plus_minus = {green = 0.5}
limit = 50
[robustness.intervals]
green = [0.3, 0.9]
[robustness.scores."A-1"]
green = [3, 5]
"""
    pol = parse_policy(text, source="call.toml")
    u, settings = uncertainty_from_policy(pol)
    assert settings == {"limit": 50}
    assert u.weights.order == ("green", "smart") and u.weights.intervals == {"green": (0.3, 0.9)}
    assert u.scores.plus_minus == {"green": 0.5} and u.scores.intervals == {"A-1": {"green": (3.0, 5.0)}}
    bad = parse_policy("[robustness]\nplus_minus = -1\n", source="bad.toml")
    with pytest.raises(Exception, match=r"bad.toml, \[robustness\].*plus_minus"):
        uncertainty_from_policy(bad)
    with pytest.raises(Exception, match=r"unknown keys \['orders'\]"):
        uncertainty_from_policy({"orders": "a >= b"}, name="x.toml")


def test_write_report_adds_the_sheet(tmp_path: Path) -> None:
    p = Problem(
        frame=100,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[
            Application(id="A", requested=60, scores={"g": 8}),
            Application(id="B", requested=50, scores={"g": 5}),
            Application(id="C", requested=40, scores={"g": 4}),
        ],
    )
    r = robust(p, Uncertainty.of(plus_minus=2), draw_seed="1 2 3")
    out = write_report(solve(p), tmp_path / "w.xlsx", problem=p, extra_sheets=[sheet_writer(r)])
    ws = openpyxl.load_workbook(out)["Robustness"]
    rows = list(ws.iter_rows(values_only=True))
    header = next(k for k, row in enumerate(rows) if row and row[0] == "id")
    body = {row[0]: row for row in rows[header + 1 :]}
    cols = rows[header]
    # {A, C} and {B, C} are the non-dominated portfolios (A + B exceeds the frame; A in [6, 10], B in [3, 7])
    assert [body[i][cols.index("class")] for i in "ABC"] == ["borderline", "borderline", "core"]
    assert [body[i][cols.index("core_index")] for i in "ABC"] == [0.5, 0.5, 1.0]
    assert {body[i][cols.index("lottery")] for i in "AB"} == {"drawn", "not drawn"}
    assert any("seed '1 2 3'" in str(row[1]) for row in rows[:header])
    nb = write_report(solve(p), tmp_path / "n.xlsx", problem=p, lang="nb", extra_sheets=[sheet_writer(r)])
    assert "Robusthet" in openpyxl.load_workbook(nb).sheetnames


def test_intervals_from_the_reviewers_spread(tmp_path: Path) -> None:
    path = small_table(tmp_path)
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("id,green,smart\nA,6,5\nA,7,4\nB,3,6\nB,6,6\nC,4,4\nD,2,2\n", encoding="utf-8")
    code, _, err = run(
        [
            "robust",
            str(path),
            "--frame",
            "100000",
            "--weight",
            "green=0.5",
            "--weight",
            "smart=0.5",
            "--scale",
            "green=1:7",
            "--scale",
            "smart=1:7",
            "--reviews",
            str(reviews),
            "--out",
            str(tmp_path / "r.json"),
        ]
    )
    assert code == 0, err
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["uncertainty"]["scores"]["intervals"]["A"] == {"green": [6.0, 7.0], "smart": [4.0, 5.0]}
