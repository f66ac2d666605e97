"""Acknowledge first: inbound events stored in group commits, and this process's database work ordered so that
acknowledgements never wait behind background processing.

Why, measured with ``bench/ack.py`` (50 concurrent senders, 2 cores):

- a transaction per callback, run in the thread pool, capped Kesu at ~300 acknowledgements/s with a p99 of
  half a second: dozens of threads queued for SQLite's single writer, each paying a session, a BEGIN and a
  commit. Every event waiting at that moment is stored with one INSERT and one commit (a group commit);
- the web server's events are written on its own event loop (``InboxWriter``, storage/inbox_writer.py):
  awaited on PostgreSQL, at once on SQLite (``UnitWriter`` for an in-memory one). A writer thread waited for
  the GIL behind the loop each time the driver let go of it — every libpq call, every sqlite3 step — up to the
  5 ms switch interval each time. The events that arrive while one write runs make up the next one. Events from other
  threads (Feishu's long connection) go to a writer thread, which waits up to ``LINGER`` to fill its batch;
- background processing (parsing, cards, the outbox) is CPU-bound Python: while it runs, the event loop
  waits for the GIL at every step (5 ms switch interval). So a background unit of work starts only when no
  request is being acknowledged (or after ``patience`` seconds, so a steady stream cannot starve it);
- on SQLite one unit of work runs at a time in this process, acknowledgements first: a writer blocked inside
  SQLite sleeps in its busy handler in 1, 2, 5 … 100 ms steps, far longer than waiting here. PostgreSQL has
  row locks, so there units of work run side by side.

An acknowledged event is in the inbox; a process that stops before processing it leaves it pending, and the
worker's next pass handles it.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from bot.protocol import InboundEvent, Prepare, Stored
from core.ports import InboxWriter, UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")


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


@dataclass
class _Item:
    event: InboundEvent
    prepare: Prepare | None
    future: Future[Stored] | asyncio.Future[Stored]
    then: Callable[[Stored], Any] | None = None


def _settle_all(outcomes: list[tuple[asyncio.Future[Stored], Stored | BaseException]]) -> None:
    """On the event loop: resolve a batch's futures (one wake-up of the loop per batch, not per event)."""
    for future, outcome in outcomes:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _run_each(calls: list[tuple[Callable[[Stored], Any], Stored]]) -> None:
    """A stored batch's processing, each event on its own: one failing leaves its event pending (the worker's
    next pass retries it) and the rest go on."""
    for then, stored in calls:
        try:
            then(stored)
        except Exception:
            log.exception("background processing failed")


class _Batch:
    """A batch being written: each event as it is to be stored and what its ``Prepare`` learnt."""

    def __init__(self, items: list[_Item]) -> None:
        self.items = items
        self.prepared: list[tuple[InboundEvent, Any]] = [(item.event, None) for item in items]
        self.reads: dict[Prepare, list[int]] = {}  # each Prepare step, with the indices of its events
        for i, item in enumerate(items):
            if item.prepare is not None:
                self.reads.setdefault(item.prepare, []).append(i)

    def recipients(self, prepare: Prepare) -> list[str]:
        return [self.items[i].event.user for i in self.reads[prepare]]

    def apply(self, prepare: Prepare, refs: Mapping[str, str]) -> None:
        indices = self.reads[prepare]
        for i, result in zip(indices, prepare.apply([self.items[i].event for i in indices], refs), strict=True):
            self.prepared[i] = result

    def rows(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(e.platform, e.event_key, e.to_dict()) for e, _ in self.prepared]

    def outcomes(self, ids: list[int | None]) -> list[Stored | BaseException]:
        return [(event_id, extra) for event_id, (_, extra) in zip(ids, self.prepared, strict=True)]


class UnitWriter:
    """``InboxWriter`` over units of work, for an in-memory SQLite database (which only the engine's connection
    sees; a file gets ``storage.inbox_writer.SqliteInboxWriter``): each call runs at once, blocking the event loop
    for the few hundred µs a batch takes. A writer thread would wait for the GIL behind the loop every time
    sqlite3 let go of it (every statement step; measured with ``bench/ack.py``: ~5 points of the throughput
    ratio)."""

    def __init__(self, uow: Callable[[], UnitOfWork], gate: Gate) -> None:
        self.uow = uow
        self.gate = gate

    async def add_many(self, events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
        with self.gate.urgent(), self.uow() as u:
            ids = u.inbox.add_many(events, now=now)
            u.commit()
        return ids

    async def add_many_unless_copies(
        self,
        events: Sequence[tuple[str, str, dict[str, Any]]],
        *,
        now: datetime,
        platform: str,
        card_id: str,
        recipients: Sequence[str],
    ) -> list[int | None] | dict[str, str]:
        with self.gate.urgent(), self.uow() as u:
            copies = u.platform.copies_of(platform, recipients=recipients, card_id=card_id)
            if copies:
                return copies
            ids = u.inbox.add_many(events, now=now)
            u.commit()
        return ids

    def close(self) -> None:
        pass


class GroupIntake:
    """Stores inbound events (the acknowledgement point) in group commits, and runs work after the answer.

    ``store`` queues an event for the next write on the event loop (with a ``writer``; else, and for ``submit``
    from other threads, for one writer thread). A write takes every event waiting at that moment, runs each
    one's ``prepare`` (a platform's own reading, e.g. WeCom's pending card inputs) and inserts them all at once.
    ``later`` queues work for one background thread, whose units of work yield to requests.
    """

    MAX_BATCH = 500
    LINGER = 0.002  # a transaction costs ~0.5 ms however small: under load, wait this long to fill it

    def __init__(
        self, uow: Callable[[], UnitOfWork], gate: Gate, now: Callable[[], datetime], writer: InboxWriter | None = None
    ) -> None:
        self.uow = uow
        self.gate = gate
        self.now = now
        self.writer = writer  # ``store`` writes with it on the event loop (storage/inbox_writer.py, UnitWriter)
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop ``writer`` serves
        self._waiting: list[_Item] = []  # its events for the next write
        self._flusher: asyncio.Task[None] | None = None  # the task writing them
        self._events: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.SimpleQueue()
        self._lock = threading.Condition()
        self._unfinished = 0
        self._threads: dict[str, threading.Thread] = {}

    # --- acknowledgements ----------------------------------------------------------------------------

    def request(self) -> AbstractContextManager[None]:
        """Around a request being acknowledged: background units of work wait for it."""
        return self.gate.request()

    def call_urgent(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` as acknowledgement work (for a thread-pool thread deciding a tap inline)."""
        with self.gate.urgent():
            return fn(*args)

    def submit(
        self, event: InboundEvent, prepare: Prepare | None = None, then: Callable[[Stored], Any] | None = None
    ) -> Future[Stored]:
        """Queue ``event`` for the next group commit (from any thread); the future gives its inbox id (None for
        a duplicate) and what ``prepare`` learnt. ``then(stored)`` runs in the background thread once the event
        is stored (not for a duplicate): its processing, queued by the writer with the rest of its batch."""
        future: Future[Stored] = Future()
        self._queue(_Item(event, prepare, future, then))
        return future

    def store(
        self, event: InboundEvent, prepare: Prepare | None = None, then: Callable[[Stored], Any] | None = None
    ) -> Awaitable[Stored]:
        """``submit`` for the event loop: await it; raises if the database refused the event.

        With a ``writer``, the events are written on this loop: the events that arrive while one write runs
        make up the next one, so batches grow with the load by themselves."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        item = _Item(event, prepare, future, then)
        if self.writer is None or not self._serves(loop):
            self._queue(item)
            return future
        self._begin()
        self._waiting.append(item)
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush())  # after the requests this loop already has in hand
        return future

    def _serves(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether ``writer`` serves ``loop``: the first loop to store, until it is closed (tests run several in
        turn). A store from any other loop goes through the writer thread."""
        if self._loop is None or self._loop.is_closed():
            self._end(len(self._waiting))  # a closed loop's events: nobody awaits them, and they were never acked
            self._loop, self._waiting, self._flusher = loop, [], None
        return self._loop is loop

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.MAX_BATCH], self._waiting[self.MAX_BATCH :]
                try:
                    self._settle(batch, await self._written(batch))
                finally:
                    self._end(len(batch))
        finally:
            self._flusher = None

    async def _written(self, batch: list[_Item]) -> list[Stored | BaseException]:
        assert self.writer is not None
        try:
            b = _Batch(batch)
            if len(b.reads) > 1:  # one guarded write per Prepare: event by event (in order)
                return [outcome for item in batch for outcome in await self._written([item])]
            if b.reads:  # WeCom's texts: stored as they are unless a sender has a pending tap
                [prepare] = b.reads
                b.apply(prepare, {})
                got = await self.writer.add_many_unless_copies(
                    b.rows(),
                    now=self.now(),
                    platform=prepare.platform,
                    card_id=prepare.card_id,
                    recipients=b.recipients(prepare),
                )
                if not isinstance(got, dict):
                    return b.outcomes(got)
                b = _Batch(batch)
                b.apply(prepare, got)  # nothing was stored: again, with the copies it found
            return b.outcomes(await self.writer.add_many(b.rows(), now=self.now()))
        except Exception as e:
            if len(batch) > 1:  # one bad event must not refuse the others: store them one by one
                return [outcome for item in batch for outcome in await self._written([item])]
            log.error("inbox write failed: %r", e)
            return [e]

    def _queue(self, item: _Item) -> None:
        self._begin()
        self._events.put(item)
        self._ensure("writer", self._write_loop)

    # --- after the answer ----------------------------------------------------------------------------

    def later(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in the background thread, after the work queued before it."""
        self._begin()
        self._jobs.put((fn, args))
        self._ensure("processor", self._job_loop)

    def settle(self, timeout: float = 30.0) -> bool:
        """Block until every queued event and job is done (tests, shutdown); True when idle."""
        with self._lock:
            return self._lock.wait_for(lambda: self._unfinished == 0, timeout=timeout)

    # --- threads -------------------------------------------------------------------------------------

    def _begin(self) -> None:
        with self._lock:
            self._unfinished += 1

    def _end(self, n: int = 1) -> None:
        with self._lock:
            self._unfinished -= n
            self._lock.notify_all()

    def _ensure(self, name: str, target: Callable[[], None]) -> None:
        thread = self._threads.get(name)
        if thread is not None and thread.is_alive():  # every request passes here: no lock when it runs
            return
        with self._lock:
            thread = self._threads.get(name)
            if thread is None or not thread.is_alive():
                thread = threading.Thread(target=target, name=f"kesu-intake-{name}", daemon=True)
                self._threads[name] = thread
                thread.start()

    def _write_loop(self) -> None:
        while True:
            batch = self._take()
            try:
                self._settle(batch, self._committed(batch))
            finally:
                self._end(len(batch))

    def _take(self) -> list[_Item]:
        """The next batch: every event waiting, and — while more requests are being acknowledged than there
        are events in hand, whose events are moments away — those arriving within ``LINGER`` seconds."""
        batch = [self._events.get()]
        deadline: float | None = None
        while len(batch) < self.MAX_BATCH:
            try:
                batch.append(self._events.get_nowait())
                continue
            except queue.Empty:
                pass
            if self.gate.in_flight() <= len(batch):
                break
            deadline = deadline or time.monotonic() + self.LINGER
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(self._events.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def _committed(self, batch: list[_Item]) -> list[Stored | BaseException]:
        try:
            with self.gate.urgent(), self.uow() as u:
                b = _Batch(batch)
                for prepare in b.reads:
                    b.apply(
                        prepare,
                        u.platform.copies_of(
                            prepare.platform, recipients=b.recipients(prepare), card_id=prepare.card_id
                        ),
                    )
                ids = u.inbox.add_many(b.rows(), now=self.now())
                u.commit()
            return b.outcomes(ids)
        except Exception as e:
            if len(batch) > 1:  # one bad event must not refuse the others: store them one by one
                return [outcome for item in batch for outcome in self._committed([item])]
            log.error("inbox write failed: %r", e)
            return [e]

    def _settle(self, batch: list[_Item], outcomes: list[Stored | BaseException]) -> None:
        """Resolve a written batch's futures and queue its processing."""
        loops: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Stored], Stored | BaseException]]] = {}
        for item, outcome in zip(batch, outcomes, strict=True):
            if isinstance(item.future, asyncio.Future):
                loops.setdefault(item.future.get_loop(), []).append((item.future, outcome))
            elif isinstance(outcome, BaseException):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # the writer thread
            here = None
        for loop, pairs in loops.items():
            if loop is here:
                _settle_all(pairs)
                continue
            with suppress(RuntimeError):  # a closed loop: nobody is waiting any more
                loop.call_soon_threadsafe(_settle_all, pairs)
        after = [
            (item.then, outcome)
            for item, outcome in zip(batch, outcomes, strict=True)
            if item.then is not None and not isinstance(outcome, BaseException) and outcome[0] is not None
        ]
        if after:  # one job for the batch: its events are processed in the order they were stored
            self.later(_run_each, after)

    def _job_loop(self) -> None:
        while True:
            fn, args = self._jobs.get()
            try:
                fn(*args)
            except Exception:
                log.exception("background processing failed")  # a stored event stays pending in the inbox
            finally:
                self._end()
