"""The explanation of one decision, as data: see :mod:`allocator.analysis.explain`."""

from __future__ import annotations

from fractions import Fraction

from pydantic import BaseModel, ConfigDict, field_serializer

from allocator.solution import Reason

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
    margin_up: Fraction | None = None
    margin_down: Fraction | None = None
    max_grant: int | None = None
    displaces: tuple[str, ...] = ()
    also_funded: tuple[str, ...] = ()
    replaced_by: tuple[str, ...] = ()
    min_amount: int = 0
    sentence_en: str = ""
    sentence_nb: str = ""

    @field_serializer("score_exact", "margin_up", "margin_down")
    def _fraction(self, v: Fraction | None) -> str | None:
        return None if v is None else str(v)

    def sentence(self, lang: str = "en") -> str:
        """The sentence in ``lang`` ('en' or 'nb')."""
        return self.sentence_nb if lang == "nb" else self.sentence_en
