"""Batches concurrent generation requests: a worker thread takes every request waiting in
the queue and samples all their rows in one batch, under the policy lock."""

from __future__ import annotations

import queue
import threading

from .models import Policy
from .sampling import Row, generate


class Job:
    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self.done = threading.Event()
        self.error: BaseException | None = None

    def cancel(self) -> None:
        """The client has gone: its rows stop at the next token (or never start)."""
        for r in self.rows:
            r.cancelled = True


class Engine:
    def __init__(self, policy: Policy, max_batch_rows: int = 64) -> None:
        self.policy = policy
        self.max_batch_rows = max_batch_rows
        self._q: queue.Queue[Job] = queue.Queue()
        self.batches = 0  # how many batches ran (tests check batching through it)
        self.last_batch_rows = 0
        self.max_rows_seen = 0
        self.aborted_rows = 0  # rows stopped because their client went away
        self._thread = threading.Thread(target=self._loop, name="agentrl-generate", daemon=True)
        self._thread.start()

    def submit(self, rows: list[Row]) -> Job:
        job = Job(rows)
        self._q.put(job)
        return job

    def _loop(self) -> None:
        while True:
            jobs = [self._q.get()]
            rows = len(jobs[0].rows)
            while rows < self.max_batch_rows:
                try:
                    j = self._q.get_nowait()
                except queue.Empty:
                    break
                jobs.append(j)
                rows += len(j.rows)
            try:
                live = [r for j in jobs for r in j.rows if not r.cancelled]
                with self.policy.lock:
                    generate(self.policy, live)
                self.batches += 1
                self.last_batch_rows = rows
                self.max_rows_seen = max(self.max_rows_seen, rows)
            except BaseException as e:  # report to every waiting request, keep serving
                for j in jobs:
                    j.error = e
            for j in jobs:
                self.aborted_rows += sum(1 for r in j.rows if r.cancelled)
                j.done.set()
