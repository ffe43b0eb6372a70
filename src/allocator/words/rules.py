"""The call's rules in words: each rule's name in English or Bokmål, and its parts.

A rule is named by its own label (``label``, or ``label_nb`` in Norwegian when the policy
gives one); a rule without a label is described from its fields (:func:`describe_rule`).
A part of a rule (a theme, an application, an undertaking, a year) is data and stays as
it is, except the few parts the library itself words ("A needs B").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from allocator.model.ledger import ceiling_eur
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
from allocator.model.validate import rule_labels
from allocator.words.numbers import NBSP, check_lang, money

__all__ = ["CALL_CONDITIONS", "describe_rule", "rule_name", "rule_names"]

CALL_CONDITIONS: dict[str, tuple[str, str]] = {
    "frame": ("the frame", "rammen"),
    "eligibility": ("the minimum requirements", "minstekravene"),
    "grant levels": ("the permitted grant amounts", "de tillatte tilskuddsbeløpene"),
}
"""The call's own conditions, named like rules in checks and diagnoses."""


_FIELDS_NB = {
    "category": "kategori",
    "applicant": "søker",
    "tags": "stikkord",
    "title": "tittel",
    "id": "søknad",
    "application": "søknad",
    "requested": "søknadsbeløp",
}


def _field(name: str, lang: str) -> str:
    """An application field's name in ``lang`` (a column of the user's table stays as it is)."""
    return _FIELDS_NB.get(name, name) if lang == "nb" else name


def _pct(v: float, lang: str) -> str:
    s = f"{v * 100:g}"
    return (s.replace(".", ",") + f"{NBSP}%") if lang == "nb" else f"{s} %"


def _selector(rule: Any, lang: str) -> str:
    nb = lang == "nb"
    bits = []
    if rule.ids:
        listed = ", ".join(repr(x) for x in rule.ids)
        one = len(rule.ids) == 1
        bits.append(
            f"{'søknad' if one else 'søknadene'} {listed}"
            if nb
            else f"{'application' if one else 'applications'} {listed}"
        )
    if rule.category:
        bits.append(
            f"{'kategori' if nb else 'category'} {(' eller ' if nb else ' or ').join(repr(c) for c in rule.category)}"
        )
    if rule.tag:
        bits.append(f"{'stikkord' if nb else 'tag'} {(' eller ' if nb else ' or ').join(repr(t) for t in rule.tag)}")
    for col, vals in rule.where.items():
        bits.append(f"{_field(col, lang)} = {(' eller ' if nb else ' or ').join(repr(v) for v in vals)}")
    if not bits:
        return "alle søknader" if nb else "all applications"
    return ", ".join(bits)


def _group(rule: GroupLimit, lang: str, cur: str) -> str:
    nb = lang == "nb"
    most, least = ("høyst", "minst") if nb else ("at most", "at least")
    of_frame = " av rammen" if nb else " of the frame"
    funded = " innvilget" if nb else " funded"
    parts = []
    if rule.max_amount is not None:
        parts.append(f"{most} {money(rule.max_amount, cur, lang)}")
    if rule.max_share is not None:
        parts.append(f"{most} {_pct(rule.max_share, lang)}{of_frame}")
    if rule.min_amount is not None:
        parts.append(f"{least} {money(rule.min_amount, cur, lang)}")
    if rule.min_share is not None:
        parts.append(f"{least} {_pct(rule.min_share, lang)}{of_frame}")
    if rule.max_count is not None:
        parts.append(f"{most} {rule.max_count}{funded}")
    if rule.min_count is not None:
        parts.append(f"{least} {rule.min_count}{funded}")
    per = f" per {_field(rule.per, lang)}" if rule.per else ""
    return f"{_selector(rule, lang)}{per}: {', '.join(parts)}"


def describe_rule(rule: Any, lang: str = "en", currency: str = "NOK") -> str:
    """A rule described from its fields, in ``lang`` (used when it has no label).

    Examples
    --------
    >>> from allocator.model.rules import GroupLimit, CoFinancing
    >>> describe_rule(GroupLimit(category="bedriftsnettverk", min_count=1), "nb")
    "kategori 'bedriftsnettverk': minst 1 innvilget"
    >>> describe_rule(CoFinancing(share=0.5), "en")
    'grant at most 50 % of the project cost (all applications)'
    """
    lang = check_lang(lang)
    nb = lang == "nb"
    cur = currency
    sel = _selector(rule, lang)
    if isinstance(rule, GroupLimit):
        return _group(rule, lang, cur)
    if isinstance(rule, FundedCount):
        b = [f"{'minst' if nb else 'at least'} {rule.min}"] if rule.min is not None else []
        b += [f"{'høyst' if nb else 'at most'} {rule.max}"] if rule.max is not None else []
        return f"{(' og ' if nb else ' and ').join(b)} {'innvilget' if nb else 'funded'} ({sel})"
    if isinstance(rule, MaxGrant):
        caps = [money(rule.amount, cur, lang)] if rule.amount is not None else []
        caps += [f"{_pct(rule.share, lang)} {'av rammen' if nb else 'of the frame'}"] if rule.share is not None else []
        per = _field(rule.per, lang)
        tail = "" if not (rule.ids or rule.category or rule.tag or rule.where) else f" ({sel})"
        return f"{'høyst' if nb else 'at most'} {(' og ' if nb else ' and ').join(caps)} per {per}{tail}"
    if isinstance(rule, CoFinancing):
        if nb:
            what = "tilskudd og annen offentlig støtte" if rule.other_public else "tilskuddet"
            return f"{what} høyst {_pct(rule.share, lang)} av prosjektkostnaden ({sel})"
        what = "grant + other public funding" if rule.other_public else "grant"
        return f"{what} at most {_pct(rule.share, lang)} of the project cost ({sel})"
    if isinstance(rule, DeMinimis):
        cap = rule.ceiling_eur if rule.ceiling_eur is not None else ceiling_eur(rule.decision_date)
        eur = money(cap, "EUR", lang)
        if nb:
            return f"bagatellmessig støtte: høyst {eur} per foretak over tre år"
        return f"de minimis aid: at most {eur} per undertaking over three years"
    if isinstance(rule, MustFund):
        at = f" {'med' if nb else 'at'} {money(rule.amount, cur, lang)}" if rule.amount is not None else ""
        return f"{'innvilg' if nb else 'fund'} {sel}{at}"
    if isinstance(rule, MustNotFund):
        return f"{'ikke innvilg' if nb else 'do not fund'} {sel}"
    if isinstance(rule, Exclusive):
        return f"{'høyst' if nb else 'at most'} {rule.at_most} {'av' if nb else 'of'} {sel}"
    if isinstance(rule, Requires):
        joiner = (" og " if rule.mode == "all" else " eller ") if nb else (" and " if rule.mode == "all" else " or ")
        req = joiner.join(repr(r) for r in rule.requires)
        return f"{sel} {'bare hvis' if nb else 'only if'} {req} {'innvilges' if nb else 'funded'}"
    if isinstance(rule, BudgetPots):
        pots = ", ".join(f"{k} {money(v, cur, lang)}" for k, v in rule.frames.items())
        return f"{'budsjettposter etter' if nb else 'budget pots by'} {rule.column}: {pots}"
    if isinstance(rule, MultiYear):
        years = ", ".join(f"{y} {money(v, cur, lang)}" for y, v in rule.frames.items())
        return f"{'rammer per år' if nb else 'frames per year'}: {years}"
    return str(getattr(rule, "kind", "rule"))  # pragma: no cover - every kind is worded above


def rule_names(rules: Sequence[Any], lang: str = "en", currency: str = "NOK") -> list[str]:
    """Each rule's name in ``lang``: its label (``label_nb`` in Norwegian when given), else a
    description; unique (a repeated name gets ``(rule 3)`` / ``(regel 3)``)."""
    lang = check_lang(lang)
    names = []
    for r in rules:
        nb_label = str(getattr(r, "label_nb", None) or "")
        if lang == "nb" and nb_label:
            names.append(nb_label)
        else:
            names.append(r.label or describe_rule(r, lang, currency))
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    word = "regel" if lang == "nb" else "rule"
    return [f"{n} ({word} {k + 1})" if seen[n] > 1 else n for k, n in enumerate(names)]


_NEEDS = re.compile(r"^(?P<a>.+) needs (?P<b>.+)$")


def _part(part: str, lang: str) -> str:
    m = _NEEDS.match(part)
    if m and lang == "nb":
        return f"{m['a']} forutsetter {m['b']}"
    return part


def rule_name(ref: RuleRef | str, problem: Any = None, lang: str = "en") -> str:
    """A rule (or one part of it) in words, in ``lang``: ``"label [part]"`` with the label
    in the language asked for when the problem's rule says it (``label_nb``).

    ``ref`` is a :class:`~allocator.model.solution.RuleRef` or its text; ``problem`` gives the
    rules (without it the label is shown as it is).

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> from allocator.model.rules import GroupLimit
    >>> p = Problem(frame=10, criteria=[Criterion(name="g", weight=1)],
    ...     applications=[Application(id="A", requested=5, category="nett", scores={"g": 1})],
    ...     rules=[GroupLimit(category="nett", min_count=1, label="at least one network",
    ...                       label_nb="minst ett nettverk")])
    >>> rule_name("at least one network", p, "nb"), rule_name("frame", p, "nb")
    ('minst ett nettverk', 'rammen')
    """
    lang = check_lang(lang)
    rules = tuple(getattr(problem, "rules", ()) or ())
    labels = rule_labels(rules) if rules else []
    r = RuleRef.parse(ref, labels)
    if r.label in labels:
        name = rule_names(rules, lang, getattr(problem, "currency", "NOK"))[labels.index(r.label)]
    elif r.label in CALL_CONDITIONS:
        name = CALL_CONDITIONS[r.label][1 if lang == "nb" else 0]
    else:
        name = r.label
    return f"{name} [{_part(r.part, lang)}]" if r.part else name
