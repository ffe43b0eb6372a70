"""Words that need the call: scores in the call's own points, the tie-break, notes on the
input, and the decision on one application as a phrase and as a sentence.

Points. A weighted score ``s`` (between 0 and the sum of the weights ``W``) is shown as the
weighted mean of the criterion scores on the call's own scale: with every criterion on
``[lo, hi]``, ``lo + s (hi - lo) / W`` under ``normalisation="range"`` and ``s hi / W``
under the default ``"max"`` (so 5.25 of 7). When the criteria have different scales the
points run from 0 to 100. The top of the scale is where every criterion has its top score:
no score can rise beyond it, and no sentence asks it to.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from allocator.model.normalise import exact
from allocator.model.solution import Decision, Reason
from allocator.words.numbers import check_lang, join_ids, money, number, percent
from allocator.words.rules import rule_name
from allocator.words.terms import reason_text, term

__all__ = [
    "PointScale",
    "criterion_name",
    "decision_phrase",
    "decision_sentence",
    "ineligible_detail",
    "point_scale",
    "problem_notes",
    "quoted",
    "tie_break_text",
]


def quoted(text: str, lang: str) -> str:
    """A name in quotation marks: «...» in Norwegian, '...' in English."""
    return f"«{text}»" if check_lang(lang) == "nb" else f"'{text}'"


class PointScale:
    """The call's own points: ``points = offset + score * factor``, from ``bottom`` to ``top``.

    Attributes
    ----------
    bottom, top
        The scale shown (the criteria's common scale, or 0-100).
    total_weight
        ``W``, the sum of the weights: the largest weighted score, exactly.
    """

    def __init__(
        self,
        bottom: float,
        top: float,
        offset: float,
        factor: Fraction,
        total_weight: Fraction,
    ) -> None:
        self.bottom, self.top, self.offset, self.factor, self.total_weight = (
            bottom,
            top,
            offset,
            factor,
            total_weight,
        )

    def points(self, score: float | Fraction) -> float:
        """A weighted score in points (a float score read as the decimal it shows, so that
        0.8 of a weight of 1 is 5.6 points of 7, not 5.600000000000001)."""
        value = score if isinstance(score, Fraction) else exact(score)
        return float(exact(self.offset) + value * self.factor)

    def delta(self, margin: float | Fraction) -> float:
        """A change of weighted score in points."""
        return float((margin if isinstance(margin, Fraction) else exact(margin)) * self.factor)

    def reachable(self, score: Fraction, rise: Fraction) -> bool:
        """Whether ``score`` can rise by *more than* ``rise`` and stay within the scale."""
        return score + rise < self.total_weight


def point_scale(problem: Any) -> PointScale:
    """The :class:`PointScale` of a problem's criteria.

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=10, criteria=[Criterion(name="g", weight=0.6, scale_min=1, scale_max=7),
    ...     Criterion(name="s", weight=0.4, scale_min=1, scale_max=7)],
    ...     applications=[Application(id="A", requested=5, scores={"g": 6, "s": 4})])
    >>> ps = point_scale(p)
    >>> round(ps.points(0.6 * 6 / 7 + 0.4 * 4 / 7), 2), ps.top
    (5.2, 7.0)
    """
    crits = problem.criteria
    w = sum((exact(c.weight) for c in crits), Fraction(0))
    scales = {(c.scale_min, c.scale_max) for c in crits}
    if len(scales) == 1:
        lo, hi = scales.pop()
        if problem.options.normalisation == "range":
            return PointScale(lo, hi, lo, (exact(hi) - exact(lo)) / w, w)
        return PointScale(lo, hi, 0.0, exact(hi) / w, w)
    return PointScale(0.0, 100.0, 0.0, Fraction(100) / w, w)


def criterion_name(criterion: Any, lang: str) -> str:
    """A criterion's display name in ``lang``."""
    return str(criterion.display_in(check_lang(lang)))


def tie_break_text(keys: Sequence[str], lang: str = "en", problem: Any = None) -> str:
    """The tie-break rule in words.

    Examples
    --------
    >>> tie_break_text(("green", "-granted", "id"), "en")
    'higher total green score, then lower total grant, then smaller application id'
    >>> tie_break_text((), "nb")
    'ikke brukt (første optimum funnet)'
    """
    lang = check_lang(lang)
    nb = lang == "nb"
    if not keys:
        return "ikke brukt (første optimum funnet)" if nb else "not applied (first optimum found)"
    names = {c.name: criterion_name(c, lang) for c in getattr(problem, "criteria", ())}
    words = []
    for k in keys:
        name = k.lstrip("-")
        low = k.startswith("-")
        if k == "id":
            words.append("lavere søknadsnummer" if nb else "smaller application id")
        elif name == "granted":
            if nb:
                words.append("lavere samlet tilskudd" if low else "høyere samlet tilskudd")
            else:
                words.append("lower total grant" if low else "higher total grant")
        elif nb:
            words.append(f"{'lavere' if low else 'høyere'} samlet poengsum for {names.get(name, name)}")
        else:
            words.append(f"{'lower' if low else 'higher'} total {names.get(name, name)} score")
    return (", deretter " if nb else ", then ").join(words)


def problem_notes(problem: Any, lang: str = "en", *, cli: bool = False) -> list[str]:
    """What a reader should know about the input: a scale that was inferred, and how to
    give it (in the library's keyword, or with ``cli=True`` the command line's option).

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=10, criteria=[Criterion(name="g", weight=1, scale_max=6.5, scale_inferred=True)],
    ...     applications=[Application(id="A", requested=5, scores={"g": 6.5})])
    >>> print(problem_notes(p, "en", cli=True)[0])
    No scale was given: every criterion was read on one shared scale from 0 to 6.5 (the largest score in the table). Give the real scale with --scale g=1:7.
    """
    lang = check_lang(lang)
    inferred = [c for c in problem.criteria if getattr(c, "scale_inferred", False)]
    if not inferred:
        return []
    c0 = inferred[0]
    hi = number(c0.scale_max, lang, 2).rstrip("0").rstrip(",.")
    how = f"--scale {c0.name}=1:7" if cli else "scales=(1, 7)"
    if lang == "nb":
        which = "alle kriteriene" if len(inferred) == len(problem.criteria) else "kriteriene uten oppgitt skala"
        return [
            (
                f"Ingen skala var oppgitt: {which} ble lest på én felles skala fra 0 til {hi} (den høyeste "
                f"poengsummen i tabellen). Oppgi den riktige skalaen med {how}."
            )
        ]
    which = "every criterion" if len(inferred) == len(problem.criteria) else "the criteria without a given scale"
    return [
        (
            f"No scale was given: {which} was read on one shared scale from 0 to {hi} (the largest score in "
            f"the table). Give the real scale with {how}."
        )
    ]


def ineligible_detail(problem: Any, app: Any, lang: str = "en", weighted: float | None = None) -> str:
    """Which thresholds an application missed, in ``lang``.

    Examples
    --------
    >>> from allocator import Problem, Criterion, Application
    >>> p = Problem(frame=10, criteria=[Criterion(name="g", weight=1, scale_max=7, threshold=3, label_nb="Grønn")],
    ...     applications=[Application(id="A", requested=5, scores={"g": 2.5})])
    >>> ineligible_detail(p, p.applications[0], "nb")
    'Grønn fikk 2,5, under terskelen 3'
    """
    lang = check_lang(lang)
    nb = lang == "nb"
    parts = []
    for c in problem.criteria:
        if c.threshold is not None and app.scores[c.name] < c.threshold:
            s, t = (
                number(app.scores[c.name], lang, 2).rstrip("0").rstrip(",."),
                number(c.threshold, lang, 2).rstrip("0").rstrip(",."),
            )
            parts.append(
                f"{criterion_name(c, lang)} {'fikk' if nb else 'scored'} {s}, {'under terskelen' if nb else 'below the threshold'} {t}"
            )
    t = problem.options.min_total_score
    if t is not None and weighted is not None and weighted < t:
        parts.append(
            f"{'vektet poengsum' if nb else 'weighted score'} {number(weighted, lang)} "
            f"{'er under terskelen' if nb else 'is below the threshold'} {number(t, lang)}"
        )
    return "; ".join(parts)


def decision_phrase(d: Decision, lang: str = "en", currency: str = "NOK") -> str:
    """The proposed decision in a few words: ``Tilskudd på 300 000 kr`` / ``Avslag``.

    Examples
    --------
    >>> from allocator.model.solution import Decision
    >>> d = Decision(id="A", requested=300000, granted=300000, funded=True, score=0.5, value=0.5, rank=1, reason="funded")
    >>> decision_phrase(d, "nb").replace("\\u00a0", " "), decision_phrase(d, "en")
    ('Tilskudd på 300 000 kr', 'Grant of NOK 300,000')
    """
    if d.granted > 0:
        return term("grant_of", lang, amount=money(d.granted, currency, lang))
    return term("refusal", lang)


def _rules_phrase(refs: Sequence[Any], problem: Any, lang: str) -> str:
    names = [quoted(rule_name(r, problem, lang), lang) for r in dict.fromkeys(str(r) for r in refs)]
    nb = lang == "nb"
    word = ("regelen" if len(names) == 1 else "reglene") if nb else ("the rule" if len(names) == 1 else "the rules")
    return f"{word} {join_ids(names, lang)}"


def decision_sentence(
    d: Decision,
    lang: str = "en",
    *,
    problem: Any = None,
    currency: str = "NOK",
    blocking: Sequence[Any] = (),
    minimum: int | None = None,
    of: int | None = None,
) -> str:
    """The decision on one application in one sentence, from the decision alone (and the
    rules that would break, ``blocking``, for an application stopped by a rule; with ``of``,
    the number of applications, an application that did not reach up says its rank); ready
    for the "Begrunnelse" of a decision letter.

    Examples
    --------
    >>> from allocator.model.solution import Decision
    >>> d = Decision(id="A", requested=300000, granted=200000, funded=True, score=0.5, value=0.3, rank=2,
    ...              reason="funded_partially", binding_rules=("at most 200 000 kr per application [A]",))
    >>> print(decision_sentence(d, "en"))
    Funded in part: NOK 200,000 of NOK 300,000 (66.7 %), held at the limit of the rule 'at most 200 000 kr per application [A]'.
    """
    lang = check_lang(lang)
    nb = lang == "nb"
    cur = getattr(problem, "currency", currency)

    def m(a: int) -> str:
        return money(a, cur, lang)

    r = d.reason
    if r is Reason.FUNDED:
        text = f"{'Innvilget fullt ut' if nb else 'Funded in full'} ({m(d.granted)})"
        if d.binding_rules:
            text += (
                f", {'ved grensen for' if nb else 'at the limit of'} {_rules_phrase(d.binding_rules, problem, lang)}"
            )
        return text + "."
    if r is Reason.FUNDED_PARTIALLY:
        share = percent(100 * d.granted / d.requested, lang)
        text = f"{'Delvis innvilget' if nb else 'Funded in part'}: {m(d.granted)} {'av' if nb else 'of'} {m(d.requested)} ({share})"
        if d.binding_rules:
            text += (
                f", {'begrenset av' if nb else 'held at the limit of'} {_rules_phrase(d.binding_rules, problem, lang)}"
            )
        return text + "."
    if r is Reason.LOCKED_IN:
        refs = blocking or d.binding_rules
        text = f"{'Innvilget' if nb else 'Funded'} ({m(d.granted)}): {'påkrevd av' if nb else 'required by'}"
        return (
            f"{text} {_rules_phrase(refs, problem, lang)}."
            if refs
            else f"{text} {'en regel i utlysningen' if nb else 'a rule of the call'}."
        )
    if r is Reason.INELIGIBLE and problem is not None:
        app = problem.application(d.id)
        detail = ineligible_detail(problem, app, lang, d.score)
        if detail:
            return f"{reason_text(r, lang, sentence=True)[:-1]} ({detail})."
    if r is Reason.TOO_LARGE:
        what = (
            ("minstebeløpet" if nb else "its minimum")
            if minimum is not None and minimum < d.requested
            else ("søknadsbeløpet" if nb else "its request")
        )
        amount = minimum if minimum is not None and minimum < d.requested else d.requested
        frame = getattr(problem, "frame", None)
        if frame is not None:
            return (
                f"Ikke innvilget: {what} på {m(amount)} er større enn rammen på {m(frame)}."
                if nb
                else f"Not funded: {what} of {m(amount)} is larger than the frame of {m(frame)}."
            )
    if r in (Reason.BLOCKED_BY_RULE, Reason.LOCKED_OUT) and blocking:
        at_least = f" ({'minst' if nb else 'at least'} {m(minimum)})" if minimum and r is Reason.BLOCKED_BY_RULE else ""
        if r is Reason.LOCKED_OUT:
            return f"{'Ikke innvilget: utelukket av' if nb else 'Not funded: excluded by'} {_rules_phrase(blocking, problem, lang)}."
        return (
            f"Ikke innvilget: en innvilgelse{at_least} ville ha brutt {_rules_phrase(blocking, problem, lang)}."
            if nb
            else f"Not funded: funding it{at_least} would break {_rules_phrase(blocking, problem, lang)}."
        )
    text = reason_text(r, lang, sentence=True)
    if r is Reason.OUTRANKED and of:
        where = f"nr. {d.rank} av {of} etter poengsum" if nb else f"rank {d.rank} of {of} by score"
        text = f"{text[:-1]} ({where})."
    return text
