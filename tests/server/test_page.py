"""The advisers' page in a real browser: Debian's Chromium driven by Playwright.

Upload the example's table, policy and ledger, see the decisions (the library's, funded
first), switch to Norwegian, see the frame curve drawn, download the Excel report and open
it. Skips, saying why, when Playwright or a Chromium is not installed (CI installs
Chromium with apt-get when it can).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from allocator import read_table, solve
from allocator.data import EXAMPLE_CSV, EXAMPLE_POLICY, load_example_policy

from .conftest import Service

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("ALLOCATOR_TEST_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Any:
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed (pip install playwright)",
    )
    path = _chromium()
    if path is None:
        pytest.skip("no Chromium browser found (apt-get install chromium); the page test needs a real browser")
    with sync_api.sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS, timeout=60_000)
        except Exception as exc:
            pytest.skip(f"Chromium at {path} did not start: {exc}")
        yield b
        b.close()


def test_upload_see_decisions_switch_language_and_download(browser: Any, service: Service, tmp_path: Path) -> None:
    import openpyxl

    expected = solve(load_example_policy().apply(read_table(EXAMPLE_CSV)))
    funded = {d.id for d in expected.decisions if d.funded}
    ctx = browser.new_context(accept_downloads=True, locale="en-GB")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(service.url + "/")
    assert page.title() == "allocator"
    page.set_input_files("#applications", str(EXAMPLE_CSV))
    page.set_input_files("#ledger", str(EXAMPLE_POLICY.parent / "vtfk_2022_round2_de_minimis.csv"))
    page.set_input_files("#policy", str(EXAMPLE_POLICY))
    page.wait_for_selector("#weights input[data-name='green']")
    assert page.input_value("#frame") == "2 300 000"
    assert page.input_value("#weights input[data-name='green']") == "0.3"
    assert page.is_checked("#partial")

    page.click("#solve")
    page.wait_for_selector("#decisions tbody tr.funded")
    rows = page.query_selector_all("#decisions tbody tr[data-id]")
    shown = [(r.get_attribute("data-id"), r.get_attribute("class")) for r in rows]
    assert {i for i, c in shown if c == "funded"} == funded
    assert [c for _, c in shown] == sorted((c for _, c in shown), key=lambda c: c != "funded")  # funded first
    first = rows[0].query_selector_all("td")
    assert first[-1].inner_text().startswith(("Funded", "Not funded"))
    assert "optimal" in page.inner_text("#summary")
    assert page.inner_text("#comparison")

    page.wait_for_selector("#chart svg polyline.optimal", timeout=120_000)
    points = page.get_attribute("#chart svg polyline.optimal", "points")
    assert points and len(points.split()) >= 10
    page.screenshot(path=str(tmp_path / "page-en.png"), full_page=True)

    page.select_option("#lang", "nb")
    page.wait_for_function("document.querySelector('#decisions thead th:nth-child(3)').textContent === 'Søknadsbeløp'")
    page.wait_for_function(
        "[...document.querySelectorAll('#decisions tbody td:last-child')].some(td => td.textContent.startsWith('Innvilget') || td.textContent.startsWith('Delvis innvilget'))"
    )
    assert "Innvilget" in page.inner_text("#decisions")
    assert page.query_selector("#chart svg polyline.optimal") is not None

    with page.expect_download(timeout=120_000) as dl:
        page.click("#report")
    path = tmp_path / "report.xlsx"
    dl.value.save_as(path)
    wb = openpyxl.load_workbook(path)
    assert "Tildelinger" in wb.sheetnames  # the report in the language chosen on the page
    ids = {str(c.value) for row in wb["Tildelinger"].iter_rows() for c in row if c.value is not None}
    assert funded <= ids
    assert not errors, errors
    assert all(u.startswith((service.url, "blob:", "data:")) for u in requests), [
        u for u in requests if not u.startswith(service.url)
    ]
    ctx.close()
