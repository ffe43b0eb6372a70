"""allocator.client.Client against a real service, and the README's curl example."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from allocator import Solution, load_example, solve
from allocator.analysis import frame_curve
from allocator.client import Client, ServiceError

from .conftest import TOKEN, Service

README = Path(__file__).resolve().parents[2] / "README.md"


def test_client_solve_check_and_jobs(service: Service) -> None:
    client = Client(service.url)
    p = load_example()
    sol = client.solve(p, lang="nb")
    assert isinstance(sol, Solution) and sol.grants == solve(p).grants and sol.status.value == "optimal"
    assert client.check(p, sol.grants).ok
    assert not client.check(p, {a.id: a.requested for a in p.applications}).ok
    job = client.submit("solve", p)
    assert job.kind == "solve" and len(job.id) == 32
    again = client.wait(job, timeout=120)
    assert isinstance(again, Solution) and again.grants == sol.grants
    curve = client.wait(client.submit("frame_curve", p, n=6), timeout=120)
    assert curve["value"].tolist() == pytest.approx(frame_curve(p, n=6)["value"].tolist())
    sweep = client.wait(
        client.submit(
            "scenarios",
            p,
            generate=[{"kind": "frame_range", "start": 1_000_000, "stop": 2_000_000, "num": 3}],
        )
    )
    assert list(sweep["summary"]["frame"]) == [1_000_000, 1_500_000, 2_000_000]
    assert sweep["granted"].loc["frame-1000000"].sum() <= 1_000_000
    alts = client.wait(client.submit("alternatives", p, count=2))
    assert len(alts.portfolios) == 2 and alts.portfolios[0].grants == sol.grants


def test_client_cancel_and_errors(service: Service) -> None:
    client = Client(service.url)
    p = load_example()
    job = client.submit(
        "scenarios",
        p,
        new=True,
        generate=[{"kind": "weight_samples", "n": 5_000, "seed": 11}],
    )
    deadline = time.monotonic() + 60
    while client.job(job).status == "queued" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.cancel(job).status == "cancelled"
    with pytest.raises(ServiceError) as stopped:
        client.wait(job)
    assert "cancelled" in str(stopped.value)
    with pytest.raises(ServiceError) as bad:
        client.solve({"frame": 10, "criteria": [], "applications": []})
    assert bad.value.status == 422 and bad.value.errors
    with pytest.raises(ServiceError) as gone:
        Client("http://127.0.0.1:9", timeout=2).health()
    assert gone.value.status == 0 and "allocator serve" in gone.value.detail


def test_client_with_a_token(guarded: Service) -> None:
    assert Client(guarded.url, token=TOKEN).solve(load_example()).status.value == "optimal"
    with pytest.raises(ServiceError) as denied:
        Client(guarded.url).solve(load_example())
    assert denied.value.status == 401


def _readme_curl() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Service") :]
    section = section[: section.find("\n## ", 5)] if "\n## " in section[5:] else section
    blocks = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    lines = [ln for b in blocks for ln in b.splitlines() if ln.strip().startswith("curl")]
    assert lines, "no curl command in the README's Service section"
    return "\n".join(lines)


def test_readme_curl_example_returns_the_example_decisions(service: Service, tmp_path: Path) -> None:
    commands = (
        _readme_curl()
        .replace("127.0.0.1:8000", f"127.0.0.1:{service.port}")
        .replace("localhost:8000", f"127.0.0.1:{service.port}")
    )
    assert f"127.0.0.1:{service.port}/v1/solve" in commands
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: the README's commands cannot be run as written")
    out = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", commands],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    data = Solution.model_validate_json(out.stdout)
    assert data.status.value == "optimal" and data.grants == solve(load_example()).grants
