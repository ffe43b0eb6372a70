"""Generators that make lists of scenarios, reproducibly from a seed.

* :func:`weight_grid`: every weight vector on a grid of the simplex;
* :func:`weight_samples`: weight vectors drawn uniformly from the simplex, or from the part
  of it within given intervals (the incomplete weight information of Robust Portfolio
  Modeling);
* :func:`frame_range`: frames over a range;
* :func:`perturbed_scores`: scores moved at random within a given spread;
* :func:`rule_variants`: other or extra rules;
* :func:`combine`: every combination of several lists (weights x frames ...).

Examples
--------
>>> from allocator import Problem, Criterion, Application
>>> p = Problem(frame=100, criteria=[Criterion(name="g", weight=1, scale_max=5),
...                                  Criterion(name="s", weight=1, scale_max=5)],
...     applications=[Application(id="A", requested=60, scores={"g": 5, "s": 1}),
...                   Application(id="B", requested=50, scores={"g": 1, "s": 5}),
...                   Application(id="C", requested=50, scores={"g": 3, "s": 3})])
>>> from allocator.scenarios import run_scenarios
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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from allocator.exceptions import InputError
from allocator.model import Problem
from allocator.scenarios.spec import Scenario, ScorePerturbation

__all__ = ["combine", "frame_range", "perturbed_scores", "rule_variants", "weight_grid", "weight_samples"]


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
            raise InputError(
                f"weight interval {k!r}: ({a}, {b}) must satisfy 0 <= low <= high <= 1 (shares of the total weight)"
            )
        lo[names.index(k)], hi[names.index(k)] = a, b
    if lo.sum() > 1 + 1e-12 or hi.sum() < 1 - 1e-12:
        raise InputError(
            f"weight intervals leave no weights summing to 1: lows add up to {lo.sum():g}, highs to {hi.sum():g}"
        )
    return lo, hi


def _weights_of(names: list[str], k: np.ndarray, total: int) -> dict[str, float]:
    """Shares ``k / total`` as weights, exactly: decimals when ``total`` divides a power of ten
    (1/4 -> 0.25), otherwise the counts ``k`` themselves (2/3, 1/3 -> 2, 1; only the ratios
    of weights matter). Shares rounded to decimals (0.666666666667, 0.333333333333) would
    not be in the ratio 2 : 1, and an application whose value is exactly 0 at 2 : 1 would be
    worth -5e-13 instead."""
    t = total
    while t % 2 == 0:
        t //= 2
    while t % 5 == 0:
        t //= 5
    if t == 1:
        return {n: int(v) / total for n, v in zip(names, k.tolist(), strict=True)}
    return {n: float(int(v)) for n, v in zip(names, k.tolist(), strict=True)}


def weight_grid(
    criteria: Problem | Sequence[str],
    steps: int = 10,
    *,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    prefix: str = "w",
) -> list[Scenario]:
    """Every weight vector whose shares are multiples of ``1 / steps`` (within ``intervals``).

    The weights are the shares when ``1 / steps`` is a short decimal (steps 2, 4, 5, 10,
    20, ...); otherwise they are the whole numbers the shares are multiples of, which are in
    exactly the same ratios (steps 3: 2, 1 for the shares 2/3, 1/3).

    >>> [s.weights for s in weight_grid(["a", "b"], steps=2)]
    [{'a': 0.0, 'b': 1.0}, {'a': 0.5, 'b': 0.5}, {'a': 1.0, 'b': 0.0}]
    >>> [s.weights for s in weight_grid(["a", "b"], steps=3)][1]
    {'a': 1.0, 'b': 2.0}
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


def frame_range(
    start: int, stop: int, *, step: int | None = None, num: int | None = None, prefix: str = "frame"
) -> list[Scenario]:
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
        Scenario(
            name=f"{prefix}-{k + 1:04d}", perturb=ScorePerturbation(seed=int(s), spread=spread, resolution=resolution)
        )
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
