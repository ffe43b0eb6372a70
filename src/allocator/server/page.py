"""The advisers' page at ``/`` and the form endpoints it uses.

The page is package data (``static/``): plain HTML, one script and one style sheet, nothing
loaded from anywhere else. It calls ``POST /v1/policy`` to prefill the frame and weights
from a policy, ``POST /v1/solve/table`` for the decisions and the comparison (and, with
``Accept`` set to the Excel type, for the report), and a ``frame_curve`` job for the chart.
"""

from __future__ import annotations

import json
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from allocator.server import library as lib
from allocator.server.errors import ApiError
from allocator.server.routes import rank_and_fund_now, settings_of, sync_time_limit
from allocator.server.tables import (
    XLSX,
    Form,
    build_problem,
    ledger_names,
    policy_summary,
    read_policy,
    report_bytes,
)

__all__ = ["STATIC", "json_response_dict", "router"]

STATIC = Path(str(files("allocator.server") / "static"))
"""The page's files."""

router = APIRouter()

_TEXT = {"type": "string"}
_FILE = {"type": "string", "format": "binary"}
_FORM_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["applications"],
                    "properties": {
                        "applications": _FILE | {"description": "The table of applications: .csv, .xlsx or .json."},
                        "policy": _FILE
                        | {"description": "A TOML policy (frame, weights, scales, columns, options, rules)."},
                        "ledger": _FILE | {"description": "The de minimis ledger (CSV) the policy names."},
                        "frame": _TEXT | {"description": "Whole kroner; overrides the policy's."},
                        "weights": _TEXT
                        | {"description": "green=0.4; smart=0.3 (or a JSON object); override the policy's."},
                        "scales": _TEXT | {"description": "green=1:7; ..."},
                        "thresholds": _TEXT | {"description": "green=3; ..."},
                        "columns": _TEXT | {"description": "requested=Søknadsbeløp; ..."},
                        "sheet": _TEXT,
                        "name": _TEXT,
                        "lang": {"type": "string", "enum": ["en", "nb"]},
                        "explain": {"type": "boolean"},
                        "partial": {"type": "boolean"},
                        "include_problem": {"type": "boolean"},
                    },
                }
            }
        },
    }
}


async def _form(request: Request) -> Form:
    out: Form = {}
    async with request.form(max_files=3, max_fields=30, max_part_size=1024**2) as form:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                out[key] = (value.filename or "", await value.read())
            else:
                out[key] = value
    return out


def _lang(form: Form) -> str:
    lang = str(form.get("lang", "en")).strip() or "en"
    if lang not in ("en", "nb"):
        raise ApiError(
            422,
            f"field 'lang': {lang!r} is not supported; use 'en' or 'nb'",
            kind="invalid-form",
            title="Invalid form",
        )
    return lang


@router.post(
    "/v1/solve/table",
    summary="Solve an uploaded table of applications",
    openapi_extra=_FORM_DOC,
    responses={
        200: {
            "content": {"application/json": {}, XLSX: {}},
            "description": "The decisions as JSON, or the Excel report",
        }
    },
)
async def post_solve_table(request: Request) -> Response:
    """The optimum beside rank and fund (as ``POST /v1/rank-and-fund``) for an uploaded
    table; the Excel report instead when ``Accept`` names its type."""
    form = await _form(request)
    settings = settings_of(request)
    lang = _lang(form)
    wants_xlsx = XLSX in request.headers.get("accept", "")
    explain = str(form.get("explain", "")).lower() in ("1", "true", "on", "yes")
    include = str(form.get("include_problem", "")).lower() in ("1", "true", "on", "yes")

    def work() -> Response:
        problem = build_problem(form, settings)
        if wants_xlsx:
            sol = lib.solve(
                problem,
                time_limit=sync_time_limit(None, settings),
                raise_on_failure=False,
            )
            body = report_bytes(problem, sol, lib.rank_and_fund(problem), lang, explain)
            return Response(
                body,
                media_type=XLSX,
                headers={"Content-Disposition": 'attachment; filename="allocator-report.xlsx"'},
            )
        data: dict[str, Any] = rank_and_fund_now(problem, lang, None, settings).model_dump(mode="json")
        if include:
            data["problem"] = problem.model_dump(mode="json")
        return json_response_dict(data)

    return await run_in_threadpool(work)


@router.post(
    "/v1/policy",
    summary="Read a policy file",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["policy"],
                        "properties": {
                            "policy": _FILE,
                            "ledger": _FILE,
                            "prefill": {"type": "boolean"},
                        },
                    }
                }
            },
        }
    },
)
async def post_policy(request: Request) -> Response:
    """The frame, weights, labels, scales, options and rules of an uploaded TOML policy
    (what the page prefills), or the policy's error with its line. ``ledger`` names the de
    minimis ledger the policy refers to; ``prefill=true`` reads the policy even when that
    ledger is not uploaded yet."""
    form = await _form(request)
    prefill = str(form.get("prefill", "")).lower() in ("1", "true", "on", "yes")
    if "policy" not in form:
        raise ApiError(
            422,
            "field 'policy': upload a TOML policy file",
            kind="invalid-form",
            title="Invalid form",
        )

    def work() -> Response:
        with tempfile.TemporaryDirectory(prefix="allocator-policy-") as tmp:
            policy = read_policy(form, Path(tmp), need_ledger=not prefill)
        assert policy is not None
        names = ledger_names(form)
        return json_response_dict(policy_summary(policy) | {"ledger": names[0] if names else None})

    return await run_in_threadpool(work)


def json_response_dict(data: dict[str, Any]) -> Response:
    """A dict as a JSON response."""
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")


_SAMPLES: dict[str, tuple[Path, str]] = {
    "applications.csv": (lib.EXAMPLE_CSV, "text/csv; charset=utf-8"),
    "policy.toml": (lib.EXAMPLE_POLICY, "application/toml; charset=utf-8"),
    "de_minimis.csv": (
        lib.EXAMPLE_POLICY.parent / "vtfk_2022_round2_de_minimis.csv",
        "text/csv; charset=utf-8",
    ),
}


@router.get(
    "/v1/example/files/{name}",
    summary="The example's table, policy and ledger as files",
)
async def get_example_file(name: str) -> Response:
    """``applications.csv``, ``policy.toml`` (it names its ledger ``vtfk_2022_round2_de_minimis.csv``)
    or ``de_minimis.csv``: the embedded example (illustrative applications) as files to upload."""
    if name not in _SAMPLES:
        raise ApiError(
            404,
            f"no example file {name!r}; there are {sorted(_SAMPLES)}",
            kind="not-found",
        )
    path, media = _SAMPLES[name]
    return FileResponse(path, media_type=media, filename=name)


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    """The advisers' page."""
    return FileResponse(
        STATIC / "index.html",
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )
