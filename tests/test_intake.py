"""The acknowledgement path (bot/intake.py): group commits, duplicates, a bad event among good ones, and the
gate that keeps background work out of the way of requests being answered."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bot.config import Settings
from bot.gate import Gate
from bot.intake import GroupIntake, UnitWriter
from bot.protocol import InboundEvent, Outcome
from bot.wiring import Kesu, build
from core.ports import UnitOfWork
from storage.inbox_writer import PgInboxWriter, SqliteInboxWriter

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def kesu(tmp_path: Path) -> Iterator[Kesu]:
    k = build(Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}", config=None))
    yield k
    k.close()


def _event(key: str) -> InboundEvent:
    return InboundEvent(platform="wecom", event_key=key, user="sales1", at=NOW, text="我的待办")


def _inbox(kesu: Kesu) -> int:
    with kesu.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM inbox").scalar_one())


def test_waiting_events_share_one_commit_and_a_repeat_is_a_duplicate(kesu: Kesu) -> None:
    units = 0

    def counted() -> UnitOfWork:
        nonlocal units
        units += 1
        return kesu.uow()

    intake = GroupIntake(counted, kesu.intake.gate, lambda: NOW)
    with kesu.intake.gate.urgent(), kesu.uow():  # the database is busy: events queue meanwhile
        futures = [intake.submit(_event(f"m{i}")) for i in range(20)]
        futures.append(intake.submit(_event("m3")))  # WeCom delivered m3 twice
    ids = [f.result(timeout=10) for f in futures]
    assert units <= 2  # the first event alone at most, then all the others in one transaction
    assert ids[-1] is None and len({i for i in ids[:-1] if i is not None}) == 20
    assert _inbox(kesu) == 20
    assert intake.submit(_event("m5")).result(timeout=10) is None  # stored earlier: a duplicate


class _Refusing:
    """A unit of work whose inbox refuses any batch holding the event ``bad`` (a value the database rejects)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def __enter__(self) -> _Refusing:
        self.inner = self.uow.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.uow.__exit__(*exc)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def inbox(self) -> Any:
        real = self.inner.inbox

        class Inbox:
            def add_many(self, events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
                if any(key == "bad" for _, key, _ in events):
                    raise ValueError("cannot store this one")
                return real.add_many(events, now=now)

        return Inbox()


def test_one_bad_event_does_not_refuse_the_others(kesu: Kesu) -> None:
    intake = GroupIntake(lambda: _Refusing(kesu.uow()), kesu.intake.gate, lambda: NOW)  # type: ignore[arg-type,return-value]
    with intake.gate.urgent(), kesu.uow():  # one batch
        good = [intake.submit(_event(f"g{i}")) for i in range(3)]
        bad = intake.submit(_event("bad"))
    assert all(f.result(timeout=10) is not None for f in good)
    with pytest.raises(ValueError):
        bad.result(timeout=10)
    assert _inbox(kesu) == 3


class _Sink:
    """Records what it is asked to process (and how many events the inbox held then)."""

    def __init__(self, kesu: Kesu, fail: int | None = None) -> None:
        self.kesu, self.fail = kesu, fail
        self.ran: list[tuple[int, int]] = []

    def process(self, event_id: int, *, now: datetime) -> Outcome:
        self.ran.append((event_id, _inbox(self.kesu)))  # the batch is committed when it runs
        if event_id == self.fail:
            raise RuntimeError("processing failed")  # the others still run
        return Outcome(processed=True)


def test_processing_runs_after_the_commit_in_order_once_per_stored_event_and_not_for_a_duplicate(kesu: Kesu) -> None:
    sink = _Sink(kesu)
    intake = GroupIntake(kesu.uow, kesu.intake.gate, lambda: NOW, sink=sink)
    first = intake.submit(_event("t0"), process=False).result(timeout=10)
    assert first is not None
    sink.fail = first + 1
    with intake.gate.urgent(), kesu.uow():  # queue while the database is busy: one batch
        futures = [intake.submit(_event(k)) for k in ("t1", "t2", "t0", "t3")]
    ids = [f.result(timeout=10) for f in futures]
    assert intake.settle(timeout=10)
    assert ids[2] is None  # t0 was stored before: a duplicate, not processed again
    assert sink.ran == [(ids[0], 4), (ids[1], 4), (ids[3], 4)]


def test_a_tap_is_stored_and_decided_at_once_and_a_redelivered_tap_is_not(kesu: Kesu) -> None:
    sink = _Sink(kesu)
    intake = GroupIntake(kesu.uow, kesu.intake.gate, lambda: NOW, sink=sink)
    outcome = intake.decide_now(_event("tap"))
    assert outcome == Outcome(processed=True) and len(sink.ran) == 1
    assert intake.decide_now(_event("tap")) is None and len(sink.ran) == 1
    assert intake.settle(timeout=10) and len(sink.ran) == 1  # not processed again in the background


def test_background_work_waits_while_a_request_is_answered_and_urgent_work_goes_first() -> None:
    gate = Gate(exclusive=True, patience=30, quiet=0)
    order: list[str] = []
    background_in = threading.Event()

    def background() -> None:
        with gate.unit():
            order.append("background")
            background_in.set()

    def urgent() -> None:
        with gate.urgent(), gate.unit():
            order.append("urgent")

    with gate.request():
        thread = threading.Thread(target=background)
        thread.start()
        assert not background_in.wait(0.2)  # a request is being answered: background work waits
        urgent_thread = threading.Thread(target=urgent)
        urgent_thread.start()
        urgent_thread.join(5)
        assert order == ["urgent"]  # acknowledgement work is not held up by the request
    assert background_in.wait(5)
    thread.join(5)
    assert order == ["urgent", "background"]


def test_background_work_goes_after_its_patience_even_under_a_steady_stream() -> None:
    gate = Gate(exclusive=True, patience=0.05, quiet=0)
    done = threading.Event()

    def background() -> None:
        with gate.unit():
            done.set()

    with gate.request():  # a request that never ends, as under a sustained burst
        threading.Thread(target=background).start()
        assert done.wait(5)


def test_the_writer_waits_for_the_events_of_requests_in_flight_and_not_otherwise(kesu: Kesu) -> None:
    from concurrent.futures import Future

    from bot.intake import _Item

    gate = Gate(exclusive=True)
    intake = GroupIntake(kesu.uow, gate, lambda: NOW)
    intake.LINGER = 60.0  # long enough that only the second event (or its absence) can end the wait

    def item(key: str) -> _Item:
        return _Item(_event(key), Future(), True)

    intake._events.put(item("alone"))
    assert [i.event.event_key for i in intake._take()] == ["alone"]  # nobody else is being answered: no wait

    batch: list[_Item] = []
    with gate.request(), gate.request():  # two callbacks are being acknowledged; one event has arrived
        intake._events.put(item("first"))
        taker = threading.Thread(target=lambda: batch.extend(intake._take()))
        taker.start()
        intake._events.put(item("second"))  # the other callback's event: same batch, and the wait ends
        taker.join(timeout=30)
    assert not taker.is_alive()
    assert [i.event.event_key for i in batch] == ["first", "second"]


# --- events written on the web server's event loop (UnitWriter on SQLite, storage/inbox_writer.py on PostgreSQL)


@pytest.fixture
def loop_kesu(db_url: str) -> Iterator[Kesu]:
    """Kesu on an empty database of each kind."""
    k = build(Settings(database_url=db_url, config=None))
    yield k
    k.close()


@pytest.fixture
def pg_kesu(postgres_url: str) -> Iterator[Kesu]:
    k = build(Settings(database_url=postgres_url, config=None))
    with k.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE inbox, card_copy RESTART IDENTITY")
    yield k
    k.close()


def _store_all(intake: GroupIntake, events: Sequence[InboundEvent]) -> list[object]:
    """``store`` every event from one event loop at once; each one's inbox id, or the exception it raised."""

    async def main() -> list[object]:
        return await asyncio.gather(*(intake.store(e) for e in events), return_exceptions=True)

    return asyncio.run(main())


def test_each_database_gets_the_acknowledgement_writer_made_for_it(loop_kesu: Kesu) -> None:
    kind = {"sqlite": SqliteInboxWriter, "postgresql": PgInboxWriter}[loop_kesu.engine.dialect.name]
    assert isinstance(loop_kesu.intake.writer, kind)
    in_memory = build(Settings(database_url="sqlite://", config=None))  # only the engine's connection sees it
    try:
        assert isinstance(in_memory.intake.writer, UnitWriter)
        got = _store_all(in_memory.intake, [_event("m1")])
        assert isinstance(got[0], int)
    finally:
        in_memory.close()


def test_events_arriving_together_share_one_write_on_the_event_loop(loop_kesu: Kesu) -> None:
    intake, writer = loop_kesu.intake, loop_kesu.intake.writer
    assert writer is not None
    writes: list[int] = []
    add_many = writer.add_many

    async def counted(events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
        writes.append(len(events))
        return await add_many(events, now=now)

    writer.add_many = counted  # type: ignore[method-assign]
    got = _store_all(intake, [_event(f"e{i}") for i in range(30)] + [_event("e7")])
    assert writes == [31]  # one statement for all, in the loop's next turn
    ids: list[Any] = got
    assert ids[-1] is None and len({i for i in ids[:-1] if i is not None}) == 30
    assert ids[:-1] == sorted(ids[:-1])  # stored in the order they came
    assert intake.settle(timeout=10)
    assert _inbox(loop_kesu) == 30
    assert _store_all(intake, [_event("e3")]) == [None]  # stored before: a duplicate


def test_on_the_event_loop_one_bad_event_refuses_only_itself(loop_kesu: Kesu) -> None:
    writer = loop_kesu.intake.writer
    assert writer is not None
    add_many = writer.add_many

    async def refusing(events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
        if any(key == "bad" for _, key, _ in events):
            raise ValueError("cannot store this one")
        return await add_many(events, now=now)

    writer.add_many = refusing  # type: ignore[method-assign]
    got = _store_all(loop_kesu.intake, [_event(f"g{i}") for i in range(3)] + [_event("bad")])
    assert all(isinstance(i, int) for i in got[:3])
    assert isinstance(got[3], ValueError)
    assert loop_kesu.intake.settle(timeout=10)
    assert _inbox(loop_kesu) == 3


@pytest.mark.postgres
def test_on_postgresql_a_dropped_writer_connection_is_replaced_without_refusing_the_event(pg_kesu: Kesu) -> None:
    intake = pg_kesu.intake
    assert isinstance(_store_all(intake, [_event("before")])[0], int)
    writer = intake.writer
    conn = writer._conn  # type: ignore[union-attr]
    assert conn is not None
    with pg_kesu.engine.connect() as admin:  # the server restarts, say: the writer's connection is cut
        admin.exec_driver_sql(f"SELECT pg_terminate_backend({conn.pgconn.backend_pid})")
    got = _store_all(intake, [_event("after")])
    assert isinstance(got[0], int)
    assert intake.settle(timeout=10)
    assert _inbox(pg_kesu) == 2


@pytest.mark.postgres
def test_on_postgresql_an_unreachable_database_refuses_the_event_and_stores_nothing(pg_kesu: Kesu) -> None:
    intake = GroupIntake(pg_kesu.uow, pg_kesu.intake.gate, lambda: NOW, PgInboxWriter("postgresql://x@127.0.0.1:9/x"))
    got = _store_all(intake, [_event("lost"), _event("lost2")])
    assert all(isinstance(outcome, psycopg.OperationalError) for outcome in got)  # the webhook answers 503
    assert intake.settle(timeout=10)
    assert _inbox(pg_kesu) == 0
