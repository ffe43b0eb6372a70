"""Errors as ``application/problem+json`` (RFC 9457): type, title, status, detail.

Every error the service answers with has this shape. An invalid problem carries the same
message as the library's :class:`~allocator.exceptions.AllocatorError` for the same input,
and, under ``errors``, one entry per field with its path (``problem.applications.3.requested``).

==========  ==========================================================================
status      when
==========  ==========================================================================
400         the body is not JSON (or not a JSON object)
401         a token is configured and the request has none, or another one
404         an unknown (or expired) job, or an unknown address
413         the body is larger than the limit (refused while it is read)
422         an invalid problem or request; a limit on applications or time
429         the job queue is full (``Retry-After`` says when to try again)
==========  ==========================================================================
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from allocator.server.library import (
    AllocatorError,
    PolicyError,
    format_validation_error,
)

__all__ = [
    "PROBLEM_JSON",
    "ApiError",
    "FieldError",
    "ProblemDetail",
    "field_errors",
    "from_validation",
    "problem_response_body",
]

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Malformed request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many jobs",
    500: "Internal error",
}


class FieldError(BaseModel):
    """One invalid field: where (dotted path from the body's top) and what is wrong."""

    path: str
    message: str


class ProblemDetail(BaseModel):
    """An error, as RFC 9457 describes it."""

    type: str = Field(description="A URI naming the kind of error.")
    title: str = Field(description="The kind of error in a few words.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong here and how to fix it.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[FieldError] | None = Field(default=None, description="Invalid fields, with their paths.")


class ApiError(Exception):
    """An error to answer with a problem+json body."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _TITLES.get(status, "error").lower().replace(" ", "-")
        self.title = title or _TITLES.get(status, "Error")
        self.errors = errors
        self.headers = headers or {}

    def body(self, instance: str | None = None) -> ProblemDetail:
        """The problem+json body."""
        return ProblemDetail(
            type=f"urn:allocator:error:{self.kind}",
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )

    @classmethod
    def of_library(cls, exc: AllocatorError) -> ApiError:
        """A 422 carrying the library's message."""
        return cls(
            422,
            str(exc),
            kind="invalid-problem" if not isinstance(exc, PolicyError) else "invalid-policy",
            title="Invalid problem" if not isinstance(exc, PolicyError) else "Invalid policy",
        )


def problem_response_body(err: ApiError, instance: str | None = None) -> bytes:
    """The encoded body of ``err``."""
    return json.dumps(err.body(instance).model_dump(exclude_none=True), ensure_ascii=False).encode("utf-8")


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _policy_cause(exc: ValidationError) -> PolicyError | None:
    for err in exc.errors(include_url=False):
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, PolicyError):
            return cause
    return None


_PART = re.compile(r"; (?=[A-Z][A-Za-z]+: )")
_FIELD = re.compile(r"^([A-Z][A-Za-z]+): field '([^']*)'(?: \(given .*?\))?: (.*)$", re.DOTALL)
_WHOLE = re.compile(r"^([A-Z][A-Za-z]+): (.*)$", re.DOTALL)
_APP = re.compile(r"application '([^']+)'")
_SCORE = re.compile(r"for '([A-Za-z_][A-Za-z0-9_]*)'")


def field_errors(message: str, prefix: str, data: Any = None) -> list[FieldError]:
    """The library's message for an invalid model, one entry per field with its path.

    The library writes nested errors as ``Problem: field 'applications.2': Application: field
    'requested' (given -5): ...``; checks on the whole problem name the application
    (``application 'A-4': score 99 for 'green' ...``), which ``data`` turns into its index.

    >>> [(e.path, e.message) for e in field_errors(
    ...     "Problem: field 'applications.2': Application: field 'requested' (given -5): must be > 0", "problem")]
    [('problem.applications.2.requested', 'must be > 0')]
    """
    out = []
    for part in _PART.split(message):
        path, text = [prefix] if prefix else [], part
        while (m := _FIELD.match(text)) is not None:
            path.append(m.group(2))
            text = m.group(3)
        if len(path) == (1 if prefix else 0) and (w := _WHOLE.match(text)) is not None:
            text = w.group(2)
            app = _APP.search(text)
            apps = data.get("applications") if isinstance(data, dict) else None
            if app and isinstance(apps, list):
                index = next(
                    (k for k, a in enumerate(apps) if isinstance(a, dict) and str(a.get("id")) == app.group(1)),
                    None,
                )
                if index is not None:
                    path.append(f"applications.{index}")
                    score = _SCORE.search(text)
                    if "score" in text and score:
                        path.append(f"scores.{score.group(1)}")
        elif _WHOLE.match(text) and len(path) > (1 if prefix else 0):
            text = _WHOLE.match(text).group(2)  # type: ignore[union-attr]
        out.append(FieldError(path=".".join(p for p in path if p), message=text.strip()))
    return out


def from_validation(
    exc: ValidationError,
    what: str,
    data: Any = None,
    nested: dict[tuple[Any, ...], tuple[str, type[BaseModel]]] | None = None,
) -> ApiError:
    """A 422 for a request that failed validation.

    ``nested`` maps the location of a field holding one of the library's models (``("problem",)``;
    behind a union's tag, ``("solve", "problem")``) to (its name in messages, the model). When
    every error lies under that field, the field is validated alone so that the detail is word
    for word what the library says of the same input (``Problem: field 'applications.0.requested'
    ...``); ``errors`` gives each field's path from the top of the body.
    """
    errs = exc.errors(include_url=False)
    for loc, (name, model) in (nested or {}).items():
        key = loc[-1]
        if errs and all(tuple(e["loc"][: len(loc)]) == loc for e in errs) and isinstance(data, dict):
            value = data.get(key)
            try:
                model.model_validate(value)
            except AllocatorError as lib:  # the library's own message
                detail = str(lib)
            except ValidationError as plain:
                detail = format_validation_error(plain, name)
            else:
                break
            return ApiError(
                422,
                detail,
                kind="invalid-problem",
                title=f"Invalid {name.lower()}",
                errors=field_errors(detail, str(key), value),
            )
    cause = _policy_cause(exc)
    detail = str(cause) if cause is not None else format_validation_error(exc, what)
    errors = []
    for e in errs:
        head = _path(tuple(e["loc"]))
        inner = (e.get("ctx") or {}).get("error")
        if isinstance(inner, AllocatorError):
            value = data.get(e["loc"][0]) if isinstance(data, dict) and len(e["loc"]) == 1 else None
            errors.extend(field_errors(str(inner), head, value))
        else:
            errors.append(FieldError(path=head, message=str(e["msg"]).removeprefix("Value error, ")))
    return ApiError(422, detail, kind="invalid-request", title="Invalid request", errors=errors)
