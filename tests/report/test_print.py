"""The workbooks on paper: converted to PDF by LibreOffice (headless), as an adviser prints them.

Skipped when LibreOffice (``soffice``) or poppler (``pdfinfo``, ``pdftotext``) is not
installed. The Summary fits one page; the decision table and the meeting paper print one
page wide: every page carries the first and the last column's header (the header row is
repeated, and no column spills onto a page of its own).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from allocator import explain, solve, write_report
from allocator.data import load_example, load_example_policy

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdfinfo") and shutil.which("pdftotext")),
    reason="needs LibreOffice (soffice) and poppler-utils (pdfinfo, pdftotext)",
)


def _pdf(xlsx: Path) -> Path:
    """``xlsx`` converted to PDF, with a LibreOffice profile of its own (no clash with others)."""
    profile = xlsx.parent / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(xlsx.parent),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    pdf = xlsx.with_suffix(".pdf")
    assert pdf.is_file()
    return pdf


def _pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    n = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(k), "-l", str(k), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for k in range(1, n + 1)
    ]


@pytest.fixture(scope="module")
def demo() -> tuple[object, object, object]:
    p = load_example_policy().apply(load_example())
    s = solve(p)
    return p, s, explain(p, s, lang="nb")


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_summary_on_one_page(tmp_path: Path, demo: tuple[object, object, object], lang: str) -> None:
    p, s, e = demo
    pages = _pages(
        _pdf(
            write_report(
                s,
                tmp_path / "summary.xlsx",
                problem=p,
                explanations=e,
                lang=lang,
                sheets=["summary"],
            )
        )
    )  # type: ignore[arg-type]
    assert len(pages) == 1
    first, last = ("Nøkkeltall", "Normalisering") if lang == "nb" else ("Key figures", "Normalisation")
    assert first in pages[0] and last in pages[0]  # from the first section to the last line of the technical block


@pytest.mark.parametrize(
    ("sheet", "first", "last"),
    [
        ("decisions", "Søknadsnr.", "støtteregisteret"),
        ("meeting", "Rangering", "Begrunnelse"),
    ],
)
def test_tables_print_one_page_wide(
    tmp_path: Path,
    demo: tuple[object, object, object],
    sheet: str,
    first: str,
    last: str,
) -> None:
    p, s, e = demo
    pages = _pages(
        _pdf(
            write_report(
                s,
                tmp_path / f"{sheet}.xlsx",
                problem=p,
                explanations=e,
                lang="nb",
                sheets=[sheet],
            )
        )
    )  # type: ignore[arg-type]
    assert len(pages) >= 2  # 26 applications with their reasons take more than a page ...
    for k, text in enumerate(pages, start=1):
        assert first in text and last in text, f"page {k} lacks a column: one page wide, header repeated"
        assert f"side {k} av {len(pages)}" in text
    ids = [a.id for a in p.applications]  # type: ignore[attr-defined]
    assert all(any(i in t for t in pages) for i in ids)  # ... and every application is on one of them
