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
from typing import Any

import pytest

from allocator import explain, solve, write_report
from allocator.data import load_example, load_example_policy

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdfinfo") and shutil.which("pdftotext")),
    reason="needs LibreOffice (soffice) and poppler-utils (pdfinfo, pdftotext)",
)


def _pdfs(*xlsx: Path) -> list[Path]:
    """The workbooks converted to PDF in one LibreOffice run (its start-up is most of the time),
    with a profile of its own (no clash with others)."""
    folder = xlsx[0].parent
    profile = folder / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *(str(x) for x in xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    pdfs = [x.with_suffix(".pdf") for x in xlsx]
    assert all(pdf.is_file() for pdf in pdfs)
    return pdfs


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


PRINTED = {
    "summary-nb": ("summary", "nb"),
    "summary-en": ("summary", "en"),
    "decisions": ("decisions", "nb"),
    "meeting": ("meeting", "nb"),
}


@pytest.fixture(scope="module")
def demo() -> Any:
    return load_example_policy().apply(load_example())


@pytest.fixture(scope="module")
def printed(demo: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The pages of each printed sheet (the demo with its rules and explanations), by name."""
    folder = tmp_path_factory.mktemp("printed")
    s = solve(demo)
    e = explain(demo, s, lang="nb")
    books = [
        write_report(s, folder / f"{name}.xlsx", problem=demo, explanations=e, lang=lang, sheets=[sheet])
        for name, (sheet, lang) in PRINTED.items()
    ]
    return {name: _pages(pdf) for name, pdf in zip(PRINTED, _pdfs(*books), strict=True)}


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_summary_on_one_page(printed: dict[str, list[str]], lang: str) -> None:
    pages = printed[f"summary-{lang}"]
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
    printed: dict[str, list[str]], demo: Any, sheet: str, first: str, last: str
) -> None:
    pages = printed[sheet]
    assert len(pages) >= 2  # 26 applications with their reasons take more than a page ...
    for k, text in enumerate(pages, start=1):
        assert first in text and last in text, f"page {k} lacks a column: one page wide, header repeated"
        assert f"side {k} av {len(pages)}" in text
    ids = [a.id for a in demo.applications]
    assert all(any(i in t for t in pages) for i in ids)  # ... and every application is on one of them
