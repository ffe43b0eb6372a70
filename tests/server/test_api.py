"""The synchronous endpoints of a real service, against the library called in this process."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from allocator import (
    Problem,
    check,
    compare,
    explain,
    load_example,
    rank_and_fund,
    solve,
)
from allocator.data import EXAMPLE_CSV, EXAMPLE_POLICY, load_example_policy
from allocator.exceptions import AllocatorError

from .conftest import Service

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_health_openapi_and_docs(http: Any) -> None:
    assert http.get("/health").json()["status"] == "ok"
    spec = http.get("/openapi.json").json()
    for path in (
        "/v1/solve",
        "/v1/check",
        "/v1/explain",
        "/v1/rank-and-fund",
        "/v1/example",
        "/v1/solve/table",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/events",
    ):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    # the library's own models describe the bodies
    assert {
        "Problem",
        "Application",
        "Criterion",
        "SolveRequest",
        "SolveResponse",
        "JobSpec",
        "ProblemDetail",
    } <= set(schemas)
    assert set(schemas["Problem"]["properties"]) >= {
        "frame",
        "criteria",
        "applications",
        "rules",
        "options",
    }
    assert spec["paths"]["/v1/solve"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/SolveRequest"
    )
    kinds = {m["$ref"].rsplit("/", 1)[1] for m in schemas["JobSpec"]["oneOf"]}
    assert kinds == {"ScenariosJob", "FrameCurveJob", "AlternativesJob", "SolveJob"}
    docs = http.get("/docs").text
    assert "swagger" in docs.lower() and "cdn" not in docs.lower()  # Swagger UI served here, not from a CDN
    assert http.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_example_is_the_library_example(http: Any) -> None:
    assert Problem.model_validate(http.get("/v1/example").json()) == load_example()
    with_rules = Problem.model_validate(http.get("/v1/example", params={"rules": "true"}).json())
    assert with_rules == load_example_policy().apply(load_example())


def test_solve_returns_the_library_solution_with_reasons_in_words(http: Any, example_json: dict[str, Any]) -> None:
    r = http.post("/v1/solve", json={"problem": example_json})
    assert r.status_code == 200, r.text
    data = r.json()
    mine = solve(load_example())
    assert data["status"] == "optimal" and data["gap"] == 0
    assert data["objective"] == pytest.approx(mine.objective)
    assert {d["id"]: d["granted"] for d in data["decisions"]} == mine.grants
    assert [d["id"] for d in data["decisions"]] == [a.id for a in load_example().applications]
    assert data["tie_break"] == list(mine.tie_break) and "green" in data["tie_break_text"]
    assert data["solver"] == "highs" and data["versions"]["allocator"] and data["versions"]["highspy"]
    assert data["runtime_s"] > 0 and data["bound"] == pytest.approx(mine.objective)
    words = {d["reason"]: d["reason_text"] for d in data["decisions"]}
    assert words["funded"].startswith("Funded in full (NOK ")
    assert words["outranked"].startswith("Not funded")
    nb = http.post("/v1/solve", json={"problem": example_json, "lang": "nb"}).json()
    assert all(d["reason_text"].startswith("Innvilget fullt ut (") for d in nb["decisions"] if d["funded"])


def test_solve_with_explain_gives_the_margins(http: Any, example_json: dict[str, Any]) -> None:
    data = http.post("/v1/solve", json={"problem": example_json, "explain": True, "lang": "nb"}).json()
    ref = explain(load_example(), lang="nb")
    got = {d["id"]: d["explanation"] for d in data["decisions"]}
    for row in ref.itertuples():
        e = got[row.id]
        assert e["sentence"] == row.sentence and e["reason"] == row.reason
        if row.funded:
            assert e["margin_down"] == pytest.approx(row.margin_down)
        else:
            assert e["margin_up"] == pytest.approx(row.margin_up)
        assert e["max_grant"] == (None if row.max_grant is None or str(row.max_grant) == "<NA>" else int(row.max_grant))


def test_infeasible_problem_is_a_solution_with_its_diagnosis(http: Any, example_json: dict[str, Any]) -> None:
    everyone = [a["id"] for a in example_json["applications"]]  # 4 705 000 kr asked, the frame is 2 300 000
    p = dict(example_json, rules=[{"kind": "must_fund", "ids": everyone}])
    data = http.post("/v1/solve", json={"problem": p}).json()
    assert data["status"] == "infeasible" and data["diagnosis"]


def test_check_a_portfolio(http: Any, example_json: dict[str, Any]) -> None:
    p = load_example()
    best = solve(p)
    ok = http.post("/v1/check", json={"problem": example_json, "grants": best.grants}).json()
    assert ok["ok"] is True and ok["violations"] == [] and ok["total_granted"] == best.total_granted
    everything = http.post("/v1/check", json={"problem": example_json, "funded": p.ids}).json()
    assert everything["ok"] is False
    assert [v["rule"] for v in everything["violations"]] == [
        v.rule for v in check(p, {a.id: a.requested for a in p.applications}).violations
    ]
    assert http.post("/v1/check", json={"problem": example_json}).status_code == 422
    assert http.post("/v1/check", json={"problem": example_json, "funded": ["nope"]}).status_code == 422


def test_explain_endpoint(http: Any, example_json: dict[str, Any]) -> None:
    data = http.post("/v1/explain", json={"problem": example_json, "max_grant": False}).json()
    ref = explain(load_example(), max_grant=False)
    assert data["ids"] == list(ref["id"])
    assert [e["sentence"] for e in data["explanations"]] == list(ref["sentence"])


def test_rank_and_fund_comparison(http: Any, example_json: dict[str, Any]) -> None:
    data = http.post("/v1/rank-and-fund", json={"problem": example_json}).json()
    p = load_example()
    ref = compare(solve(p), rank_and_fund(p))
    assert data["comparison"]["improvement"] == pytest.approx(ref.improvement)
    assert data["comparison"]["only_optimal"] == list(ref.only_optimal)
    assert {d["id"]: d["granted"] for d in data["rank_and_fund"]["decisions"]} == rank_and_fund(p).grants


def _files(policy: bool = True, ledger: bool = True) -> dict[str, Any]:
    files: dict[str, Any] = {"applications": ("søknader.csv", EXAMPLE_CSV.read_bytes(), "text/csv")}
    if policy:
        files["policy"] = ("vtfk.toml", EXAMPLE_POLICY.read_bytes(), "application/toml")
    if ledger:
        files["ledger"] = (
            "ledger.csv",
            (EXAMPLE_POLICY.parent / "vtfk_2022_round2_de_minimis.csv").read_bytes(),
            "text/csv",
        )
    return files


def test_solve_table_with_policy_json_and_excel(http: Any) -> None:
    from allocator import read_table

    r = http.post(
        "/v1/solve/table",
        files=_files(),
        data={"lang": "en", "include_problem": "true"},
    )
    assert r.status_code == 200, r.text
    data = r.json()
    ref_problem = load_example_policy().apply(read_table(EXAMPLE_CSV))
    assert Problem.model_validate(data["problem"]) == ref_problem
    assert {d["id"]: d["granted"] for d in data["optimal"]["decisions"]} == solve(ref_problem).grants
    x = http.post("/v1/solve/table", files=_files(), data={"lang": "nb"}, headers={"Accept": XLSX})
    assert x.status_code == 200 and x.headers["content-type"] == XLSX
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    assert {"Sammendrag", "Saksliste med vurdering", "Tildelinger"} <= set(wb.sheetnames)  # in the language asked for


def test_solve_table_without_policy_needs_frame_and_weights(http: Any) -> None:
    files = _files(policy=False, ledger=False)
    r = http.post(
        "/v1/solve/table",
        files=files,
        data={"frame": "2 300 000", "weights": "green=0.6; smart=0.4"},
    )
    assert r.status_code == 200, r.text
    ref = Problem.from_frame(
        __import__("allocator").read_table(EXAMPLE_CSV),
        frame=2_300_000,
        weights={"green": 0.6, "smart": 0.4},
    )
    assert {d["id"]: d["granted"] for d in r.json()["optimal"]["decisions"]} == solve(ref).grants
    missing = http.post("/v1/solve/table", files=files, data={"weights": "green=1"})
    assert missing.status_code == 422 and "frame" in missing.json()["detail"]


def test_policy_naming_a_ledger_needs_it_uploaded(http: Any) -> None:
    r = http.post("/v1/solve/table", files=_files(ledger=False))
    assert r.status_code == 422
    assert "vtfk_2022_round2_de_minimis.csv" in r.json()["detail"] and "upload" in r.json()["detail"]
    pre = http.post("/v1/policy", files={"policy": _files()["policy"]}, data={"prefill": "true"}).json()
    assert (
        pre["frame"] == 2_300_000
        and pre["weights"]["green"] == 0.3
        and pre["ledger"] == "vtfk_2022_round2_de_minimis.csv"
    )
    bad = http.post("/v1/policy", files={"policy": ("p.toml", b"frame = [", "application/toml")})
    assert bad.status_code == 422 and "p.toml" in bad.json()["detail"]


def test_invalid_problem_carries_the_library_message_and_field_paths(http: Any, example_json: dict[str, Any]) -> None:
    bad = json.loads(json.dumps(example_json))
    bad["applications"][2]["requested"] = -5
    bad["applications"][3]["scores"]["green"] = 99
    r = http.post("/v1/solve", json={"problem": bad})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    with pytest.raises(AllocatorError) as lib:
        Problem.model_validate(bad)
    assert body["detail"] == str(lib.value)
    assert body["status"] == 422 and body["type"].startswith("urn:allocator:error:") and body["title"]
    assert "problem.applications.2.requested" in [e["path"] for e in body["errors"]]
    bad["applications"][2]["requested"] = 100_000
    r2 = http.post("/v1/solve", json={"problem": bad}).json()
    assert [e["path"] for e in r2["errors"]] == ["problem.applications.3.scores.green"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "not an object"),
        (b'{"problem": {}, "lang": "de"}', 422, "lang"),
        (b'{"problem": {}, "surprise": 1}', 422, "surprise"),
    ],
)
def test_malformed_and_invalid_bodies(http: Any, body: bytes, status: int, words: str) -> None:
    r = http.post("/v1/solve", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json"
    assert words in r.json()["detail"]


def test_a_ledger_path_in_a_request_is_refused_unread(http: Any, example_json: dict[str, Any], tmp_path: Any) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("organisation,date,amount,currency\nSECRET-ORG,2022-01-01,1,NOK\n")
    rule = {
        "kind": "de_minimis",
        "decision_date": "2022-11-15",
        "eur_nok": 10.0,
        "ledger": str(secret),
    }
    r = http.post("/v1/solve", json={"problem": dict(example_json, rules=[rule])})
    assert r.status_code == 422 and "opens no files" in r.json()["detail"]
    assert "SECRET" not in r.text
    assert r.json()["errors"][0]["path"] == "problem.rules.0.ledger"
    job = http.post(
        "/v1/jobs",
        json={
            "kind": "scenarios",
            "problem": example_json,
            "scenarios": [{"name": "s", "extra_rules": [rule]}],
        },
    )
    assert job.status_code == 422 and "opens no files" in job.json()["detail"]


def test_limits_on_time_and_size(limited: Service, example_json: dict[str, Any]) -> None:
    with limited.client() as c:
        small = dict(example_json, applications=example_json["applications"][:10])
        assert c.post("/v1/solve", json={"problem": small, "time_limit": 5}).json()["status"] == "optimal"
        too_long = c.post("/v1/solve", json={"problem": small, "time_limit": 60})
        assert too_long.status_code == 422 and "/v1/jobs" in too_long.json()["detail"]
        too_big = c.post("/v1/solve", json={"problem": example_json})
        assert too_big.status_code == 422 and "at most 20" in too_big.json()["detail"]
        job = c.post("/v1/jobs", json={"kind": "solve", "problem": example_json})
        assert job.status_code == 422 and "at most 20" in job.json()["detail"]


def test_unknown_path_and_method(http: Any) -> None:
    r = http.get("/v1/nothing")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert http.get("/v1/solve").status_code == 405
