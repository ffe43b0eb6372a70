"""A decision's reason in words, in English or Norwegian Bokmål, for the service's answers.

The library gives every decision a reason code; the service says it in the caller's language
(``lang``: ``"en"`` or ``"nb"``) with the library's own vocabulary
(:func:`allocator.words.decision_sentence`), so that the service, the workbook and the
command line say the same thing in the same words.

Examples
--------
>>> from allocator.server.library import Decision, Reason
>>> d = Decision(id="A", requested=400_000, granted=200_000, funded=True, score=0.6, value=0.3,
...              rank=1, reason=Reason.FUNDED_PARTIALLY, note="funded 50% of the request")
>>> reason_words(d, "en")
'Funded in part: NOK 200,000 of NOK 400,000 (50.0 %).'
>>> reason_words(d, "nb").replace("\\u00a0", " ")
'Delvis innvilget: 200 000 kr av 400 000 kr (50,0 %).'
"""

from __future__ import annotations

from allocator.server.library import Decision, check_lang, decision_sentence

__all__ = ["UI_LANGUAGES", "reason_words"]

UI_LANGUAGES = ("en", "nb")


def reason_words(decision: Decision, lang: str = "en", currency: str = "NOK") -> str:
    """The reason for ``decision`` in words, in ``lang`` (``"en"`` or ``"nb"``)."""
    return decision_sentence(decision, check_lang(lang), currency=currency)
