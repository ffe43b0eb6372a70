"""Plain-language sentences, in English and Norwegian Bokmål, for the explanations.

One sentence per :class:`allocator.analysis.explanation.Explanation`, that an adviser can
send to an applicant. The words, numbers and rule names come from :mod:`allocator.words`;
with the ``problem`` given (as :func:`allocator.explain` does):

* scores are said in the call's own points ("5.25 of 7") and margins in points;
* a rise that would take the score beyond the top of its scale is never asked for: the
  sentence says the application could not be funded on its score alone (and, when a
  smaller request would be funded, with which request);
* amounts in sentences are rounded down to the call's step (``Options.step``; a request "of
  at most 310 000 kr" is a whole step, and still funded);
* rules are named by their labels in the language asked for (``label_nb``).

Without the problem the weighted score is shown (three decimals) and nothing is rounded.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from allocator.analysis.explanation import Explanation
from allocator.model.solution import Reason
from allocator.words import (
    LANGUAGES,
    amount_in_steps,
    check_lang,
    join_ids,
    money,
    number,
    point_scale,
    quoted,
    rule_name,
    tie_break_text,
)

__all__ = ["LANGUAGES", "check_lang", "join_ids", "money", "number", "sentence"]


class _Say:
    """The numbers of one sentence, in one language, with or without the problem."""

    def __init__(self, lang: str, problem: Any, currency: str) -> None:
        self.lang = lang
        self.nb = lang == "nb"
        self.problem = problem
        self.cur = getattr(problem, "currency", currency)
        self.scale = point_scale(problem) if problem is not None else None
        opts = getattr(problem, "options", None)
        # the call's step, also for all-or-nothing calls: "at most 310 000 kr", not "316 666 kr"
        self.step = opts.step if opts is not None else None

    def m(self, amount: int) -> str:
        return money(amount, self.cur, self.lang)

    def in_steps(self, amount: int) -> int:
        """An amount promised in a sentence: rounded down to the call's step (as it is when
        that would leave nothing)."""
        return amount_in_steps(amount, self.step) or amount

    def grant_limit(self, amount: int) -> str:
        """:meth:`in_steps`, as money."""
        return self.m(self.in_steps(amount))

    def score(self, e: Explanation) -> str:
        if self.scale is None:
            return f"{'den vektede poengsummen' if self.nb else 'its weighted score'} {number(e.score, self.lang)}"
        p = number(self.scale.points(e.score_exact), self.lang, 2)
        top = number(self.scale.top, self.lang, 0 if float(self.scale.top).is_integer() else 2)
        return f"{'poengsummen' if self.nb else 'its score'} {p} {'av' if self.nb else 'of'} {top}"

    def delta(self, margin: Fraction) -> str:
        if self.scale is None:
            return number(margin, self.lang)
        return f"{number(self.scale.delta(margin), self.lang, 2)} {'poeng' if self.nb else 'points'}"

    def reachable(self, e: Explanation, margin: Fraction) -> bool:
        return self.scale is None or self.scale.reachable(e.score_exact, margin)

    def rules(self, refs: Any) -> str:
        names = [quoted(rule_name(r, self.problem, self.lang), self.lang) for r in dict.fromkeys(str(r) for r in refs)]
        if self.nb:
            return f"{'regelen' if len(names) == 1 else 'reglene'} {join_ids(names, 'nb')}"
        return f"{'the rule' if len(names) == 1 else 'the rules'} {join_ids(names, 'en')}"

    def keys(self, keys: tuple[str, ...]) -> str:
        return tie_break_text(keys or ("id",), self.lang, self.problem)


def sentence(
    e: Explanation,
    lang: str,
    *,
    problem: Any = None,
    currency: str = "NOK",
    frame: int = 0,
    tie_break: tuple[str, ...] = (),
) -> str:
    """One sentence explaining the decision on one application.

    Parameters
    ----------
    e
        The explanation.
    lang
        ``"en"`` or ``"nb"``.
    problem
        The call (recommended): points of the call's scale, the top of the scale, the step
        and the rules' names in ``lang``.
    currency, frame, tie_break
        The currency and frame when no problem is given; the tie-break keys in force.
    """
    lang = check_lang(lang)
    say = _Say(lang, problem, currency)
    frame = getattr(problem, "frame", frame)
    return _funded(e, say, tie_break) if e.funded else _not_funded(e, say, frame, tie_break)


def _funded(e: Explanation, s: _Say, keys: tuple[str, ...]) -> str:
    nb = s.nb
    grant = (
        s.m(e.granted) if e.granted == e.requested else f"{s.m(e.granted)} {'av' if nb else 'of'} {s.m(e.requested)}"
    )
    head = f"{'Innvilget' if nb else 'Funded'} ({grant})"
    if e.reason is Reason.LOCKED_IN:
        by = f" {'av' if nb else 'by'} {s.rules(e.rules)}" if e.rules else ""
        return f"{head}: {'påkrevd' if nb else 'required'}{by}."
    if e.margin_down is None:
        by = f" ({s.rules(e.rules)})" if e.rules else ""
        return f"{head}: {'reglene krever den' if nb else 'the rules require it'}{by}."
    if e.margin_down == 0:
        text = (
            f"{head}: søknaden står likt med en annen portefølje med samme verdi, og valget mellom like gode "
            f"porteføljer ({s.keys(keys)}) falt på denne"
            if nb
            else f"{head}: it ties with another portfolio of equal value, and the tie-break ({s.keys(keys)}) chose it"
        )
    elif e.margin_down >= e.score_exact and not e.replaced_by:
        text = (
            f"{head}: søknaden beholder tilskuddet ved enhver positiv poengsum, fordi ingen annen søknad kunne ha "
            "brukt denne delen av rammen"
            if nb
            else f"{head}: it keeps its grant at any positive score, as nothing else would use its share of the frame"
        )
    else:
        text = (
            f"{head}: {s.score(e)} kunne ha falt med {s.delta(e.margin_down)} før søknaden ville ha mistet tilskuddet"
            if nb
            else f"{head}: {s.score(e)} could fall by {s.delta(e.margin_down)} before it would lose its grant"
        )
        if e.replaced_by:
            text += f" {'til' if nb else 'to'} {join_ids(e.replaced_by, s.lang)}"
    if e.max_grant is not None and s.in_steps(e.max_grant) > e.requested:
        limit = s.grant_limit(e.max_grant)
        text += (
            f"; søknaden ville fortsatt ha blitt innvilget med et søknadsbeløp på inntil {limit}"
            if nb
            else f"; it would still be funded with a request of up to {limit}"
        )
    return text + "."


def _request_clause(e: Explanation, s: _Say, only: bool) -> str:
    if e.max_grant is None or e.max_grant >= e.requested:
        return ""
    limit = s.grant_limit(e.max_grant)
    if only:
        return f"; {'bare med et søknadsbeløp på høyst' if s.nb else 'only with a request of at most'} {limit}"
    return (
        f"; søknaden ville ha blitt innvilget med et søknadsbeløp på høyst {limit}"
        if s.nb
        else f"; it would be funded if it asked for at most {limit}"
    )


def _rise(e: Explanation, s: _Say, margin: Fraction, rules: bool = False) -> str:
    """The rise needed, or that no score on the scale would do, with the request that would.

    ``rules``: the rise is the one needed within the call's rules ("innenfor reglene" after
    the verb in Bokmål, whose word order a leading adverbial would break).
    """
    within = " innenfor reglene" if rules else ""
    lead = "under the rules " if rules else ""
    if s.reachable(e, margin):
        text = (
            f"{s.score(e)} måtte ha økt med mer enn {s.delta(margin)} for at søknaden skulle bli innvilget{within}"
            if s.nb
            else f"{lead}{s.score(e)} would have to rise by more than {s.delta(margin)} for it to be funded"
        )
        return text + _request_clause(e, s, only=False)
    text = (
        f"søknaden kunne ikke ha blitt innvilget{within} på poengsum alene, heller ikke med toppskår på alle kriterier"
        if s.nb
        else f"{lead}it could not be funded on its score alone, not even with the top score on every criterion"
    )
    return text + _request_clause(e, s, only=True)


def _not_funded(e: Explanation, s: _Say, frame: int, keys: tuple[str, ...]) -> str:
    nb = s.nb
    head = "Ikke innvilget" if nb else "Not funded"
    if e.reason is Reason.INELIGIBLE:
        detail = e.detail_nb if nb else e.detail
        what = "søknaden oppfyller ikke minstekravene" if nb else "it does not meet the minimum requirements"
        return f"{head}: {what}{f' ({detail})' if detail else ''}."
    if e.reason is Reason.TOO_LARGE:
        if nb:
            what = "minstebeløpet" if e.detail == "minimum" else "søknadsbeløpet"
            return f"{head}: {what} på {s.m(e.min_amount)} er større enn rammen på {s.m(frame)}."
        what = "minimum" if e.detail == "minimum" else "request"
        return f"{head}: its {what} of {s.m(e.min_amount)} is larger than the frame of {s.m(frame)}."
    if e.reason is Reason.LOCKED_OUT:
        by = f" {'av' if nb else 'by'} {s.rules(e.rules)}" if e.rules else ""
        return f"{head}: {'utelukket' if nb else 'excluded'}{by}."
    if e.reason is Reason.BLOCKED_BY_RULE:
        text = (
            f"{head}: {'stoppet av' if nb else 'stopped by'} {s.rules(e.rules)}"
            if e.rules
            else f"{head}: {'stoppet av reglene' if nb else 'stopped by the rules'}"
        )
        if e.margin_up is not None:
            text += "; " + _rise(e, s, e.margin_up, rules=True)
        else:
            text += _request_clause(e, s, only=True)
        return text + "."
    if e.margin_up is None:
        return f"{head}." + ""
    if e.margin_up == 0:
        text = (
            f"{head}: søknaden står likt med den valgte porteføljen, og valget mellom like gode porteføljer "
            f"({s.keys(keys)}) falt på den andre"
            if nb
            else f"{head}: it ties with the chosen portfolio, and the tie-break ({s.keys(keys)}) chose the other"
        )
        return text + _request_clause(e, s, only=False) + "."
    text = f"{head}: " + _rise(e, s, e.margin_up)
    if e.displaces and s.reachable(e, e.margin_up):
        text += f"; {'den ville da ha fortrengt' if nb else 'it would displace'} {join_ids(e.displaces, s.lang)}"
    return text + "."
