"""A real service for the tests: ``python -m allocator serve`` on a free loopback port.

:class:`Service` starts the command as a user would (flags and ``ALLOCATOR_*`` variables),
waits for ``/health``, and stops it (SIGINT, then SIGKILL after 15 s) with its worker
processes. The module-scoped ``service`` fixture is shared by the tests that only read; tests
that stop, restart or fill the service start their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed (pip install '.[server]')")
pytest.importorskip("uvicorn", reason="the server extra is not installed (pip install '.[server]')")
httpx = pytest.importorskip("httpx", reason="httpx is needed to call the service")

pytestmark = pytest.mark.server

TOKEN = "test-token-0123456789-abcdef"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    """Pids of the processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for d in Path("/proc").glob("[0-9]*"):
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(d.name))
    return out


class Service:
    """``allocator serve`` in a subprocess (see the module documentation)."""

    def __init__(
        self,
        db: Path,
        *args: str,
        token: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.db = db
        self.args = args
        self.token = token
        self.env = env or {}
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = db.with_suffix(".log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Service:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLOCATOR_")} | self.env
        if self.token:
            env["ALLOCATOR_API_TOKEN"] = self.token
        cmd = [
            sys.executable,
            "-m",
            "allocator",
            "serve",
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            *self.args,
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"allocator serve exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"allocator serve did not answer in {timeout} s: {self.log.read_text()[-2000:]}")

    def workers(self) -> list[int]:
        """Pids of the service's worker processes (not multiprocessing's resource tracker)."""
        assert self.proc is not None
        out = []
        for pid in children(self.proc.pid):
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    out.append(pid)
            except OSError:
                pass
        return out

    def stop(self, *, kill: bool = False, reap: bool = True) -> None:
        """SIGINT (or SIGKILL) the server; ``reap``: also kill what it leaves behind."""
        if self.proc is None or self.proc.poll() is not None:
            return
        workers = children(self.proc.pid) if reap else []
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)
        for pid in workers:  # they die with the server; make sure of it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def client(self, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token}"} if (token or self.token) else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120.0)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service without a token, one worker, default limits, no CORS."""
    with Service(tmp_path_factory.mktemp("service") / "jobs.sqlite3") as s:
        yield s


@pytest.fixture(scope="session")
def http(service: Service) -> Iterator[Any]:
    with service.client() as c:
        yield c


@pytest.fixture(scope="session")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service with a token, a 1 MiB body limit and one origin allowed for browsers."""
    with Service(
        tmp_path_factory.mktemp("guarded") / "jobs.sqlite3",
        "--max-body",
        "1MiB",
        "--cors-origin",
        "http://adviser.example",
        token=TOKEN,
    ) as s:
        yield s


@pytest.fixture(scope="session")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service with small limits: 5 s per synchronous call, 20 applications, jobs kept 1 s."""
    with Service(
        tmp_path_factory.mktemp("limited") / "jobs.sqlite3",
        "--sync-time-limit",
        "5",
        "--max-applications",
        "20",
        "--job-ttl",
        "1s",
    ) as s:
        yield s


@pytest.fixture(scope="session")
def example_json() -> dict[str, Any]:
    from allocator import load_example

    data: dict[str, Any] = json.loads(load_example().model_dump_json())
    return data


def wait_job(
    http: Any,
    job_id: str,
    timeout: float = 120.0,
    until: tuple[str, ...] = ("done", "failed", "cancelled", "interrupted"),
) -> dict[str, Any]:
    """Poll the job until its status is in ``until``."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = http.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in until:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s: {job}")
        time.sleep(0.05)
