"""What is known about the weights: intervals, a rank order, linear constraints.

Weights are **shares of the total weight**: every admissible weight vector is non-negative
and sums to 1. :class:`WeightInfo` limits them by any of an interval per share, a rank order
of the criteria (``"green >= smart >= others"``) and linear inequalities
(:class:`LinearConstraint`, ``"green >= 2 * breadth"``); :meth:`WeightInfo.rows` turns them
into exact rows for :class:`~allocator.robust.polytope.WeightPolytope`.

>>> WeightInfo(constraints=["green >= 2 * breadth"]).constraints[0].text
'green - 2*breadth >= 0'
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from allocator.exceptions import InputError

__all__ = ["OTHERS", "Frozen", "LinearConstraint", "WeightInfo", "exact"]

OTHERS = "others"
"""In a rank order, every criterion the order does not name."""


def exact(x: float | str | Fraction) -> Fraction:
    """The decimal as typed (0.3 is 3/10, not 0.2999...), exactly."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, str):
        return Fraction(x.strip())
    return Fraction(repr(float(x)))


class Frozen(BaseModel):
    """Frozen, no unknown fields; validation errors become one readable InputError."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise InputError(_message(exc, type(self).__name__)) from None

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise InputError(_message(exc, cls.__name__)) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            raise InputError(_message(exc, cls.__name__)) from None


def _message(exc: ValidationError, what: str) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{what}: field '{loc}': {msg}" if loc else f"{what}: {msg}")
    return "; ".join(parts)


# ----------------------------------------------------------------------------- weights
_TERM = re.compile(r"\s*([+-])?\s*(\d+(?:\.\d+)?(?:/\d+)?)?\s*\*?\s*([A-Za-z_][A-Za-z0-9_]*)?\s*")


def _side(text: str, where: str) -> tuple[dict[str, Fraction], Fraction]:
    """A linear expression ``2*green - smart + 0.1`` as coefficients and a constant."""
    coefs: dict[str, Fraction] = {}
    const = Fraction(0)
    pos = 0
    s = text.strip()
    if not s:
        raise ValueError(f"{where}: an empty side; write e.g. 'green >= 2 * breadth'")
    while pos < len(s):
        m = _TERM.match(s, pos)
        if m is None or m.end() == pos or (m.group(2) is None and m.group(3) is None):
            raise ValueError(f"{where}: cannot read {s[pos:]!r}; write terms like '2*green', '0.5 * smart' or '0.1'")
        sign = -1 if m.group(1) == "-" else 1
        if pos > 0 and m.group(1) is None:
            raise ValueError(f"{where}: a '+' or '-' is missing before {s[pos:].strip()!r}")
        num = Fraction(m.group(2)) if m.group(2) else Fraction(1)
        if m.group(3):
            coefs[m.group(3)] = coefs.get(m.group(3), Fraction(0)) + sign * num
        else:
            const += sign * num
        pos = m.end()
    return coefs, const


class LinearConstraint(Frozen):
    """``sum_c coefficients[c] * w_c  (>= or <=)  rhs`` on the weight shares.

    Written as text (``"green >= 2 * breadth"``, ``"green + smart <= 0.7"``) or as the fields.
    """

    coefficients: dict[str, float]
    sense: Literal[">=", "<="]
    rhs: float = 0.0

    @classmethod
    def parse(cls, text: str) -> LinearConstraint:
        """Read ``"green >= 2 * breadth"``."""
        for op in (">=", "<=", "≥", "≤"):
            if op in text:
                left, _, right = text.partition(op)
                break
        else:
            raise InputError(f"weight constraint {text!r}: no '>=' or '<='; write e.g. 'green >= 2 * breadth'")
        try:
            lc, lk = _side(left, f"weight constraint {text!r}")
            rc, rk = _side(right, f"weight constraint {text!r}")
        except ValueError as exc:
            raise InputError(str(exc)) from None
        names = [*lc, *(k for k in rc if k not in lc)]
        coefs = {k: lc.get(k, Fraction(0)) - rc.get(k, Fraction(0)) for k in names}
        coefs = {k: v for k, v in coefs.items() if v != 0}
        if not coefs:
            raise InputError(f"weight constraint {text!r} names no criterion")
        sense: Literal[">=", "<="] = ">=" if op in (">=", "≥") else "<="
        return cls(coefficients={k: float(v) for k, v in coefs.items()}, sense=sense, rhs=float(rk - lk))

    @field_validator("coefficients")
    @classmethod
    def _finite(cls, v: dict[str, float]) -> dict[str, float]:
        for k, c in v.items():
            if not math.isfinite(c):
                raise ValueError(f"coefficient of {k!r} is {c}; give a finite number")
        return v

    @property
    def text(self) -> str:
        """The constraint as it would be written (``"green - 2*breadth >= 0"``)."""
        terms = []
        for k, c in self.coefficients.items():
            f = exact(c)
            mag = "" if abs(f) == 1 else f"{_num(abs(f))}*"
            terms.append(("- " if f < 0 else "+ ") + mag + k)
        lhs = " ".join(terms).removeprefix("+ ")
        if lhs.startswith("- "):
            lhs = "-" + lhs[2:]
        return f"{lhs} {self.sense} {_num(exact(self.rhs))}"

    def exact_row(self, names: Sequence[str]) -> tuple[list[Fraction], Fraction]:
        """``(g, h)`` with ``g . w >= h`` equivalent to this constraint."""
        g = [exact(self.coefficients.get(n, 0.0)) for n in names]
        h = exact(self.rhs)
        if self.sense == "<=":
            return [-x for x in g], -h
        return g, h


def _num(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{float(f):g}"


class WeightInfo(Frozen):
    """The admissible weights: shares of the total weight (non-negative, summing to 1).

    Parameters
    ----------
    intervals
        ``{criterion: (low, high)}`` on the share of that criterion, ``0 <= low <= high <= 1``.
    order
        A rank order, most important first: ``"green >= smart >= others"`` or
        ``["green", "smart", "others"]``; ``others`` stands for every criterion not named.
    constraints
        Linear inequalities on the shares, as text (``"green >= 2 * breadth"``) or
        :class:`LinearConstraint`.
    """

    intervals: dict[str, tuple[float, float]] = Field(default_factory=dict)
    order: tuple[str, ...] = ()
    constraints: tuple[LinearConstraint, ...] = ()

    @field_validator("order", mode="before")
    @classmethod
    def _order(cls, v: Any) -> Any:
        if isinstance(v, str):
            parts = [p.strip() for p in re.split(r">=|≥", v)]
            if any(not p for p in parts):
                raise ValueError(f"rank order {v!r}: write it as 'green >= smart >= others'")
            return tuple(parts)
        return v

    @field_validator("order")
    @classmethod
    def _order_names(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError(f"rank order {' >= '.join(v)!r} names a criterion twice")
        return v

    @field_validator("constraints", mode="before")
    @classmethod
    def _constraints(cls, v: Any) -> Any:
        if isinstance(v, (str, Mapping, LinearConstraint)):
            v = [v]
        return tuple(LinearConstraint.parse(c) if isinstance(c, str) else c for c in v)

    @field_validator("intervals")
    @classmethod
    def _intervals(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for k, (lo, hi) in v.items():
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi <= 1):
                raise ValueError(
                    f"weight interval of {k!r} is ({lo}, {hi}); give 0 <= low <= high <= 1 (shares of the total weight)"
                )
        return v

    def names(self) -> set[str]:
        """Every criterion name this information mentions."""
        out = set(self.intervals) | {n for n in self.order if n != OTHERS}
        for c in self.constraints:
            out |= set(c.coefficients)
        return out

    def rows(self, names: Sequence[str]) -> list[tuple[list[Fraction], Fraction, str]]:
        """Every constraint as ``(g, h, text)``, meaning ``g . w >= h``, besides ``w >= 0`` and ``sum w = 1``."""
        unknown = sorted(self.names() - set(names))
        if unknown:
            raise InputError(f"weight information names unknown criteria {unknown}; the criteria are {list(names)}")
        m = len(names)
        out: list[tuple[list[Fraction], Fraction, str]] = []
        for k, (lo, hi) in self.intervals.items():
            j = list(names).index(k)
            unit = [Fraction(int(t == j)) for t in range(m)]
            if lo > 0:
                out.append((unit, exact(lo), f"{k} >= {lo:g}"))
            if hi < 1:
                out.append(([-x for x in unit], -exact(hi), f"{k} <= {hi:g}"))
        tiers: list[list[str]] = []
        named = {n for n in self.order if n != OTHERS}
        for n in self.order:
            tiers.append([c for c in names if c not in named] if n == OTHERS else [n])
        for upper, lower in itertools.pairwise(tiers):
            for a in upper:
                for b in lower:
                    g = [Fraction(int(c == a)) - Fraction(int(c == b)) for c in names]
                    out.append((g, Fraction(0), f"{a} >= {b}"))
        for c in self.constraints:
            g, h = c.exact_row(names)
            out.append((g, h, c.text))
        return out
