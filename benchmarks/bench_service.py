"""Load on the HTTP service, on loopback only, bounded in count and time.

Starts ``python -m allocator serve`` on a free port of 127.0.0.1 (a fresh SQLite file, two
job workers) and measures, in one run:

1. **the service's overhead**: ``--sequential`` (200) pairs, one after the other, of
   ``allocator.solve`` on the embedded example plus JSON encoding of its answer in this
   process, then ``POST /v1/solve`` of the same example: p50 of each and the p50 of the
   paired differences (target: under 10 ms; pairing keeps a shared machine's load out of
   the difference);
2. **load**: ``--requests`` (1 000) ``POST /v1/solve`` of the example at concurrency
   ``--concurrency`` (16): errors (target 0), throughput, p50 / p95 / p99 latency, and the
   server's resident memory before and after (target: growth under 50 MiB);
3. **jobs**: ``--jobs`` (20) ``solve`` jobs on a call of ``--job-size`` (10 000) applications
   and 20 rules from :mod:`benchmarks.registry`, submitted at once (``new=true``: each its
   own run; ``rel_gap`` 0.001), until all finish (target: all done);
4. **a 200 MiB body**: ``POST /v1/solve`` announcing 200 MiB and sending it as fast as the
   server takes it: the answer must be 413 and the server's memory, sampled every 10 ms
   while it is sent, must grow by less than the body limit (10 MiB); the same with a
   chunked body that announces no length.

Every request has a time-out; the whole run is bounded (``--budget`` seconds, default 600,
after which the remaining parts are skipped and said so). Prints a table; writes
``benchmarks/results/service.csv``; exits 1 when a target is missed.

Usage::

    python benchmarks/bench_service.py
    python -m benchmarks.run --suite service
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

__all__ = ["main", "run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


class _Server:
    def __init__(self, tmp: Path, workers: int) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLOCATOR_")}
        cmd = [
            sys.executable,
            "-m",
            "allocator",
            "serve",
            "--port",
            str(self.port),
            "--db",
            str(tmp / "jobs.sqlite3"),
            "--workers",
            str(workers),
            "--max-jobs",
            "1000",
        ]
        self.log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit("the service did not start in 60 s")

    def rss(self) -> float:
        return _rss_mib(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


# ---------------------------------------------------------------------- 1 and 2
def _paired(url: str, body: bytes, n: int) -> tuple[list[float], list[float], int]:
    """``n`` pairs, one after the other: the example solved and encoded in this process, then
    the same through the service (so that both see the same load on a shared machine)."""
    import httpx

    from allocator import load_example, solve

    p = load_example()
    solve(p).model_dump_json()  # warm
    here, there, errors = [], [], 0
    with httpx.Client(base_url=url, timeout=120.0) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            solve(p).model_dump_json()
            t1 = time.perf_counter()
            r = client.post("/v1/solve", content=body, headers={"Content-Type": "application/json"})
            t2 = time.perf_counter()
            errors += r.status_code != 200
            here.append(t1 - t0)
            there.append(t2 - t1)
    return here, there, errors


async def _load(url: str, body: bytes, n: int, concurrency: int, value: float) -> tuple[list[float], int, float]:
    """``n`` requests, ``concurrency`` at a time; an answer counts as an error unless it is the
    optimum of value ``value`` (concurrent solves in the server's threads must not mix)."""
    import httpx

    latencies: list[float] = []
    errors = 0
    counter = iter(range(n))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120.0, limits=limits) as client:

        async def one_worker() -> None:
            nonlocal errors
            for _ in counter:
                t0 = time.perf_counter()
                try:
                    r = await client.post(
                        "/v1/solve",
                        content=body,
                        headers={"Content-Type": "application/json"},
                    )
                    ok = (
                        r.status_code == 200
                        and r.json()["status"] == "optimal"
                        and abs(r.json()["objective"] - value) < 1e-9
                    )
                    what = f"{r.status_code} {r.text[:300]}"
                except httpx.HTTPError as exc:
                    ok, what = False, f"{type(exc).__name__}: {exc}"
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    errors += 1
                    print(f"error: {what}", file=sys.stderr)

        t0 = time.perf_counter()
        await asyncio.gather(*(one_worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return latencies, errors, wall


# ---------------------------------------------------------------------- 3
def _jobs(url: str, n_jobs: int, size: int, timeout: float) -> dict[str, Any]:
    import httpx

    from benchmarks.registry import make_call

    problem = json.loads(make_call(size, 20, seed=7).model_dump_json())
    body = json.dumps({"kind": "solve", "problem": problem, "rel_gap": 0.001}).encode()
    with httpx.Client(base_url=url, timeout=120.0) as c:
        t0 = time.perf_counter()
        ids = []
        for _ in range(n_jobs):
            r = c.post(
                "/v1/jobs",
                params={"new": "true"},
                content=body,
                headers={"Content-Type": "application/json"},
            )
            ids.append(r.json()["id"] if r.status_code == 202 else None)
        submitted = time.perf_counter() - t0
        status: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i in ids:
                if i is not None and status.get(i) not in (
                    "done",
                    "failed",
                    "cancelled",
                    "interrupted",
                ):
                    status[i] = c.get(f"/v1/jobs/{i}", params={"result": "false"}).json()["status"]
            if len(status) == len([i for i in ids if i]) and all(
                s in ("done", "failed", "cancelled", "interrupted") for s in status.values()
            ):
                break
            time.sleep(0.5)
        wall = time.perf_counter() - t0
    done = sum(s == "done" for s in status.values())
    return {
        "jobs": n_jobs,
        "accepted": sum(i is not None for i in ids),
        "done": done,
        "submit_s": submitted,
        "all_done_s": wall,
        "body_mib": len(body) / 1024**2,
    }


# ---------------------------------------------------------------------- 4
def _big_body(server: _Server, size: int, chunked: bool) -> dict[str, Any]:
    before = server.rss()
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], server.rss())
            time.sleep(0.01)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    head = "POST /v1/solve HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
    block = b"{" + b" " * (1024**2 - 1)
    payload = (b"%x\r\n" % len(block)) + block + b"\r\n" if chunked else block
    sent = 0
    answer = b""
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(head.encode())
        while sent < size:
            try:
                s.sendall(payload)
            except OSError:
                break
            sent += len(block)
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                answer = s.recv(65536)
            s.setblocking(True)
            if answer:
                break
        s.settimeout(30)
        try:
            while b"\r\n\r\n" not in answer:
                part = s.recv(65536)
                if not part:
                    break
                answer += part
        except OSError:
            pass
    stop.set()
    th.join()
    return {
        "status": answer[9:12].decode(errors="replace"),
        "sent_mib": sent / 1024**2,
        "seconds": time.perf_counter() - t0,
        "rss_growth_mib": peak[0] - before,
    }


# ---------------------------------------------------------------------- all
def run(
    requests: int = 1000,
    concurrency: int = 16,
    sequential: int = 200,
    jobs: int = 20,
    job_size: int = 10_000,
    budget: float = 600.0,
    workers: int = 2,
) -> list[dict[str, Any]]:
    """Every part; one row per measure: ``part``, ``measure``, ``value``, ``unit``, ``target``, ``ok``."""
    from allocator import load_example, solve

    start = time.monotonic()
    rows: list[dict[str, Any]] = []

    def add(
        part: str,
        measure: str,
        value: Any,
        unit: str = "",
        target: str = "",
        ok: bool | None = None,
    ) -> None:
        rows.append(
            {
                "part": part,
                "measure": measure,
                "value": value,
                "unit": unit,
                "target": target,
                "ok": "" if ok is None else ok,
            }
        )

    body = json.dumps({"problem": json.loads(load_example().model_dump_json())}).encode()
    value = float(solve(load_example()).objective or 0.0)
    with tempfile.TemporaryDirectory(prefix="allocator-bench-service-") as tmp:
        server = _Server(Path(tmp), workers)
        try:
            asyncio.run(_load(server.url, body, 50, 4, value))  # warm: imports, first solves
            lib, seq, seq_err = _paired(server.url, body, sequential)
            p50_lib, p50_seq = statistics.median(lib), statistics.median(seq)
            diff = statistics.median(b - a for a, b in zip(lib, seq, strict=True))
            add("overhead", "in-process solve + JSON, p50", p50_lib * 1000, "ms")
            add(
                "overhead",
                "service, one at a time, p50",
                p50_seq * 1000,
                "ms",
                ok=seq_err == 0,
            )
            add(
                "overhead",
                "service overhead, p50 of paired differences",
                diff * 1000,
                "ms",
                "< 10",
                diff < 0.010,
            )
            rss0 = server.rss()
            lat, errors, wall = asyncio.run(_load(server.url, body, requests, concurrency, value))
            rss1 = server.rss()
            add(
                "load",
                f"{requests} requests at concurrency {concurrency}, errors",
                errors,
                "",
                "0",
                errors == 0,
            )
            add("load", "throughput", requests / wall, "requests/s")
            for q in (0.50, 0.95, 0.99):
                add("load", f"latency p{round(q * 100)}", _pct(lat, q) * 1000, "ms")
            add("load", "server RSS before", rss0, "MiB")
            add("load", "server RSS after", rss1, "MiB")
            add(
                "load",
                "server RSS growth",
                rss1 - rss0,
                "MiB",
                "< 50",
                rss1 - rss0 < 50,
            )
            left = budget - (time.monotonic() - start)
            if left > 60:
                j = _jobs(server.url, jobs, job_size, left - 30)
                add(
                    "jobs",
                    f"{jobs} solve jobs of {job_size} applications (body {j['body_mib']:.1f} MiB), done",
                    j["done"],
                    "",
                    str(jobs),
                    j["done"] == jobs,
                )
                add("jobs", "submitting all", j["submit_s"], "s")
                add("jobs", "until all finished", j["all_done_s"], "s")
            else:
                add("jobs", "skipped: out of time budget", left, "s", ok=False)
            for chunked in (False, True):
                b = _big_body(server, 200 * 1024**2, chunked)
                what = "chunked, no length" if chunked else "Content-Length 200 MiB"
                add(
                    "413",
                    f"{what}: status",
                    b["status"],
                    "",
                    "413",
                    b["status"] == "413",
                )
                add("413", f"{what}: sent before the answer", b["sent_mib"], "MiB")
                add(
                    "413",
                    f"{what}: server RSS growth while sending",
                    b["rss_growth_mib"],
                    "MiB",
                    "< 10",
                    b["rss_growth_mib"] < 10,
                )
        finally:
            server.stop()
    return rows


def _print(rows: list[dict[str, Any]]) -> None:
    print("| part | measure | value | unit | target | ok |\n|---|---|---|---|---|---|")
    for r in rows:
        v = r["value"]
        shown = f"{v:.3g}" if isinstance(v, float) else str(v)
        print(f"| {r['part']} | {r['measure']} | {shown} | {r['unit']} | {r['target']} | {r['ok']} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--sequential", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--job-size", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2, help="job worker processes of the service")
    ap.add_argument("--budget", type=float, default=600.0, help="seconds for the whole run")
    a = ap.parse_args(argv)
    rows = run(a.requests, a.concurrency, a.sequential, a.jobs, a.job_size, a.budget, a.workers)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / "service.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    _print(rows)
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
