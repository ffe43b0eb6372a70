"""The vocabulary: every word shown to people, in English and formal written Bokmål.

One table per kind of word. The reason codes (:class:`allocator.model.solution.Reason`) and the
statuses (:class:`allocator.status.Status`) stay the single source of what happened; this
module only says them in words. Every table header, sheet name and summary label the
workbook, the terminal and the service use is a key of :data:`TERMS`; a key that is
missing raises, so that no word can slip through untranslated.

Bokmål follows the written standard of public administration (Språkrådet's advice for
plain language in the public sector): "søknaden ble ikke innvilget", "ville ha fått",
"forslag til vedtak", "avslag"; amounts and dates in Norwegian form.
"""

from __future__ import annotations

from allocator.exceptions import AllocatorError
from allocator.model.solution import Reason
from allocator.status import Status
from allocator.words.numbers import check_lang

__all__ = [
    "REASONS",
    "REASONS_LONG",
    "STATUSES",
    "TERMS",
    "reason_text",
    "status_text",
    "term",
]

REASONS: dict[Reason, tuple[str, str]] = {
    Reason.FUNDED: ("funded in full", "innvilget fullt ut"),
    Reason.FUNDED_PARTIALLY: ("funded in part", "delvis innvilget"),
    Reason.INELIGIBLE: (
        "does not meet the minimum requirements",
        "oppfyller ikke minstekravene",
    ),
    Reason.OUTRANKED: ("did not make the cut", "nådde ikke opp"),  # in the competition for the frame
    Reason.TOO_LARGE: ("larger than the frame", "større enn rammen"),
    Reason.LOCKED_IN: (
        "required by a rule of the call",
        "påkrevd av en regel i utlysningen",
    ),
    Reason.LOCKED_OUT: (
        "excluded by a rule of the call",
        "utelukket av en regel i utlysningen",
    ),
    Reason.BLOCKED_BY_RULE: (
        "stopped by a rule of the call",
        "stoppet av en regel i utlysningen",
    ),
    Reason.NOT_DECIDED: ("not decided", "ikke avgjort"),
}
"""Each reason as a short phrase for a table cell: (English, Bokmål)."""

REASONS_LONG: dict[Reason, tuple[str, str]] = {
    Reason.FUNDED: ("Funded in full.", "Søknaden er innvilget fullt ut."),
    Reason.FUNDED_PARTIALLY: ("Funded in part.", "Søknaden er delvis innvilget."),
    Reason.INELIGIBLE: (
        "Not funded: the application does not meet the minimum requirements of the call.",
        "Søknaden er ikke innvilget: den oppfyller ikke minstekravene i utlysningen.",
    ),
    Reason.OUTRANKED: (
        "Not funded: the frame gives more value when spent on the funded applications.",
        "Søknaden er ikke innvilget: rammen gir mer verdi brukt på de innvilgede søknadene.",
    ),
    Reason.TOO_LARGE: (
        "Not funded: the amount asked for is larger than the whole frame.",
        "Søknaden er ikke innvilget: beløpet det søkes om, er større enn hele rammen.",
    ),
    Reason.LOCKED_IN: (
        "Funded: a rule of the call requires it.",
        "Søknaden er innvilget: en regel i utlysningen krever det.",
    ),
    Reason.LOCKED_OUT: (
        "Not funded: a rule of the call excludes it.",
        "Søknaden er ikke innvilget: en regel i utlysningen utelukker den.",
    ),
    Reason.BLOCKED_BY_RULE: (
        "Not funded: funding it would break a rule of the call.",
        "Søknaden er ikke innvilget: en innvilgelse ville ha brutt en regel i utlysningen.",
    ),
    Reason.NOT_DECIDED: ("Not decided.", "Ikke avgjort."),
}
"""Each reason as a whole sentence (the fallback when nothing more is known)."""

STATUSES: dict[Status, tuple[str, str]] = {
    Status.OPTIMAL: ("optimal (proven)", "optimal (bevist)"),
    Status.FEASIBLE: ("valid, not proven optimal", "gyldig, men ikke bevist optimal"),
    Status.INFEASIBLE: (
        "no portfolio satisfies every rule",
        "ingen portefølje oppfyller alle reglene",
    ),
    Status.NO_SOLUTION: (
        "no portfolio found within the time limit",
        "ingen portefølje funnet innenfor tidsgrensen",
    ),
    Status.ERROR: ("the solver failed", "løseren feilet"),
}
"""Each status in words: (English, Bokmål)."""

TERMS: dict[str, tuple[str, str]] = {
    # --- sheet names (at most 31 characters)
    "sheet.summary": ("Summary", "Sammendrag"),
    "sheet.meeting": ("Agenda with assessment", "Saksliste med vurdering"),
    "sheet.decisions": ("Decisions", "Tildelinger"),
    "sheet.rank_and_fund": ("Rank and fund", "Sammenligning"),
    "sheet.explanations": ("Explanations", "Forklaringer"),
    "sheet.analysis": ("Analysis", "Analyse"),
    "sheet.rules": ("Rules", "Regler"),
    "sheet.charts": ("Charts", "Diagrammer"),
    "sheet.diagnosis": ("Diagnosis", "Diagnose"),
    # --- column headers
    "id": ("Id", "Søknadsnr."),
    "title": ("Title", "Tittel"),
    "applicant": ("Applicant", "Søker"),
    "category": ("Category", "Kategori"),
    "requested": ("Requested", "Søknadsbeløp"),
    "granted": ("Granted", "Innvilget beløp"),
    "proposed_grant": ("Proposed grant", "Foreslått tilskudd"),
    "score": ("Weighted score", "Vektet poengsum"),
    "points": ("Score (of {top})", "Poeng (av {top})"),
    "spread": ("Spread (lowest-highest)", "Spredning (lavest-høyest)"),
    "rank": ("Rank", "Rangering"),
    "decision": ("Proposed decision", "Forslag til vedtak"),
    "grounds": ("Reason", "Begrunnelse"),
    "outcome": ("Outcome", "Utfall"),
    "state_aid": ("Report to the state-aid register", "Meldes til støtteregisteret"),
    "share_granted": ("Share granted", "Andel innvilget"),
    "value": ("Value", "Verdi"),
    "value_exact": ("Value (exact)", "Verdi (eksakt)"),
    "score_exact": ("Weighted score (exact)", "Vektet poengsum (eksakt)"),
    "rules_at_limit": ("Rules at their limit", "Regler ved grensen"),
    "rule": ("Rule", "Regel"),
    "rules": ("Rules involved", "Regler som gjelder"),
    "bound.max": ("at most", "høyst"),
    "bound.min": ("at least", "minst"),
    "bound.exact": ("exactly", "nøyaktig"),
    "unit.kr": ("kroner", "kroner"),
    "unit.applications": ("applications", "søknader"),
    "gives_way": ("Must give way by", "Må fravikes med"),
    "resolves_all": ("Resolves every conflict alone", "Løser alle konflikter alene"),
    "other_rules": (
        "Other rules (they hold or not)",
        "Andre regler (oppfylt eller ikke)",
    ),
    "part": ("Part", "Del"),
    "used": ("Used", "Brukt"),
    "limit": ("Limit", "Grense"),
    "kind_of_limit": ("Kind", "Type"),
    "at_limit": ("At its limit", "Ved grensen"),
    "granted_optimal": ("Granted, best portfolio", "Innvilget, beste portefølje"),
    "granted_rank_and_fund": ("Granted, rank and fund", "Innvilget, poengrekkefølge"),
    "difference": ("Difference", "Differanse"),
    "outcome_optimal": ("Outcome, best portfolio", "Utfall, beste portefølje"),
    "outcome_rank_and_fund": ("Outcome, rank and fund", "Utfall, poengrekkefølge"),
    "margin_up": ("Rise needed to be funded", "Økning som trengs for innvilgelse"),
    "margin_down": ("Fall before it loses its grant", "Fall før tilskuddet går tapt"),
    "max_grant": ("Largest request still funded", "Høyeste søknadsbeløp som innvilges"),
    "displaces": ("Would displace", "Ville ha fortrengt"),
    "also_funded": ("Would bring in", "Ville ha tatt inn"),
    "replaced_by": ("Replaced by", "Erstattes av"),
    "explanation": ("Explanation", "Forklaring"),
    "criterion": ("Criterion", "Kriterium"),
    "weight": ("Weight", "Vekt"),
    "scale": ("Scale", "Skala"),
    "threshold": ("Threshold", "Terskel"),
    "n_applications": ("Applications", "Søknader"),
    "n_funded": ("Funded", "Innvilget"),
    "frame_amount": ("Frame", "Ramme"),
    "value_optimal": ("Value, best portfolio", "Verdi, beste portefølje"),
    "value_rank_and_fund": ("Value, rank and fund", "Verdi, poengrekkefølge"),
    "share_of_frame": ("Share of the frame", "Andel av rammen"),
    "lowest": ("lowest", "lavest"),
    "highest": ("highest", "høyest"),
    "reviews": ("Reviews", "Vurderinger"),
    # --- summary labels
    "call": ("Call", "Utlysning"),
    "date": ("Date", "Dato"),
    "status": ("Outcome of the optimisation", "Resultat av optimeringen"),
    "key_figures": ("Key figures", "Nøkkeltall"),
    "frame": ("Frame", "Ramme"),
    "granted_total": ("Granted in total", "Innvilget totalt"),
    "left": ("Left of the frame", "Igjen av rammen"),
    "requested_total": ("Requested in total", "Søkt totalt"),
    "applications": ("Applications", "Søknader"),
    "funded_count": ("Funded", "Innvilget"),
    "partly_count": ("of which in part", "herav delvis"),
    "not_funded_count": ("Not funded", "Ikke innvilget"),
    "gain": ("Gain over ranking by score", "Gevinst mot rangering etter poengsum"),
    "gain_short": ("Gain", "Gevinst"),
    "state_aid_count": (
        "Grants to report to the state-aid register",
        "Tilskudd som skal meldes til støtteregisteret",
    ),
    "by_category": ("By category", "Per kategori"),
    "binding_rules": ("Rules at their limit", "Regler som er ved grensen"),
    "no_binding_rules": ("no rule is at its limit", "ingen regel er ved grensen"),
    "rules_count": ("Rules of the call", "Regler i utlysningen"),
    "criteria": ("Criteria and weights", "Kriterier og vekter"),
    "comparison": (
        "Compared with ranking by score and funding down the list",
        "Sammenlignet med rangering etter poengsum og tildeling nedover listen",
    ),
    "only_optimal": (
        "Funded only in the best portfolio",
        "Innvilget bare i beste portefølje",
    ),
    "only_rank_and_fund": (
        "Funded only by ranking by score",
        "Innvilget bare ved rangering etter poengsum",
    ),
    "other_amount": ("Funded with another amount", "Innvilget med et annet beløp"),
    "rank_and_fund_breaks": (
        "Rules broken by ranking by score",
        "Regler som brytes ved rangering etter poengsum",
    ),
    "same_portfolio": ("the two portfolios are the same", "de to porteføljene er like"),
    "technical": ("Technical details", "Tekniske detaljer"),
    "solver": ("Solver", "Løser"),
    "runtime": ("Run time", "Kjøretid"),
    "solves": ("Solver runs", "Kjøringer av løseren"),
    "gap": ("Optimality gap", "Optimalitetsgap"),
    "tie_break": (
        "Tie-break among equal portfolios",
        "Valg mellom like gode porteføljer",
    ),
    "normalisation": ("Normalisation", "Normalisering"),
    "funding": ("Funding", "Finansiering"),
    "scales": ("Scales", "Skalaer"),
    "total_threshold": (
        "Threshold on the weighted score",
        "Terskel for vektet poengsum",
    ),
    "notes": ("Notes", "Merknader"),
    "diagnosis": ("Why no portfolio exists", "Hvorfor ingen portefølje finnes"),
    "conflicting_rules": ("Rules in conflict", "Regler i konflikt"),
    "legend": ("Colours", "Fargeforklaring"),
    "legend.funded": ("funded in full", "innvilget fullt ut"),
    "legend.partly": ("funded in part", "delvis innvilget"),
    "legend.not_funded": ("not funded", "ikke innvilget"),
    "legend.ineligible": (
        "does not meet the minimum requirements",
        "oppfyller ikke minstekravene",
    ),
    "legend.differs": ("the two portfolios differ", "porteføljene er ulike"),
    "legend.state_aid": (
        "to be reported to the state-aid register",
        "skal meldes til støtteregisteret",
    ),
    "total": ("Total", "Sum"),
    "yes": ("yes", "ja"),
    "no": ("no", "nei"),
    "refusal": ("Refusal", "Avslag"),
    "grant_of": ("Grant of {amount}", "Tilskudd på {amount}"),
    "funding.binary": ("all or nothing", "alt eller ingenting"),
    "funding.partial": (
        "partial, in steps of {step} above each minimum",
        "delvis, i steg på {step} over hvert minstebeløp",
    ),
    "normalisation.max": (
        "score / top of the scale (not funding = 0)",
        "poeng / skalaens toppverdi (ingen tildeling = 0)",
    ),
    "normalisation.range": (
        "(score - bottom) / (top - bottom)",
        "(poeng - bunn) / (topp - bunn)",
    ),
    "seconds": ("{s} s", "{s} s"),
    "chart.frame_curve": ("The value of the frame", "Verdien av rammen"),
    "chart.frame": ("Frame", "Ramme"),
    "chart.value": ("Total weighted score", "Samlet vektet poengsum"),
    "chart.optimal": ("Best portfolio", "Beste portefølje"),
    "chart.rank_and_fund": ("Ranking by score", "Rangering etter poengsum"),
    "chart.this_frame": ("This call's frame", "Rammen i denne utlysningen"),
    "chart.by_category": (
        "Granted and requested per category",
        "Innvilget og søkt per kategori",
    ),
    "footer.page": ("page &P of &N", "side &P av &N"),
    "none": ("none", "ingen"),
    "uncategorised": ("(no category)", "(uten kategori)"),
    "more_in_sheet": (
        "... and {n} more (see the sheet {sheet})",
        "... og {n} til (se arket {sheet})",
    ),
}
"""Every header, sheet name and label: key -> (English, Bokmål). ``{...}`` are filled in."""


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if check_lang(lang) == "nb" else pair[0]


def term(key: str, lang: str = "en", **fill: object) -> str:
    """The word for ``key`` in ``lang`` (a header, sheet name or label), filled in.

    Examples
    --------
    >>> term("decision", "nb"), term("sheet.meeting", "nb"), term("points", "en", top=7)
    ('Forslag til vedtak', 'Saksliste med vurdering', 'Score (of 7)')
    """
    try:
        pair = TERMS[key]
    except KeyError:
        raise AllocatorError(f"no words for {key!r}; the known keys are {sorted(TERMS)}") from None
    text = _pick(pair, lang)
    return text.format(**fill) if fill else text


def reason_text(reason: Reason | str, lang: str = "en", *, sentence: bool = False) -> str:
    """A reason code in words: a short phrase for a table cell, or a whole sentence.

    Examples
    --------
    >>> reason_text(Reason.BLOCKED_BY_RULE, "nb"), reason_text("funded_partially", "en")
    ('stoppet av en regel i utlysningen', 'funded in part')
    """
    r = Reason(reason)
    return _pick((REASONS_LONG if sentence else REASONS)[r], lang)


def status_text(status: Status | str, lang: str = "en") -> str:
    """A status in words.

    Examples
    --------
    >>> status_text("optimal", "nb")
    'optimal (bevist)'
    """
    return _pick(STATUSES[Status(status)], lang)
