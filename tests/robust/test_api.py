"""``POST /v1/robust``: the uncertainty as JSON in, the robustness report out (in-process, no worker)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed (pip install '.[server]')")
httpx = pytest.importorskip("httpx", reason="httpx is needed to call the service")

import asyncio  # noqa: E402

from allocator import Application, Criterion, Problem  # noqa: E402
from allocator.robust import Lottery, Uncertainty  # noqa: E402
from allocator.server.app import create_app  # noqa: E402


class Client:
    """Calls the application in-process over ASGI (no lifespan: the synchronous routes need no job worker)."""

    def __init__(self) -> None:
        self.app = create_app()

    def post(self, path: str, json: dict[str, Any] | None = None) -> Any:
        async def go() -> Any:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await (c.get(path) if json is None else c.post(path, json=json))

        return asyncio.run(go())


@pytest.fixture(scope="module")
def client() -> Client:
    return Client()


def small() -> Problem:
    # {A, C} and {B, C} are the feasible portfolios no other contains (A + B exceeds the frame);
    # with ±2 on a 0-10 scale A lies in [6, 10] and B in [3, 7]: neither pair dominates the
    # other, so C is core and A, B are borderline with core index 1/2 each.
    return Problem(
        frame=100,
        criteria=[Criterion(name="g", weight=1, scale_max=10)],
        applications=[
            Application(id="A", requested=60, scores={"g": 8}),
            Application(id="B", requested=50, scores={"g": 5}),
            Application(id="C", requested=40, scores={"g": 4}),
        ],
    )


def body(**extra: Any) -> dict[str, Any]:
    return {"problem": small().model_dump(mode="json"), "uncertainty": {"scores": {"plus_minus": 2}}, **extra}


def test_classes_and_core_indices_over_http(client: Client) -> None:
    r = client.post("/v1/robust", json=body())
    assert r.status_code == 200, r.text
    out = {a["id"]: a for a in r.json()["applications"]}
    assert {k: a["robust_class"] for k, a in out.items()} == {"A": "borderline", "B": "borderline", "C": "core"}
    assert {k: a["core_index"] for k, a in out.items()} == {"A": 0.5, "B": 0.5, "C": 1.0}
    assert r.json()["nondominated"] == 2
    assert r.json()["plan"]["probabilities"] == {"A": 0.5, "B": 0.5}  # one of the two fits: by the first ticket
    assert client.post("/v1/robust", json=body(plan=False)).json()["plan"] is None
    exact = client.post("/v1/robust", json={"problem": small().model_dump(mode="json")})
    assert exact.status_code == 200, exact.text  # no uncertainty given: scores and weights as they are
    assert [a["robust_class"] for a in exact.json()["applications"]] == ["core", "exterior", "core"]


def test_draw_over_http_is_the_library_draw_and_repeats(client: Client) -> None:
    seed = "3 6 1 4 4 2"
    first = client.post("/v1/robust", json=body(draw_seed=seed)).json()["draw"]
    again = client.post("/v1/robust", json=body(draw_seed=seed)).json()["draw"]
    assert first == again
    assert "C" in first["funded"] and len(first["drawn"]) == 1 and first["total_granted"] <= 100
    local = Lottery(small(), Uncertainty.of(plus_minus=2)).draw(seed)
    assert first["funded"] == list(local.funded) and first["tickets"] == local.tickets


def test_rank_order_and_sampling_as_json(client: Client) -> None:
    p = Problem(
        frame=100,
        criteria=[Criterion(name="green", weight=1, scale_max=10), Criterion(name="smart", weight=1, scale_max=10)],
        applications=[
            Application(id="A", requested=60, scores={"green": 9, "smart": 1}),
            Application(id="B", requested=60, scores={"green": 1, "smart": 9}),
        ],
    )
    # any weights: A wins when green counts most, B when smart does; green >= smart leaves A:
    # at the extreme points (1, 0) and (1/2, 1/2) A is at least as good, and better at (1, 0).
    free = client.post("/v1/robust", json={"problem": p.model_dump(mode="json"), "samples": 200})
    ordered = client.post(
        "/v1/robust",
        json={
            "problem": p.model_dump(mode="json"),
            "samples": 200,
            "uncertainty": {"weights": {"order": "green >= smart"}},
        },
    )
    assert free.status_code == ordered.status_code == 200, free.text + ordered.text
    assert [a["robust_class"] for a in free.json()["applications"]] == ["borderline", "borderline"]
    assert [a["robust_class"] for a in ordered.json()["applications"]] == ["core", "exterior"]
    shares = [a["acceptability"] for a in ordered.json()["applications"]]
    assert shares == [1.0, 0.0] and free.json()["samples"] == 200
    assert all(a["acceptability_se"] is not None for a in free.json()["applications"])


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"uncertainty": {"weights": {"order": "green >= nowhere"}}}, "nowhere"),
        ({"uncertainty": {"scores": {"plus_minus": -1}}}, "plus_minus"),
        ({"samples": 10**9}, "samples"),
    ],
)
def test_bad_uncertainty_is_a_422_naming_the_field(client: Client, change: dict[str, Any], needle: str) -> None:
    r = client.post("/v1/robust", json={**body(), **change})
    assert r.status_code == 422, r.text
    assert needle in r.text


def test_partial_funding_is_refused_with_the_fix(client: Client) -> None:
    p = small().with_options(partial=True)
    r = client.post("/v1/robust", json={"problem": p.model_dump(mode="json")})
    assert r.status_code == 422 and "partial" in r.text


def test_documented_in_openapi(client: Client) -> None:
    doc = client.post("/openapi.json").json()
    assert "/v1/robust" in doc["paths"]
    req = doc["components"]["schemas"]["RobustRequest"]
    assert {"problem", "uncertainty", "samples", "draw_seed"} <= set(req["properties"])
