"""Synchronous endpoints, for what solves in seconds: solve, check, explain, rank and fund, example.

Each reads its body itself (:mod:`allocator.server.parsing`) and does the work in a thread
of the server's pool, never in the event loop. A synchronous solve is bounded by the
service's time limit: longer work goes through ``POST /v1/jobs``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from allocator.server import library as lib
from allocator.server.errors import ApiError
from allocator.server.parsing import decode_json, validate
from allocator.server.schemas import (
    CheckRequest,
    CheckResponse,
    ExplainRequest,
    ExplainResponse,
    RankAndFundRequest,
    RankAndFundResponse,
    SolveRequest,
    SolveResponse,
    explanation_out,
    solve_response,
)
from allocator.server.settings import Settings

__all__ = ["body_doc", "json_response", "router", "sync_time_limit"]

router = APIRouter(prefix="/v1")


def body_doc(model: type[Any]) -> dict[str, Any]:
    """OpenAPI for a JSON body read by the endpoint itself (the schema is added to the components)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    }


def json_response(model: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A pydantic model as a JSON response."""
    return Response(
        model.model_dump_json(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def settings_of(request: Request) -> Settings:
    """The service's settings."""
    s: Settings = request.app.state.settings
    return s


def sync_time_limit(requested: float | None, settings: Settings) -> float:
    """The time limit of a synchronous call: the one asked for, at most the service's (422 above it)."""
    if requested is not None and requested > settings.sync_time_limit:
        raise ApiError(
            422,
            f"time_limit {requested:g} s is longer than a synchronous call may take here "
            f"({settings.sync_time_limit:g} s); submit the work as a job (POST /v1/jobs, kind 'solve')",
            kind="time-limit",
            title="Time limit too long",
        )
    return requested if requested is not None else settings.sync_time_limit


async def _parse(request: Request, model: type[Any]) -> Any:
    body = await request.body()
    settings = settings_of(request)
    return await run_in_threadpool(lambda: validate(model, decode_json(body), settings))


def _library(fn: Any, *args: Any, **kw: Any) -> Any:
    try:
        return fn(*args, **kw)
    except lib.AllocatorError as exc:
        raise ApiError.of_library(exc) from None


def solve_now(req: SolveRequest, settings: Settings) -> SolveResponse:
    """Solve (and explain) within the synchronous time limit."""
    limit = sync_time_limit(req.time_limit, settings)
    sol = _library(
        lib.solve,
        req.problem,
        solver=req.solver,
        time_limit=limit,
        raise_on_failure=False,
    )
    explained = None
    if req.explain and sol.status.has_solution:
        explained = _library(lib.explanations, req.problem, sol, time_limit=limit)
    return solve_response(sol, req.lang, explained)


@router.post(
    "/solve",
    response_model=SolveResponse,
    summary="The best portfolio for a problem",
    openapi_extra=body_doc(SolveRequest),
)
async def post_solve(request: Request) -> Response:
    """Solve a problem: status, value, bound and gap, solver and versions, time, the
    tie-break applied, and one decision per application with its reason in words (and with
    ``explain``, its margins). A problem without any portfolio answers 200 with status
    ``infeasible`` and the diagnosis."""
    body = await request.body()
    settings = settings_of(request)

    def work() -> SolveResponse:  # one hop to a thread: parse, validate, solve
        return solve_now(validate(SolveRequest, decode_json(body), settings), settings)

    return json_response(await run_in_threadpool(work))


@router.post(
    "/check",
    response_model=CheckResponse,
    summary="Check a proposed portfolio",
    openapi_extra=body_doc(CheckRequest),
)
async def post_check(request: Request) -> Response:
    """Every violation of the frame, eligibility, grant levels and the call's rules by a
    proposed portfolio (``grants`` per id, or the ``funded`` ids in full)."""
    req: CheckRequest = await _parse(request, CheckRequest)

    def work() -> CheckResponse:
        grants = (
            req.grants
            if req.grants is not None
            else {i: req.problem.application(i).requested for i in req.funded or []}
        )
        res = _library(lib.check, req.problem, grants)
        return CheckResponse(**res.model_dump(), ok=res.ok)

    if req.funded is not None:
        unknown = [i for i in req.funded if i not in set(req.problem.ids)]
        if unknown:
            raise ApiError(
                422,
                f"field 'funded': unknown application ids {unknown[:5]}",
                kind="invalid-request",
                title="Invalid request",
            )
    return json_response(await run_in_threadpool(work))


@router.post(
    "/explain",
    response_model=ExplainResponse,
    summary="Why each application was or was not funded",
    openapi_extra=body_doc(ExplainRequest),
)
async def post_explain(request: Request) -> Response:
    """One explanation per application (input order): reason, margins, largest fundable
    request, what it would displace, and one sentence in ``lang``."""
    req: ExplainRequest = await _parse(request, ExplainRequest)
    settings = settings_of(request)

    def work() -> ExplainResponse:
        limit = sync_time_limit(req.time_limit, settings)
        sol = req.solution
        if sol is None:
            sol = _library(lib.solve, req.problem, time_limit=limit)
        items = _library(
            lib.explanations,
            req.problem,
            sol,
            max_grant=req.max_grant,
            time_limit=limit,
        )
        return ExplainResponse(
            lang=req.lang,
            ids=[e.id for e in items],
            explanations=[explanation_out(e, req.lang) for e in items],
        )

    return json_response(await run_in_threadpool(work))


def rank_and_fund_now(
    problem: lib.Problem, lang: str, time_limit: float | None, settings: Settings
) -> RankAndFundResponse:
    """The optimum, rank and fund, their comparison and the rules the list breaks."""
    limit = sync_time_limit(time_limit, settings)
    opt = _library(lib.solve, problem, time_limit=limit, raise_on_failure=False)
    base = _library(lib.rank_and_fund, problem)
    comparison = lib.compare(opt, base) if opt.status.has_solution else lib.compare(base, base)
    return RankAndFundResponse(
        optimal=solve_response(opt, lang),
        rank_and_fund=solve_response(base, lang),
        comparison=comparison,
        rules_broken=lib.rules_broken(problem, base),
    )


@router.post(
    "/rank-and-fund",
    response_model=RankAndFundResponse,
    summary="The optimum beside ranking by score",
    openapi_extra=body_doc(RankAndFundRequest),
)
async def post_rank_and_fund(request: Request) -> Response:
    """The optimal portfolio, the portfolio of ranking by weighted score and funding down
    the list (within the call's rules), and how they differ."""
    req: RankAndFundRequest = await _parse(request, RankAndFundRequest)
    settings = settings_of(request)
    return json_response(await run_in_threadpool(rank_and_fund_now, req.problem, req.lang, req.time_limit, settings))


@router.get("/example", response_model=lib.Problem, summary="The embedded example problem")
async def get_example(rules: bool = False) -> Response:
    """The embedded example call (illustrative applications) as a Problem, ready to send to
    ``POST /v1/solve`` as ``{"problem": ...}``; ``rules=true`` with the call's rules."""

    def work() -> lib.Problem:
        p = lib.load_example()
        if rules:
            p = lib.load_example_policy().apply(p)
        return p

    return json_response(await run_in_threadpool(work))
