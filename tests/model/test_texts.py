"""Text that looks the same is the same (issue 9, defect 17): ids, headers, text cells and
policy files are normalised to NFC without invisible characters (model/texts.py)."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import Application, Criterion, Problem, solve
from allocator.exceptions import InputError
from allocator.io.policy import parse_policy
from allocator.model.texts import clean_text

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731


def test_nfd_headers_zero_width_spaces_and_a_bom_still_find_their_fields() -> None:
    df = pd.DataFrame(
        {
            "\ufeff" + NFD("Søknadsnr"): ["A", "B"],
            NFD("Søknadsbeløp") + "\u200b": [100, 200],
            NFD("Grønn omstilling"): [5, 3],
        }
    )
    p = Problem.from_frame(df, frame=150, weights={"green": 1}, scales=(0, 7))
    assert [a.id for a in p.applications] == ["A", "B"] and p.applications[1].requested == 200
    q = Problem.from_frame(
        df, frame=150, weights={"g": 1}, scales=(0, 7), g="Grønn omstilling"
    )  # NFC keyword, NFD header
    assert q.criteria[0].name == "g"


def test_ids_and_categories_are_normalised_so_that_rules_match() -> None:
    df = pd.DataFrame(
        {
            "id": [NFD("Å-1"), "B\u200b"],
            "requested": [100, 100],
            "g": [5, 4],
            "category": [NFD("bedriftsnettverk på Ørje"), "klynge\u00a0vann"],
        }
    )
    p = Problem.from_frame(df, frame=100, weights={"g": 1}, scales=(0, 7))
    assert [a.id for a in p.applications] == ["Å-1", "B"]
    assert [a.category for a in p.applications] == ["bedriftsnettverk på Ørje", "klynge vann"]
    policy = parse_policy(
        'frame = 100\n[weights]\ng = 1\n[[rules]]\nkind = "group"\ncategory = "'
        + NFD("bedriftsnettverk på Ørje")
        + '"\nmax_count = 0\n'
    )
    assert solve(policy.apply(p)).funded_ids == ["B"]


def test_a_problem_built_directly_normalises_too_and_refuses_invisible_duplicates() -> None:
    crit = [Criterion(name="g", weight=1)]
    assert Application(id="\u2060A\u00ad-1 ", requested=1, scores={"g": 1}).id == "A-1"
    with pytest.raises(InputError, match="appears more than once"):
        Problem(
            frame=1,
            criteria=crit,
            applications=[
                Application(id="Å", requested=1, scores={"g": 1}),
                Application(id=NFD("Å"), requested=1, scores={"g": 1}),
            ],
        )


def test_a_letter_split_by_an_invisible_character_is_composed() -> None:
    assert clean_text("A\u200d\u030a-1") == "\u00c5-1"


@given(st.text(max_size=20))
def test_clean_text_is_idempotent_nfc_and_free_of_format_characters(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert not any(unicodedata.category(c) in ("Cf", "Zl", "Zp") for c in once)
    assert once == once.strip()
