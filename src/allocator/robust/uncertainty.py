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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from allocator.exceptions import InputError, PolicyError
from allocator.robust.weights import Frozen, LinearConstraint, WeightInfo, exact

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


# ----------------------------------------------------------------------------- scores
class ScoreIntervals(Frozen):
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
        for k, d in v.items() if isinstance(v, dict) else [("every score", v)]:
            if not math.isfinite(d) or d < 0:
                raise ValueError(f"plus_minus for {k} is {d!r}; give a number >= 0 (on the criterion's own scale)")
        return v

    @field_validator("intervals")
    @classmethod
    def _ordered(cls, v: dict[str, dict[str, tuple[float, float]]]) -> dict[str, dict[str, tuple[float, float]]]:
        for app, crits in v.items():
            for c, (lo, hi) in crits.items():
                if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
                    raise ValueError(
                        f"application {app!r}, criterion {c!r}: interval ({lo}, {hi}) must have low <= high"
                    )
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
            raise InputError(
                f"reviews: missing columns {missing}; the columns are {list(reviews.columns)}", column=missing[0]
            )
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for app, group in reviews.groupby(reviews[id].astype(str), sort=True):
            out[str(app)] = {}
            for crit, header in mapping.items():
                col = group[header]
                if col.isna().any() or not all(isinstance(v, (int, float)) for v in col.tolist()):
                    bad = col[col.isna()].index[0] if col.isna().any() else col.index[0]
                    raise InputError(
                        f"reviews: application {app!r}, column {header!r}: a review score is missing or not a number; "
                        "give every reviewer's score",
                        row=int(bad),
                        column=header,
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
                raise InputError(
                    f"score intervals: unknown application id {app!r}; give the ids of the problem's applications"
                )
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


class Uncertainty(Frozen):
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
            weights=WeightInfo.model_validate(
                {"order": order, "intervals": dict(intervals or {}), "constraints": tuple(constraints)}
            ),
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
            raise PolicyError(
                f'{name}: no [robustness] table; add one with e.g. order = "green >= smart >= others" and plus_minus = 0.5'
            )
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
            raise PolicyError(
                f'{name}: no [robustness] table; add one with e.g. order = "green >= smart >= others" and plus_minus = 0.5'
            )
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
            intervals={
                str(a): {c: tuple(v) for c, v in dict(cs).items()} for a, cs in dict(table.get("scores", {})).items()
            },
        )
    except (InputError, TypeError, ValueError) as exc:
        raise PolicyError(f"{name}, [robustness]: {exc}") from None
    return Uncertainty(weights=weights, scores=scores), settings
