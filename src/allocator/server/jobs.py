"""The job runner: a bounded queue in front of worker processes, with real cancellation.

Each of ``settings.workers`` slots owns one worker process (:mod:`allocator.server.worker`,
started with the 'spawn' method: HiGHS deadlocks in forked children) and a thread reading
its pipe. A job is handed to an idle worker; cancelling a running job terminates its
process, and the slot starts a fresh one, so the next job runs at once. Jobs live in the
:class:`~allocator.server.store.Store`: a restart finds the queued ones and queues them again.

The id of a job is a hash of its canonical request, so that submitting the same request
again returns the same job (unless a new run is asked for); a request whose job failed,
was cancelled or was interrupted runs again under the same id.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import multiprocessing
import queue
import threading
import uuid
from collections import deque
from typing import Any

from allocator.server.settings import Settings
from allocator.server.store import JobRecord, Store

__all__ = ["QueueFull", "Runner", "job_id_of"]

_log = logging.getLogger(__name__)


class QueueFull(Exception):
    """As many jobs as allowed are queued or running."""


def job_id_of(request: dict[str, Any], *, new: bool = False) -> str:
    """The job id of ``request``: 32 hex digits of the SHA-256 of its canonical JSON
    (sorted keys), salted with a random nonce for a new run.

    >>> job_id_of({"kind": "solve", "a": 1}) == job_id_of({"a": 1, "kind": "solve"})
    True
    >>> job_id_of({"a": 1}) == job_id_of({"a": 1}, new=True)
    False
    """
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if new:
        text += "\x00" + uuid.uuid4().hex
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class _Slot:
    """One worker process, the job it runs, and the thread reading its messages."""

    def __init__(self, runner: Runner, index: int) -> None:
        self.runner = runner
        self.index = index
        self.job: str | None = None
        self.process: Any = None
        self.conn: Any = None
        self.ready = False

    def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        from allocator.server.worker import worker_main

        proc = ctx.Process(
            target=worker_main,
            args=(child, self.runner.settings.dask_scheduler),
            name=f"allocator-worker-{self.index}",
            daemon=True,
        )
        proc.start()
        child.close()
        self.process, self.conn, self.ready = proc, parent, False
        threading.Thread(
            target=self._read,
            args=(proc, parent),
            name=f"allocator-slot-{self.index}",
            daemon=True,
        ).start()

    @property
    def idle(self) -> bool:
        return self.job is None and self.process is not None and self.process.is_alive()

    def send(self, job_id: str, request: dict[str, Any]) -> None:
        conn = self.conn

        def push() -> None:  # a large request blocks until the worker reads it: not under the lock
            with contextlib.suppress(OSError, ValueError):  # the worker was stopped meanwhile: its reader says so
                conn.send((job_id, request))

        threading.Thread(target=push, daemon=True).start()

    def stop(self, timeout: float = 3.0) -> None:
        proc = self.process
        if proc is None:
            return
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout)

    def _read(self, proc: Any, conn: Any) -> None:
        try:
            while True:
                try:
                    kind, job_id, payload = conn.recv()
                except (EOFError, OSError):
                    break
                try:
                    self.runner._message(self, kind, job_id, payload)
                except Exception:  # one bad message must not leave the slot without a reader
                    _log.exception("worker %d: handling its %r message failed", self.index, kind)
        finally:  # whatever happened above, the slot gets a fresh worker
            with contextlib.suppress(OSError):
                conn.close()
            proc.join(5)
            self.runner._exited(self, proc)


class Runner:
    """Queue, workers and store together; see the module documentation."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._lock = threading.RLock()
        self._queue: deque[str] = deque()
        self._slots = [_Slot(self, k) for k in range(settings.workers)]
        self._closing = False
        self._purger: threading.Timer | None = None
        # workers are started from one thread that lives as long as the runner: a worker asks
        # to die with the thread that started it (PR_SET_PDEATHSIG), not with a reader thread
        self._spawns: queue.SimpleQueue[_Slot | None] = queue.SimpleQueue()
        self._spawner = threading.Thread(target=self._spawn_loop, name="allocator-spawner", daemon=True)

    # ------------------------------------------------------------------ life
    def start(self) -> None:
        """Queue again the jobs a previous server left queued, start the workers."""
        self.store.purge_expired()
        with self._lock:
            self._queue.extend(self.store.recover())
        self._spawner.start()
        for slot in self._slots:
            self._spawns.put(slot)
        self._schedule_purge()

    def _spawn_loop(self) -> None:
        # this thread must outlive every failure: without it no worker is ever started again
        while (slot := self._spawns.get()) is not None:
            with self._lock:
                if self._closing:
                    return
                try:
                    slot.start()
                except Exception as exc:  # no process to be had now (limits, memory): try again soon
                    _log.warning("starting worker %d failed (%s); trying again in 2 s", slot.index, exc)
                    threading.Timer(2.0, self._spawns.put, args=(slot,)).start()
                    continue
            try:
                self._dispatch()
            except Exception:
                _log.exception("handing queued jobs to worker %d failed", slot.index)

    def close(self) -> None:
        """Stop the workers; a job they were running is marked interrupted."""
        with self._lock:
            self._closing = True
            if self._purger is not None:
                self._purger.cancel()
            for slot in self._slots:
                if slot.job is not None:
                    self.store.end(
                        slot.job,
                        "interrupted",
                        "the server stopped while this job ran; submit the same request again to run it again",
                        only_from=("running",),
                    )
        for slot in self._slots:
            slot.stop()

    def _schedule_purge(self) -> None:
        def purge() -> None:
            self.store.purge_expired()
            if not self._closing:
                self._schedule_purge()

        self._purger = threading.Timer(min(60.0, max(1.0, self.settings.job_ttl / 10)), purge)
        self._purger.daemon = True
        self._purger.start()

    # ------------------------------------------------------------------ requests
    def submit(self, kind: str, request: dict[str, Any], *, new: bool = False) -> tuple[JobRecord, bool]:
        """Queue ``request`` (validated, canonical); returns the job and whether it was queued
        now (False: the same request's job, queued, running or done, is returned as it is).
        Raises :class:`QueueFull` when the queue is full."""
        job_id = job_id_of(request, new=new)
        with self._lock:
            rec = self.store.get(job_id)
            if rec is not None and rec.status in ("queued", "running", "done"):
                return rec, False
            if self.store.count_active() >= self.settings.max_jobs:
                raise QueueFull(f"{self.settings.max_jobs} jobs are queued or running, the most this service takes")
            rec = self.store.put_queued(job_id, kind, request)
            self._queue.append(job_id)
        self._dispatch()
        return rec, True

    def cancel(self, job_id: str) -> JobRecord | None:
        """Cancel a queued or running job (a running job's worker is terminated); the job
        as it is afterwards, or None when unknown."""
        slot_to_stop = None
        with self._lock:
            rec = self.store.get(job_id)
            if rec is None:
                return None
            if rec.status in ("queued", "running"):
                self.store.end(job_id, "cancelled", "cancelled by the client")
                if job_id in self._queue:
                    self._queue.remove(job_id)
                for slot in self._slots:
                    if slot.job == job_id:
                        slot_to_stop = slot
        if slot_to_stop is not None:
            slot_to_stop.stop()  # its reader sees the pipe close, starts a new worker, dispatches
        return self.store.get(job_id)

    def queued(self) -> int:
        """Jobs waiting for a worker."""
        with self._lock:
            return len(self._queue)

    # ------------------------------------------------------------------ workers
    def _dispatch(self) -> None:
        with self._lock:
            if self._closing:
                return
            for slot in self._slots:
                while slot.idle and self._queue:
                    job_id = self._queue[0]  # leaves the queue only once it is running or gone
                    rec = self.store.get(job_id)
                    started = rec is not None and self.store.start(job_id)
                    self._queue.popleft()
                    if rec is None or not started:
                        continue  # cancelled or expired while it waited
                    slot.job = job_id
                    slot.send(job_id, rec.request)

    def _message(self, slot: _Slot, kind: str, job_id: str, payload: Any) -> None:
        if kind == "ready":
            slot.ready = True
        elif kind == "progress":
            done, total, message = payload
            self.store.progress(job_id, done, total, message)
        elif kind == "done":
            self.store.finish(job_id, payload)
            self._release(slot, job_id)
        elif kind == "failed":
            self.store.end(
                job_id,
                "failed",
                str(payload.get("detail", "")),
                payload,
                only_from=("running",),
            )
            self._release(slot, job_id)

    def _release(self, slot: _Slot, job_id: str) -> None:
        with self._lock:
            if slot.job == job_id:
                slot.job = None
        self._dispatch()

    def _exited(self, slot: _Slot, proc: Any) -> None:
        with self._lock:
            if slot.process is not proc:
                return
            job, slot.job = slot.job, None
            if job is not None:
                self.store.end(
                    job,
                    "failed",
                    f"the worker process stopped (exit code {proc.exitcode}) while running this job",
                    {
                        "type": "urn:allocator:error:worker-died",
                        "title": "Worker stopped",
                        "status": 500,
                        "detail": f"the worker process stopped (exit code {proc.exitcode}); the job may need more memory than the machine has",
                    },
                    only_from=("running",),
                )
            if self._closing:
                return
        self._spawns.put(slot)
