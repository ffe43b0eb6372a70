"""Words for people, in English (``"en"``) and formal written Bokmål (``"nb"``).

The one place where reasons, statuses, table headers, sheet names, summary labels, money,
scores, ranks and rules become words. The workbook, the command line, the explanations and
the HTTP service all use it, so that a reason, an amount or a rank reads the same
everywhere. The stable API:

``reason_text(reason, lang)``
    A :class:`~allocator.model.solution.Reason` as a table phrase (``sentence=True``: a sentence).
``status_text(status, lang)``
    A :class:`~allocator.status.Status` in words.
``header(name, lang)`` (= ``term``)
    A table header, sheet name or summary label by key (``"decision"`` -> "Forslag til vedtak").
``money(amount, currency, lang)``
    ``2 300 000 kr`` (no-break spaces) / ``NOK 2,300,000``.
``score(x, lang)``, ``points(x, top, lang)``, ``percent(x, lang)``, ``number(x, lang)``
    Numbers: scores to three decimals, points of the call's scale to two, one decimal in
    per cent.
``amount_in_steps(amount, step)``
    An amount rounded down to the call's step, for sentences.
``ranks(scores)``
    The one rank numbering: 1 = best, ties share the better rank ("1, 2, 2, 4").
``rule_name(ref, problem, lang)``
    A rule or one part of it, by its label in ``lang``.
``decision_phrase(decision, lang)``, ``decision_sentence(decision, lang, problem=...)``
    "Tilskudd på 300 000 kr" / "Avslag", and the reason in a sentence.
"""

from allocator.words.call import (
    PointScale,
    criterion_name,
    decision_phrase,
    decision_sentence,
    ineligible_detail,
    point_scale,
    problem_notes,
    quoted,
    tie_break_text,
)
from allocator.words.numbers import (
    LANGUAGES,
    NBSP,
    amount_in_steps,
    check_lang,
    cut_list,
    join_ids,
    money,
    number,
    percent,
    points,
    ranks,
    score,
)
from allocator.words.rules import CALL_CONDITIONS, describe_rule, rule_name, rule_names
from allocator.words.terms import (
    REASONS,
    STATUSES,
    TERMS,
    reason_text,
    status_text,
    term,
)

header = term
"""A table header, sheet name or label by key: the same as :func:`term`."""

__all__ = [
    "CALL_CONDITIONS",
    "LANGUAGES",
    "NBSP",
    "REASONS",
    "STATUSES",
    "TERMS",
    "PointScale",
    "amount_in_steps",
    "check_lang",
    "criterion_name",
    "cut_list",
    "decision_phrase",
    "decision_sentence",
    "describe_rule",
    "header",
    "ineligible_detail",
    "join_ids",
    "money",
    "number",
    "percent",
    "point_scale",
    "points",
    "problem_notes",
    "quoted",
    "ranks",
    "reason_text",
    "rule_name",
    "rule_names",
    "score",
    "status_text",
    "term",
    "tie_break_text",
]
