"""The acknowledgement path's plain-SQL writes (``add_many`` and SQLite's ``SqliteInboxWriter``)
store and read exactly what the ORM path does, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from storage.db import make_engine
from storage.inbox_writer import SqliteInboxWriter
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork, session_factory

NOW = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_batch_is_stored_once_each_and_reads_back_as_written(engine: sa.Engine) -> None:
    payload = {"user": "sales1", "text": "明辉电子投诉X200外壳划伤,200个,急 'quote' %s ?", "n": [1, {"x": None}]}
    with SqlUnitOfWork(session_factory(engine)) as u:
        first = u.inbox.add_many([("wecom", "m1", payload)], now=NOW)
        u.commit()
    with SqlUnitOfWork(session_factory(engine)) as u:
        ids = u.inbox.add_many(
            [
                ("wecom", "m2", {"k": 2}),
                ("wecom", "m1", {"k": "again"}),
                ("feishu", "m1", {"k": 3}),
                ("wecom", "m2", {}),
            ],
            now=NOW,
        )
        u.commit()
    assert first[0] is not None
    # m1 was stored before and m2's second copy in the same batch are duplicates: None; the others get ids
    assert ids[1] is None and ids[3] is None
    assert ids[0] is not None and ids[2] is not None and len({first[0], ids[0], ids[2]}) == 3
    with SqlUnitOfWork(session_factory(engine)) as u:
        stored = u.inbox.claim(first[0])
        assert stored is not None
        assert stored.payload == payload and stored.platform == "wecom" and stored.event_key == "m1"
        assert u.inbox.pending(limit=10) == sorted([first[0], ids[0], ids[2]])
    with engine.connect() as conn:
        at = conn.exec_driver_sql(f"SELECT received_at FROM inbox WHERE id = {ids[2]}").scalar_one()
    as_written = NOW.astimezone(UTC).replace(tzinfo=None)
    assert (at if isinstance(at, datetime) else datetime.fromisoformat(at)) == as_written  # naive UTC, as the ORM


def test_more_events_than_one_statement_takes_are_all_stored(engine: sa.Engine) -> None:
    events = [("wecom", f"k{i}", {"i": i}) for i in range(2500)]
    with SqlUnitOfWork(session_factory(engine)) as u:
        ids = u.inbox.add_many(events, now=NOW)
        u.commit()
    assert None not in ids and len(set(ids)) == 2500
    with SqlUnitOfWork(session_factory(engine)) as u:
        last = u.inbox.claim(ids[-1])  # type: ignore[arg-type]
        assert last is not None and last.payload == {"i": 2499}


# --- SqliteInboxWriter: the same writes on the acknowledgement path's own sqlite3 connection


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    path = tmp_path / "kesu.db"
    e = make_engine(f"sqlite:///{path}")
    upgrade(e)
    e.dispose()
    return str(path)


def _writer(path: str, entered: list[int] | None = None) -> SqliteInboxWriter:
    @contextmanager
    def guard() -> Iterator[None]:
        if entered is not None:
            entered.append(1)
        yield

    return SqliteInboxWriter(path, guard)


def test_the_sqlite_writer_stores_what_the_unit_of_work_reads_back(sqlite_file: str) -> None:
    entered: list[int] = []
    writer = _writer(sqlite_file, entered)
    payload = {"user": "sales1", "text": "明辉电子投诉X200外壳划伤 'q' ?", "n": [1, {"x": None}]}
    first = asyncio.run(writer.add_many([("wecom", "m1", payload)], now=NOW))
    again = asyncio.run(writer.add_many([("wecom", "m1", {}), ("wecom", "m2", {"k": 2}), ("wecom", "m2", {})], now=NOW))
    writer.close()
    assert first[0] is not None and again[0] is None and again[2] is None and again[1] not in (None, first[0])
    assert entered == [1, 1]  # each write inside the guard (the process's acknowledgement unit of work)
    engine = make_engine(f"sqlite:///{sqlite_file}")
    with SqlUnitOfWork(session_factory(engine)) as u:
        stored = u.inbox.claim(first[0])
        assert stored is not None and stored.payload == payload and stored.received_at == NOW
        assert u.inbox.pending(limit=10) == [first[0], again[1]]
    engine.dispose()


def test_a_failed_sqlite_write_stores_nothing_and_never_makes_a_new_database(sqlite_file: str) -> None:
    writer = _writer(sqlite_file)
    with pytest.raises(TypeError):  # a payload that is not JSON: the batch is rolled back
        asyncio.run(writer.add_many([("wecom", "ok", {}), ("wecom", "bad", {"x": object()})], now=NOW))
    assert asyncio.run(writer.add_many([("wecom", "ok", {})], now=NOW))[0] is not None  # stored now, not before
    writer.close()
    Path(sqlite_file).unlink()
    with pytest.raises(sqlite3.OperationalError):
        asyncio.run(writer.add_many([("wecom", "lost", {})], now=NOW))
    assert not Path(sqlite_file).exists()
