"""The examples run as written: the notebook (executed with nbclient), every script, and the
README's notebook block on a table saved the way Norwegian Excel saves it."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    """A copy of examples/, so that what the examples write stays out of the repository."""
    dst = tmp_path / "examples"
    shutil.copytree(EXAMPLES, dst, ignore=shutil.ignore_patterns("*.xlsx", ".ipynb_checkpoints"))
    shutil.copy(EXAMPLES / "data" / "soknader.xlsx", dst / "data" / "soknader.xlsx")
    return dst


def _run(script: str, cwd: Path, *args: str, timeout: int = 300) -> str:
    proc = subprocess.run(
        [sys.executable, script, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_sample_table_is_what_norwegian_excel_writes() -> None:
    import pandas as pd

    import allocator

    raw = (EXAMPLES / "data" / "soknader.csv").read_bytes()
    assert b";" in raw.splitlines()[0] and b"\r\n" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Windows-1252
    assert re.search(rb";\d,5;", raw)  # decimal commas
    with pytest.raises((UnicodeDecodeError, pd.errors.ParserError)):
        pd.read_csv(EXAMPLES / "data" / "soknader.csv")  # what the README used to show
    df = allocator.read_table(EXAMPLES / "data" / "soknader.csv")
    assert df.shape == (26, 15) and df["Grønn omstilling"].dtype.kind == "f"
    assert allocator.read_table(EXAMPLES / "data" / "soknader.xlsx").equals(df)


def test_notebook(workdir: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(workdir / "adviser.ipynb", as_version=4)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    ).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    wb = openpyxl.load_workbook(workdir / "saksliste.xlsx")
    assert "Saksliste med vurdering" in wb.sheetnames and "Forklaringer" in wb.sheetnames
    header = [c.value for c in wb["Saksliste med vurdering"][3]]
    assert "Spredning (lavest-høyest)" in header  # the reviewers' spread reached the meeting paper


def test_quickstart(workdir: Path) -> None:
    out = _run("quickstart.py", workdir)
    assert "optimal" in out and "gain over rank-and-fund" in out
    assert "Tildelinger" in openpyxl.load_workbook(workdir / "vedtak.xlsx").sheetnames


def test_call_rules(workdir: Path) -> None:
    out = _run("call_rules.py", workdir)
    assert "every rule holds" in out and "at its limit:" in out and "Ikke innvilget" in out
    assert "Regler" in openpyxl.load_workbook(workdir / "regler.xlsx").sheetnames


def test_weight_sweep_on_a_local_dask_cluster(workdir: Path) -> None:
    pytest.importorskip("dask.distributed")
    out = _run("weight_sweep_dask.py", workdir, "12")
    assert "12 scenarios on 2 Dask workers" in out and "2022-R2-17" in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(
    importlib.util.find_spec("allocator.server") is None,
    reason="the service (allocator.server) is not installed",
)
def test_service_call(workdir: Path, tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "allocator",
            "serve",
            "--port",
            str(port),
            "--db",
            str(tmp_path / "jobs.sqlite"),
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None and time.monotonic() < deadline, "the service did not start"
            time.sleep(0.2)
        out = _run("service_call.py", workdir, f"http://127.0.0.1:{port}")
        assert "Solution(optimal" in out and "2022-R2-17" in out
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_readme_notebook_block_on_a_norwegian_excel_csv(tmp_path: Path) -> None:
    """The README's notebook block, verbatim, on a ';' CSV with decimal commas in Windows-1252."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## In a notebook", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert block is not None
    shutil.copy(EXAMPLES / "data" / "soknader.csv", tmp_path / "applications.csv")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, "-c", block.group(1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "decisions.xlsx").is_file()
