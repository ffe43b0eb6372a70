"""Plain-language sentences, in English and Norwegian Bokmål, for the explanations.

One function per language turns an :class:`allocator.analysis.explain.Explanation`'s facts into one
sentence an adviser can send to an applicant. Numbers follow each language's habits:
``1,250,000 NOK`` and ``0.612`` in English, ``1 250 000 kr`` and ``0,612`` in Bokmål.
"""

from __future__ import annotations

from fractions import Fraction

from allocator.analysis.explanation import Explanation
from allocator.exceptions import AllocatorError
from allocator.solution import Reason

__all__ = ["LANGUAGES", "check_lang", "join_ids", "money", "number", "sentence"]

LANGUAGES = ("en", "nb")
_ALIASES = {"en": "en", "english": "en", "nb": "nb", "no": "nb", "nob": "nb", "bokmål": "nb", "bokmal": "nb", "norwegian": "nb"}
_MAX_IDS = 6


def check_lang(lang: str) -> str:
    """The language code for ``lang`` ('en' or 'nb'); AllocatorError otherwise."""
    code = _ALIASES.get(str(lang).strip().lower())
    if code is None:
        raise AllocatorError(f"lang {lang!r} is not supported; use 'en' (English) or 'nb' (Norwegian Bokmål)")
    return code


def money(amount: int, currency: str, lang: str) -> str:
    """An amount in whole units: ``400,000 NOK`` (en), ``400 000 kr`` (nb).

    Examples
    --------
    >>> money(1250000, "NOK", "en"), money(1250000, "NOK", "nb")
    ('1,250,000 NOK', '1 250 000 kr')
    """
    if lang == "nb":
        unit = "kr" if currency.upper() == "NOK" else currency
        return f"{amount:,}".replace(",", " ") + f" {unit}"
    return f"{amount:,} {currency}"


def number(x: float | Fraction, lang: str) -> str:
    """A score or margin: three decimals, or two significant digits when smaller.

    Examples
    --------
    >>> number(0.6123, "en"), number(0.6123, "nb"), number(0.00042, "en")
    ('0.612', '0,612', '0.00042')
    """
    v = float(x)
    s = f"{v:.3f}" if v == 0 or abs(v) >= 0.0005 else f"{v:.2g}"
    return s.replace(".", ",") if lang == "nb" else s


def join_ids(ids: tuple[str, ...] | list[str], lang: str) -> str:
    """``A, B and C`` / ``A, B og C``; long lists end with ``and 4 more`` / ``og 4 til``.

    Examples
    --------
    >>> join_ids(["A", "B", "C"], "en"), join_ids(["A", "B"], "nb")
    ('A, B and C', 'A og B')
    """
    ids = list(ids)
    word = "og" if lang == "nb" else "and"
    if len(ids) > _MAX_IDS:
        rest = len(ids) - (_MAX_IDS - 1)
        shown = ids[: _MAX_IDS - 1]
        tail = f"{rest} til" if lang == "nb" else f"{rest} more"
        return ", ".join(shown) + f" {word} {tail}"
    if len(ids) <= 1:
        return "".join(ids)
    return ", ".join(ids[:-1]) + f" {word} {ids[-1]}"


def sentence(e: Explanation, lang: str, *, currency: str = "NOK", frame: int = 0, tie_break: tuple[str, ...] = ()) -> str:
    """One sentence explaining the decision on one application."""
    lang = check_lang(lang)
    return _nb(e, currency, frame, tie_break) if lang == "nb" else _en(e, currency, frame, tie_break)


def _en(e: Explanation, cur: str, frame: int, keys: tuple[str, ...]) -> str:
    def m(a: int) -> str:
        return money(a, cur, "en")

    def n(x: float | Fraction) -> str:
        return number(x, "en")

    rules = ", ".join(e.rules)
    grant = m(e.granted) if e.granted == e.requested else f"{m(e.granted)} of {m(e.requested)}"
    if e.funded:
        head = f"Funded ({grant})"
        if e.reason is Reason.LOCKED_IN:
            return f"{head}: locked in{f' by {rules}' if rules else ''}."
        if e.margin_down is None:
            return f"{head}: the rules require it{f' ({rules})' if rules else ''}."
        if e.margin_down == 0:
            text = f"{head}: it ties with another portfolio of equal value, and the tie-break ({', '.join(keys) or 'id'}) chose it"
        elif e.margin_down >= e.score_exact and not e.replaced_by:
            text = f"{head}: it keeps its place at any positive score, as nothing else would use its share of the frame"
        else:
            text = f"{head}: its weighted score {n(e.score)} could fall by {n(e.margin_down)} before it would lose its place"
            if e.replaced_by:
                text += f" to {join_ids(e.replaced_by, 'en')}"
        if e.max_grant is not None and e.max_grant > e.requested:
            text += f"; it would still be funded with a request of up to {m(e.max_grant)}"
        return text + "."
    head = "Not funded"
    if e.reason is Reason.INELIGIBLE:
        return f"Not eligible: {e.detail}."
    if e.reason is Reason.TOO_LARGE:
        what = "minimum" if e.detail == "minimum" else "request"
        return f"{head}: its {what} {m(e.min_amount)} exceeds the frame {m(frame)}."
    if e.reason is Reason.LOCKED_OUT:
        return f"{head}: locked out{f' by {rules}' if rules else ''}."
    if e.reason is Reason.BLOCKED_BY_RULE:
        text = f"{head}: blocked by {'the rule' if len(e.rules) == 1 else 'the rules'} {rules}"
        if e.margin_up is not None:
            text += f"; under the rules its weighted score {n(e.score)} would have to rise by more than {n(e.margin_up)} to enter"
        return text + "."
    if e.margin_up is None:
        return f"{head}."
    if e.margin_up == 0:
        text = f"{head}: it ties with the chosen portfolio, and the tie-break ({', '.join(keys) or 'id'}) chose the other"
    else:
        text = f"{head}: its weighted score {n(e.score)} would have to rise by more than {n(e.margin_up)} to enter"
    if e.displaces:
        text += f"; it would displace {join_ids(e.displaces, 'en')}"
    if e.max_grant is not None and e.max_grant < e.requested:
        text += f"; it would be funded if it asked for at most {m(e.max_grant)}"
    return text + "."


def _nb(e: Explanation, cur: str, frame: int, keys: tuple[str, ...]) -> str:
    def m(a: int) -> str:
        return money(a, cur, "nb")

    def n(x: float | Fraction) -> str:
        return number(x, "nb")

    rules = ", ".join(e.rules)
    grant = m(e.granted) if e.granted == e.requested else f"{m(e.granted)} av {m(e.requested)}"
    if e.funded:
        head = f"Innvilget ({grant})"
        if e.reason is Reason.LOCKED_IN:
            return f"{head}: låst inn{f' av {rules}' if rules else ''}."
        if e.margin_down is None:
            return f"{head}: reglene krever den{f' ({rules})' if rules else ''}."
        if e.margin_down == 0:
            text = f"{head}: den står likt med en annen portefølje med samme verdi, og regelen for likhet ({', '.join(keys) or 'id'}) valgte denne"
        elif e.margin_down >= e.score_exact and not e.replaced_by:
            text = f"{head}: den beholder plassen ved enhver positiv poengsum, fordi ingenting annet ville brukt dens del av rammen"
        else:
            text = f"{head}: den vektede poengsummen {n(e.score)} kunne falle med {n(e.margin_down)} før søknaden ville miste plassen"
            if e.replaced_by:
                text += f" til {join_ids(e.replaced_by, 'nb')}"
        if e.max_grant is not None and e.max_grant > e.requested:
            text += f"; den ville fortsatt blitt innvilget med et søknadsbeløp på inntil {m(e.max_grant)}"
        return text + "."
    head = "Ikke innvilget"
    if e.reason is Reason.INELIGIBLE:
        return f"Ikke innvilget: oppfyller ikke kravene ({e.detail_nb})."
    if e.reason is Reason.TOO_LARGE:
        what = "minimumsbeløpet" if e.detail == "minimum" else "søknadsbeløpet"
        return f"{head}: {what} {m(e.min_amount)} er større enn rammen på {m(frame)}."
    if e.reason is Reason.LOCKED_OUT:
        return f"{head}: holdt utenfor{f' av {rules}' if rules else ''}."
    if e.reason is Reason.BLOCKED_BY_RULE:
        text = f"{head}: stoppet av {'regelen' if len(e.rules) == 1 else 'reglene'} {rules}"
        if e.margin_up is not None:
            text += f"; med reglene måtte den vektede poengsummen {n(e.score)} ha økt med mer enn {n(e.margin_up)} for å komme inn"
        return text + "."
    if e.margin_up is None:
        return f"{head}."
    if e.margin_up == 0:
        text = f"{head}: den står likt med den valgte porteføljen, og regelen for likhet ({', '.join(keys) or 'id'}) valgte den andre"
    else:
        text = f"{head}: den vektede poengsummen {n(e.score)} måtte ha økt med mer enn {n(e.margin_up)} for å komme inn"
    if e.displaces:
        text += f"; den ville fortrengt {join_ids(e.displaces, 'nb')}"
    if e.max_grant is not None and e.max_grant < e.requested:
        text += f"; den ville blitt innvilget med et søknadsbeløp på høyst {m(e.max_grant)}"
    return text + "."
