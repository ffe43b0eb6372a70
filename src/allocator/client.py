"""A Python client of the allocator service (``allocator serve``), standard library only::

    from allocator.client import Client

    client = Client("http://127.0.0.1:8000", token=None)
    solution = client.solve(allocator.load_example())
    job = client.submit("scenarios", problem, generate=[{"kind": "weight_samples", "n": 500}])
    results = client.wait(job)

Answers come back as the library's own models: :meth:`Client.solve` gives a
:class:`~allocator.model.solution.Solution`, :meth:`Client.check` a
:class:`~allocator.rules.check.CheckResult`; :meth:`Client.wait` gives a job's result as the
library would (a Solution, the frame curve as a DataFrame, the alternatives, scenario
tables). Every error the service answers with (RFC 9457 problem details) is raised as a
:class:`ServiceError`, an :class:`~allocator.exceptions.AllocatorError` carrying the
service's status, detail and field errors.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from allocator.exceptions import AllocatorError

if TYPE_CHECKING:
    from allocator.model import Problem
    from allocator.model.solution import Solution
    from allocator.rules.check import CheckResult

__all__ = ["Client", "Job", "ServiceError"]

FINAL = ("done", "failed", "cancelled", "interrupted")


class ServiceError(AllocatorError):
    """An error answered by the service: ``status`` (HTTP), ``title``, ``detail`` and, for an
    invalid problem, ``errors`` (``[{"path": ..., "message": ...}]``)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []


@dataclass(frozen=True)
class Job:
    """A job as the service last reported it (``raw`` is the whole answer)."""

    id: str
    kind: str
    status: str
    progress: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def done(self) -> bool:
        """Whether the job has ended (done, failed, cancelled or interrupted)."""
        return self.status in FINAL

    @classmethod
    def of(cls, data: dict[str, Any]) -> Job:
        """The job in a service answer."""
        return cls(
            id=data["id"],
            kind=data["kind"],
            status=data["status"],
            progress=data.get("progress") or {},
            error=data.get("error"),
            raw=data,
        )


class Client:
    """Calls the service at ``url`` (with ``token`` as a bearer token, when it needs one).

    Parameters
    ----------
    url
        The service's address, e.g. ``http://127.0.0.1:8000``.
    token
        The token, if the service is configured with one.
    timeout
        Seconds to wait for one answer.
    """

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        token: str | None = None,
        *,
        timeout: float = 120.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # ------------------------------------------------------------------ HTTP
    def request(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        """Send one request; the status and the decoded JSON answer (ServiceError for an error)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                p = json.loads(raw)
            except ValueError:
                p = {
                    "title": exc.reason,
                    "detail": raw.decode("utf-8", "replace")[:500],
                }
            raise ServiceError(
                exc.code,
                str(p.get("title", exc.reason)),
                str(p.get("detail", "")),
                p.get("errors"),
            ) from None
        except urllib.error.URLError as exc:
            raise ServiceError(
                0,
                "Unreachable",
                f"cannot reach {self.url}: {exc.reason}; is 'allocator serve' running?",
            ) from None

    @staticmethod
    def _problem(problem: Problem | dict[str, Any]) -> dict[str, Any]:
        if isinstance(problem, dict):
            return problem
        data: dict[str, Any] = problem.model_dump(mode="json")
        return data

    # ------------------------------------------------------------------ synchronous
    def health(self) -> dict[str, Any]:
        """``GET /health``."""
        return self.request("GET", "/health")[1]

    def solve(
        self,
        problem: Problem | dict[str, Any],
        *,
        time_limit: float | None = None,
        explain: bool = False,
        lang: str = "en",
    ) -> Solution:
        """The best portfolio (``POST /v1/solve``) as a :class:`~allocator.model.solution.Solution`."""
        from allocator.model.solution import Solution

        body = {
            "problem": self._problem(problem),
            "time_limit": time_limit,
            "explain": explain,
            "lang": lang,
        }
        return Solution.model_validate(self.request("POST", "/v1/solve", body)[1])

    def check(self, problem: Problem | dict[str, Any], grants: dict[str, int]) -> CheckResult:
        """The violations of a proposed portfolio (``POST /v1/check``)."""
        from allocator.rules.check import CheckResult

        data = self.request("POST", "/v1/check", {"problem": self._problem(problem), "grants": grants})[1]
        data.pop("ok", None)
        return CheckResult.model_validate(data)

    # ------------------------------------------------------------------ jobs
    def submit(
        self,
        kind: str,
        problem: Problem | dict[str, Any],
        *,
        new: bool = False,
        **spec: Any,
    ) -> Job:
        """Submit a job of ``kind`` (``scenarios``, ``frame_curve``, ``alternatives``, ``solve``) with
        the fields of its request; the same request returns the same job unless ``new``."""
        body = {"kind": kind, "problem": self._problem(problem), **spec}
        return Job.of(self.request("POST", "/v1/jobs" + ("?new=true" if new else ""), body)[1])

    def job(self, job: Job | str) -> Job:
        """The job as it is now (``GET /v1/jobs/{id}``)."""
        job_id = job.id if isinstance(job, Job) else job
        return Job.of(self.request("GET", f"/v1/jobs/{job_id}")[1])

    def cancel(self, job: Job | str) -> Job:
        """Cancel the job (``DELETE /v1/jobs/{id}``); its worker is stopped."""
        job_id = job.id if isinstance(job, Job) else job
        return Job.of(self.request("DELETE", f"/v1/jobs/{job_id}")[1])

    def wait(self, job: Job | str, *, timeout: float | None = None, poll: float = 0.25) -> Any:
        """Wait until the job ends and return its result as the library would give it.

        ``solve``: a Solution; ``frame_curve``: the curve as a DataFrame (``.attrs`` holds the
        exact breakpoints, when asked for); ``alternatives``: an ``Alternatives``;
        ``scenarios``: a dict of DataFrames (``summary``, ``funding_share``, ``granted`` per
        scenario and application). A job that failed, was cancelled or interrupted raises
        :class:`ServiceError`; ``timeout`` (seconds) raises TimeoutError.
        """
        start = time.monotonic()
        current = self.job(job)
        while not current.done:
            if timeout is not None and time.monotonic() - start > timeout:
                raise TimeoutError(f"job {current.id} still {current.status} after {timeout:g} s")
            time.sleep(poll)
            current = self.job(current)
        if current.status != "done":
            err = current.error or {}
            raise ServiceError(
                int(err.get("status", 409)),
                str(err.get("title", f"job {current.status}")),
                str(err.get("detail") or current.progress.get("message") or current.status),
            )
        return _result(current.kind, current.raw["result"])


def _result(kind: str, result: dict[str, Any]) -> Any:
    """A job's result as the library's own objects."""
    if kind == "solve":
        from allocator.model.solution import Solution

        return Solution.model_validate(result)
    if kind == "alternatives":
        from allocator.analysis import Alternatives

        return Alternatives.model_validate(result)
    import pandas as pd

    if kind == "frame_curve":
        df = pd.DataFrame(result["curve"])
        if "breakpoints" in result:
            df.attrs["breakpoints"] = pd.DataFrame(result["breakpoints"])
        return df
    if kind == "scenarios":
        granted = pd.DataFrame(
            {k: v for k, v in result["granted"].items() if v is not None},
            index=pd.Index(result["ids"], name="id"),
        ).T
        return {
            "summary": pd.DataFrame(result["summary"]),
            "funding_share": pd.DataFrame(result["funding_share"]).set_index("id"),
            "granted": granted,
        }
    return result
