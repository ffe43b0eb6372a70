"""The problem to solve: the frame, the criteria and their weights, the applications, the rules.

A :class:`Problem` is a frozen pydantic model built from its parts
(:mod:`allocator.model.parts`), checked as a whole on construction (unique ids, a score for
every criterion within its scale, rules that refer to existing columns), and round-trips
through JSON (``problem.model_dump_json()`` / ``Problem.model_validate_json(text)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from allocator.exceptions import AllocatorError
from allocator.model.limits import MIN_VALUE_SHARE, check_value_spread
from allocator.model.normalise import weighted_value
from allocator.model.parts import Application, Criterion, Frozen, Options, whole_amount
from allocator.model.rules import Rule
from allocator.model.table import fields_from_frame
from allocator.model.table_out import frame_of
from allocator.model.validate import validate_rules

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Problem"]


def _value(p: Problem, a: Application) -> float:
    """An application's weighted, normalised score, summed exactly (a value that is 0 must not
    come out as float noise such as 5.55e-17 and be refused as too small)."""
    return float(weighted_value(p.criteria, a.scores, p.options.normalisation))


def _values(p: Problem) -> list[float]:
    """:func:`_value` of every application, in floats where that gives the same check: only
    an application whose terms differ in sign (which can cancel to an exact 0) or whose value
    is near the smallest allowed is summed exactly (10 000 applications: 0.05 s, not 1 s)."""
    n, crits = len(p.applications), p.criteria
    if n == 0:
        return []
    raw = np.array([[a.scores[c.name] for c in crits] for a in p.applications], dtype=float).reshape(n, len(crits))
    w = np.array([c.weight for c in crits], dtype=float)
    lo = np.array([c.scale_min for c in crits], dtype=float)
    hi = np.array([c.scale_max for c in crits], dtype=float)
    terms = w * ((raw - lo) / (hi - lo) if p.options.normalisation == "range" else raw / hi)
    values = terms.sum(axis=1)
    mags = np.abs(values)
    near = mags < 1e3 * MIN_VALUE_SHARE * float(mags.sum())  # a thousand times the margin, with room
    exact = ((terms < 0).any(axis=1) & (terms > 0).any(axis=1)) | near | ~np.isfinite(values)
    out: list[float] = values.tolist()
    for i in np.flatnonzero(exact).tolist():
        out[i] = _value(p, p.applications[i])
    return out


def _unique(names: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ValueError(
                f"{what} {n!r} appears more than once; {what}s must be unique (compared after Unicode "
                f"normalisation, without invisible characters): give each its own"
            )
        seen.add(n)


class Problem(Frozen):
    """A call to decide: the frame, the criteria and their weights, the applications.

    Build one from a table with :meth:`from_frame` (or :func:`allocator.read_problem` for
    CSV, Excel and JSON files, :func:`allocator.read_pabulib` for Pabulib), or directly::

        >>> from allocator import Problem, Criterion, Application
        >>> p = Problem(
        ...     frame=100_000,
        ...     criteria=[Criterion(name="green", weight=1, scale_max=5)],
        ...     applications=[
        ...         Application(id="A", requested=60_000, scores={"green": 4}),
        ...         Application(id="B", requested=50_000, scores={"green": 3}),
        ...     ],
        ... )
        >>> p.total_requested
        110000
    """

    name: str = ""
    currency: str = "NOK"
    frame: int
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    applications: tuple[Application, ...] = Field(min_length=1)
    options: Options = Field(default_factory=Options)
    rules: tuple[Rule, ...] = ()
    """The call's rules (caps, floors, locks, co-financing, de minimis ...): :mod:`allocator.rules`."""

    @field_validator("frame", mode="before")
    @classmethod
    def _frame(cls, v: Any) -> int:
        return whole_amount(v, "frame")

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        _unique((c.name for c in self.criteria), "criterion")
        _unique((a.id for a in self.applications), "application id")
        if sum(c.weight for c in self.criteria) <= 0:
            raise ValueError("all criterion weights are 0; give at least one a positive weight")
        names = {c.name for c in self.criteria}
        for a in self.applications:
            missing = names - a.scores.keys()
            if missing:
                raise ValueError(
                    f"application '{a.id}' has no score for {sorted(missing)}; give a score for every criterion"
                )
            extra = a.scores.keys() - names
            if extra:
                raise ValueError(
                    f"application '{a.id}' has scores for unknown criteria {sorted(extra)}; "
                    f"the criteria are {sorted(names)}"
                )
            for c in self.criteria:
                s = a.scores[c.name]
                if not (c.scale_min <= s <= c.scale_max):
                    raise ValueError(
                        f"application '{a.id}': score {s} for '{c.name}' lies outside its scale "
                        f"[{c.scale_min:g}, {c.scale_max:g}]; correct the score or the scale"
                    )
            for k, (lo, hi) in a.spread.items():
                if k not in names:
                    raise ValueError(
                        f"application '{a.id}' has a spread for unknown criterion {k!r}; the criteria are {sorted(names)}"
                    )
                if not lo - 1e-9 <= a.scores[k] <= hi + 1e-9:
                    raise ValueError(
                        f"application '{a.id}': the spread ({lo:g}, {hi:g}) of '{k}' does not contain its score "
                        f"{a.scores[k]:g}; give the lowest and highest reviewer score"
                    )
        check_value_spread([a.id for a in self.applications], _values(self))
        if self.options.tie_break is not None:
            for key in self.options.tie_break:
                if key.lstrip("-") not in names | {"granted"}:
                    raise ValueError(
                        f"tie_break key {key!r} is neither a criterion ({sorted(names)}) nor 'granted' / '-granted'"
                    )
        if self.rules:
            validate_rules(self)
        return self

    # ------------------------------------------------------------------ views
    @property
    def ids(self) -> list[str]:
        """Application ids in input order."""
        return [a.id for a in self.applications]

    @property
    def total_requested(self) -> int:
        """Sum of all requested amounts."""
        return sum(a.requested for a in self.applications)

    @property
    def weights(self) -> dict[str, float]:
        """Criterion weights by name."""
        return {c.name: c.weight for c in self.criteria}

    def criterion(self, name: str) -> Criterion:
        """The criterion called ``name``; AllocatorError naming the known ones otherwise."""
        for c in self.criteria:
            if c.name == name:
                return c
        raise AllocatorError(f"unknown criterion {name!r}; the criteria are {[c.name for c in self.criteria]}")

    def application(self, id: str) -> Application:
        """The application with this id; AllocatorError otherwise."""
        for a in self.applications:
            if a.id == id:
                return a
        raise AllocatorError(f"unknown application id {id!r}")

    # -------------------------------------------------------------- variants
    def with_weights(self, weights: Mapping[str, float] | None = None, /, **kw: float) -> Problem:
        """A copy with new weights for the named criteria (others keep theirs)."""
        new = dict(weights or {}, **kw)
        unknown = set(new) - {c.name for c in self.criteria}
        if unknown:
            raise AllocatorError(
                f"unknown criteria in weights: {sorted(unknown)}; the criteria are {[c.name for c in self.criteria]}"
            )
        # Criterion(...) validates the weight (model_copy would not: -1 or nan would slip through)
        crits = [Criterion(**(c.model_dump() | {"weight": new[c.name]})) if c.name in new else c for c in self.criteria]
        return self._rebuilt(criteria=crits)

    def with_frame(self, frame: int) -> Problem:
        """A copy with another frame."""
        return self._rebuilt(frame=frame)

    def with_options(self, **options: Any) -> Problem:
        """A copy with some options changed (``partial=True``, ``step=5000`` ...)."""
        return self._rebuilt(options=self.options.model_dump() | options)

    def _rebuilt(self, **update: Any) -> Problem:
        """Copy with validation (model_copy alone would skip it)."""
        data = {k: getattr(self, k) for k in type(self).model_fields}
        data.update(update)
        return type(self)(**data)

    # ------------------------------------------------------------- adapters
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        frame: int,
        weights: Mapping[str, float],
        **kwargs: Any,
    ) -> Problem:
        """Build a problem from a DataFrame; see :func:`allocator.model.table.fields_from_frame`
        for the parameters (scales, thresholds, labels, options, column mapping ...)."""
        return cls(**fields_from_frame(df, frame=frame, weights=weights, **kwargs))

    def to_frame(self) -> pd.DataFrame:
        """The applications as a DataFrame (one row each, one column per criterion)."""
        return frame_of(self.applications, self.criteria)
