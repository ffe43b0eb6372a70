"""The demo with ``--lang nb --explain --rules`` says nothing in English, and with ``--lang en``
nothing in Norwegian: sheet names, headers, labels, reasons, proposed decisions, explanations,
rules and the terminal. The data (titles, applicants, categories, ids, the call's name) are
the user's and stay as they are; they are taken out before the words are checked.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from allocator.cli import main
from allocator.data import example_metadata, load_example, load_example_policy
from tests.words.test_words import ENGLISH, NORWEGIAN

# proper names and symbols that are the same in both languages
ALLOWED = {"highs", "eur", "nok", "kr", "vtfk", "de", "minimis", "s", "r", "id", "nr"}


def _data_strings() -> list[str]:
    """Everything in the example that is data, longest first (so that parts go after wholes)."""
    p = load_example_policy().apply(load_example())
    meta = example_metadata()
    out = {meta["name"], meta["name_nb"], p.name, "Vestfold og Telemark fylkeskommune"}
    for a in p.applications:
        out |= {a.id, a.title, a.applicant, a.category, *a.tags}
        out |= {str(v) for v in a.attributes.values() if isinstance(v, str)}
    for c in p.criteria:
        out |= {c.name}
    # the terminal cuts long cells ("Kvalifisering av leverandører til…"): those are data too
    cut = {s[:k] + "…" for s in out for k in range(6, len(s))}
    return sorted((s for s in out | cut if s), key=len, reverse=True)


def _generated(wb: Any) -> list[str]:
    """The words of the workbook that the library wrote: every text cell and the sheet names."""
    texts = list(wb.sheetnames)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            texts.extend(v for v in row if isinstance(v, str))
        for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
            texts.append(part.text or "")
    return texts


def _foreign(texts: list[str], forbidden: set[str]) -> set[str]:
    data = _data_strings()
    found = set()
    for t in texts:
        for d in data:
            t = t.replace(d, " ")
        t = re.sub(r"&[A-Z]", " ", t)  # footer codes
        t = re.sub(r"\S*/\S*", " ", t)  # file paths ("wrote /tmp/pytest-of-root/...")
        found |= {w.lower() for w in re.findall(r"[A-Za-zÆØÅæøåé]+", t)} & forbidden
    return found - ALLOWED


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, str]]:
    out = {}
    for lang in ("nb", "en"):
        path = Path(tmp_path_factory.mktemp(lang)) / "demo.xlsx"
        stdout, stderr = io.StringIO(), io.StringIO()
        assert (
            main(
                ["demo", "--rules", "--explain", "--lang", lang, "--out", str(path)],
                stdout=stdout,
                stderr=stderr,
            )
            == 0
        ), stderr.getvalue()
        out[lang] = (openpyxl.load_workbook(path), stdout.getvalue())
    return out


def test_norwegian_throughout(demos: dict[str, tuple[Any, str]]) -> None:
    wb, terminal = demos["nb"]
    assert wb.sheetnames == [
        "Sammendrag",
        "Saksliste med vurdering",
        "Tildelinger",
        "Sammenligning",
        "Forklaringer",
        "Analyse",
        "Regler",
        "Diagrammer",
    ]
    assert _foreign(_generated(wb), ENGLISH) == set()
    assert _foreign(terminal.splitlines(), ENGLISH) == set()
    # and it is Norwegian, not merely free of English
    words = " ".join(_generated(wb))
    for phrase in (
        "Forslag til vedtak",
        "Begrunnelse",
        "Avslag",
        "Tilskudd på",
        "innvilget",
        "side &P av &N",
    ):
        assert phrase in words


def test_english_throughout(demos: dict[str, tuple[Any, str]]) -> None:
    wb, terminal = demos["en"]
    assert wb.sheetnames == [
        "Summary",
        "Agenda with assessment",
        "Decisions",
        "Rank and fund",
        "Explanations",
        "Analysis",
        "Rules",
        "Charts",
    ]
    assert _foreign(_generated(wb), NORWEGIAN) == set()
    assert _foreign(terminal.splitlines(), NORWEGIAN) == set()


def test_no_raw_codes_and_one_money_format(demos: dict[str, tuple[Any, str]]) -> None:
    labels = [x for r in load_example_policy().rules for x in (r.label, r.label_nb)]  # the policy's own words
    for lang, (wb, terminal) in demos.items():
        texts = _generated(wb) + terminal.splitlines()
        joined = "\n".join(texts)
        for label in labels:
            joined = joined.replace(label, " ")
        for code in (
            "funded_partially",
            "blocked_by_rule",
            "outranked",
            "too_large",
            "locked_in",
            "not_decided",
        ):
            assert code not in joined, (lang, code)
        if lang == "nb":
            assert not re.search(r"\d,\d{3}\b(?!,)", " ".join(t for t in texts if "kr" in t))  # no "316,666 kr"
            assert "NOK" not in joined
        else:
            assert not re.search(r"\d \d{3} kr", joined)  # no "2 235 000 kr" in English
