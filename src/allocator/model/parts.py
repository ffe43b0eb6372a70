"""The parts of a call: its criteria, its applications and the options of the decision.

Everything here is a frozen pydantic model: it validates on construction, round-trips
through JSON and publishes a JSON Schema. Variants are made with ``model_copy(update=...)``
or the ``with_*`` helpers of :class:`~allocator.model.problem.Problem`, never by mutation.

Money is in whole currency units (kroner): every amount is an ``int``. Scores are real
numbers on each criterion's scale; a criterion's contribution is normalised to a ratio
scale on which *not funding is worth 0* (see :mod:`allocator.model.scoring`).
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from allocator.model.frozen import Frozen, Money, format_validation_error, whole_amount
from allocator.model.limits import check_scale, check_score, check_weight
from allocator.model.texts import clean_text

__all__ = [
    "Application",
    "Criterion",
    "Frozen",
    "Money",
    "Options",
    "Scalar",
    "format_validation_error",
    "whole_amount",
]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Criterion(Frozen):
    """An assessment criterion: its weight, its scale and an optional eligibility threshold.

    Parameters
    ----------
    name
        Identifier used as the score key and column name (``green``, ``smart``, ...).
    weight
        Non-negative weight. Weights need not sum to 1; only their ratios matter.
    scale_min, scale_max
        The scale the scores are given on (for example 1 to 7, or 0 to 5).
    threshold
        Eligibility threshold on this criterion's raw score: an application scoring
        below it is never funded, whatever its other scores.
    label
        Display name ("Green transition").
    label_nb
        Display name in Norwegian Bokmål ("Grønn omstilling"), for reports in ``lang="nb"``
        (default: ``label``).
    scale_inferred
        True when no scale was given and it was read from the table (see
        :func:`allocator.model.table.fields_from_frame`): reports then say so.
    """

    name: str
    weight: float = Field(ge=0)
    scale_min: float = 0.0
    scale_max: float = 1.0
    threshold: float | None = None
    label: str = ""
    label_nb: str = ""
    scale_inferred: bool = False

    @field_validator("name")
    @classmethod
    def _identifier(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"criterion name {v!r} must be an identifier (letters, digits, _), e.g. 'green'")
        return v

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, v: Any, info: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return v  # pydantic's own checks name the type
        try:
            return check_weight(v)
        except ValueError as exc:
            raise ValueError(f"criterion {info.data.get('name', '?')!r}: weight {v!r} {exc}") from None

    @field_validator("scale_min", "scale_max", "threshold")
    @classmethod
    def _in_range(cls, v: float | None, info: Any) -> float | None:
        if v is None:
            return None
        try:
            return check_score(v)
        except ValueError as exc:
            raise ValueError(
                f"criterion {info.data.get('name', '?')!r}: {info.field_name} {v!r} {exc}; give the scale the scores "
                "are given on (e.g. 1 to 7)"
            ) from None

    @model_validator(mode="after")
    def _scale(self) -> Criterion:
        if not self.scale_max > self.scale_min:
            raise ValueError(
                f"criterion '{self.name}': scale_max {self.scale_max} must exceed scale_min {self.scale_min}"
            )
        if self.scale_max <= 0:
            raise ValueError(f"criterion '{self.name}': scale_max {self.scale_max} must be positive (ratio scale)")
        try:
            check_scale(self.scale_min, self.scale_max)
        except ValueError as exc:
            raise ValueError(f"criterion '{self.name}': {exc}") from None
        if self.threshold is not None and not (self.scale_min <= self.threshold <= self.scale_max):
            raise ValueError(
                f"criterion '{self.name}': threshold {self.threshold} lies outside its scale "
                f"[{self.scale_min}, {self.scale_max}]"
            )
        return self

    @property
    def display(self) -> str:
        """The label if set, else the name."""
        return self.label or self.name

    def display_in(self, lang: str) -> str:
        """The display name in ``lang`` (``"nb"``: ``label_nb``, else the label, else the name)."""
        if lang == "nb" and self.label_nb:
            return self.label_nb
        return self.display


Scalar = str | int | float | bool | None


class Application(Frozen):
    """One application to the call.

    Parameters
    ----------
    id
        Unique identifier (the case number, "2022-0042").
    requested
        Requested amount, whole kroner, > 0.
    minimum
        Smallest grant that still makes the project viable (partial funding); at most
        ``requested``. ``None``: see :attr:`Options.min_share`.
    total_cost
        The project's total cost, for co-financing rules.
    category
        Theme or kind ("cluster: water technology", "network").
    tags
        Free labels usable by rules ("Telemark", "new applicant").
    scores
        Raw score per criterion name, on that criterion's scale.
    attributes
        Any other column, kept for rules and reports.
    spread
        Per criterion, the lowest and highest score the reviewers gave, when the score is
        an aggregate of several reviews (:mod:`allocator.io.reviewers`).
    """

    id: str = Field(min_length=1)
    title: str = ""
    applicant: str = ""
    requested: int
    minimum: int | None = None
    total_cost: int | None = None
    category: str = ""
    tags: tuple[str, ...] = ()
    scores: dict[str, float] = Field(default_factory=dict)
    attributes: dict[str, Scalar] = Field(default_factory=dict)
    spread: dict[str, tuple[float, float]] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> str:
        if isinstance(v, bool) or v is None:
            raise ValueError("id must be a non-empty text or number")
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = clean_text(str(v))
        if not s:
            raise ValueError("id must not be empty")
        return s

    @field_validator("title", "applicant", "category", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return clean_text(v) if isinstance(v, str) else v

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return tuple(clean_text(t) if isinstance(t, str) else t for t in v)
        return v

    @field_validator("requested", mode="before")
    @classmethod
    def _requested(cls, v: Any) -> int:
        return whole_amount(v, "requested amount")

    @field_validator("minimum", "total_cost", mode="before")
    @classmethod
    def _optional_amount(cls, v: Any, info: Any) -> int | None:
        if v is None:
            return None
        return whole_amount(v, info.field_name.replace("_", " "))

    @field_validator("scores")
    @classmethod
    def _finite_scores(cls, v: dict[str, float]) -> dict[str, float]:
        for k, s in v.items():
            if not math.isfinite(s):
                raise ValueError(f"score '{k}' is {s}; give a finite number on the criterion's scale")
            try:
                check_score(s)
            except ValueError as exc:
                raise ValueError(f"score '{k}' {s!r} {exc}; give scores on the criterion's scale") from None
        return v

    @field_validator("spread")
    @classmethod
    def _spread(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for k, (lo, hi) in v.items():
            if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
                raise ValueError(f"spread of '{k}' is ({lo}, {hi}); give (lowest, highest) finite scores, lowest first")
        return v

    @model_validator(mode="after")
    def _minimum_le_requested(self) -> Application:
        if self.minimum is not None and self.minimum > self.requested:
            raise ValueError(
                f"application '{self.id}': minimum {self.minimum} exceeds the requested amount "
                f"{self.requested}; lower the minimum or leave it empty"
            )
        if self.total_cost is not None and self.total_cost < self.requested:
            raise ValueError(
                f"application '{self.id}': total cost {self.total_cost} is below the requested amount "
                f"{self.requested}; give the whole project's cost (at least the request), or leave it empty"
            )
        return self


class Options(Frozen):
    """How the decision is made.

    Parameters
    ----------
    partial
        Allow partial funding: a grant anywhere between the application's minimum and its
        request, in multiples of ``step`` above the minimum (the request itself is always
        allowed). Its value is proportional to the share granted.
    step
        Granularity of partial grants, whole kroner.
    min_share
        With partial funding, the minimum for applications that declare none, as a share of
        the request (rounded up to whole kroner). ``None``: ``step`` (or the request, if smaller).
    normalisation
        ``"max"``: a criterion contributes score / scale_max (0 = not funding, the default);
        ``"range"``: (score - scale_min) / (scale_max - scale_min).
    min_total_score
        Eligibility threshold on the weighted total score (same units as the ``score``
        column of the decisions). ``None``: no threshold.
    tie_break
        Keys applied, in order, among portfolios of equal value: a criterion name (prefer the
        higher total of that criterion's *normalised, unweighted* score over the funded
        applications, each times the share granted), ``"-granted"`` (prefer the lower total grant) or ``"granted"``. The final
        key is always the application id (prefer funding the smaller id). By default, the
        criterion ``green`` if the problem has it, then the lower total grant.
    """

    partial: bool = False
    step: int = 10_000
    min_share: float | None = Field(default=None, gt=0, le=1)
    normalisation: Literal["max", "range"] = "max"
    min_total_score: float | None = None
    tie_break: tuple[str, ...] | None = None

    @field_validator("step", mode="before")
    @classmethod
    def _step(cls, v: Any) -> int:
        return whole_amount(v, "step")

    @field_validator("partial", mode="before")
    @classmethod
    def _strict_bool(cls, v: Any) -> bool:
        if isinstance(v, bool) or type(v).__name__ == "bool_":  # numpy's bool too
            return bool(v)
        raise ValueError(
            f"must be true or false (a boolean), not {v!r}; give partial=True or partial=False (in TOML: true or false, no quotes)"
        )

    @field_validator("min_total_score")
    @classmethod
    def _finite_threshold(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError(
                f"min_total_score {v!r} is not a finite number; give a threshold on the weighted score, "
                "or None for no threshold"
            )
        return v
