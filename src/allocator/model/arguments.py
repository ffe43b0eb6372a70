"""Checks of problem_from_frame's arguments (not the table's cells): frame, weights, scales, options."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from allocator.exceptions import InputError
from allocator.model.cells import CellError, parse_amount, parse_number, show
from allocator.model.columns import FIELDS
from allocator.model.limits import check_weight
from allocator.model.parts import Options

__all__ = ["Scale", "check_frame", "check_weights", "make_options", "per_criterion", "scale_of"]

Scale = tuple[float, float]
"""A criterion's scale: (min, max)."""


def check_frame(frame: Any) -> int:
    """The frame as whole kroner > 0 (text such as "2 300 000" accepted)."""
    fix = "give the frame (the total budget) in whole kroner, greater than 0, e.g. frame=2_300_000"
    try:
        amount = parse_amount(frame)
    except CellError as exc:
        raise InputError(f"frame {show(frame)} {exc}; {fix}", column="frame", value=frame) from None
    if amount is None or amount <= 0:
        what = "frame is missing" if amount is None else f"frame {show(frame)} must be greater than 0"
        raise InputError(f"{what}; {fix}", column="frame", value=frame)
    return amount


def check_weights(weights: Any) -> dict[str, float]:
    """Weights as criterion -> float >= 0, not all 0, names that are identifiers and not fields."""
    example = "e.g. weights={'green': 0.4, 'smart': 0.3, 'innovation': 0.3}"
    if not isinstance(weights, Mapping) or not weights:
        raise InputError(
            f"weights {weights!r} name no criterion; give a mapping from criterion (score column) to weight, {example}",
            column="weights",
            value=weights,
        )
    out: dict[str, float] = {}
    for name, w in weights.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(
                f"weights: criterion name {name!r} must be an identifier (letters, digits, _); "
                f"map it to its column by keyword, e.g. weights={{'green': 0.4}}, green={str(name)!r}",
                column=str(name),
                value=name,
            )
        if name in FIELDS:
            raise InputError(
                f"weights: {name!r} is an application field, not a criterion; give criteria such as 'green', {example}",
                column=name,
                value=w,
            )
        try:
            value = parse_number(w)
        except CellError as exc:
            raise InputError(
                f"weights: weight {w!r} of {name!r} {exc}; give a number, {example}", column=name, value=w
            ) from None
        if value is None or value < 0:
            raise InputError(
                f"weights: weight {w!r} of {name!r} must be a number of at least 0; give weights as "
                f"relative importances, {example}",
                column=name,
                value=w,
            )
        out[name] = _weight_in_range(name, w, value, example)
    if sum(out.values()) <= 0:
        raise InputError(
            f"weights: every weight is 0 ({out}); give at least one criterion a positive weight",
            column="weights",
            value=dict(weights),
        )
    return out


def _weight_in_range(name: str, given: Any, value: float, example: str) -> float:
    """The weight, or an InputError naming it when it is outside the supported range."""
    try:
        return check_weight(value)
    except ValueError as exc:
        raise InputError(
            f"weights: weight {show(given)} of {name!r} {exc}; {example}", column=name, value=given
        ) from None


def per_criterion(arg: Any, names: list[str], what: str) -> dict[str, Any]:
    """``arg`` as a mapping over criteria: one value for all, or a mapping with known keys."""
    if arg is None:
        return {}
    if not isinstance(arg, Mapping):
        return {n: arg for n in names}
    unknown = [k for k in arg if k not in names]
    if unknown:
        raise InputError(
            f"{what} names unknown criterion {unknown[0]!r}; correct it to one of the criteria (keys of weights) {names}",
            column=str(unknown[0]),
            value=arg[unknown[0]],
        )
    return dict(arg)


def scale_of(name: str, spec: Any, column: Hashable, observed_max: float | None) -> Scale:
    """(min, max) from a scales entry (a pair or a maximum), or the default (0, ``observed_max``:
    the largest score of the criteria given no scale, shared by all of them)."""
    fix = f"give scales={{{name!r}: (min, max)}} with min < max and max > 0, e.g. (1, 7)"
    what = f"criterion {name!r}" + (f" (column {str(column)!r})" if str(column) != name else "")
    if spec is None:
        return 0.0, (observed_max if observed_max is not None and observed_max > 0 else 1.0)
    lo: float | None
    hi: float | None
    try:
        if isinstance(spec, (tuple, list)):
            if len(spec) != 2:
                raise CellError("is not a pair (min, max)")
            lo, hi = parse_number(spec[0]), parse_number(spec[1])
        else:
            lo, hi = 0.0, parse_number(spec)
    except CellError as exc:
        raise InputError(f"scale {spec!r} of {what} {exc}; {fix}", column=str(column), value=spec) from None
    if lo is None or hi is None or not hi > lo or hi <= 0:
        raise InputError(f"scale {spec!r} of {what} is not a valid range; {fix}", column=str(column), value=spec)
    return lo, hi


def make_options(options: Any, min_total_score: float | None) -> Options:
    """Options from an Options, a dict or None, with ``min_total_score`` set when given."""
    if options is None:
        opts = Options()
    elif isinstance(options, Options):
        opts = options
    elif isinstance(options, Mapping):
        opts = Options(**options)
    else:
        raise InputError(f"options {options!r} must be an Options object or a dict of options", value=options)
    if min_total_score is not None:
        opts = Options(**(opts.model_dump() | {"min_total_score": min_total_score}))
    return opts
