"""Scenarios as data, generators that make thousands of them, and :func:`run_scenarios`.

A :class:`Scenario` says how one variant of a call differs from the call itself: other
weights, another frame, other options, other or extra rules, other or perturbed scores.
It is plain data (pydantic, frozen, JSON round trip) and :meth:`Scenario.apply` turns it
into the variant :class:`~allocator.model.Problem`, validated like any other.

Generators build lists of scenarios, reproducibly from a seed:

* :func:`weight_grid`: every weight vector on a grid of the simplex;
* :func:`weight_samples`: weight vectors drawn uniformly from the simplex, or from the part
  of it within given intervals (the incomplete weight information of Robust Portfolio
  Modeling);
* :func:`frame_range`: frames over a range;
* :func:`perturbed_scores`: scores moved at random within a given spread;
* :func:`rule_variants`: other or extra rules;
* :func:`combine`: every combination of several lists (weights x frames ...).

:func:`run_scenarios` solves them all, serially or on any ``concurrent.futures`` executor
(a process pool on one machine, ``dask.distributed``'s ``Client.get_executor()`` on a
cluster), and returns a :class:`~allocator.scenario_results.ScenarioResults`.

Examples
--------
>>> from allocator import Problem, Criterion, Application
>>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=5),
...                                  Criterion(name="s", weight=1, scale_max=5)],
...     applications=[Application(id="A", requested=60, scores={"g": 5, "s": 1}),
...                   Application(id="B", requested=50, scores={"g": 1, "s": 5}),
...                   Application(id="C", requested=50, scores={"g": 3, "s": 3})])
>>> res = run_scenarios(p, weight_grid(p, steps=2), progress=False)
>>> [s.weights for s in res.scenarios]
[{'g': 0.0, 's': 1.0}, {'g': 0.5, 's': 0.5}, {'g': 1.0, 's': 0.0}]
>>> res.summary()[["scenario", "value", "n_funded"]].round(3).values.tolist()
[['w-0001', 1.6, 2], ['w-0002', 1.2, 2], ['w-0003', 1.0, 1]]
>>> res.funding_share()["funded_share"].round(2).tolist()
[0.33, 0.67, 0.67]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field, field_validator, model_validator

from allocator.exceptions import AllocatorError, InputError
from allocator.model import Options, Problem, _Frozen

if TYPE_CHECKING:
    from allocator.scenario_results import ScenarioResults

__all__ = [
    "Scenario",
    "ScorePerturbation",
    "combine",
    "frame_range",
    "perturbed_scores",
    "process_pool",
    "rule_variants",
    "run_scenarios",
    "weight_grid",
    "weight_samples",
]


class ScorePerturbation(_Frozen):
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
        from allocator.formulation import natural_key

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


class Scenario(_Frozen):
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
        :class:`~allocator.model.Options` fields to change (``{"partial": True}``).
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
                raise InputError(f"scenario {self.name!r}: unknown criteria {sorted(unknown)} in weights; the criteria are {names}")
            merged = {c.name: c.weight for c in problem.criteria} | self.weights
            if sum(merged.values()) <= 0:
                raise InputError(f"scenario {self.name!r}: every weight is 0; give at least one criterion a positive weight")
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
                interim = problem if not self.scores else problem._rebuilt(
                    applications=[a.model_copy(update={"scores": new_scores[a.id]}) for a in problem.applications]
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
                raise InputError(f"scenarios {self.name!r} and {other.name!r} both set {field}; combine lists that change different things")
            data[field] = a if a is not None else b
        data["extra_rules"] = tuple(self.extra_rules) + tuple(other.extra_rules)
        return Scenario(**data)


# ---------------------------------------------------------------------- generators
def _criteria(criteria: Problem | Sequence[str]) -> list[str]:
    names = [c.name for c in criteria.criteria] if isinstance(criteria, Problem) else list(criteria)
    if not names or len(set(names)) != len(names):
        raise InputError(f"give the criteria as a problem or a list of distinct names (got {names!r})")
    return names


def _intervals(names: list[str], intervals: Mapping[str, tuple[float, float]] | None) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.zeros(len(names)), np.ones(len(names))
    for k, iv in (intervals or {}).items():
        if k not in names:
            raise InputError(f"weight interval for unknown criterion {k!r}; the criteria are {names}")
        a, b = float(iv[0]), float(iv[1])
        if not (0 <= a <= b <= 1):
            raise InputError(f"weight interval {k!r}: ({a}, {b}) must satisfy 0 <= low <= high <= 1 (shares of the total weight)")
        lo[names.index(k)], hi[names.index(k)] = a, b
    if lo.sum() > 1 + 1e-12 or hi.sum() < 1 - 1e-12:
        raise InputError(
            f"weight intervals leave no weights summing to 1: lows add up to {lo.sum():g}, highs to {hi.sum():g}"
        )
    return lo, hi


def _weights_of(names: list[str], k: np.ndarray, total: int) -> dict[str, float]:
    return {n: round(int(v) / total, 12) for n, v in zip(names, k.tolist(), strict=True)}


def weight_grid(
    criteria: Problem | Sequence[str],
    steps: int = 10,
    *,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    prefix: str = "w",
) -> list[Scenario]:
    """Every weight vector whose shares are multiples of ``1 / steps`` (within ``intervals``).

    >>> [s.weights for s in weight_grid(["a", "b"], steps=2)]
    [{'a': 0.0, 'b': 1.0}, {'a': 0.5, 'b': 0.5}, {'a': 1.0, 'b': 0.0}]
    """
    names = _criteria(criteria)
    if steps < 1:
        raise InputError(f"steps {steps} must be at least 1")
    lo, hi = _intervals(names, intervals)
    m = len(names)
    out: list[Scenario] = []
    for bars in itertools.combinations(range(steps + m - 1), m - 1):
        edges = np.array((-1, *bars, steps + m - 1))
        k = np.diff(edges) - 1
        share = k / steps
        if np.any(share < lo - 1e-12) or np.any(share > hi + 1e-12):
            continue
        out.append(Scenario(name=f"{prefix}-{len(out) + 1:04d}", weights=_weights_of(names, k, steps)))
    return out


def weight_samples(
    criteria: Problem | Sequence[str],
    n: int,
    seed: int = 0,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    *,
    resolution: int = 1000,
    prefix: str = "w",
) -> list[Scenario]:
    """``n`` weight vectors drawn uniformly from the simplex (within ``intervals``).

    Shares are multiples of ``1 / resolution``: the draw is uniform over those grid points
    of the simplex that satisfy the intervals (``{criterion: (low, high)}`` on shares of the
    total weight). Round weights keep the objective exactly integer-scaled.

    >>> [s.weights for s in weight_samples(["a", "b", "c"], 2, seed=1)]
    [{'a': 0.473, 'b': 0.038, 'c': 0.489}, {'a': 0.034, 'b': 0.916, 'c': 0.05}]
    """
    names = _criteria(criteria)
    if n < 0 or resolution < 1:
        raise InputError(f"n ({n}) must be >= 0 and resolution ({resolution}) >= 1")
    lo, hi = _intervals(names, intervals)
    m = len(names)
    low = np.ceil(lo * resolution - 1e-9).astype(np.int64)
    high = np.floor(hi * resolution + 1e-9).astype(np.int64)
    free = resolution - int(low.sum())
    if free < 0 or high.sum() < resolution:
        raise InputError(f"weight intervals leave no grid point at resolution {resolution}; widen them")
    rng = np.random.default_rng(seed)
    out: list[Scenario] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 1000 * max(n, 1) + 10_000:
            raise InputError("weight intervals are too narrow to sample from; widen them or use weight_grid")
        bars = np.sort(rng.choice(free + m - 1, size=m - 1, replace=False)) if m > 1 else np.zeros(0, dtype=np.int64)
        k = np.diff(np.concatenate([[-1], bars, [free + m - 1]])) - 1 + low
        if np.any(k > high):
            continue
        out.append(Scenario(name=f"{prefix}-{len(out) + 1:04d}", weights=_weights_of(names, k, resolution)))
    return out


def frame_range(start: int, stop: int, *, step: int | None = None, num: int | None = None, prefix: str = "frame") -> list[Scenario]:
    """Frames from ``start`` to ``stop`` inclusive, every ``step`` kroner or ``num`` of them.

    >>> [s.frame for s in frame_range(1_000_000, 2_000_000, num=3)]
    [1000000, 1500000, 2000000]
    """
    if start <= 0 or stop < start:
        raise InputError(f"frame range {start}..{stop}: give 0 < start <= stop, whole kroner")
    if (step is None) == (num is None):
        raise InputError("give either step (kroner) or num (how many frames)")
    if step is not None:
        if step <= 0:
            raise InputError(f"step {step} must be greater than 0")
        frames = list(range(int(start), int(stop) + 1, int(step)))
    else:
        assert num is not None
        if num < 1:
            raise InputError(f"num {num} must be at least 1")
        frames = sorted({round(float(v)) for v in np.linspace(start, stop, num)})
    return [Scenario(name=f"{prefix}-{f}", frame=f) for f in frames]


def perturbed_scores(
    n: int,
    seed: int = 0,
    spread: float | dict[str, float] = 0.5,
    *,
    resolution: float | None = 0.01,
    prefix: str = "scores",
) -> list[Scenario]:
    """``n`` scenarios, each moving every score by up to ``spread`` (see :class:`ScorePerturbation`).

    >>> [s.perturb.seed for s in perturbed_scores(2, seed=7)]
    [2029167940, 1342382291]
    """
    if n < 0:
        raise InputError(f"n ({n}) must be >= 0")
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=n).tolist()
    return [
        Scenario(name=f"{prefix}-{k + 1:04d}", perturb=ScorePerturbation(seed=int(s), spread=spread, resolution=resolution))
        for k, s in enumerate(seeds)
    ]


def rule_variants(variants: Mapping[str, Sequence[Any]], *, replace: bool = False) -> list[Scenario]:
    """One scenario per named set of rules, added to the problem's (or replacing them)."""
    if replace:
        return [Scenario(name=k, rules=tuple(v)) for k, v in variants.items()]
    return [Scenario(name=k, extra_rules=tuple(v)) for k, v in variants.items()]


def combine(*groups: Iterable[Scenario], sep: str = "+") -> list[Scenario]:
    """Every combination of one scenario from each group (weights x frames x ...)."""
    out: list[Scenario] = []
    for combo in itertools.product(*[list(g) for g in groups]):
        s = combo[0]
        for t in combo[1:]:
            s = s.merged(t, sep=sep)
        out.append(s)
    return out


# ---------------------------------------------------------------------- running
def process_pool(max_workers: int | None = None) -> Executor:
    """A process pool that starts its workers with 'spawn' (HiGHS deadlocks forked children)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"))


def run_scenarios(
    problem: Problem,
    scenarios: Sequence[Scenario],
    executor: Executor | None = None,
    progress: bool = True,
    **solve_options: Any,
) -> ScenarioResults:
    """Solve every scenario of ``problem``; see :func:`allocator.scenario_results.run`.

    ``executor``: ``None`` runs serially in this process; any ``concurrent.futures.Executor``
    runs chunks of scenarios on it (a :func:`process_pool`, or ``Client.get_executor()`` of
    ``dask.distributed``). ``progress``: a tqdm progress bar when tqdm is installed.
    ``solve_options``: ``tie_break`` (default True: the same decisions as
    :func:`allocator.solve`), ``time_limit`` (seconds per scenario), ``rel_gap``,
    ``threads``, ``solver``, ``knapsack`` (the exact knapsack fast path, default True),
    ``chunksize`` and ``raise_on_failure`` (default False: failures are rows of the results).
    """
    from allocator.scenario_results import run

    return run(problem, scenarios, executor=executor, progress=progress, **solve_options)
