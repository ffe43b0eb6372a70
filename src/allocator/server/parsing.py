"""Reading a JSON request: decode, refuse what could reach the server's files, validate, check limits.

Bodies are read by the endpoints themselves (not by the framework), so that each failure
has its own status: 400 for a body that is not a JSON object, 422 with the library's message
and the field paths for an invalid problem or request, 422 for a problem over the service's
limits.

Nothing from a request is used as a path: the library accepts a de minimis ledger as a CSV
path, which a service must not open on a caller's word, so a ledger given as text anywhere
in a request is refused (give its entries instead).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from allocator.server.errors import ApiError, FieldError, from_validation
from allocator.server.library import Problem
from allocator.server.settings import Settings

__all__ = ["check_problem", "decode_json", "refuse_paths", "validate"]

M = TypeVar("M", bound=BaseModel)

_FREE_TEXT = ("attributes", "scores")


def decode_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object (400 otherwise)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ApiError(
            400,
            f"the body is not valid JSON ({exc}); send a JSON object with Content-Type: application/json",
            kind="malformed-json",
            title="Malformed JSON",
        ) from None
    if not isinstance(data, dict):
        raise ApiError(
            400,
            f"the body is JSON but not an object (it is a {type(data).__name__}); send an object such as "
            '{"problem": {...}}',
            kind="malformed-json",
            title="Malformed JSON",
        )
    return data


def refuse_paths(data: Any, path: str = "") -> None:
    """422 if a de minimis ``ledger`` is given as text (a file path) anywhere in ``data``."""
    if isinstance(data, dict):
        for k, v in data.items():
            here = f"{path}.{k}" if path else str(k)
            if k == "ledger" and isinstance(v, str):
                raise ApiError(
                    422,
                    f"field '{here}': the service opens no files named in a request; give the de minimis "
                    "ledger as a list of entries (organisation, date, amount, currency), not as a path",
                    kind="invalid-problem",
                    title="Invalid problem",
                    errors=[
                        FieldError(
                            path=here,
                            message="a path is not accepted; give the entries",
                        )
                    ],
                )
            if k not in _FREE_TEXT:
                refuse_paths(v, here)
    elif isinstance(data, list):
        for n, v in enumerate(data):
            refuse_paths(v, f"{path}.{n}")


def check_problem(problem: Problem, settings: Settings, field: str = "problem") -> None:
    """422 when ``problem`` has more applications than the service takes."""
    n = len(problem.applications)
    if n > settings.max_applications:
        raise ApiError(
            422,
            f"field '{field}': {n} applications; this service takes at most {settings.max_applications} "
            "per problem (--max-applications)",
            kind="too-many-applications",
            title="Problem too large",
        )


def validate(model: type[M], data: dict[str, Any], settings: Settings) -> M:
    """``data`` validated as ``model`` (422 with the library's message and field paths)."""
    refuse_paths(data)
    try:
        out = model.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc, model.__name__, data, {("problem",): ("Problem", Problem)}) from None
    problem = getattr(out, "problem", None)
    if isinstance(problem, Problem):
        check_problem(problem, settings)
    return out
