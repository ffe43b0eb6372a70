"""The explanations' sentences: never a rise beyond the top of the scale, amounts a call can
grant, the call's own points, and the rules by their Norwegian labels."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings

from allocator import Problem, solve
from allocator.analysis import explanations
from allocator.data import load_example, load_example_policy
from tests.conftest import examples, problems

NBSP = "\u00a0"
RISE_EN = re.compile(r"its score ([0-9.]+) of ([0-9.]+) would have to rise by more than ([0-9.]+) points")
RISE_NB = re.compile(r"poengsummen ([0-9,]+) av ([0-9,]+) måtte ha økt med mer enn ([0-9,]+) poeng")


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def _without_rule_names(text: str) -> str:
    """The sentence without the rules' own labels (quoted), whose amounts are the call's."""
    return re.sub(r"'[^']*'|«[^»]*»", "", text)


def _top_weight(p: Problem) -> Fraction:
    return sum((Fraction(repr(c.weight)) for c in p.criteria), Fraction(0))


def _check(p: Problem) -> None:
    w = _top_weight(p)
    for e in explanations(p, solve(p), max_grant=False):
        for text, rise in ((e.sentence_en, RISE_EN), (e.sentence_nb, RISE_NB)):
            m = rise.search(text.replace(NBSP, " "))
            if m:
                score, top, by = (_num(g) for g in m.groups())
                assert e.margin_up is not None and e.score_exact + e.margin_up < w  # exactly within the scale
                assert score + by <= top + 0.011, text  # and as shown (two decimals each)
            if e.margin_up and not e.funded and e.score_exact + e.margin_up >= w:  # (0: a tie, nothing to rise)
                assert m is None and ("score alone" in text or "poengsum alene" in text), text


@settings(max_examples=15)
@given(problems(max_n=8, max_criteria=3, normalisation=None))
def test_no_sentence_asks_a_score_to_rise_beyond_its_top(p: Problem) -> None:
    _check(p)


def test_the_example_with_its_rules() -> None:
    for p in (load_example(), load_example_policy().apply(load_example())):
        _check(p)


@pytest.mark.parametrize("rules", [False, True])
def test_amounts_in_sentences_are_whole_steps_and_keep_their_promise(rules: bool) -> None:
    p = load_example_policy().apply(load_example()) if rules else load_example()  # partial, and all or nothing
    step = p.options.step
    found = 0
    for e in explanations(p, solve(p)):
        for text in (_without_rule_names(e.sentence_en), _without_rule_names(e.sentence_nb)):
            for m in re.finditer(
                r"(?:at most|up to) NOK ([0-9][0-9,]*)|(?:høyst|inntil) ([0-9][0-9\u00a0]*)\u00a0kr",
                text,
            ):
                if m.group(1) is None and m.group(2) is None:
                    continue
                amount = int(re.sub(r"[^0-9]", "", m.group(1) or m.group(2)))
                assert amount % step == 0, text
                assert e.max_grant is not None and amount <= e.max_grant < amount + step
                found += 1
    assert found > 0


def test_rules_by_their_norwegian_labels() -> None:
    p = load_example_policy().apply(load_example())
    nb = " ".join(e.sentence_nb for e in explanations(p, solve(p), max_grant=False))
    assert "bagatellmessig støtte" in nb and "de minimis" not in nb and "project cost" not in nb
    # the verb second, as written Bokmål has it ("med reglene poengsummen ... måtte" is not)
    assert "innvilget innenfor reglene" in nb and "med reglene" not in nb


MONEY = re.compile(r"(?:at most|up to) NOK ([0-9][0-9,]*)|(?:høyst|inntil) ([0-9][0-9\u00a0]*)\u00a0kr(?![a-zæøå])")


@examples(15)
@given(problems(max_n=6, max_criteria=2, partial=None, normalisation=None))
def test_promised_amounts_are_whole_steps_on_any_call(p: Problem) -> None:
    """On any call (steps of 10 000, 12 345, 15 000 or 20 000 kr; all or nothing or partial),
    an amount promised in a sentence is a whole number of the call's steps (or, below one
    step, the largest request itself) and never above the largest request that is funded."""
    step = p.options.step
    for e in explanations(p, solve(p)):
        for text in (_without_rule_names(e.sentence_en), _without_rule_names(e.sentence_nb)):
            for m in MONEY.finditer(text):
                amount = int(re.sub(r"[^0-9]", "", m.group(1) or m.group(2)))
                assert e.max_grant is not None and amount <= e.max_grant, text
                if step and step > 1:
                    assert amount % step == 0 or amount == e.max_grant < step, (text, step)
                    assert e.max_grant - amount < step, text  # rounded down by less than one step
