"""Rules on where the money comes from and when it is paid: budget pots and multi-year frames
(part of :mod:`allocator.model.rules`, which gathers every kind)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from allocator.model.rule_base import Money, Selecting, Share, kr

__all__ = ["BudgetPots", "MultiYear"]


class BudgetPots(Selecting):
    """Several budget pots: each application draws on the pot named in ``column``.

    ``frames`` gives each pot's budget; ``default`` the pot of applications whose column
    is empty.
    """

    kind: Literal["pots"] = "pots"
    column: str
    frames: dict[str, Money]
    default: str | None = None

    @model_validator(mode="after")
    def _default_known(self) -> BudgetPots:
        if not self.frames:
            raise ValueError(
                "give the budget of each pot in frames, e.g. frames = {klynge = 1500000, nettverk = 800000}"
            )
        if self.default is not None and self.default not in self.frames:
            raise ValueError(f"default pot {self.default!r} is not among the pots {sorted(self.frames)}")
        return self

    def describe(self) -> str:
        """A description in words."""
        return f"budget pots by {self.column}: " + ", ".join(f"{k} {kr(v)}" for k, v in self.frames.items())


class MultiYear(Selecting):
    """Multi-year frames: each grant is spread over years by shares, each year has a frame.

    ``frames`` gives each year's frame; the shares come from ``columns`` (year -> column with
    each application's share that year) or else from ``split`` (year -> share, the same for
    every application). Each application's shares must add up to 1.
    """

    kind: Literal["multi_year"] = "multi_year"
    frames: dict[str, Money]
    split: dict[str, Share] = Field(default_factory=dict)
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("frames", "split", "columns", mode="before")
    @classmethod
    def _str_keys(cls, v: Any) -> Any:
        return {str(k): x for k, x in v.items()} if isinstance(v, dict) else v

    @model_validator(mode="after")
    def _years(self) -> MultiYear:
        if not self.frames:
            raise ValueError("give each year's frame, e.g. frames = {2023 = 1200000, 2024 = 1100000}")
        for what, d in (("split", self.split), ("columns", self.columns)):
            unknown = set(d) - set(self.frames)
            if unknown:
                raise ValueError(
                    f"{what} names year {min(unknown)!r}, which has no frame; the years are {list(self.frames)}"
                )
        if not self.split and not self.columns:
            raise ValueError("give split (year -> share) or columns (year -> column of shares)")
        if self.split and not self.columns:
            from fractions import Fraction

            total = sum((Fraction(repr(s)) for s in self.split.values()), Fraction(0))
            if total != 1:
                raise ValueError(f"the shares in split add up to {float(total):g}, not 1; make them add up to 100 %")
        return self

    def describe(self) -> str:
        """A description in words."""
        return "frames per year: " + ", ".join(f"{y} {kr(v)}" for y, v in self.frames.items())
