"""The explanation of one decision, as data: see :mod:`allocator.analysis.explain`."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer, model_validator

from allocator.model.solution import Reason, RuleRef

__all__ = ["Explanation"]


class Explanation(BaseModel):
    """The decision on one application and what would change it (see the module docs)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: str
    title: str = ""
    funded: bool
    requested: int
    granted: int
    score: float
    score_exact: Fraction
    reason: Reason
    detail: str = ""
    detail_nb: str = ""
    rules: tuple[str, ...] = ()
    rule_refs: tuple[RuleRef, ...] = ()
    """The rules involved (``rules``) as data: label and part."""
    margin_up: Fraction | None = None
    margin_down: Fraction | None = None
    max_grant: int | None = None
    displaces: tuple[str, ...] = ()
    also_funded: tuple[str, ...] = ()
    replaced_by: tuple[str, ...] = ()
    min_amount: int = 0
    sentence_en: str = ""
    sentence_nb: str = ""

    @model_validator(mode="before")
    @classmethod
    def _refs(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("rules") and not data.get("rule_refs"):
            data = {**data, "rule_refs": tuple(RuleRef.parse(r) for r in data["rules"])}
        return data

    @field_serializer("score_exact", "margin_up", "margin_down")
    def _fraction(self, v: Fraction | None) -> str | None:
        return None if v is None else str(v)

    def sentence(self, lang: str = "en") -> str:
        """The sentence in ``lang`` ('en' or 'nb')."""
        return self.sentence_nb if lang == "nb" else self.sentence_en
