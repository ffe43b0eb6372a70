"""The call's rules as pydantic models: one class per kind, a union ``Rule`` on ``kind``.

Every rule selects the applications it is about with the same four optional fields
(all given conditions must hold; a list means any of its values; no field means every
application):

``ids``
    Application ids.
``category``
    Categories; ``*`` and ``?`` are wildcards (``"klynge*"``), case is ignored.
``tag``
    Tags (an application matches if it has any of them).
``where``
    ``{column: value or [values]}`` on any column: a field (``applicant``, ``category``,
    ``requested`` ...) or a column kept in ``Application.attributes`` (``"Fylkesdel"``).

Each rule has an optional ``label``, the words used for it in decisions, binding rules and
diagnoses (``name`` is accepted as a synonym); without one a description is generated.

Examples
--------
>>> r = GroupLimit(category="klynge*", per="category", max_share="40 %", label="at most 40 % per theme")
>>> r.kind, r.max_share, r.display
('group', 0.4, 'at most 40 % per theme')
>>> GroupLimit(category="bedriftsnettverk", min_count=1).display
"category 'bedriftsnettverk': at least 1 funded"
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from allocator.model.ledger import LedgerEntry, Window, ceiling_eur, read_ledger
from allocator.model.rule_base import (
    Money,
    Names,
    RuleBase,
    Selecting,
    Share,
    format_rule_error,
    kr,
    parse_money,
    parse_share,
    pct,
)
from allocator.model.rules_budget import BudgetPots, MultiYear

__all__ = [
    "RULE_KINDS",
    "BudgetPots",
    "CoFinancing",
    "DeMinimis",
    "Exclusive",
    "FundedCount",
    "GroupLimit",
    "MaxGrant",
    "MultiYear",
    "MustFund",
    "MustNotFund",
    "Requires",
    "Rule",
    "format_rule_error",
    "parse_money",
    "parse_share",
]


class GroupLimit(Selecting):
    """Caps and floors on the amount and the number funded in a group of applications.

    ``per`` (a column such as ``"category"``, ``"applicant"`` or ``"Fylkesdel"``) applies
    the limits to each value of that column separately ("at most 40 % of the frame to one
    theme": ``category="klynge*", per="category", max_share=0.4``).
    """

    kind: Literal["group"] = "group"
    per: str | None = None
    max_amount: Money | None = None
    min_amount: Money | None = None
    max_share: Share | None = None
    min_share: Share | None = None
    max_count: int | None = Field(default=None, ge=0)
    min_count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _some_limit(self) -> GroupLimit:
        limits = (self.max_amount, self.min_amount, self.max_share, self.min_share, self.max_count, self.min_count)
        if all(v is None for v in limits):
            raise ValueError(
                "a group rule needs a limit: max_amount, min_amount, max_share, min_share, max_count or min_count"
            )
        for lo, hi, what in (
            (self.min_amount, self.max_amount, "amount"),
            (self.min_share, self.max_share, "share"),
            (self.min_count, self.max_count, "count"),
        ):
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"min_{what} {lo} exceeds max_{what} {hi}; the floor must not exceed the cap")
        return self

    def describe(self) -> str:
        """A description in words."""
        parts = []
        if self.max_amount is not None:
            parts.append(f"at most {kr(self.max_amount)}")
        if self.max_share is not None:
            parts.append(f"at most {pct(self.max_share)} of the frame")
        if self.min_amount is not None:
            parts.append(f"at least {kr(self.min_amount)}")
        if self.min_share is not None:
            parts.append(f"at least {pct(self.min_share)} of the frame")
        if self.max_count is not None:
            parts.append(f"at most {self.max_count} funded")
        if self.min_count is not None:
            parts.append(f"at least {self.min_count} funded")
        per = f" per {self.per}" if self.per else ""
        return f"{self.selector_text()}{per}: {', '.join(parts)}"


class FundedCount(Selecting):
    """A minimum and/or maximum number of funded applications (of a group, or overall)."""

    kind: Literal["count"] = "count"
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> FundedCount:
        if self.min is None and self.max is None:
            raise ValueError("a count rule needs min and/or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} exceeds max {self.max}")
        return self

    def describe(self) -> str:
        """A description in words."""
        b = []
        if self.min is not None:
            b.append(f"at least {self.min}")
        if self.max is not None:
            b.append(f"at most {self.max}")
        return f"{' and '.join(b)} funded ({self.selector_text()})"


class MaxGrant(Selecting):
    """A maximum grant per application, or per applicant organisation (or any column).

    ``amount`` in kroner and/or ``share`` of the frame (the smaller applies). ``per``:
    ``"application"`` (default), ``"applicant"`` (the total to one organisation) or any
    column.
    """

    kind: Literal["max_grant"] = "max_grant"
    amount: Money | None = None
    share: Share | None = None
    per: str = "application"

    @model_validator(mode="after")
    def _some(self) -> MaxGrant:
        if self.amount is None and self.share is None:
            raise ValueError("a max_grant rule needs amount (kroner) and/or share (of the frame)")
        return self

    def describe(self) -> str:
        """A description in words."""
        caps = [
            c
            for c in (
                self.amount is not None and kr(self.amount),
                self.share is not None and f"{pct(self.share)} of the frame",
            )
            if c
        ]
        sel = "" if self.selector_text() == "all applications" else f" ({self.selector_text()})"
        return f"at most {' and '.join(caps)} per {self.per}{sel}"


class CoFinancing(Selecting):
    """The grant at most ``share`` of the project's total cost.

    With ``other_public`` (a column with the other public funding the applicant declared)
    the rule is on total public funding: grant + other public funding <= share x total cost.
    """

    kind: Literal["co_financing"] = "co_financing"
    share: Share
    other_public: str | None = None

    def describe(self) -> str:
        """A description in words."""
        what = "grant + other public funding" if self.other_public else "grant"
        return f"{what} at most {pct(self.share)} of the project cost ({self.selector_text()})"


def _ledger(v: Any) -> Any:
    if isinstance(v, (str, Path)):
        return read_ledger(v)
    if v is not None and type(v).__name__ == "DataFrame":
        return read_ledger(v)
    return v


class DeMinimis(Selecting):
    """De minimis: per single undertaking, a ceiling over three years, minus aid received.

    Parameters
    ----------
    undertaking
        The column identifying the single undertaking: ``"applicant"`` (default) or a column
        such as an organisation number.
    decision_date
        When the grants are decided (the date the right to the aid is granted).
    eur_nok
        Kroner per euro, e.g. 10.0.
    ceiling_eur
        The ceiling in euro; default by date: 300 000 from 2024-01-01, 200 000 before.
    window
        ``"auto"`` (default: rolling three years from 2024, three fiscal years before),
        ``"rolling"`` or ``"fiscal"``.
    ledger
        Aid already received: :class:`~allocator.model.ledger.LedgerEntry` rows, a CSV path
        or a DataFrame (organisation, date, amount, currency).
    """

    kind: Literal["de_minimis"] = "de_minimis"
    undertaking: str = "applicant"
    decision_date: dt.date
    eur_nok: float = Field(gt=0)
    ceiling_eur: Money | None = None
    window: Window = "auto"
    ledger: Annotated[tuple[LedgerEntry, ...], BeforeValidator(_ledger)] = ()

    @field_validator("eur_nok", mode="before")
    @classmethod
    def _rate(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return float(v.strip().replace(",", "."))
            except ValueError:
                raise ValueError(f"{v!r} is not an exchange rate; give kroner per euro, e.g. 10.0") from None
        return v

    def describe(self) -> str:
        """A description in words."""

        cap = self.ceiling_eur if self.ceiling_eur is not None else ceiling_eur(self.decision_date)
        return f"de minimis: at most EUR {cap:,} per undertaking over three years".replace(",", " ")


class MustFund(Selecting):
    """Lock in: the selected applications are funded (at ``amount`` if given)."""

    kind: Literal["must_fund"] = "must_fund"
    amount: Money | None = None

    @field_validator("amount")
    @classmethod
    def _positive(cls, v: int | None) -> int | None:
        if v == 0:
            raise ValueError("a must_fund amount of 0 means not funding; use a must_not_fund rule instead")
        return v

    def describe(self) -> str:
        """A description in words."""
        at = f" at {kr(self.amount)}" if self.amount is not None else ""
        return f"fund {self.selector_text()}{at}"


class MustNotFund(Selecting):
    """Lock out: the selected applications are not funded."""

    kind: Literal["must_not_fund"] = "must_not_fund"

    def describe(self) -> str:
        """A description in words."""
        return f"do not fund {self.selector_text()}"


class Exclusive(Selecting):
    """Mutually exclusive: at most ``at_most`` of the selected applications are funded."""

    kind: Literal["exclusive"] = "exclusive"
    at_most: int = Field(default=1, ge=0)

    def describe(self) -> str:
        """A description in words."""
        return f"at most {self.at_most} of {self.selector_text()}"


class Requires(Selecting):
    """Dependency: the selected applications are funded only if ``requires`` are.

    ``mode="all"`` (default): every required application must be funded; ``"any"``: one of
    them suffices.
    """

    kind: Literal["requires"] = "requires"
    requires: Names
    mode: Literal["all", "any"] = "all"

    @field_validator("requires")
    @classmethod
    def _nonempty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("give the ids of the required applications")
        return v

    def describe(self) -> str:
        """A description in words."""
        req = (" and " if self.mode == "all" else " or ").join(repr(r) for r in self.requires)
        return f"{self.selector_text()} only if {req} funded"


Rule = Annotated[
    GroupLimit
    | FundedCount
    | MaxGrant
    | CoFinancing
    | DeMinimis
    | MustFund
    | MustNotFund
    | Exclusive
    | Requires
    | BudgetPots
    | MultiYear,
    Field(discriminator="kind"),
]
"""Any rule; the ``kind`` field says which."""

RULE_KINDS: dict[str, type[RuleBase]] = {
    "group": GroupLimit,
    "count": FundedCount,
    "max_grant": MaxGrant,
    "co_financing": CoFinancing,
    "de_minimis": DeMinimis,
    "must_fund": MustFund,
    "must_not_fund": MustNotFund,
    "exclusive": Exclusive,
    "requires": Requires,
    "pots": BudgetPots,
    "multi_year": MultiYear,
}
"""Rule class by ``kind``."""
