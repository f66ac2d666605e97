"""The order of this process's database work: acknowledgements first, background work when no request is being
answered (bot/intake.py says why)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Gate:
    """The order of this process's database work: acknowledgements, then background work.

    ``exclusive``: one unit of work at a time (SQLite). ``patience``: how long background work waits for a
    moment without requests before it goes anyway.
    """

    def __init__(self, *, exclusive: bool, patience: float = 2.0, quiet: float = 0.01) -> None:
        self.exclusive = exclusive
        self.patience = patience
        self.quiet = quiet
        lock = threading.Lock()
        self._cond = threading.Condition(lock)  # acknowledgement work waiting for the database
        self._calm = threading.Condition(lock)  # background work waiting for a quiet moment
        self._ready = 0  # background units past their quiet wait (patience spent or quiet seen)
        self._last_request = 0.0  # when the last request ended (monotonic)
        self._requests = 0  # requests being acknowledged
        self._urgent = 0  # acknowledgement units of work waiting
        self._busy = False  # a unit of work runs (tracked only when exclusive)
        self._local = threading.local()

    @contextmanager
    def request(self) -> Iterator[None]:
        """A request from arrival to answer: background units of work wait for it."""
        with self._cond:
            self._requests += 1
        try:
            yield
        finally:
            with self._cond:
                self._requests -= 1
                self._last_request = time.monotonic()
                if not self._requests:  # only then can background work see a quiet moment: no wake-up per request
                    self._calm.notify_all()

    def in_flight(self) -> int:
        """Requests being acknowledged now."""
        return self._requests

    @contextmanager
    def urgent(self) -> Iterator[None]:
        """Units of work this thread opens meanwhile are acknowledgement work: ahead of background work."""
        before = getattr(self._local, "urgent", False)
        self._local.urgent = True
        try:
            yield
        finally:
            self._local.urgent = before

    @contextmanager
    def urgent_unit(self) -> Iterator[None]:
        """One unit of acknowledgement work, for a writer that is not a unit of work (SqliteInboxWriter)."""
        with self.urgent(), self.unit():
            yield

    @contextmanager
    def unit(self) -> Iterator[None]:
        """Around one unit of work (the composition root makes every unit of work enter it)."""
        depth = getattr(self._local, "depth", 0)
        if depth:  # already inside one on this thread
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        self._enter(getattr(self._local, "urgent", False))
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._cond:
                self._busy = False
                self._cond.notify_all()
                if self._ready or not self._requests:  # not a wake-up per group commit while requests are answered
                    self._calm.notify_all()

    def _enter(self, urgent: bool) -> None:
        with self._cond:
            if urgent:
                self._urgent += 1
                try:
                    self._cond.wait_for(lambda: not self._busy)
                finally:
                    self._urgent -= 1
            else:
                self._wait_for_quiet()
                self._ready += 1
                try:
                    self._calm.wait_for(lambda: not (self._busy or self._urgent))
                finally:
                    self._ready -= 1
            self._busy = self.exclusive

    def _wait_for_quiet(self) -> None:
        """(Holding the condition.) Until no request has been seen for ``quiet`` seconds and nothing urgent
        waits, or ``patience`` has passed."""
        deadline = time.monotonic() + self.patience
        while (left := deadline - time.monotonic()) > 0:
            if self._busy or self._urgent or self._requests:
                self._calm.wait(left)
                continue
            still = self.quiet - (time.monotonic() - self._last_request)
            if still <= 0:
                return
            self._calm.wait(min(still, left))
