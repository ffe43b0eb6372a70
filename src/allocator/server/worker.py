"""The job worker: a process of its own (started with 'spawn') that runs one job at a time.

It reads ``(job id, request)`` from its pipe, runs the job's task and sends back messages:
``("progress", id, done, total, message)`` (at most five a second), then
``("done", id, result JSON text)`` or ``("failed", id, problem details)``. Cancelling a job
terminates the whole process; the runner starts a new one. The worker needs neither FastAPI
nor uvicorn.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["finite", "worker_main"]

_PROGRESS_EVERY = 0.2


def _failure(exc: BaseException) -> dict[str, Any]:
    from pydantic import ValidationError

    from allocator.server.library import AllocatorError, format_validation_error

    if isinstance(exc, AllocatorError):
        return {
            "type": "urn:allocator:error:invalid-problem",
            "title": "Invalid problem",
            "status": 422,
            "detail": str(exc),
        }
    if isinstance(exc, ValidationError):
        return {
            "type": "urn:allocator:error:invalid-request",
            "title": "Invalid request",
            "status": 422,
            "detail": format_validation_error(exc, "job"),
        }
    if isinstance(exc, MemoryError):
        return {
            "type": "urn:allocator:error:out-of-memory",
            "title": "Out of memory",
            "status": 500,
            "detail": "the job ran out of memory; make the problem or the number of scenarios smaller",
        }
    return {
        "type": "urn:allocator:error:internal",
        "title": "Internal error",
        "status": 500,
        "detail": f"unexpected {type(exc).__name__}: {exc} (please report it)",
    }


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON has neither).

    >>> finite({"a": [1.0, float("nan")], "b": float("inf")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


class _Progress:
    """``progress(done, total, message)`` for one job, sent at most every 0.2 s (and at the end)."""

    def __init__(self, conn: Connection, job_id: str) -> None:
        self.conn, self.job_id, self.last = conn, job_id, 0.0

    def __call__(self, done: int, total: int | None, message: str) -> None:
        now = time.monotonic()
        if now - self.last < _PROGRESS_EVERY and not (total is not None and done >= total):
            return
        self.last = now
        self.conn.send(
            (
                "progress",
                self.job_id,
                (int(done), None if total is None else int(total), message),
            )
        )


def _die_with_parent() -> None:
    """On Linux, ask to be terminated when the server dies, even by SIGKILL (no orphan solves)."""
    if sys.platform != "linux":
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def worker_main(conn: Connection, dask_scheduler: str | None = None) -> None:
    """Serve jobs from ``conn`` until it closes or sends None."""
    # Ctrl-C stops the server, which stops its workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if hasattr(os, "nice"):
        os.nice(5)  # jobs yield the processor to the synchronous calls the server answers
    from allocator.server.tasks import Context, run_task

    conn.send(("ready", "", None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job_id, request = msg
        try:
            result = run_task(
                request,
                Context(progress=_Progress(conn, job_id), dask_scheduler=dask_scheduler),
            )
            text = json.dumps(
                finite(result),
                separators=(",", ":"),
                ensure_ascii=False,
                allow_nan=False,
                default=str,
            )
        except Exception as exc:
            conn.send(("failed", job_id, _failure(exc)))
        else:
            conn.send(("done", job_id, text))
