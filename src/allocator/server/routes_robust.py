"""``POST /v1/robust``: which grants hold under any admissible weights and scores.

The body carries the problem and the uncertainty as data (the same JSON as
:class:`allocator.robust.Uncertainty`: weight intervals, a rank order, linear constraints,
score intervals or a ``±``); the answer is the robustness report of
:func:`allocator.robust.robust` (class, core index, sampled acceptability with its standard
error, inclusion probability in the draw and, with ``draw_seed``, the draw's record). The
exact part is bounded by the synchronous time limit: classes still open then are reported
``undecided``, never guessed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from allocator.robust import RobustnessReport, Uncertainty, robust
from allocator.server import library as lib
from allocator.server.routes import _library, _parse, body_doc, json_response, settings_of, sync_time_limit
from allocator.server.schemas import _Request

__all__ = ["MAX_SAMPLES", "RobustRequest", "router"]

router = APIRouter(prefix="/v1")

MAX_SAMPLES = 10_000
"""Most sampled weight and score draws a synchronous call may ask for."""


class RobustRequest(_Request):
    """``POST /v1/robust``: robustness classes, acceptability and the draw for a problem."""

    problem: lib.Problem
    uncertainty: Uncertainty = Field(
        default_factory=Uncertainty,
        description="Weight information (intervals, rank order, linear constraints) and score intervals.",
    )
    time_limit: float | None = Field(
        default=None, gt=0, description="Seconds for the exact part; at most the service's synchronous limit."
    )
    samples: int = Field(
        default=0, ge=0, le=MAX_SAMPLES, description="Sampled acceptability with this many draws (0: none)."
    )
    seed: int = Field(default=0, ge=0, description="Seed of the sampled acceptability (not of the draw).")
    draw_seed: str | None = Field(
        default=None, description="Make the draw among the borderline with this public seed (text)."
    )
    plan: bool = Field(
        default=True,
        description="Publish each borderline application's inclusion probability in the draw (exact where the "
        "borderline set is small, else from simulated orders with its standard error; not bounded by time_limit).",
    )


@router.post(
    "/robust",
    response_model=RobustnessReport,
    summary="Robust classes (core, borderline, exterior), acceptability and a verifiable draw",
    openapi_extra=body_doc(RobustRequest),
)
async def post_robust(request: Request) -> Response:
    """Each application's class under every admissible weight vector and score (funded in
    every non-dominated portfolio, in some, in none), its core index where the set is
    listed, its sampled acceptability with ``samples``, its inclusion probability in the
    draw, and with ``draw_seed`` the draw itself. All-or-nothing funding only: a problem
    allowing partial funding answers 422 with the fix."""
    req: RobustRequest = await _parse(request, RobustRequest)
    settings = settings_of(request)

    def work() -> RobustnessReport:
        limit = sync_time_limit(req.time_limit, settings)
        r = _library(
            robust,
            req.problem,
            req.uncertainty,
            time_limit=limit,
            samples=req.samples,
            seed=req.seed,
            draw_seed=req.draw_seed,
            plan=req.plan,
        )
        report: RobustnessReport = r.report()
        return report

    return json_response(await run_in_threadpool(work))
