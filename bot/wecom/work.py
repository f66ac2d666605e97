"""Keeping callback acknowledgements fast: a gate over this process's database work, and one processing thread.

Measured with ``bench/wecom_ack.py`` (50 senders): processing each message in FastAPI ``BackgroundTasks``
made acknowledgements take seconds, for two reasons. Starlette runs background tasks inside the response
cycle, so the next callback on a kept-alive connection waited for the previous message's processing; and
dozens of threads racing for SQLite's single write lock meet its busy handler, which sleeps (1, 2, 5 … 100 ms).
So events are processed by one thread per process, after the answer, and acknowledgements go first.
A stored event whose processing is lost (the process stops) stays pending in the inbox; the worker's next
pass handles it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Gate:
    """One piece of callback database work at a time; acknowledgements before background processing, which
    waits at most ``patience`` seconds for them (so a steady stream of callbacks cannot starve it)."""

    def __init__(self, patience: float = 0.5) -> None:
        self.patience = patience
        self.cond = threading.Condition()
        self.waiting = 0
        self.busy = False

    def ack(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` as soon as no other callback work runs."""
        with self.cond:
            self.waiting += 1
            try:
                self.cond.wait_for(lambda: not self.busy)
            finally:
                self.waiting -= 1
            self.busy = True
        try:
            return fn(*args)
        finally:
            with self.cond:
                self.busy = False
                self.cond.notify_all()

    def work(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` when no acknowledgement waits (or ``patience`` has passed) and nothing else runs."""
        with self.cond:
            self.cond.wait_for(lambda: not self.busy and not self.waiting, timeout=self.patience)
            self.cond.wait_for(lambda: not self.busy)
            self.busy = True
        try:
            fn(*args)
        finally:
            with self.cond:
                self.busy = False
                self.cond.notify_all()


class Processor:
    """A thread that runs queued jobs one by one through the gate; started when needed, ends when idle."""

    IDLE = 5.0

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.jobs: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.Queue()
        self.lock = threading.Condition()
        self.unfinished = 0
        self.thread: threading.Thread | None = None

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` after the jobs already queued."""
        with self.lock:
            self.unfinished += 1
            self.jobs.put((fn, args))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="kesu-wecom-processor", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                fn, args = self.jobs.get(timeout=self.IDLE)
            except queue.Empty:
                with self.lock:  # a job submitted meanwhile is seen here, or submit() starts a new thread
                    if self.jobs.empty():
                        self.thread = None
                        return
                continue
            try:
                self.gate.work(fn, *args)
            except Exception:
                log.exception("wecom: background processing failed")  # the event stays pending in the inbox
            finally:
                with self.lock:
                    self.unfinished -= 1
                    self.lock.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every submitted job has run (at most ``timeout`` seconds); True when idle."""
        with self.lock:
            return self.lock.wait_for(lambda: self.unfinished == 0, timeout=timeout)
