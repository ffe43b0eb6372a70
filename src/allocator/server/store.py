"""Jobs and their results in one SQLite file (standard library ``sqlite3``).

A job row holds its request (canonical JSON), its state and its progress; a finished job's
result is a row of ``results``. Everything the service must remember across a restart is
here: on opening, jobs that were ``running`` when the previous server stopped are marked
``interrupted`` (their request is kept, so the same request submitted again runs them
again), and ``queued`` jobs are handed back to be queued again. Finished jobs expire
``ttl`` seconds after they finished and are then deleted.

States: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``cancelled``; ``interrupted``
for a run lost with its server. ``done``, ``failed``, ``cancelled`` and ``interrupted`` are
final.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ACTIVE", "FINAL", "JobRecord", "Store"]

ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled", "interrupted")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    expires REAL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    message TEXT NOT NULL DEFAULT '',
    error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE INDEX IF NOT EXISTS jobs_expires ON jobs (expires);
CREATE TABLE IF NOT EXISTS results (
    id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    body TEXT NOT NULL
);
"""

_COLUMNS = "id, kind, status, request, created, started, finished, expires, done, total, message, error"


@dataclass(frozen=True)
class JobRecord:
    """One job as stored (``request`` and ``error`` decoded from JSON)."""

    id: str
    kind: str
    status: str
    request: dict[str, Any]
    created: float
    started: float | None
    finished: float | None
    expires: float | None
    done: int
    total: int | None
    message: str
    error: dict[str, Any] | None

    @classmethod
    def _of(cls, row: tuple[Any, ...]) -> JobRecord:
        (
            id_,
            kind,
            status,
            request,
            created,
            started,
            finished,
            expires,
            done,
            total,
            message,
            error,
        ) = row
        return cls(
            id_,
            kind,
            status,
            json.loads(request),
            created,
            started,
            finished,
            expires,
            done,
            total,
            message,
            None if error is None else json.loads(error),
        )


class Store:
    """The SQLite file of jobs and results; safe to use from several threads.

    Parameters
    ----------
    path
        The database file (created with its folder's permission if missing); ``":memory:"``
        for a store that lives only as long as the object.
    ttl
        Seconds a finished job is kept.
    """

    def __init__(self, path: str | Path, *, ttl: float = 7 * 86400.0) -> None:
        self.path = str(path)
        self.ttl = ttl
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
        with self._lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """Execute one statement; the number of rows it changed."""
        with self._lock:
            return self._db.execute(sql, args).rowcount

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Every row of one query, fetched under the lock: the threads share one connection,
        and a cursor read after another thread's statement can return a row half overwritten
        (a request of None was seen, and it stopped the service's job queue)."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ restart
    def recover(self) -> list[str]:
        """After a restart: mark jobs left ``running`` as ``interrupted``; return the ids of
        jobs still ``queued``, oldest first (to be queued again)."""
        now = time.time()
        self._run(
            "UPDATE jobs SET status='interrupted', finished=?, expires=?, "
            "message='the server stopped while this job ran; submit the same request again to run it again' "
            "WHERE status='running'",
            (now, now + self.ttl),
        )
        return [r[0] for r in self._rows("SELECT id FROM jobs WHERE status='queued' ORDER BY created, id")]

    def purge_expired(self, now: float | None = None) -> int:
        """Delete finished jobs past their expiry; returns how many."""
        t = time.time() if now is None else now
        with self._lock:
            self._db.execute(
                "DELETE FROM results WHERE id IN (SELECT id FROM jobs WHERE expires IS NOT NULL AND expires <= ?)",
                (t,),
            )
            cur = self._db.execute("DELETE FROM jobs WHERE expires IS NOT NULL AND expires <= ?", (t,))
            return cur.rowcount

    # ------------------------------------------------------------------ reading
    def get(self, job_id: str) -> JobRecord | None:
        """The job, or None when unknown or expired."""
        rows = self._rows(f"SELECT {_COLUMNS} FROM jobs WHERE id=?", (job_id,))
        if not rows:
            return None
        rec = JobRecord._of(rows[0])
        if rec.expires is not None and rec.expires <= time.time():
            return None
        return rec

    def result(self, job_id: str) -> str | None:
        """A finished job's result (JSON text), or None."""
        rows = self._rows("SELECT body FROM results WHERE id=?", (job_id,))
        return str(rows[0][0]) if rows else None

    def count_active(self) -> int:
        """Jobs queued or running."""
        return int(self._rows("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")[0][0])

    # ------------------------------------------------------------------ writing
    def put_queued(self, job_id: str, kind: str, request: dict[str, Any]) -> JobRecord:
        """Insert a new queued job, or reset a finished one with this id to run again."""
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM results WHERE id=?", (job_id,))
            self._db.execute(
                "INSERT INTO jobs (id, kind, status, request, created) VALUES (?, ?, 'queued', ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET status='queued', kind=excluded.kind, request=excluded.request, "
                "created=excluded.created, started=NULL, finished=NULL, expires=NULL, done=0, total=NULL, message='', error=NULL",
                (job_id, kind, json.dumps(request, separators=(",", ":")), now),
            )
        rec = self.get(job_id)
        assert rec is not None
        return rec

    def start(self, job_id: str) -> bool:
        """Mark a queued job running; False if it is no longer queued (cancelled meanwhile)."""
        changed = self._run(
            "UPDATE jobs SET status='running', started=? WHERE id=? AND status='queued'",
            (time.time(), job_id),
        )
        return changed == 1

    def progress(self, job_id: str, done: int, total: int | None, message: str) -> None:
        """Record progress of a running job."""
        self._run(
            "UPDATE jobs SET done=?, total=?, message=? WHERE id=? AND status='running'",
            (done, total, message, job_id),
        )

    def finish(self, job_id: str, result_json: str, message: str = "") -> bool:
        """Store the result of a running job and mark it done; False if it was not running."""
        now = time.time()
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET status='done', finished=?, expires=?, message=?, done=COALESCE(total, done) "
                "WHERE id=? AND status='running'",
                (now, now + self.ttl, message, job_id),
            )
            if cur.rowcount != 1:
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO results (id, body) VALUES (?, ?)",
                (job_id, result_json),
            )
            return True

    def end(
        self,
        job_id: str,
        status: str,
        message: str,
        error: dict[str, Any] | None = None,
        *,
        only_from: tuple[str, ...] = ACTIVE,
    ) -> bool:
        """Move a job in one of ``only_from`` to the final ``status``; False if it was in none of them."""
        if status not in FINAL:
            raise ValueError(f"{status!r} is not a final state")
        now = time.time()
        marks = ",".join("?" * len(only_from))
        changed = self._run(
            f"UPDATE jobs SET status=?, finished=?, expires=?, message=?, error=? WHERE id=? AND status IN ({marks})",
            (
                status,
                now,
                now + self.ttl,
                message,
                None if error is None else json.dumps(error),
                job_id,
                *only_from,
            ),
        )
        return changed == 1
