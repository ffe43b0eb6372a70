"""Nothing lost (issue 9, defects 18 and 19): a write that fails half way leaves the previous
file as it was, no temporary file stays behind, and ``--out`` never replaces an input."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import allocator
from allocator import solve, write_decisions, write_report
from allocator.cli import main
from allocator.exceptions import AllocatorError
from allocator.io.atomic import replacing, same_file


@pytest.fixture(scope="module")
def solved() -> tuple[allocator.Problem, allocator.Solution]:
    p = allocator.load_example()
    return p, solve(p)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fail_half_way(monkeypatch: pytest.MonkeyPatch, target: str, attr: str) -> None:
    """Make ``target.attr`` write some bytes to the file it was given, then fail like a full disk."""

    def broken(*args: Any, **kwargs: Any) -> None:
        path = next(
            a
            for a in (*args, *kwargs.values())
            if isinstance(a, (str, Path)) and str(a).endswith(("xlsx", "csv", "json"))
        )
        Path(path).write_bytes(b"half of the new file")
        raise OSError(28, "No space left on device")

    import importlib

    module, _, name = target.rpartition(".")
    try:
        owner: Any = importlib.import_module(target)
    except ImportError:
        owner = getattr(importlib.import_module(module), name)
    monkeypatch.setattr(owner, attr, broken)


@pytest.mark.parametrize(
    ("suffix", "target", "attr"),
    [
        (".csv", "pandas.DataFrame", "to_csv"),
        (".json", "pathlib.Path", "write_text"),
        (".xlsx", "allocator.io.tables", "write_xlsx"),
    ],
)
def test_write_decisions_failing_half_way_keeps_the_old_file(
    suffix: str, target: str, attr: str, solved: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sol = solved
    out = tmp_path / f"decisions{suffix}"
    write_decisions(sol, out)
    before = digest(out)
    with monkeypatch.context() as m:
        _fail_half_way(m, target, attr)
        with pytest.raises(AllocatorError) as info:
            write_decisions(sol, out)
    assert "No space left on device" in str(info.value) and "unchanged" in str(info.value)
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary file left


def test_write_report_failing_half_way_keeps_the_old_workbook(
    solved: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p, sol = solved
    out = tmp_path / "report.xlsx"
    write_report(sol, out, problem=p)
    before = digest(out)
    import xlsxwriter.workbook

    def broken(self: Any) -> None:
        Path(self.filename).write_bytes(b"PK\x03\x04 22 bytes of zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "_store_workbook", broken)
    with pytest.raises(AllocatorError, match="No space left"):
        write_report(sol, out, problem=p)
    assert digest(out) == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["report.xlsx"]


def test_a_successful_write_replaces_keeps_permissions_and_follows_links(solved: Any, tmp_path: Path) -> None:
    _, sol = solved
    real = tmp_path / "real.json"
    real.write_text("{}")
    os.chmod(real, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_decisions(sol, link)
    assert link.is_symlink() and json.loads(real.read_text())["status"] == "optimal"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_replacing_removes_the_temporary_file_on_any_exception(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    with pytest.raises(KeyboardInterrupt), replacing(target) as tmp:
        tmp.write_text("partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_same_file_sees_paths_links_and_hard_links(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text("x")
    os.link(a, tmp_path / "hard.csv")
    (tmp_path / "soft.csv").symlink_to(a)
    (tmp_path / "sub").mkdir()
    assert same_file(a, tmp_path / "sub" / ".." / "a.csv")
    assert same_file(a, tmp_path / "hard.csv") and same_file(a, tmp_path / "soft.csv")
    assert not same_file(a, tmp_path / "other.csv")


@pytest.mark.parametrize("how", ["same path", "relative path", "hard link"])
def test_cli_out_never_replaces_the_applications_table(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # defect 19: `allocator solve self.csv ... --out self.csv` replaced the table by the decisions
    monkeypatch.chdir(tmp_path)
    table = tmp_path / "self.csv"
    pd.DataFrame({"id": ["A", "B"], "requested": [100, 200], "g": [1, 2]}).to_csv(table, index=False)
    before = digest(table)
    out = {"same path": str(table), "relative path": "self.csv", "hard link": "twin.csv"}[how]
    if how == "hard link":
        os.link(table, tmp_path / "twin.csv")
    err = io.StringIO()
    code = main(
        ["solve", str(table), "--frame", "150", "--weight", "g=1", "--out", out], stdout=io.StringIO(), stderr=err
    )
    assert code == 1 and "applications table" in err.getvalue()
    assert digest(table) == before


def test_cli_out_elsewhere_still_writes(tmp_path: Path) -> None:
    table = tmp_path / "a.csv"
    pd.DataFrame({"id": ["A", "B"], "requested": [100, 200], "g": [1, 2]}).to_csv(table, index=False)
    code = main(
        ["solve", str(table), "--frame", "150", "--weight", "g=1", "--out", str(tmp_path / "d.csv"), "-q"],
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert code == 0 and pd.read_csv(tmp_path / "d.csv")["granted"].sum() == 100
