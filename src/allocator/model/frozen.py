"""The base of the call's frozen models: validation errors as AllocatorError, and money.

:class:`Frozen` is the base of every model of the call (frozen, no unknown fields, pydantic's
errors re-raised as one readable :class:`~allocator.exceptions.InputError`);
:func:`whole_amount` validates an amount of money.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from allocator.exceptions import InputError, PolicyError
from allocator.model.amounts import CellError, parse_amount, show

__all__ = ["Frozen", "Money", "format_validation_error", "whole_amount"]

Money = Annotated[int, Field(strict=False)]
"""Whole currency units. Floats with a fractional part are refused."""


def format_validation_error(exc: ValidationError, what: str) -> str:
    """Turn a pydantic ValidationError into one readable paragraph naming each field."""
    parts = []
    errors = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    for err in errors:
        loc_t = tuple(err["loc"])
        if err["type"] == "too_short" and any(o[: len(loc_t)] == loc_t and o != loc_t for o in locs):
            continue  # pydantic's echo of an invalid item ("at least 1 item ..., not 0")
        loc = ".".join(str(p) for p in loc_t)
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, InputError):  # already formatted by a nested model: keep it whole
            parts.append(f"{what}: field '{loc}': {cause}" if loc else str(cause))
            continue
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if not loc:  # a check on the whole model: its message names what it concerns
            parts.append(f"{what}: {msg}")
            continue
        given = err.get("input")
        shown = "" if isinstance(given, (dict, list, tuple)) else f" (given {_given(given)})"
        parts.append(f"{what}: field '{loc}'{shown}: {msg}")
    return "; ".join(parts)


def _given(value: Any) -> str:
    """A given value for a message: its repr, shortened (a huge int is described, not printed)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return show(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:50] + "..."


def _policy_error(exc: ValidationError) -> None:
    """Re-raise a PolicyError raised by a rule's validation as itself (it names the rule)."""
    for err in exc.errors(include_url=False):
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, PolicyError):
            raise PolicyError(str(cause)) from None


class Frozen(BaseModel):
    """Base: frozen, no unknown fields, and pydantic errors re-raised as AllocatorError."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            _policy_error(exc)
            raise InputError(format_validation_error(exc, type(self).__name__)) from None

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            _policy_error(exc)
            raise InputError(format_validation_error(exc, cls.__name__)) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            _policy_error(exc)
            raise InputError(format_validation_error(exc, cls.__name__)) from None


def whole_amount(value: Any, field: str, *, allow_zero: bool = False) -> int:
    """Validate money: whole currency units within the supported range.

    Numbers and text by the one grammar of :mod:`allocator.model.amounts` (``1e6``,
    ``2300000.0`` and ``"2 300 000"`` are fine); at most
    :data:`~allocator.model.limits.MAX_AMOUNT`.
    """
    if isinstance(value, bool):
        raise ValueError(f"{field} must be a whole amount, not a boolean")
    try:
        amount = parse_amount(value)
    except CellError as exc:
        raise ValueError(f"{field} {show(value)} {exc}; give whole kroner") from None
    if amount is None:
        raise ValueError(f"{field} is missing; give whole kroner")
    if amount < 0 or (amount == 0 and not allow_zero):
        least = "at least 0" if allow_zero else "greater than 0"
        raise ValueError(f"{field} {amount} must be {least}; give whole kroner, {least}")
    return amount
