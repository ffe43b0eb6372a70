"""Which grants must be reported to the state-aid register (Registeret for offentlig støtte).

Since 11 December 2023 every individual state-aid award of EUR 100 000 or more must be
reported to the Norwegian state-aid register (Brønnøysundregistrene); before, the threshold
was EUR 500 000. A grant in kroner is flagged when it is **at or above** the threshold
converted at the EUR/NOK rate, compared exactly: with 100 000 EUR at 11.5 kr the threshold
is 1 150 000 kr; a grant of 1 150 000 kr is flagged, one of 1 149 999 kr is not.

The rate is a parameter; by default it is taken from the call's de minimis rule
(:class:`~allocator.model.rules.DeMinimis`, ``eur_nok``) when it has one. Without a rate
nothing can be flagged, and :func:`state_aid_register` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import ceil
from typing import Any

from pydantic import BaseModel, ConfigDict

from allocator.exceptions import AllocatorError
from allocator.model.normalise import exact
from allocator.model.rules import DeMinimis

__all__ = [
    "REGISTER_THRESHOLD_EUR",
    "StateAidRegister",
    "policy_rate",
    "state_aid_register",
]

REGISTER_THRESHOLD_EUR = 100_000
"""The reporting threshold in euro since 11 December 2023."""


class StateAidRegister(BaseModel):
    """The grants to report, and how the threshold was found.

    Attributes
    ----------
    threshold_eur, eur_nok
        The threshold in euro and the rate used (``None``: no rate known, nothing flagged).
    threshold
        The threshold in kroner (the smallest whole amount at or above it), or ``None``.
    flagged
        Ids of the grants at or above the threshold, in the decisions' order.
    rate_source
        Where the rate came from: ``"given"``, ``"de minimis rule"`` or ``"none"``.
    """

    model_config = ConfigDict(frozen=True)

    threshold_eur: int
    eur_nok: float | None
    threshold: int | None
    flagged: tuple[str, ...] = ()
    rate_source: str = "none"

    def __contains__(self, id: object) -> bool:
        return id in self.flagged


def policy_rate(problem: Any) -> float | None:
    """The EUR/NOK rate of the call's (first) de minimis rule, if it has one."""
    for rule in getattr(problem, "rules", ()) or ():
        if isinstance(rule, DeMinimis):
            return float(rule.eur_nok)
    return None


def state_aid_register(
    decisions: Any,
    problem: Any = None,
    *,
    threshold_eur: int = REGISTER_THRESHOLD_EUR,
    eur_nok: float | None = None,
) -> StateAidRegister:
    """The grants of ``decisions`` to be reported to the state-aid register.

    Parameters
    ----------
    decisions
        A :class:`~allocator.model.solution.Solution` or a mapping id -> grant (kroner).
    problem
        The call: its de minimis rule gives the rate when ``eur_nok`` is not given.
    threshold_eur
        The threshold in euro (default 100 000).
    eur_nok
        Kroner per euro.

    Examples
    --------
    >>> r = state_aid_register({"A": 1_150_000, "B": 1_149_999, "C": 0}, eur_nok=11.5)
    >>> r.threshold, r.flagged
    (1150000, ('A',))
    >>> state_aid_register({"A": 5_000_000}).flagged  # no rate: nothing can be flagged
    ()
    """
    if isinstance(threshold_eur, bool) or not isinstance(threshold_eur, int) or threshold_eur <= 0:
        raise AllocatorError(
            f"threshold_eur {threshold_eur!r} must be a whole number of euro greater than 0, e.g. 100_000"
        )
    source = "given"
    if eur_nok is None:
        eur_nok = policy_rate(problem)
        source = "de minimis rule" if eur_nok is not None else "none"
    if eur_nok is None:
        return StateAidRegister(
            threshold_eur=threshold_eur,
            eur_nok=None,
            threshold=None,
            rate_source="none",
        )
    if isinstance(eur_nok, bool) or not isinstance(eur_nok, (int, float)) or not 0 < eur_nok < 1e6:
        raise AllocatorError(f"eur_nok {eur_nok!r} must be the number of kroner per euro, e.g. 11.5")
    limit = exact(eur_nok) * threshold_eur
    threshold = ceil(limit)
    grants: Mapping[str, int] = decisions.grants if hasattr(decisions, "grants") else dict(decisions)
    flagged = tuple(i for i, g in grants.items() if g > 0 and g >= limit)
    return StateAidRegister(
        threshold_eur=threshold_eur,
        eur_nok=float(eur_nok),
        threshold=threshold,
        flagged=flagged,
        rate_source=source,
    )
