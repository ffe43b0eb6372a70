"""What a check finds: each :class:`Violation` in words, and the :class:`CheckResult` of a
portfolio (see :mod:`allocator.rules.check`)."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CheckResult", "Violation", "kr"]


def kr(v: Fraction | float) -> str:
    """Kroner in words (\"120 000 kr\"), rounded to whole kroner."""
    if isinstance(v, Fraction) and v.denominator != 1:
        return f"{float(v):,.2f}".replace(",", " ") + " kr"
    return f"{int(v):,}".replace(",", " ") + " kr"


class Violation(BaseModel):
    """One rule broken by the decisions.

    Attributes
    ----------
    rule
        The rule's label (``"frame"``, ``"eligibility"`` and ``"grant levels"`` for the
        call's own conditions).
    kind
        The rule's kind (``group``, ``co_financing`` ...).
    part
        Which part of the rule: a theme, an application, an undertaking, a year.
    ids
        The applications concerned.
    excess
        By how much the rule is broken, in ``unit`` (kroner or applications).
    message
        The violation in words.
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    kind: str
    part: str = ""
    ids: tuple[str, ...] = ()
    excess: float = 0.0
    unit: str = "kr"
    message: str


class CheckResult(BaseModel):
    """The outcome of :func:`check`: the violations, empty when every rule holds."""

    model_config = ConfigDict(frozen=True)

    violations: tuple[Violation, ...] = ()
    total_granted: int = 0
    n_funded: int = 0

    @property
    def ok(self) -> bool:
        """True when no rule is broken."""
        return not self.violations

    @property
    def rules(self) -> list[str]:
        """Labels of the broken rules, each once, in order."""
        return list(dict.fromkeys(v.rule for v in self.violations))

    def to_frame(self) -> pd.DataFrame:
        """One row per violation: rule, kind, part, ids, excess, unit, message."""
        import pandas as pd

        cols = list(Violation.model_fields)
        df = pd.DataFrame([v.model_dump() for v in self.violations], columns=cols)
        if len(df):
            df["ids"] = ["; ".join(x) for x in df["ids"]]
        return df

    def __str__(self) -> str:
        if self.ok:
            return "no violation"
        n = len(self.violations)
        head = f"{n} violation{'s' if n > 1 else ''}:"
        return "\n".join([head, *(f"- {v.message}" for v in self.violations)])

    __repr__ = __str__
