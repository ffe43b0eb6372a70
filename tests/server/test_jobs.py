"""Jobs on a real service: events, results, idempotency, cancellation, restarts, limits."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from allocator import load_example, run_scenarios, solve
from allocator.analysis import frame_curve, k_best
from allocator.scenarios import weight_samples

from .conftest import Service, httpx, wait_job


def _events(service: Service, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    with httpx.stream("GET", f"{service.url}/v1/jobs/{job_id}/events", timeout=120.0) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        name = "message"
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                out.append((name, json.loads(line[6:])))
    return out


def test_scenario_job_to_completion_with_its_events(service: Service, http: Any, example_json: dict[str, Any]) -> None:
    spec = {
        "kind": "scenarios",
        "problem": example_json,
        "generate": [{"kind": "weight_samples", "n": 300, "seed": 3}],
    }
    r = http.post("/v1/jobs", json=spec)
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}" and job["status"] in (
        "queued",
        "running",
    )
    events = _events(service, job["id"])
    names = [n for n, _ in events]
    assert names[-1] == "done" and set(names[:-1]) <= {"status"}
    done = [e["progress"]["done"] for _, e in events]
    assert done == sorted(done) and done[-1] == 300
    assert any(0 < d < 300 for d in done), "no progress reported between the start and the end"
    final = http.get(f"/v1/jobs/{job['id']}").json()
    assert final["status"] == "done" and final["progress"]["fraction"] == 1.0
    ref = run_scenarios(load_example(), weight_samples(load_example(), 300, seed=3), progress=False)
    got = {row["scenario"]: row["value"] for row in final["result"]["summary"]}
    assert got == pytest.approx({o.scenario: o.objective for o in ref.outcomes})
    assert final["result"]["granted"] == {o.scenario: o.granted.tolist() for o in ref.outcomes}
    no_result = http.get(f"/v1/jobs/{job['id']}", params={"result": "false"}).json()
    assert no_result["result"] is None and no_result["status"] == "done"


def test_same_request_same_job_unless_asked(http: Any, example_json: dict[str, Any]) -> None:
    spec = {
        "kind": "alternatives",
        "problem": example_json,
        "method": "k_best",
        "count": 3,
    }
    first = http.post("/v1/jobs", json=spec)
    assert first.status_code == 202
    # the same request, keys in another order, defaults spelt out: the same job
    again = http.post(
        "/v1/jobs",
        json={
            "count": 3,
            "method": "k_best",
            "problem": example_json,
            "kind": "alternatives",
            "time_limit": None,
        },
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    fresh = http.post("/v1/jobs", params={"new": "true"}, json=spec)
    assert fresh.status_code == 202 and fresh.json()["id"] != first.json()["id"]
    result = wait_job(http, first.json()["id"])["result"]
    ref = k_best(load_example(), 3)
    assert [p["funded"] for p in result["portfolios"]] == [list(p.funded) for p in ref.portfolios]
    assert wait_job(http, fresh.json()["id"])["result"] == result


def test_frame_curve_job_is_the_library_curve(http: Any, example_json: dict[str, Any]) -> None:
    job = http.post("/v1/jobs", json={"kind": "frame_curve", "problem": example_json, "n": 12}).json()
    result = wait_job(http, job["id"])["result"]
    ref = frame_curve(load_example(), n=12)
    assert [r["frame"] for r in result["curve"]] == ref["frame"].tolist()
    assert [r["value"] for r in result["curve"]] == pytest.approx(ref["value"].tolist())
    assert [r["rank_and_fund"] for r in result["curve"]] == pytest.approx(ref["rank_and_fund"].tolist())
    marg = [r["marginal"] for r in result["curve"]][1:]
    assert marg == pytest.approx(ref["marginal"].tolist()[1:])


def test_solve_job_and_failed_job(http: Any, example_json: dict[str, Any]) -> None:
    job = http.post("/v1/jobs", json={"kind": "solve", "problem": example_json, "lang": "nb"}).json()
    result = wait_job(http, job["id"])["result"]
    assert {d["id"]: d["granted"] for d in result["decisions"]} == solve(load_example()).grants
    # weights intervals that leave nothing to sample: refused before it is queued
    bad = {
        "kind": "scenarios",
        "problem": example_json,
        "generate": [
            {
                "kind": "weight_samples",
                "n": 3,
                "intervals": {"green": [0.9, 1.0], "smart": [0.9, 1.0]},
            }
        ],
    }
    r = http.post("/v1/jobs", json=bad)
    assert r.status_code == 422 and "weight intervals" in r.json()["detail"]
    invalid = http.post("/v1/jobs", json={"kind": "solve", "problem": dict(example_json, frame=-1)})
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["path"] == "problem.frame"
    unknown = http.post("/v1/jobs", json={"kind": "lottery", "problem": example_json})
    assert unknown.status_code == 422 and "lottery" in unknown.json()["detail"]


def test_unknown_job(http: Any) -> None:
    for path in (
        "/v1/jobs/0123456789abcdef0123456789abcdef",
        "/v1/jobs/../../etc/passwd",
        "/v1/jobs/x/events",
    ):
        r = http.get(path)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert http.delete("/v1/jobs/0123456789abcdef0123456789abcdef").status_code == 404


def _long_job(problem: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """A sweep of 5 000 scenarios: a minute of work, cancelled long before it ends."""
    return {
        "kind": "scenarios",
        "problem": problem,
        "generate": [{"kind": "weight_samples", "n": 5_000, "seed": seed}],
    }


@pytest.mark.skipif(
    not __import__("pathlib").Path("/proc/self/stat").exists(),
    reason="needs Linux /proc to see the worker processes",
)
def test_cancel_stops_the_worker_and_the_next_job_runs(tmp_path: Any, example_json: dict[str, Any]) -> None:
    with Service(tmp_path / "jobs.sqlite3", "--max-jobs", "2") as s, s.client() as c:
        long = c.post("/v1/jobs", json=_long_job(example_json)).json()
        running = wait_job(c, long["id"], until=("running",))
        deadline = time.monotonic() + 60
        while running["progress"]["done"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            running = c.get(f"/v1/jobs/{long['id']}").json()
        assert 0 < running["progress"]["done"] < 5_000
        before = s.workers()
        assert len(before) == 1
        # the queue holds two jobs at most: a third is refused with 429 and Retry-After
        small = c.post("/v1/jobs", json={"kind": "solve", "problem": example_json}).json()
        full = c.post("/v1/jobs", json={"kind": "frame_curve", "problem": example_json})
        assert (
            full.status_code == 429
            and full.headers["retry-after"]
            and full.headers["content-type"] == "application/problem+json"
        )
        cancelled = c.delete(f"/v1/jobs/{long['id']}").json()
        assert cancelled["status"] == "cancelled"
        # the small job waited for the only worker; it runs on the fresh one (generous time:
        # a new worker process imports the library, on a shared machine that can take a while)
        done = wait_job(c, small["id"], timeout=240)
        assert done["status"] == "done", done
        assert done["started"] >= cancelled["finished"], (done, cancelled)
        after = s.workers()
        assert before[0] not in after and len(after) == 1, (before, after)
        stopped = c.get(f"/v1/jobs/{long['id']}").json()
        assert stopped["status"] == "cancelled" and stopped["progress"]["done"] < 5_000
        assert c.delete(f"/v1/jobs/{long['id']}").json()["status"] == "cancelled"  # ended jobs stay as they are
        again = c.post("/v1/jobs", json=_long_job(example_json))  # a cancelled request runs again
        assert again.status_code == 202 and again.json()["id"] == long["id"]
        c.delete(f"/v1/jobs/{long['id']}")


def test_results_survive_a_restart_and_interrupted_jobs_run_again(tmp_path: Any, example_json: dict[str, Any]) -> None:
    db = tmp_path / "jobs.sqlite3"
    spec = {
        "kind": "scenarios",
        "problem": example_json,
        "generate": [{"kind": "weight_samples", "n": 20, "seed": 1}],
    }
    with Service(db) as s, s.client() as c:
        first = wait_job(c, c.post("/v1/jobs", json=spec).json()["id"])
        assert first["status"] == "done"
        long = c.post("/v1/jobs", json=_long_job(example_json, seed=5)).json()
        wait_job(c, long["id"], until=("running",))
        workers = s.workers()
        assert workers
        s.stop(kill=True, reap=False)  # the server dies while a job runs
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "a worker outlived its server"
    with Service(db) as s, s.client() as c:
        again = c.get(f"/v1/jobs/{first['id']}").json()
        assert again["status"] == "done" and again["result"] == first["result"]
        lost = c.get(f"/v1/jobs/{long['id']}").json()
        assert lost["status"] == "interrupted" and "submit the same request again" in lost["progress"]["message"]
        rerun = c.post("/v1/jobs", json=_long_job(example_json, seed=5))
        assert (
            rerun.status_code == 202
            and rerun.json()["id"] == long["id"]
            and rerun.json()["status"] in ("queued", "running")
        )
        c.delete(f"/v1/jobs/{long['id']}")
        resubmitted = c.post("/v1/jobs", json=spec)
        assert resubmitted.status_code == 200 and resubmitted.json()["result"] == first["result"]


def test_finished_jobs_expire(limited: Service, example_json: dict[str, Any]) -> None:
    small = dict(example_json, applications=example_json["applications"][:12])
    with limited.client() as c:
        job = wait_job(c, c.post("/v1/jobs", json={"kind": "solve", "problem": small}).json()["id"])
        assert job["status"] == "done" and job["expires"]
        time.sleep(1.5)
        assert c.get(f"/v1/jobs/{job['id']}").status_code == 404


def test_scenario_job_on_a_dask_cluster(tmp_path: Any, example_json: dict[str, Any]) -> None:
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    cluster = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",  # no fixed port: CI runs two suites at once
        protocol="tcp",
        host="127.0.0.1",
    )
    with (
        cluster,
        Service(tmp_path / "jobs.sqlite3", "--dask-scheduler", cluster.scheduler_address) as s,
        s.client() as c,
    ):
        spec = {
            "kind": "scenarios",
            "problem": example_json,
            "generate": [{"kind": "weight_samples", "n": 12, "seed": 2}],
        }
        job = wait_job(c, c.post("/v1/jobs", json=spec).json()["id"], timeout=180)
        assert job["status"] == "done", job
        assert job["result"]["executor"] == "dask"
        ref = run_scenarios(load_example(), weight_samples(load_example(), 12, seed=2), progress=False)
        assert job["result"]["granted"] == {o.scenario: o.granted.tolist() for o in ref.outcomes}
