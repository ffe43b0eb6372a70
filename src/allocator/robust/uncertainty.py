"""Uncertainty as data: what is known about the weights, and how far each score may be off.

Robust Portfolio Modeling (Liesiö, Mild and Salo 2007; Liesiö 2008) replaces the point
weights and scores of a call by sets:

* :class:`WeightInfo`: the admissible weights, as **shares of the total weight** (every
  admissible weight vector is non-negative and sums to 1), limited by any of: an interval
  per weight, a rank order of the criteria (``"green >= smart >= others"``) and general
  linear inequalities (``"green >= 2 * breadth"``, ``"green + smart <= 0.7"``). Nothing
  given: every weight vector of the simplex.
* :class:`ScoreIntervals`: an interval per application and criterion, given directly, taken
  from the reviewers' spread (:meth:`ScoreIntervals.from_reviews`), or a symmetric ``±``
  on every score (per criterion if wanted), clipped to the criterion's scale.

:class:`Uncertainty` holds both; it round-trips through JSON and is read from the
``[robustness]`` table of a policy file (:func:`uncertainty_from_policy`).

Examples
--------
>>> u = Uncertainty(weights=WeightInfo(order="green >= smart >= others"),
...                 scores=ScoreIntervals(plus_minus=0.5))
>>> u.weights.order
('green', 'smart', 'others')
>>> Uncertainty.model_validate_json(u.model_dump_json()) == u
True
>>> WeightInfo(constraints=["green >= 2 * breadth"]).constraints[0].text
'green - 2*breadth >= 0'
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from allocator.exceptions import InputError, PolicyError

if TYPE_CHECKING:
    import pandas as pd

    from allocator.model import Problem

__all__ = [
    "LinearConstraint",
    "ScoreIntervals",
    "Uncertainty",
    "WeightInfo",
    "exact",
    "uncertainty_from_policy",
]

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


class _Model(BaseModel):
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


class LinearConstraint(_Model):
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


class WeightInfo(_Model):
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


# ----------------------------------------------------------------------------- scores
class ScoreIntervals(_Model):
    """How far each score may be off: an interval per application and criterion.

    Parameters
    ----------
    plus_minus
        A symmetric ``±`` on every score (one number), or per criterion
        (``{"green": 0.5, "smart": 1}``; criteria not named are exact). Intervals are clipped
        to the criterion's scale.
    intervals
        Intervals given per application and criterion, ``{id: {criterion: (low, high)}}``;
        they replace ``plus_minus`` where given and must lie within the criterion's scale.
    """

    plus_minus: float | dict[str, float] = 0.0
    intervals: dict[str, dict[str, tuple[float, float]]] = Field(default_factory=dict)

    @field_validator("plus_minus")
    @classmethod
    def _pm(cls, v: float | dict[str, float]) -> float | dict[str, float]:
        for k, d in (v.items() if isinstance(v, dict) else [("every score", v)]):
            if not math.isfinite(d) or d < 0:
                raise ValueError(f"plus_minus for {k} is {d!r}; give a number >= 0 (on the criterion's own scale)")
        return v

    @field_validator("intervals")
    @classmethod
    def _ordered(cls, v: dict[str, dict[str, tuple[float, float]]]) -> dict[str, dict[str, tuple[float, float]]]:
        for app, crits in v.items():
            for c, (lo, hi) in crits.items():
                if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
                    raise ValueError(f"application {app!r}, criterion {c!r}: interval ({lo}, {hi}) must have low <= high")
        return v

    @classmethod
    def from_reviews(
        cls,
        reviews: pd.DataFrame,
        *,
        id: str = "id",
        criteria: Sequence[str] | Mapping[str, str] | None = None,
        how: Literal["range", "sd"] = "range",
        k: float = 1.0,
    ) -> ScoreIntervals:
        """Intervals from the reviewers' spread: one row per review (application id, scores).

        ``how="range"``: from the lowest to the highest review; ``"sd"``: the mean ± ``k``
        standard deviations (sample, ``ddof=1``). ``criteria``: the criterion columns, or a
        mapping ``criterion -> column header``; default every column but ``id``. An application
        reviewed once gets the point interval of its one score.

        >>> import pandas as pd
        >>> df = pd.DataFrame({"id": ["A", "A", "B"], "green": [4, 6, 5]})
        >>> ScoreIntervals.from_reviews(df).intervals
        {'A': {'green': (4.0, 6.0)}, 'B': {'green': (5.0, 5.0)}}
        """
        if id not in reviews.columns:
            raise InputError(f"reviews: no column {id!r} with the application ids; give id='<header>'", column=id)
        if criteria is None:
            mapping = {c: c for c in reviews.columns if c != id}
        elif isinstance(criteria, Mapping):
            mapping = dict(criteria)
        else:
            mapping = {c: c for c in criteria}
        missing = [h for h in mapping.values() if h not in reviews.columns]
        if missing:
            raise InputError(f"reviews: missing columns {missing}; the columns are {list(reviews.columns)}", column=missing[0])
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for app, group in reviews.groupby(reviews[id].astype(str), sort=True):
            out[str(app)] = {}
            for crit, header in mapping.items():
                col = group[header]
                if col.isna().any() or not all(isinstance(v, (int, float)) for v in col.tolist()):
                    bad = col[col.isna()].index[0] if col.isna().any() else col.index[0]
                    raise InputError(
                        f"reviews: application {app!r}, column {header!r}: a review score is missing or not a number; "
                        "give every reviewer's score", row=int(bad), column=header,
                    )
                if how == "range" or len(col) == 1:
                    lo, hi = float(col.min()), float(col.max())
                else:
                    mean, sd = float(col.mean()), float(col.std(ddof=1))
                    lo, hi = round(mean - k * sd, 6), round(mean + k * sd, 6)
                out[str(app)][crit] = (lo, hi)
        return cls(intervals=out)

    def bounds(self, problem: Problem) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
        """Exact raw-score intervals ``(low[i][c], high[i][c])`` for ``problem`` (input order).

        Raises an InputError naming the application, criterion and value when an interval is
        outside the scale, an application id or criterion is unknown.
        """
        names = [c.name for c in problem.criteria]
        pm = self.plus_minus
        if isinstance(pm, dict):
            unknown = sorted(set(pm) - set(names))
            if unknown:
                raise InputError(f"plus_minus names unknown criteria {unknown}; the criteria are {names}")
        ids = set(problem.ids)
        for app, crits in self.intervals.items():
            if app not in ids:
                raise InputError(f"score intervals: unknown application id {app!r}; give the ids of the problem's applications")
            unknown = sorted(set(crits) - set(names))
            if unknown:
                raise InputError(f"score intervals of {app!r}: unknown criteria {unknown}; the criteria are {names}")
        low: list[list[Fraction]] = []
        high: list[list[Fraction]] = []
        for a in problem.applications:
            lo_row, hi_row = [], []
            given = self.intervals.get(a.id, {})
            for c in problem.criteria:
                smin, smax = exact(c.scale_min), exact(c.scale_max)
                if c.name in given:
                    lo, hi = exact(given[c.name][0]), exact(given[c.name][1])
                    if lo < smin or hi > smax:
                        raise InputError(
                            f"application {a.id!r}, criterion {c.name!r}: score interval ({float(lo):g}, {float(hi):g}) "
                            f"lies outside the scale [{c.scale_min:g}, {c.scale_max:g}]; correct the interval or the scale"
                        )
                else:
                    d = exact(pm.get(c.name, 0.0) if isinstance(pm, dict) else pm)
                    x = exact(a.scores[c.name])
                    lo, hi = max(x - d, smin), min(x + d, smax)
                lo_row.append(lo)
                hi_row.append(hi)
            low.append(lo_row)
            high.append(hi_row)
        return low, high


class Uncertainty(_Model):
    """Weight information and score intervals together (see the module docstring)."""

    weights: WeightInfo = Field(default_factory=WeightInfo)
    scores: ScoreIntervals = Field(default_factory=ScoreIntervals)

    @classmethod
    def of(
        cls,
        *,
        order: str | Sequence[str] = (),
        intervals: Mapping[str, tuple[float, float]] | None = None,
        constraints: Sequence[str] = (),
        plus_minus: float | Mapping[str, float] = 0.0,
        score_intervals: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
    ) -> Uncertainty:
        """Shorthand: ``Uncertainty.of(order="green >= smart >= others", plus_minus=0.5)``."""
        return cls(
            weights=WeightInfo.model_validate({"order": order, "intervals": dict(intervals or {}), "constraints": tuple(constraints)}),
            scores=ScoreIntervals(
                plus_minus=dict(plus_minus) if isinstance(plus_minus, Mapping) else plus_minus,
                intervals={k: dict(v) for k, v in (score_intervals or {}).items()},
            ),
        )

    def check(self, problem: Problem) -> None:
        """Names and intervals against ``problem``; an InputError naming what is wrong."""
        self.weights.rows([c.name for c in problem.criteria])
        self.scores.bounds(problem)


_KEYS = ("order", "intervals", "constraints", "plus_minus", "scores", "limit")


def uncertainty_from_policy(source: Any, *, name: str = "policy") -> tuple[Uncertainty, dict[str, Any]]:
    """The ``[robustness]`` table of a policy file: the uncertainty and any settings (``limit``).

    ``source``: a :class:`~allocator.io.policy.Policy` (from :func:`allocator.load_policy`),
    the path of the policy file, or the table itself (as read from TOML).

    The table::

        [robustness]
        order = "green >= smart >= others"       # rank order of the weights
        constraints = ["green <= 0.5"]           # linear inequalities on the shares
        plus_minus = 0.5                         # or a table: green = 0.5, smart = 1
        limit = 5000                             # most non-dominated portfolios to list
        [robustness.intervals]                   # interval per weight share
        green = [0.2, 0.6]
        [robustness.scores."2022-R2-01"]         # an interval per application and criterion
        green = [5, 7]
    """
    if hasattr(source, "robustness") and hasattr(source, "source"):  # a Policy
        name = source.source
        if not source.robustness:
            raise PolicyError(f"{name}: no [robustness] table; add one with e.g. order = \"green >= smart >= others\" and plus_minus = 0.5")
        source = source.robustness
    if isinstance(source, (str, Path)):
        import tomllib

        path = Path(source)
        name = path.name
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise PolicyError(f"{name}: cannot read the policy file ({exc})") from None
        table = raw.get("robustness")
        if table is None:
            raise PolicyError(f"{name}: no [robustness] table; add one with e.g. order = \"green >= smart >= others\" and plus_minus = 0.5")
    else:
        table = dict(source)
    if not isinstance(table, Mapping):
        raise PolicyError(f"{name}, key 'robustness': must be a table ([robustness] with key = value lines)")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise PolicyError(f"{name}, [robustness]: unknown keys {unknown}; the keys are {list(_KEYS)}")
    settings: dict[str, Any] = {}
    if "limit" in table:
        if not isinstance(table["limit"], int) or isinstance(table["limit"], bool) or table["limit"] < 1:
            raise PolicyError(f"{name}, key 'robustness.limit' (given {table['limit']!r}): give a whole number >= 1")
        settings["limit"] = table["limit"]
    try:
        weights = WeightInfo(
            order=table.get("order", ()),
            intervals={k: tuple(v) for k, v in dict(table.get("intervals", {})).items()},
            constraints=table.get("constraints", ()),
        )
        scores = ScoreIntervals(
            plus_minus=table.get("plus_minus", 0.0),
            intervals={str(a): {c: tuple(v) for c, v in dict(cs).items()} for a, cs in dict(table.get("scores", {})).items()},
        )
    except (InputError, TypeError, ValueError) as exc:
        raise PolicyError(f"{name}, [robustness]: {exc}") from None
    return Uncertainty(weights=weights, scores=scores), settings
