"""The vocabulary for people: one format per language, every code in words, one rank numbering."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator import AllocatorError, Reason, Status
from allocator.model.rules import (
    BudgetPots,
    CoFinancing,
    DeMinimis,
    Exclusive,
    FundedCount,
    GroupLimit,
    MaxGrant,
    MultiYear,
    MustFund,
    MustNotFund,
    Requires,
)
from allocator.model.solution import RuleRef
from allocator.words import (
    TERMS,
    amount_in_steps,
    cut_list,
    describe_rule,
    money,
    percent,
    points,
    ranks,
    reason_text,
    rule_name,
    score,
    status_text,
    term,
)

NBSP = "\u00a0"
# words that are English and not Norwegian (an independent list, not the vocabulary's)
ENGLISH = {
    "the",
    "of",
    "and",
    "is",
    "with",
    "by",
    "funded",
    "not",
    "rule",
    "rules",
    "score",
    "frame",
    "grant",
    "granted",
    "application",
    "applications",
    "request",
    "requested",
    "rank",
    "value",
    "left",
    "call",
    "outcome",
    "reason",
    "best",
    "would",
    "could",
    "only",
    "more",
    "than",
    "most",
    "least",
    "category",
    "applicant",
    "title",
    "summary",
    "decisions",
    "explanations",
    "analysis",
    "charts",
    "project",
    "cost",
    "public",
    "funding",
    "cluster",
    "clusters",
    "network",
    "networks",
    "undertaking",
    "years",
    "yes",
    "none",
    "page",
    "solver",
    "run",
    "time",
    "higher",
    "lower",
    "smaller",
    "then",
    "points",
    "stopped",
    "required",
    "excluded",
    "reached",
    "proven",
    "part",
    "limit",
    "used",
    "kind",
    "criterion",
    "weight",
    "scale",
    "threshold",
    "refusal",
    "full",
    "partly",
    "requirements",
    "minimum",
    "meet",
    "does",
    "frames",
    "pots",
    "budget",
    "exactly",
    "colours",
    "technical",
}
NORWEGIAN = {
    "og",
    "ikke",
    "av",
    "til",
    "innvilget",
    "søknad",
    "søknaden",
    "søknader",
    "ramme",
    "rammen",
    "regel",
    "regelen",
    "reglene",
    "poeng",
    "poengsum",
    "høyst",
    "minst",
    "med",
    "på",
    "er",
    "som",
    "ville",
    "kunne",
    "måtte",
    "bare",
    "alle",
    "igjen",
    "tilskudd",
    "avslag",
    "vedtak",
    "forslag",
    "begrunnelse",
    "utfall",
    "kategori",
    "søker",
    "tittel",
    "rangering",
    "skala",
    "vekt",
    "terskel",
    "beløp",
    "søknadsbeløp",
    "bagatellmessig",
    "støtte",
    "foretak",
    "klynger",
    "delvis",
    "fullt",
    "ut",
    "nådde",
    "opp",
    "stoppet",
    "utlysningen",
    "påkrevd",
    "utelukket",
    "oppfyller",
    "minstekravene",
    "større",
    "enn",
    "avgjort",
    "bevist",
    "gyldig",
    "ingen",
    "løseren",
    "tidsgrensen",
    "nøyaktig",
    "budsjettposter",
    "rammer",
    "år",
    "innvilg",
    "forutsetter",
    "eller",
    "hvis",
    "innvilges",
}


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-zÆØÅæøåé]+", text)}


def test_money_one_format_per_language() -> None:
    assert money(2_300_000, "NOK", "nb") == f"2{NBSP}300{NBSP}000{NBSP}kr"
    assert money(2_300_000, "NOK", "en") == "NOK 2,300,000"
    assert money(999, "NOK", "nb") == f"999{NBSP}kr"
    assert money(100_000, "EUR", "nb") == f"100{NBSP}000{NBSP}EUR" and money(100_000, "eur", "en") == "EUR 100,000"
    assert money(-1_000, "NOK", "en") == "NOK -1,000".replace("NOK -", "-NOK ")


def test_numbers_and_points() -> None:
    assert score(0.9357142857142857, "en") == "0.936" and score(0.9357142857142857, "nb") == "0,936"
    assert points(5.25, 7, "nb") == "5,25 av 7" and points(5.254, 7, "en") == "5.25 of 7"
    assert percent(3.26, "en", sign=True) == "+3.3 %" and percent(3.26, "nb") == f"3,3{NBSP}%"


@given(st.integers(0, 10**12), st.integers(1, 10**6))
def test_amounts_round_down_to_the_step(amount: int, step: int) -> None:
    got = amount_in_steps(amount, step)
    assert got % step == 0 and got <= amount < got + step


@given(st.lists(st.sampled_from([0.1, 0.25, 0.5, 0.5, 0.75, 1.0]), max_size=30))
def test_ranks_share_ties_and_skip(scores: list[float]) -> None:
    got = ranks(scores)
    for s, r in zip(scores, got, strict=True):
        assert r == 1 + sum(1 for t in scores if t > s)  # standard competition ranking


def test_every_reason_and_status_in_words() -> None:
    for r in Reason:
        en, nb = reason_text(r, "en"), reason_text(r, "nb")
        assert en and nb and en != nb and r.value not in (en, nb)  # never the raw code
        assert not words(nb) & ENGLISH and not words(en) & NORWEGIAN
        long_nb = reason_text(r, "nb", sentence=True)
        assert long_nb.endswith(".") and not words(long_nb) & ENGLISH
    for s in Status:
        assert status_text(s, "en") != status_text(s, "nb")
        assert not words(status_text(s, "nb")) & ENGLISH


def test_every_term_in_both_languages() -> None:
    for key, (en, nb) in TERMS.items():
        assert en and nb, key
        assert not words(nb) & ENGLISH, (key, nb)
        assert not words(en) & NORWEGIAN, (key, en)
        if key.startswith("sheet."):
            assert len(en) <= 31 and len(nb) <= 31 and not re.search(r"[\[\]:*?/\\]", en + nb)
    with pytest.raises(AllocatorError, match="no words for"):
        term("nope", "nb")
    with pytest.raises(AllocatorError, match="not supported"):
        term("id", "de")


RULES = [
    GroupLimit(
        category="klynge*",
        per="category",
        max_share="40 %",
        min_amount=100_000,
        max_count=3,
        min_count=1,
    ),
    FundedCount(min=1, max=4),
    MaxGrant(amount=350_000, share=0.2),
    MaxGrant(amount=350_000, per="applicant", category="nett"),
    CoFinancing(share=0.5, other_public="Annen"),
    DeMinimis(decision_date="2022-11-15", eur_nok=10),
    MustFund(ids=["A"], amount=100_000),
    MustNotFund(tag=["x"]),
    Exclusive(ids=["A", "B"]),
    Requires(ids=["B"], requires=["A", "C"], mode="any"),
    BudgetPots(column="Pott", frames={"a": 100, "b": 200}),
    MultiYear(frames={"2023": 100, "2024": 200}, split={"2023": 0.5, "2024": 0.5}),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.kind)
def test_every_rule_described_in_both_languages(rule: object) -> None:
    nb, en = describe_rule(rule, "nb"), describe_rule(rule, "en")
    assert nb != en
    assert not words(nb) & ENGLISH, nb
    assert not words(en) & NORWEGIAN, en


def test_rule_names_follow_the_policy_labels() -> None:
    from allocator import Application, Criterion, Problem

    p = Problem(
        frame=300,
        criteria=[Criterion(name="g", weight=1)],
        applications=[
            Application(id="A", requested=100, scores={"g": 1}),
            Application(id="B", requested=100, scores={"g": 1}),
        ],
        rules=[
            Requires(ids=["B"], requires=["A"], label="B needs A", label_nb="B forutsetter A"),
            MaxGrant(amount=50),
            MaxGrant(amount=50),
        ],
    )
    assert rule_name("B needs A [B needs A]", p, "nb") == "B forutsetter A [B forutsetter A]"
    assert (
        rule_name(RuleRef(label="at most 50 kr per application (rule 2)", part="A"), p, "nb")
        == f"høyst 50{NBSP}kr per søknad (regel 2) [A]"
    )
    assert rule_name("at most 50 kr per application (rule 3)", p, "en") == "at most NOK 50 per application (rule 3)"
    assert rule_name("eligibility", p, "nb") == "minstekravene"


def test_rule_refs_are_structured() -> None:
    r = RuleRef.parse("public funding at most 50 % [2022-R2-03]")
    assert (r.label, r.part, str(r)) == (
        "public funding at most 50 %",
        "2022-R2-03",
        "public funding at most 50 % [2022-R2-03]",
    )
    assert RuleRef.parse("cap [x]", labels=["cap [x]"]) == RuleRef(label="cap [x]")
    assert RuleRef.parse("plain").part == ""


def test_lists_are_cut() -> None:
    ids = [f"A-{i}" for i in range(315)]
    text = cut_list(ids, "en", limit=3, where="decisions.xlsx")
    assert text == "A-0, A-1, A-2 ... and 312 more (all in decisions.xlsx)"
    assert cut_list(ids, "nb", limit=2).endswith("og 313 til")


def test_points_are_the_decimals_the_panel_gave() -> None:
    """The example's scores are in steps of 0.05 point: shown in points they are exactly those
    decimals (5.6, not the float noise 5.600000000000001 in the workbook's cells)."""
    from allocator import solve
    from allocator.data import load_example
    from allocator.words.call import point_scale

    p = load_example()
    scale = point_scale(p)
    decisions = {d.id: d for d in solve(p).decisions}
    got = [scale.points(d.score) for d in decisions.values()]
    assert got and all(x == round(x, 2) for x in got), got
    # an independent reading: the weighted mean of the raw points, on the call's 1-7 scale
    for a in p.applications:
        mean = sum(c.weight * a.scores[c.name] for c in p.criteria) / sum(c.weight for c in p.criteria)
        assert scale.points(decisions[a.id].score) == pytest.approx(mean)
