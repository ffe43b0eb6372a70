"""What every rule shares: how it selects applications, its label, and the parsers of its
amounts and shares (``"40 %"``, ``"2 300 000 kr"``). The rule kinds are in
:mod:`allocator.model.rules`."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from allocator.exceptions import PolicyError
from allocator.model.amounts import AMOUNT_EXAMPLES, CellError, parse_amount, show

__all__ = [
    "Money",
    "Names",
    "RuleBase",
    "Scalar",
    "Selecting",
    "Share",
    "format_rule_error",
    "kr",
    "parse_money",
    "parse_share",
    "pct",
]

Scalar = str | int | float | bool | None


# --------------------------------------------------------------------------- value parsing
def parse_share(v: Any) -> float:
    """A share of 0..1 from ``0.4``, ``"40 %"``, ``"40%"`` or ``"0,4"``; ValueError otherwise.

    >>> parse_share("40 %"), parse_share(0.5), parse_share("12,5%")
    (0.4, 0.5, 0.125)
    """
    if isinstance(v, bool) or v is None:
        raise ValueError(f'{v!r} is not a share; give a number between 0 and 1 (0.4) or a percentage ("40 %")')
    if isinstance(v, str):
        s = v.strip().replace(",", ".").replace("\u00a0", " ")
        pct = s.endswith("%")
        s = s.rstrip("%").strip()
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?|\.[0-9]+", s):
            raise ValueError(f'{v!r} is not a share; give a number between 0 and 1 (0.4) or a percentage ("40 %")')
        # round to the decimals typed: "12.5 %" -> 0.125, not 0.12500000000000003
        x = round(float(s) / 100, len(s.split(".")[1]) + 2 if "." in s else 2) if pct else float(s)
        if pct and x > 1:
            raise ValueError(f"{v!r} is above 100 %; a share is at most 100 %")
        v = x
    if not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f'{v!r} is not a share; give a number between 0 and 1 (0.4) or a percentage ("40 %")')
    if v < 0:
        raise ValueError(f'share {v!r} is negative; give a number between 0 and 1 (0.4) or a percentage ("40 %")')
    if v > 1:
        hint = f' (did you mean {v / 100:g}, i.e. "{v:g} %"?)' if v <= 100 else ""
        raise ValueError(f"share {v!r} is above 100 %{hint}; give a number between 0 and 1 or a percentage as text")
    return float(v)


def parse_money(v: Any) -> int:
    """Whole kroner, at least 0, by the one grammar of :mod:`allocator.model.amounts`.

    >>> parse_money("1 500 000"), parse_money(2.3e6), parse_money(" 900_000 kr"), parse_money("kr 2.300.000")
    (1500000, 2300000, 900000, 2300000)
    """
    fix = f"write whole kroner, e.g. {AMOUNT_EXAMPLES}"
    if v is None or isinstance(v, bool):
        raise ValueError(f"{v!r} is not an amount; {fix}")
    try:
        amount = parse_amount(v)
    except CellError as exc:
        raise ValueError(f"{show(v)} {exc}" + ("" if "write" in str(exc) else f"; {fix}")) from None
    if amount is None:
        raise ValueError(f"{show(v)} is not an amount; {fix}")
    if amount < 0:
        raise ValueError(f"amount {amount} is negative; {fix}")
    return amount


def _tuple_of_str(v: Any) -> Any:
    if v is None:
        return ()
    if isinstance(v, (str, int)) and not isinstance(v, bool):
        return (str(v),)
    if isinstance(v, (list, tuple)):
        return tuple(str(x) if isinstance(x, int) and not isinstance(x, bool) else x for x in v)
    return v


def _where(v: Any) -> Any:
    if v is None:
        return {}
    if isinstance(v, dict):
        return {k: tuple(x) if isinstance(x, (list, tuple)) else (x,) for k, x in v.items()}
    return v


Share = Annotated[float, BeforeValidator(parse_share)]
Money = Annotated[int, BeforeValidator(parse_money)]
Names = Annotated[tuple[str, ...], BeforeValidator(_tuple_of_str)]
Where = Annotated[dict[str, tuple[Scalar, ...]], BeforeValidator(_where)]


def format_rule_error(exc: ValidationError, what: str) -> str:
    """One readable sentence per field of a rule's ValidationError."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        given = err.get("input")
        shown = "" if isinstance(given, (dict, list, tuple)) or loc == "" else f" (given {given!r})"
        parts.append(f"{what}{f', key {loc!r}' if loc else ''}{shown}: {msg}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- base classes
class RuleBase(BaseModel):
    """Frozen, no unknown keys; mistakes raise PolicyError naming the key and the fix."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    label: str = Field(default="", validation_alias=AliasChoices("label", "name"))
    label_nb: str = ""
    """The label in Norwegian Bokmål, for reports in ``lang="nb"`` when ``label`` is in
    another language (default: ``label``, else a generated Norwegian description)."""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            err = PolicyError(format_rule_error(exc, f"{type(self).__name__} rule"))
            err.details = exc.errors(include_url=False)  # type: ignore[attr-defined]  # for the policy reader
            raise err from None

    @property
    def display(self) -> str:
        """The label if given, else a generated description."""
        return self.label or self.describe()

    def describe(self) -> str:  # pragma: no cover - every kind overrides it
        """A description in words."""
        return str(getattr(self, "kind", "rule"))


class Selecting(RuleBase):
    """A rule about a group of applications (see the module docstring)."""

    ids: Names = ()
    category: Names = ()
    tag: Names = ()
    where: Where = Field(default_factory=dict)

    def selector_text(self) -> str:
        """The selection in words: ``category 'network'``, ``all applications``."""
        bits = []
        if self.ids:
            listed = ", ".join(repr(x) for x in self.ids)
            bits.append(f"{'application' if len(self.ids) == 1 else 'applications'} {listed}")
        if self.category:
            bits.append(f"category {' or '.join(repr(c) for c in self.category)}")
        if self.tag:
            bits.append(f"tag {' or '.join(repr(t) for t in self.tag)}")
        for col, vals in self.where.items():
            bits.append(f"{col} = {' or '.join(repr(v) for v in vals)}")
        return ", ".join(bits) if bits else "all applications"


def kr(v: int) -> str:
    return f"{v:,}".replace(",", " ") + " kr"


def pct(v: float) -> str:
    return f"{v * 100:g} %"


# --------------------------------------------------------------------------- rule kinds
