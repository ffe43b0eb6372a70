"""Jobs, for long work: submit (202 and a Location), status and result, progress as
Server-Sent Events, cancel.

``POST /v1/jobs`` takes a :data:`~allocator.server.tasks.JobSpec` (``kind`` chooses
scenarios, frame_curve, alternatives or solve). The same request submitted again returns the
same job (200) unless ``?new=true`` asks for a new run (202).
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from allocator.server.errors import ApiError, ProblemDetail, from_validation
from allocator.server.jobs import QueueFull, Runner
from allocator.server.library import Problem
from allocator.server.parsing import check_problem, decode_json, refuse_paths
from allocator.server.routes import json_response, settings_of
from allocator.server.settings import Settings
from allocator.server.store import FINAL, JobRecord
from allocator.server.tasks import JobSpec, parse_spec

__all__ = ["JobOut", "Progress", "router"]

router = APIRouter(prefix="/v1/jobs")

_ID = re.compile(r"^[0-9a-f]{32}$")
_HEARTBEAT_S = 15.0
_POLL_S = 0.1


class Progress(BaseModel):
    """How far a job has come."""

    done: int
    total: int | None = None
    fraction: float | None = Field(default=None, description="done / total, when the total is known.")
    message: str = ""


class JobOut(BaseModel):
    """A job: its state, progress, and the result (done) or the error (failed)."""

    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
    created: str
    started: str | None = None
    finished: str | None = None
    expires: str | None = Field(default=None, description="When the job and its result will be deleted.")
    progress: Progress
    result: Any = Field(
        default=None,
        description="The result, once done (its shape depends on the kind).",
    )
    error: ProblemDetail | None = None
    links: dict[str, str]


def _time(t: float | None) -> str | None:
    return (
        None if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def job_out(rec: JobRecord, result: str | None = None) -> dict[str, Any]:
    """The job as the API shows it (the result, if given, is inserted as JSON text by :func:`_encode`)."""
    frac = rec.done / rec.total if rec.total else None
    out = JobOut(
        id=rec.id,
        kind=rec.kind,
        status=rec.status,  # type: ignore[arg-type]
        created=_time(rec.created) or "",
        started=_time(rec.started),
        finished=_time(rec.finished),
        expires=_time(rec.expires),
        progress=Progress(done=rec.done, total=rec.total, fraction=frac, message=rec.message),
        error=ProblemDetail(**rec.error) if rec.error else None,
        links={"self": f"/v1/jobs/{rec.id}", "events": f"/v1/jobs/{rec.id}/events"},
    )
    data: dict[str, Any] = out.model_dump(mode="json")
    return data


def _encode(rec: JobRecord, result: str | None) -> bytes:
    """The job as JSON, the stored result text spliced in without decoding it."""
    data = job_out(rec)
    data.pop("result", None)
    head = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (head[:-1] + ',"result":' + (result if result is not None else "null") + "}").encode("utf-8")


def _runner(request: Request) -> Runner:
    r: Runner = request.app.state.runner
    return r


def _unknown(job_id: str) -> ApiError:
    return ApiError(
        404,
        f"no job {job_id!r} (unknown, or expired and deleted); submit the request again",
        kind="unknown-job",
        title="Unknown job",
    )


def _record(request: Request, job_id: str) -> JobRecord:
    rec = _runner(request).store.get(job_id) if _ID.match(job_id) else None
    if rec is None:
        raise _unknown(job_id)
    return rec


def _validate(data: dict[str, Any], settings: Settings) -> Any:
    refuse_paths(data)
    try:
        spec = parse_spec(data)
    except ValidationError as exc:
        kind = data.get("kind")
        raise from_validation(exc, "job", data, {(kind, "problem"): ("Problem", Problem)}) from None
    check_problem(spec.problem, settings)
    if getattr(spec, "kind", "") == "scenarios":
        try:
            spec.all_scenarios()  # generators' arguments checked now, not in the worker
        except ValueError as exc:  # AllocatorError is one
            raise ApiError(422, str(exc), kind="invalid-request", title="Invalid request") from None
    return spec


@router.post(
    "",
    status_code=202,
    response_model=JobOut,
    summary="Submit a job",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobSpec"}}},
        }
    },
    responses={
        200: {"description": "The same request's job, as it is", "model": JobOut},
        429: {"model": ProblemDetail},
    },
)
async def post_job(request: Request, new: bool = False) -> Response:
    """Queue a job; 202 with ``Location: /v1/jobs/{id}``. The id derives from the request, so
    the same request returns its existing job (200) unless ``new=true``."""
    body = await request.body()
    settings = settings_of(request)
    runner = _runner(request)

    def work() -> tuple[JobRecord, bool]:
        spec = _validate(decode_json(body), settings)
        canonical = spec.model_dump(mode="json")
        try:
            return runner.submit(spec.kind, canonical, new=new)
        except QueueFull as exc:
            raise ApiError(
                429,
                f"{exc}; try again later",
                kind="queue-full",
                headers={"Retry-After": "10"},
            ) from None

    rec, created = await run_in_threadpool(work)
    result = runner.store.result(rec.id) if rec.status == "done" else None
    return Response(
        _encode(rec, result),
        status_code=202 if created else 200,
        media_type="application/json",
        headers={"Location": f"/v1/jobs/{rec.id}"},
    )


@router.get(
    "/{job_id}",
    response_model=JobOut,
    summary="A job's state, progress and result",
    responses={404: {"model": ProblemDetail}},
)
async def get_job(request: Request, job_id: str, result: bool = True) -> Response:
    """Queued, running (with progress), done (with the result), failed (with the error),
    cancelled or interrupted. ``result=false`` leaves the result out."""
    rec = _record(request, job_id)
    text = _runner(request).store.result(job_id) if result and rec.status == "done" else None
    return Response(_encode(rec, text), media_type="application/json")


@router.delete(
    "/{job_id}",
    response_model=JobOut,
    summary="Cancel a job",
    responses={404: {"model": ProblemDetail}},
)
async def delete_job(request: Request, job_id: str) -> Response:
    """Cancel a queued or running job: a running job's worker process is stopped. A job that
    has already ended is returned as it is."""
    if not _ID.match(job_id):
        raise _unknown(job_id)
    rec = await run_in_threadpool(_runner(request).cancel, job_id)
    if rec is None:
        raise _unknown(job_id)
    return json_response(JobOut(**job_out(rec)))


@router.get(
    "/{job_id}/events",
    summary="A job's progress as Server-Sent Events",
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Events until the job ends",
        },
        404: {"model": ProblemDetail},
    },
)
async def job_events(request: Request, job_id: str) -> StreamingResponse:
    """Server-Sent Events: ``status`` whenever the state or progress changes (data: the job
    without its result), then one event named after the final state, and the stream ends."""
    first = _record(request, job_id)
    store = _runner(request).store

    async def stream() -> Any:
        last: tuple[Any, ...] | None = None
        quiet = 0.0
        rec: JobRecord | None = first
        yield "retry: 1000\n\n"
        while rec is not None:
            key = (rec.status, rec.done, rec.total, rec.message)
            if key != last:
                last, quiet = key, 0.0
                final = rec.status in FINAL
                yield f"event: {rec.status if final else 'status'}\nid: {rec.done}\ndata: {json.dumps(job_out(rec), ensure_ascii=False)}\n\n"
                if final:
                    return
            elif quiet >= _HEARTBEAT_S:
                quiet = 0.0
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(_POLL_S)
            quiet += _POLL_S
            rec = store.get(job_id)
        yield f"event: failed\ndata: {json.dumps({'detail': 'the job expired'})}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


JOB_SCHEMA_MODELS: dict[str, Any] = {"JobSpec": JobSpec}
