"""The kinds of job: one request model and one function each.

A job's request is a :data:`JobSpec`, a union discriminated by ``kind``. Adding a kind is
adding one model to :data:`JobSpec` and one function to :data:`TASKS`; the runner, the
store, the endpoints and the client need no change. Each function takes the validated
request, a :class:`Context` (progress reporting, the Dask scheduler if configured) and
returns the result as JSON-ready data.

Kinds: ``scenarios`` (a sweep of :class:`~allocator.scenarios.Scenario` s, given or
generated), ``frame_curve`` (the optimal value over a range of frames, beside rank and fund),
``alternatives`` (the k best portfolios, all optima, or diverse ones) and ``solve`` (one
solve of a problem too large for a synchronous call).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from allocator.server import library as lib
from allocator.server.schemas import Lang, solve_response

__all__ = [
    "TASKS",
    "AlternativesJob",
    "Context",
    "FrameCurveJob",
    "JobSpec",
    "ScenariosJob",
    "SolveJob",
    "parse_spec",
    "run_task",
]


@dataclass
class Context:
    """What a task may use besides its request: ``progress(done, total, message)``."""

    progress: Callable[[int, int | None, str], None] = field(default=lambda d, t, m: None)
    dask_scheduler: str | None = None


class _Job(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    problem: lib.Problem


# ---------------------------------------------------------------------- scenarios
class WeightSamples(BaseModel):
    """``n`` weight vectors drawn uniformly (within ``intervals``: shares of the total weight)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["weight_samples"] = "weight_samples"
    n: int = Field(ge=1, le=100_000)
    seed: int = 0
    intervals: dict[str, tuple[float, float]] | None = None


class WeightGrid(BaseModel):
    """Every weight vector whose shares are multiples of ``1 / steps``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["weight_grid"] = "weight_grid"
    steps: int = Field(default=10, ge=1, le=1000)
    intervals: dict[str, tuple[float, float]] | None = None


class FrameRange(BaseModel):
    """Frames from ``start`` to ``stop``, ``num`` of them or every ``step`` kroner."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["frame_range"] = "frame_range"
    start: int = Field(gt=0)
    stop: int = Field(gt=0)
    num: int | None = Field(default=None, ge=1, le=100_000)
    step: int | None = Field(default=None, gt=0)


class PerturbedScores(BaseModel):
    """``n`` scenarios moving every score by up to ``spread``."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["perturbed_scores"] = "perturbed_scores"
    n: int = Field(ge=1, le=100_000)
    seed: int = 0
    spread: float | dict[str, float] = 0.5


Generator = Annotated[
    WeightSamples | WeightGrid | FrameRange | PerturbedScores,
    Field(discriminator="kind"),
]


class ScenariosJob(_Job):
    """Solve every scenario: those given, and every combination of the generated lists."""

    kind: Literal["scenarios"] = "scenarios"
    scenarios: list[lib.Scenario] = Field(default_factory=list, max_length=100_000)
    generate: list[Generator] = Field(
        default_factory=list,
        max_length=4,
        description="Lists combined with each other (weights x frames ...).",
    )
    time_limit: float | None = Field(default=None, gt=0, description="Seconds per scenario.")
    tie_break: bool = True

    @model_validator(mode="after")
    def _some(self) -> ScenariosJob:
        if not self.scenarios and not self.generate:
            raise ValueError(
                "give scenarios, or generate them (weight_samples, weight_grid, frame_range, perturbed_scores)"
            )
        return self

    def all_scenarios(self) -> list[lib.Scenario]:
        """The given scenarios, then the generated ones."""
        lists: list[list[lib.Scenario]] = []
        for g in self.generate:
            if isinstance(g, WeightSamples):
                lists.append(lib.weight_samples(self.problem, g.n, seed=g.seed, intervals=g.intervals))
            elif isinstance(g, WeightGrid):
                lists.append(lib.weight_grid(self.problem, g.steps, intervals=g.intervals))
            elif isinstance(g, FrameRange):
                lists.append(lib.frame_range(g.start, g.stop, step=g.step, num=g.num))
            else:
                lists.append(lib.perturbed_scores(g.n, seed=g.seed, spread=g.spread))
        generated = lib.combine(*lists) if lists else []
        if len(self.scenarios) + len(generated) > 100_000:
            raise lib.InputError(f"{len(self.scenarios) + len(generated)} scenarios; a job runs at most 100 000")
        return [*self.scenarios, *generated]


def _scenarios(spec: ScenariosJob, ctx: Context) -> dict[str, Any]:
    scenarios = spec.all_scenarios()
    total = len(scenarios)
    ctx.progress(0, total, f"0 of {total} scenarios")

    def hook(done: int, total: int) -> None:
        ctx.progress(done, total, f"{done} of {total} scenarios")

    options: dict[str, Any] = {
        "tie_break": spec.tie_break,
        "time_limit": spec.time_limit,
    }
    if ctx.dask_scheduler:
        from distributed import Client

        with Client(ctx.dask_scheduler) as client:  # type: ignore[no-untyped-call]
            res = lib.run_scenarios(
                spec.problem,
                scenarios,
                executor=client.get_executor(),
                progress=hook,
                **options,
            )
    else:
        res = lib.run_scenarios(spec.problem, scenarios, progress=hook, **options)
    summary = res.summary()
    share = res.funding_share().reset_index()
    return {
        "ids": spec.problem.ids,
        "summary": _records(summary),
        "funding_share": _records(share),
        "granted": {o.scenario: (None if o.granted is None else [int(g) for g in o.granted]) for o in res.outcomes},
        "wall_time": res.wall_time,
        "executor": "dask" if ctx.dask_scheduler else "process",
    }


def _records(df: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = df.to_dict(orient="records")
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]


# ---------------------------------------------------------------------- frame curve
class FrameCurveJob(_Job):
    """The optimal value on a grid of frames (or given ``frames``), beside rank and fund."""

    kind: Literal["frame_curve"] = "frame_curve"
    frames: list[int] | None = Field(default=None, max_length=1000)
    n: int = Field(default=25, ge=2, le=1000)
    lo: int = Field(default=0, ge=0)
    hi: int | None = Field(default=None, gt=0)
    baseline: bool = True
    breakpoints: bool = Field(
        default=False,
        description="Also the exact frames at which the optimal value rises.",
    )


def _frame_curve(spec: FrameCurveJob, ctx: Context) -> dict[str, Any]:
    p = spec.problem
    grid = sorted(set(spec.frames)) if spec.frames is not None else _grid(spec)
    pieces = max(1, min(10, len(grid)))
    size = math.ceil(len(grid) / pieces)
    rows: list[dict[str, Any]] = []  # evaluated in pieces, so that progress can be told
    for k in range(0, len(grid), size):
        ctx.progress(k, len(grid), f"{k} of {len(grid)} frames")
        part = lib.frame_curve(p, frames=grid[k : k + size], baseline=spec.baseline)
        rows.extend(_records(part))
    prev: dict[str, Any] | None = None
    for r in rows:  # the marginal value across pieces, as the library defines it
        ok = prev is not None and prev["value"] is not None and r["value"] is not None
        r["marginal"] = (r["value"] - prev["value"]) / (r["frame"] - prev["frame"]) if ok and prev is not None else None
        prev = r
    out: dict[str, Any] = {"frame": p.frame, "curve": rows}
    if spec.breakpoints:
        ctx.progress(len(grid), None, "exact breakpoints")
        out["breakpoints"] = _records(lib.frame_breakpoints(p, spec.lo, spec.hi))
    return out


def _grid(spec: FrameCurveJob) -> list[int]:
    """The grid :func:`allocator.frame_curve` uses by default: ``n`` frames from ``lo`` to
    ``hi`` (the total requested by eligible applications), plus the problem's frame."""
    import numpy as np

    p = spec.problem
    top = spec.hi
    if top is None:  # rank and fund without rules: a list, no solve; it says which are eligible
        top = sum(d.requested for d in lib.rank_and_fund(p, rules=False).decisions if d.eligible)
    if top <= spec.lo:
        raise lib.InputError(f"hi {top} must exceed lo {spec.lo}; give a range of frames")
    grid = {round(float(v)) for v in np.linspace(spec.lo, top, spec.n)}
    if spec.lo <= p.frame <= top:
        grid.add(p.frame)
    return sorted(grid)


# ---------------------------------------------------------------------- alternatives
class AlternativesJob(_Job):
    """Other good portfolios: the ``count`` best, all optima (up to ``count``), or diverse ones."""

    kind: Literal["alternatives"] = "alternatives"
    method: Literal["k_best", "all_optima", "diverse"] = "k_best"
    count: int = Field(default=10, ge=1, le=10_000)
    min_difference: int = Field(
        default=2,
        ge=1,
        description="diverse: applications in which each portfolio differs from every earlier one.",
    )
    within: float = Field(
        default=5.0,
        ge=0,
        description="diverse: percent of the optimum a portfolio may lose.",
    )
    time_limit: float | None = Field(default=None, gt=0, description="Seconds per solve.")


def _alternatives(spec: AlternativesJob, ctx: Context) -> dict[str, Any]:
    ctx.progress(0, None, f"looking for {spec.method.replace('_', ' ')} portfolios")
    if spec.method == "k_best":
        alt = lib.k_best(spec.problem, spec.count, time_limit=spec.time_limit)
    elif spec.method == "all_optima":
        alt = lib.all_optima(spec.problem, spec.count, time_limit=spec.time_limit)
    else:
        alt = lib.diverse(
            spec.problem,
            spec.count,
            min_difference=spec.min_difference,
            within=spec.within,
            time_limit=spec.time_limit,
        )
    data: dict[str, Any] = alt.model_dump(mode="json")
    return data


# ---------------------------------------------------------------------- solve
class SolveJob(_Job):
    """One solve with no synchronous time limit (large problems)."""

    kind: Literal["solve"] = "solve"
    time_limit: float | None = Field(default=None, gt=0)
    rel_gap: float = Field(default=0.0, ge=0, lt=1)
    explain: bool = False
    lang: Lang = "en"


def _solve(spec: SolveJob, ctx: Context) -> dict[str, Any]:
    ctx.progress(0, None, "solving")
    sol = lib.solve(
        spec.problem,
        time_limit=spec.time_limit,
        rel_gap=spec.rel_gap,
        raise_on_failure=False,
    )
    explained = None
    if spec.explain and sol.status.has_solution:
        ctx.progress(0, None, "explaining")
        explained = lib.explanations(spec.problem, sol, time_limit=spec.time_limit)
    data: dict[str, Any] = solve_response(sol, spec.lang, explained).model_dump(mode="json")
    return data


# ---------------------------------------------------------------------- registry
JobSpec = Annotated[
    ScenariosJob | FrameCurveJob | AlternativesJob | SolveJob,
    Field(discriminator="kind"),
]
"""A job's request, by ``kind``."""

TASKS: dict[str, Callable[[Any, Context], dict[str, Any]]] = {
    "scenarios": _scenarios,
    "frame_curve": _frame_curve,
    "alternatives": _alternatives,
    "solve": _solve,
}
"""The function of each kind."""

_ADAPTER: TypeAdapter[Any] = TypeAdapter(JobSpec)


def parse_spec(data: Any) -> Any:
    """Validate a job request (pydantic ValidationError when invalid)."""
    return _ADAPTER.validate_python(data)


def run_task(data: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Validate and run one job request; the result as JSON-ready data."""
    spec = parse_spec(data)
    return TASKS[spec.kind](spec, ctx)
