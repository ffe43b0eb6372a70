"""The service's parts on their own: the store, reasons in words, settings, error paths."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from allocator import Decision, Reason, load_example, solve


def test_store_keeps_results_and_recovers_after_a_crash(tmp_path: Path) -> None:
    from allocator.server.store import Store

    db = tmp_path / "jobs.sqlite3"
    s = Store(db, ttl=60)
    s.put_queued("a" * 32, "solve", {"kind": "solve", "x": 1})
    s.put_queued("b" * 32, "solve", {"kind": "solve", "x": 2})
    s.put_queued("c" * 32, "solve", {"kind": "solve", "x": 3})
    assert s.start("a" * 32) and s.finish("a" * 32, json.dumps({"answer": 42}))
    assert s.start("b" * 32)
    s.progress("b" * 32, 3, 10, "3 of 10")
    assert s.count_active() == 2
    s.close()  # the process dies here: b running, c queued
    s = Store(db, ttl=60)
    assert s.recover() == ["c" * 32]
    a, b = s.get("a" * 32), s.get("b" * 32)
    assert a is not None and a.status == "done" and json.loads(s.result("a" * 32) or "") == {"answer": 42}
    assert b is not None and b.status == "interrupted" and b.done == 3 and b.request == {"kind": "solve", "x": 2}
    assert not s.finish("b" * 32, "{}")  # a lost run cannot finish
    s.put_queued("b" * 32, "solve", {"kind": "solve", "x": 2})  # submitted again: queued afresh
    b = s.get("b" * 32)
    assert b is not None and (b.status, b.done, b.error) == ("queued", 0, None)
    assert s.end("c" * 32, "cancelled", "by test") and not s.end("c" * 32, "failed", "too late")
    assert s.purge_expired(time.time() + 61) == 2 and s.get("a" * 32) is None and s.result("a" * 32) is None
    with pytest.raises(ValueError):
        s.end("b" * 32, "running", "not final")
    s.close()


def test_reasons_in_words_for_every_reason() -> None:
    from allocator.server.words import reason_words

    for reason in Reason:
        d = Decision(
            id="A",
            requested=100,
            granted=50 if reason is Reason.FUNDED_PARTIALLY else 0,
            funded=False,
            score=0.5,
            value=0.0,
            rank=1,
            reason=reason,
            note="ineligible: green 2 below the threshold 3",
        )
        en, nb = reason_words(d, "en"), reason_words(d, "nb")
        assert en and nb and en != nb and en.endswith(".") and nb.endswith(".")
    sol = solve(load_example())
    words = {reason_words(d, "nb") for d in sol.decisions}
    assert any(w.startswith("Innvilget fullt ut (") for w in words)
    with pytest.raises(ValueError):
        reason_words(sol.decisions[0], "de")


def test_field_paths_of_library_messages() -> None:
    from allocator import Problem
    from allocator.exceptions import AllocatorError
    from allocator.server.errors import field_errors

    data = json.loads(load_example().model_dump_json())
    data["applications"][5]["requested"] = 0
    data["criteria"][0]["weight"] = -1
    with pytest.raises(AllocatorError) as exc:
        Problem.model_validate(data)
    paths = [e.path for e in field_errors(str(exc.value), "problem", data)]
    assert paths == ["problem.criteria.0.weight", "problem.applications.5.requested"]


def test_settings_from_flags_and_variables(tmp_path: Path) -> None:
    import argparse

    from allocator.server.settings import ServerConfigError, add_arguments, from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    token = tmp_path / "token"
    token.write_text("  a-long-enough-token-value \n")
    args = parser.parse_args(
        [
            "--port",
            "8123",
            "--token-file",
            str(token),
            "--workers",
            "2",
            "--max-body",
            "5M",
        ]
    )
    s = from_args(args, {"ALLOCATOR_PORT": "9999", "ALLOCATOR_MAX_JOBS": "7"})
    assert (s.port, s.token, s.workers, s.max_body, s.max_jobs) == (
        8123,
        "a-long-enough-token-value",
        2,
        5 * 1024**2,
        7,
    )
    with pytest.raises(ServerConfigError, match="not understood"):
        from_args(parser.parse_args(["--max-body", "lots"]), {})
    with pytest.raises(ServerConfigError, match="could not be read"):
        from_args(parser.parse_args(["--token-file", str(tmp_path / "missing")]), {})
    with pytest.raises(ServerConfigError, match="at least 1"):
        from_args(parser.parse_args(["--workers", "0"]), {})


def test_job_ids_are_canonical() -> None:
    from allocator.server.jobs import job_id_of
    from allocator.server.tasks import parse_spec

    p = json.loads(load_example().model_dump_json())
    a = parse_spec({"kind": "alternatives", "problem": p}).model_dump(mode="json")
    b = parse_spec({"problem": p, "count": 10, "kind": "alternatives", "method": "k_best"}).model_dump(mode="json")
    assert job_id_of(a) == job_id_of(b)
    c = parse_spec({"kind": "alternatives", "problem": p, "count": 11}).model_dump(mode="json")
    assert job_id_of(a) != job_id_of(c)


def test_store_reads_whole_rows_while_other_threads_write(tmp_path: Path) -> None:
    """The service's threads share one store: the HTTP handlers read jobs while the workers'
    readers write progress. Every read must see whole rows (Python 3.12's sqlite3 returned
    half-overwritten ones when a cursor was read outside the store's lock, which stopped the
    job queue)."""
    import threading

    from allocator.server.store import Store

    store = Store(tmp_path / "jobs.sqlite3")
    ids = [f"{k:032x}" for k in range(4)]
    for job_id in ids:
        store.put_queued(job_id, "solve", {"kind": "solve", "of": job_id})
        assert store.start(job_id)
    wrong: list[str] = []
    writing = threading.Event()

    def read() -> None:
        writing.wait()
        for _ in range(400):
            for job_id in ids:
                rec = store.get(job_id)
                if rec is None or rec.id != job_id or rec.request != {"kind": "solve", "of": job_id}:
                    wrong.append(f"{job_id}: {rec}")
                    return
                if store.count_active() != len(ids) or store.result(job_id) is not None:
                    wrong.append(f"{job_id}: count or result wrong")
                    return

    def write(done: threading.Event) -> None:
        step = 0
        writing.set()
        while not done.is_set():
            step += 1
            for job_id in ids:
                store.progress(job_id, step, None, f"step {step}")

    done = threading.Event()
    readers = [threading.Thread(target=read) for _ in range(3)]
    writer = threading.Thread(target=write, args=(done,))
    writer.start()
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    done.set()
    writer.join()
    assert not wrong, wrong[:3]
    assert store.get(ids[0]) is not None and store.get(ids[0]).done > 0  # type: ignore[union-attr]
