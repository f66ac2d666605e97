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
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from bot.gate import Gate
from bot.protocol import EventSink, InboundEvent, Outcome
from core.ports import InboxWriter, UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")


Stored = int | None
"""An event's inbox id; None for a duplicate delivery."""


@dataclass
class _Item:
    event: InboundEvent
    future: Future[Stored] | asyncio.Future[Stored]
    process: bool  # processed in the background once stored (a tap is decided by its caller instead)
    at: datetime | None = None  # received at, on the caller's clock (the local channel's); else the intake's


def _received(batch: list[_Item], now: Callable[[], datetime]) -> datetime:
    return next((item.at for item in batch if item.at is not None), None) or now()


def _rows(batch: list[_Item]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(i.event.platform, i.event.event_key, i.event.to_dict()) for i in batch]


def _settle_all(outcomes: list[tuple[asyncio.Future[Stored], Stored | BaseException]]) -> None:
    """On the event loop: resolve a batch's futures (one wake-up of the loop per batch, not per event)."""
    for future, outcome in outcomes:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _process_each(sink: EventSink, now: Callable[[], datetime], ids: list[int]) -> None:
    """A stored batch's processing, each event on its own: one failing leaves its event pending (the worker's
    next pass retries it) and the rest go on."""
    for event_id in ids:
        try:
            sink.process(event_id, now=now())
        except Exception:
            log.exception("background processing failed")


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

    def close(self) -> None:
        pass


class GroupIntake:
    """The one way in for every platform's events: stores them (the acknowledgement point) in group commits and
    hands them to the ``sink`` (the dispatcher) — texts and photos in the background after the answer, taps at
    once (``decide``) so the person who tapped sees the outcome.

    ``store`` queues an event for the next write on the event loop (with a ``writer``; else, and for ``submit``
    from other threads, for one writer thread). A write takes every event waiting at that moment and inserts them
    all at once. ``later`` queues work for one background thread, whose units of work yield to requests.
    Without a ``sink`` events are stored only (tests of the acknowledgement path).
    """

    MAX_BATCH = 500
    LINGER = 0.002  # a transaction costs ~0.5 ms however small: under load, wait this long to fill it

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        gate: Gate,
        now: Callable[[], datetime],
        writer: InboxWriter | None = None,
        *,
        sink: EventSink | None = None,
    ) -> None:
        self.uow = uow
        self.gate = gate
        self.now = now
        self.writer = writer  # ``store`` writes with it on the event loop (storage/inbox_writer.py, UnitWriter)
        self.sink = sink
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop ``writer`` serves
        self._waiting: list[_Item] = []  # its events for the next write
        self._flusher: asyncio.Task[None] | None = None  # the task writing them
        self._events: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.SimpleQueue()
        self._lock = threading.Condition()
        self._unfinished = 0
        self._threads: dict[str, threading.Thread] = {}

    # --- the way in ----------------------------------------------------------------------------------

    async def store(self, event: InboundEvent) -> Stored:
        """Store ``event`` in the next group commit (raises if the database refused it); then it is processed in
        the background. Its inbox id, None for a duplicate delivery."""
        return await self._stored(event, process=True)

    def submit(self, event: InboundEvent, *, process: bool = True, at: datetime | None = None) -> Future[Stored]:
        """``store`` from any thread but the web server's event loop: wait on the future. ``at``: when it was
        received, on the caller's clock (the local channel's ``--now``)."""
        future: Future[Stored] = Future()
        self._queue(_Item(event, future, process, at))
        return future

    async def decide(self, event: InboundEvent) -> Outcome | None:
        """Store a tap and decide it at once, as acknowledgement work; None for a duplicate delivery."""
        event_id = await self._stored(event, process=False)
        return None if event_id is None else await run_in_threadpool(self._decide, event_id)

    def decide_now(self, event: InboundEvent, timeout: float = 30.0) -> Outcome | None:
        """``decide`` from any thread but the web server's event loop (blocks)."""
        event_id = self.submit(event, process=False).result(timeout=timeout)
        return None if event_id is None else self._decide(event_id)

    def _decide(self, event_id: int) -> Outcome:
        assert self.sink is not None, "an intake without a sink stores only"
        with self.gate.urgent():
            return self.sink.process(event_id, now=self.now())

    async def keep_media(self, data: bytes, content_type: str) -> str:
        """Keep a photo someone sent (before its event is stored), as acknowledgement work; its media id."""
        return await run_in_threadpool(self.keep_media_now, data, content_type)

    def keep_media_now(self, data: bytes, content_type: str, at: datetime | None = None) -> str:
        """``keep_media`` from any thread but the web server's event loop (blocks); ``at`` as for ``submit``."""
        with self.gate.urgent(), self.uow() as u:
            media_id = u.media.put(data, content_type=content_type, now=at or self.now())
            u.commit()
        return media_id

    # --- acknowledgements ----------------------------------------------------------------------------

    def request(self) -> AbstractContextManager[None]:
        """Around a request being acknowledged: background units of work wait for it."""
        return self.gate.request()

    def call_urgent(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` as acknowledgement work (for a thread-pool thread answering inline)."""
        with self.gate.urgent():
            return fn(*args)

    def _stored(self, event: InboundEvent, *, process: bool) -> Awaitable[Stored]:
        """With a ``writer``, the events are written on this loop: the events that arrive while one write runs
        make up the next one, so batches grow with the load by themselves."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        item = _Item(event, future, process)
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
            return list(await self.writer.add_many(_rows(batch), now=_received(batch, self.now)))
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
                ids = u.inbox.add_many(_rows(batch), now=_received(batch, self.now))
                u.commit()
            return list(ids)
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
            outcome for item, outcome in zip(batch, outcomes, strict=True) if item.process and isinstance(outcome, int)
        ]
        if after and self.sink is not None:  # one job for the batch: processed in the order they were stored
            self.later(_process_each, self.sink, self.now, after)

    def _job_loop(self) -> None:
        while True:
            fn, args = self._jobs.get()
            try:
                fn(*args)
            except Exception:
                log.exception("background processing failed")  # a stored event stays pending in the inbox
            finally:
                self._end()
