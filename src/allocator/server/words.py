"""A decision's reason in words, in English or Norwegian Bokmål, for the service's answers.

The library gives every decision a reason code and a short English note; the service says it
in the caller's language (``lang``: ``"en"`` or ``"nb"``). One function, so that it can give
way to the library's own wording when that covers decisions.

Examples
--------
>>> from allocator.server.library import Decision, Reason
>>> d = Decision(id="A", requested=400_000, granted=200_000, funded=True, score=0.6, value=0.3,
...              rank=1, reason=Reason.FUNDED_PARTIALLY, note="funded 50% of the request")
>>> reason_words(d, "en")
'Funded in part: 200,000 NOK of the 400,000 NOK requested (50 %).'
>>> reason_words(d, "nb")
'Delvis innvilget: 200 000 kr av omsøkt 400 000 kr (50 %).'
"""

from __future__ import annotations

from allocator.server.library import Decision, Reason, check_lang

__all__ = ["UI_LANGUAGES", "reason_words"]

UI_LANGUAGES = ("en", "nb")

_EN = {
    Reason.FUNDED: "Funded in full.",
    Reason.INELIGIBLE: "Not funded: not eligible ({detail}).",
    Reason.OUTRANKED: "Not funded: the frame gives more value spent on the funded applications.",
    Reason.TOO_LARGE: "Not funded: {detail}.",
    Reason.LOCKED_IN: "Funded: the call's rules require it.",
    Reason.LOCKED_OUT: "Not funded: the call's rules exclude it.",
    Reason.BLOCKED_BY_RULE: "Not funded: a rule of the call stands in the way.",
    Reason.NOT_DECIDED: "Not decided: no portfolio was found.",
}
_NB = {
    Reason.FUNDED: "Innvilget i sin helhet.",
    Reason.INELIGIBLE: "Avslått: oppfyller ikke kravene ({detail}).",
    Reason.OUTRANKED: "Avslått: rammen gir mer verdi brukt på de innvilgede søknadene.",
    Reason.TOO_LARGE: "Avslått: søknaden er større enn rammen.",
    Reason.LOCKED_IN: "Innvilget: utlysningens regler krever det.",
    Reason.LOCKED_OUT: "Avslått: utlysningens regler utelukker den.",
    Reason.BLOCKED_BY_RULE: "Avslått: en regel i utlysningen står i veien.",
    Reason.NOT_DECIDED: "Ikke avgjort: ingen portefølje ble funnet.",
}


def _money(amount: int, currency: str, lang: str) -> str:
    if lang == "nb":
        return f"{amount:,}".replace(",", " ") + (" kr" if currency.upper() == "NOK" else f" {currency}")
    return f"{amount:,} {currency}"


def _detail(note: str) -> str:
    head, sep, rest = note.partition(": ")
    return rest if sep and head in ("ineligible", "not funded") else note


def reason_words(decision: Decision, lang: str = "en", currency: str = "NOK") -> str:
    """The reason for ``decision`` in words, in ``lang`` (``"en"`` or ``"nb"``)."""
    lang = check_lang(lang)
    d = decision
    if d.reason is Reason.FUNDED_PARTIALLY:
        pct = f"{d.granted / d.requested:.0%}".replace("%", " %")
        g, r = _money(d.granted, currency, lang), _money(d.requested, currency, lang)
        text = (
            f"Delvis innvilget: {g} av omsøkt {r} ({pct})."
            if lang == "nb"
            else f"Funded in part: {g} of the {r} requested ({pct})."
        )
    else:
        table = _NB if lang == "nb" else _EN
        text = table.get(d.reason, d.note).format(detail=_detail(d.note))
    if d.binding_rules:
        label = "Regler som binder" if lang == "nb" else "Rules involved"
        text += f" {label}: {'; '.join(d.binding_rules)}."
    return text
