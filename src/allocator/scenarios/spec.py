"""Scenarios as data: how one variant of a call differs from the call itself.

A :class:`Scenario` names other weights, another frame, other options, other or extra
rules, other or perturbed scores (:class:`ScorePerturbation`). It is plain data (pydantic,
frozen, JSON round trip) and :meth:`Scenario.apply` turns it into the variant
:class:`~allocator.model.problem.Problem`, validated like any other. Lists of scenarios come
from :mod:`allocator.scenarios.generators`; :func:`allocator.scenarios.run.run_scenarios`
solves them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from allocator.exceptions import AllocatorError, InputError
from allocator.model import Frozen, Options, Problem
from allocator.model.ids import natural_key

__all__ = ["Scenario", "ScorePerturbation"]


class ScorePerturbation(Frozen):
    """Move every score at random by up to ``spread`` (on the criterion's own scale).

    The draw is reproducible: the same seed on the same call gives the same scores. Each
    score moves by a uniform amount in ``[-spread, +spread]``, is kept within its scale and
    rounded to ``resolution`` (so the scores stay short decimals and the objective exact).

    Parameters
    ----------
    seed
        Seed of the draw.
    spread
        One spread for every criterion, or one per criterion name (others do not move).
    resolution
        Round the moved scores to multiples of this (default 0.01); ``None``: no rounding.
    """

    seed: int
    spread: float | dict[str, float] = Field(default=0.5)
    resolution: float | None = Field(default=0.01, gt=0)

    @field_validator("spread")
    @classmethod
    def _non_negative(cls, v: float | dict[str, float]) -> float | dict[str, float]:
        for s in v.values() if isinstance(v, dict) else [v]:
            if not math.isfinite(s) or s < 0:
                raise ValueError(f"spread {s!r} must be a finite number >= 0")
        return v

    def scores(self, problem: Problem) -> dict[str, dict[str, float]]:
        """The perturbed scores of every application, ``{id: {criterion: score}}``."""

        rng = np.random.default_rng(self.seed)
        crits = problem.criteria
        spread = self.spread
        if isinstance(spread, dict):
            unknown = set(spread) - {c.name for c in crits}
            if unknown:
                raise InputError(
                    f"score perturbation: unknown criteria {sorted(unknown)}; the criteria are {[c.name for c in crits]}"
                )
        spreads = np.array([spread.get(c.name, 0.0) if isinstance(spread, dict) else spread for c in crits])
        apps = sorted(problem.applications, key=lambda a: natural_key(a.id))
        raw = np.array([[a.scores[c.name] for c in crits] for a in apps], dtype=float)
        moved = raw + rng.uniform(-1.0, 1.0, size=raw.shape) * spreads
        lo = np.array([c.scale_min for c in crits])
        hi = np.array([c.scale_max for c in crits])
        moved = np.clip(moved, lo, hi)
        if self.resolution is not None:
            r = self.resolution
            moved = np.clip(np.round(np.round(moved / r) * r, 12), lo, hi)
        moved = np.where(spreads > 0, moved, raw)
        return {a.id: {c.name: float(moved[i, j]) for j, c in enumerate(crits)} for i, a in enumerate(apps)}


class Scenario(Frozen):
    """One variant of a call: what differs from the problem it is applied to.

    Parameters
    ----------
    name
        Unique within a run; the row label of the results.
    weights
        New weights for the named criteria (others keep theirs).
    frame
        Another frame, whole kroner.
    options
        :class:`~allocator.model.problem.Options` fields to change (``{"partial": True}``).
    rules
        Rules used *instead of* the problem's (``()`` drops them all).
    extra_rules
        Rules used *in addition to* the problem's (or to ``rules``).
    scores
        Scores to replace, ``{application id: {criterion: score}}``.
    perturb
        A :class:`ScorePerturbation` applied after ``scores``.
    """

    name: str = Field(min_length=1)
    weights: dict[str, float] | None = None
    frame: int | None = None
    options: dict[str, Any] | None = None
    rules: tuple[Any, ...] | None = None
    extra_rules: tuple[Any, ...] = ()
    scores: dict[str, dict[str, float]] | None = None
    perturb: ScorePerturbation | None = None

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None:
            for k, w in v.items():
                if not math.isfinite(w) or w < 0:
                    raise ValueError(f"weight of {k!r} is {w!r}; give a finite number >= 0")
        return v

    @field_validator("frame", mode="before")
    @classmethod
    def _frame(cls, v: Any) -> Any:
        if v is None:
            return v
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"frame {v!r} must be a whole amount greater than 0")
        return v

    @model_validator(mode="after")
    def _options_known(self) -> Scenario:
        if self.options:
            unknown = set(self.options) - set(Options.model_fields)
            if unknown:
                raise ValueError(f"unknown options {sorted(unknown)}; the options are {sorted(Options.model_fields)}")
        return self

    # ------------------------------------------------------------------ what it changes
    @property
    def changes_structure(self) -> bool:
        """Whether it changes anything but weights and the frame (options, rules, scores)."""
        return bool(self.options or self.rules is not None or self.extra_rules or self.scores or self.perturb)

    def check(self, problem: Problem) -> None:
        """Cheap checks against ``problem`` (names, weights); AllocatorError naming the scenario."""
        names = [c.name for c in problem.criteria]
        if self.weights:
            unknown = set(self.weights) - set(names)
            if unknown:
                raise InputError(
                    f"scenario {self.name!r}: unknown criteria {sorted(unknown)} in weights; the criteria are {names}"
                )
            merged = {c.name: c.weight for c in problem.criteria} | self.weights
            if sum(merged.values()) <= 0:
                raise InputError(
                    f"scenario {self.name!r}: every weight is 0; give at least one criterion a positive weight"
                )
        if self.scores:
            ids = set(problem.ids)
            missing = [k for k in self.scores if k not in ids]
            if missing:
                raise InputError(f"scenario {self.name!r}: unknown application ids {missing[:5]} in scores")

    def apply(self, problem: Problem) -> Problem:
        """The variant of ``problem`` this scenario describes (validated)."""
        self.check(problem)
        update: dict[str, Any] = {}
        if self.weights:
            update["criteria"] = [
                c.model_copy(update={"weight": float(self.weights[c.name])}) if c.name in self.weights else c
                for c in problem.criteria
            ]
        if self.frame is not None:
            update["frame"] = self.frame
        if self.options:
            update["options"] = problem.options.model_dump() | dict(self.options)
        if self.rules is not None or self.extra_rules:
            base = tuple(problem.rules) if self.rules is None else tuple(self.rules)
            update["rules"] = base + tuple(self.extra_rules)
        if self.scores or self.perturb:
            new_scores = {a.id: dict(a.scores) for a in problem.applications}
            for i, s in (self.scores or {}).items():
                new_scores[i].update(s)
            if self.perturb is not None:
                interim = (
                    problem
                    if not self.scores
                    else problem._rebuilt(
                        applications=[a.model_copy(update={"scores": new_scores[a.id]}) for a in problem.applications]
                    )
                )
                new_scores = self.perturb.scores(interim)
            update["applications"] = [a.model_copy(update={"scores": new_scores[a.id]}) for a in problem.applications]
        if not update:
            return problem
        try:
            return problem._rebuilt(**update)
        except AllocatorError as exc:
            raise type(exc)(f"scenario {self.name!r}: {exc}") from None

    def merged(self, other: Scenario, *, sep: str = "+") -> Scenario:
        """This scenario and ``other`` together (AllocatorError if both set the same field)."""
        data: dict[str, Any] = {"name": f"{self.name}{sep}{other.name}"}
        for field in ("weights", "frame", "options", "rules", "scores", "perturb"):
            a, b = getattr(self, field), getattr(other, field)
            if a is not None and b is not None:
                raise InputError(
                    f"scenarios {self.name!r} and {other.name!r} both set {field}; combine lists that change different things"
                )
            data[field] = a if a is not None else b
        data["extra_rules"] = tuple(self.extra_rules) + tuple(other.extra_rules)
        return Scenario(**data)
