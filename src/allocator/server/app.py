"""The FastAPI application: :func:`create_app` puts the endpoints, guards and job runner together.

Endpoints (``/openapi.json`` describes them, generated from the library's own models; the
interactive description is at ``/docs``):

* ``GET /health``; ``GET /`` the advisers' page;
* synchronous: ``POST /v1/solve``, ``/v1/check``, ``/v1/explain``, ``/v1/rank-and-fund``,
  ``/v1/solve/table`` (multipart), ``/v1/policy`` (multipart); ``GET /v1/example``;
* jobs: ``POST /v1/jobs``, ``GET /v1/jobs/{id}``, ``GET /v1/jobs/{id}/events`` (SSE),
  ``DELETE /v1/jobs/{id}``.

Every error is ``application/problem+json`` (:mod:`allocator.server.errors`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from pydantic import TypeAdapter
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException

from allocator.server import page, routes, routes_jobs, routes_robust
from allocator.server.errors import (
    PROBLEM_JSON,
    ApiError,
    FieldError,
    problem_response_body,
)
from allocator.server.jobs import Runner
from allocator.server.library import AllocatorError, __version__
from allocator.server.middleware import BodyLimit, BodyTooLarge, TokenGuard
from allocator.server.schemas import (
    CheckRequest,
    ExplainRequest,
    RankAndFundRequest,
    SolveRequest,
)
from allocator.server.settings import Settings
from allocator.server.store import Store
from allocator.server.tasks import JobSpec

__all__ = ["create_app"]

_log = logging.getLogger("allocator.server")

_DESCRIPTION = """Decide how a public funding frame is best spent: the optimal portfolio of grants within
the frame and the call's rules, proven optimal, with the reason for every decision.

Fast work is synchronous (`POST /v1/solve` ...); long work is a job (`POST /v1/jobs`: 202 and a
`Location`; poll `GET /v1/jobs/{id}` or follow `GET /v1/jobs/{id}/events`; `DELETE` cancels).
Errors are `application/problem+json`. With a token configured, send `Authorization: Bearer <token>`."""


def _problem(err: ApiError, request: Request) -> Response:
    return Response(
        problem_response_body(err, request.url.path),
        status_code=err.status,
        media_type=PROBLEM_JSON,
        headers=err.headers,
    )


def _handlers(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _problem(exc, request)

    async def library_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AllocatorError)
        return _problem(ApiError.of_library(exc), request)

    async def too_large(request: Request, exc: Exception) -> Response:
        limit: int = request.app.state.settings.max_body
        err = ApiError(
            413,
            f"the request body is larger than this service takes ({limit / 1024**2:g} MiB)",
            kind="body-too-large",
        )
        err.headers["Connection"] = "close"
        return _problem(err, request)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"there is no {request.url.path!r} here; see /openapi.json for the endpoints"
        return _problem(ApiError(exc.status_code, detail, headers=dict(exc.headers or {})), request)

    async def invalid_params(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [FieldError(path=".".join(str(p) for p in e["loc"]), message=str(e["msg"])) for e in exc.errors()]
        detail = "; ".join(f"{f.path}: {f.message}" for f in errors)
        return _problem(
            ApiError(
                422,
                detail,
                kind="invalid-request",
                title="Invalid request",
                errors=errors,
            ),
            request,
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        _log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return _problem(
            ApiError(
                500,
                f"unexpected {type(exc).__name__} (please report it with the request)",
                kind="internal",
            ),
            request,
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(AllocatorError, library_error)
    app.add_exception_handler(BodyTooLarge, too_large)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_params)
    app.add_exception_handler(Exception, unexpected)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description, with the request bodies the endpoints read themselves."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    _, defs = models_json_schema(
        [
            (m, "validation")
            for m in (SolveRequest, CheckRequest, ExplainRequest, RankAndFundRequest, routes_robust.RobustRequest)
        ],
        ref_template="#/components/schemas/{model}",
    )
    for name, s in defs.get("$defs", {}).items():
        comps.setdefault(name, s)
    job = TypeAdapter(JobSpec).json_schema(ref_template="#/components/schemas/{model}")
    for name, s in job.pop("$defs", {}).items():
        comps.setdefault(name, s)
    comps["JobSpec"] = job
    schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    if app.state.settings.token:
        schema["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema


def _docs(app: FastAPI) -> None:
    """Interactive docs at ``/docs``: Swagger UI served by this server (``swagger-ui-bundle-v2``,
    part of the server extra), or loaded from its CDN by the browser when that is not installed."""
    from fastapi.openapi.docs import get_swagger_ui_html

    assets: dict[str, Any] = {}
    try:
        from swagger_ui_bundle import swagger_ui_path

        app.mount(
            "/docs-assets",
            StaticFiles(directory=str(swagger_ui_path)),
            name="docs-assets",
        )
        assets = {
            "swagger_js_url": "/docs-assets/swagger-ui-bundle.js",
            "swagger_css_url": "/docs-assets/swagger-ui.css",
            "swagger_favicon_url": "/docs-assets/favicon-32x32.png",
        }
    except ImportError:
        pass

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="allocator API", **assets)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service's ASGI application, configured by ``settings`` (defaults: loopback, no token)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db, ttl=settings.job_ttl)
        runner = Runner(store, settings)
        runner.start()
        app.state.runner = runner
        try:
            yield
        finally:
            runner.close()
            store.close()

    app = FastAPI(
        title="allocator",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
        docs_url=None,
    )
    app.state.settings = settings
    _handlers(app)

    @app.get("/health", summary="Whether the service is up", tags=["service"])
    async def health(request: Request) -> dict[str, Any]:
        """``{"status": "ok", ...}`` with the version and the job queue; needs no token."""
        runner: Runner | None = getattr(request.app.state, "runner", None)
        return {
            "status": "ok",
            "version": __version__,
            "queued": runner.queued() if runner else 0,
        }

    app.include_router(routes.router, tags=["synchronous"])
    app.include_router(routes_jobs.router, tags=["jobs"])
    app.include_router(routes_robust.router, tags=["robustness"])
    app.include_router(page.router, tags=["tables"])
    app.mount("/static", StaticFiles(directory=page.STATIC), name="static")
    _docs(app)
    app.add_middleware(BodyLimit, limit=settings.max_body)
    app.add_middleware(TokenGuard, token=settings.token)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["Location"],
        )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
