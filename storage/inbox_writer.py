"""The inbox write on the web server's event loop (``core.ports.InboxWriter``): the acknowledgement path's own
connection, one per database kind.

PostgreSQL (``PgInboxWriter``), why not a writer thread (bot/intake.py): psycopg lets go of the GIL in every
libpq call and every wait for the server, and a thread that let go of it gets it back only when the event loop,
busy parsing requests, hands it over (up to the 5 ms switch interval). A batch of three statements took 8–11 ms
of wall time for ~1 ms of work, measured with ``bench/ack.py`` at 50 senders. Awaited on the loop, a round trip
is one more thing the loop waits for while it answers other requests.

File SQLite (``SqliteInboxWriter``): a batch runs at once, blocking the loop for the few hundred µs it takes, on
a sqlite3 connection of its own: BEGIN IMMEDIATE, one INSERT, one SELECT, COMMIT. Through a unit of work (a
Session, its events and the engine's pool) the same batch took 0.56 ms against 0.25 ms.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url

from storage.db import normalise_url, sqlite_settings, sqlite_uri
from storage.inbox_sql import (
    PG_INBOX_INSERT,
    first_copies,
    pg_inbox_batch,
    sqlite_inbox_add,
    stored_time,
)

_DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]
_SQLITE = SQLiteDialect_pysqlite()
T = TypeVar("T")


class PgInboxWriter:
    """``core.ports.InboxWriter`` on one autocommitted psycopg connection, opened on first use on the running
    loop, and opened again after a failure (a restarted server, another loop)."""

    def __init__(self, url: str) -> None:
        self.conninfo = make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def add_many(self, events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
        ids: list[int | None] = [None] * len(events)
        first = first_copies(events)
        if first:
            batch = pg_inbox_batch(events[i] for i in first.values())
            for event_id, platform, key in await self._fetch(PG_INBOX_INSERT, (stored_time(_DIALECT, now), batch)):
                ids[first[(platform, key)]] = event_id
        return ids

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            conn.pgconn.finish()  # what AsyncConnection.close() does, without awaiting (its loop may be gone)

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """One statement. When a connection opened earlier fails (the server restarted meanwhile), the statement
        is tried once more on a new one: both statements are safe to repeat (a read, and an insert that skips
        what is stored)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a connection's waits belong to the loop it was opened on
            self.close()
            self._loop = loop
        if self._conn is None:
            return await self._run(sql, params)
        try:
            return await self._run(sql, params)
        except psycopg.OperationalError:
            return await self._run(sql, params)

    async def _run(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True, connect_timeout=5)
        try:
            cur = await self._conn.execute(sql, params)
            return await cur.fetchall()
        except psycopg.OperationalError:
            self.close()
            raise


class SqliteInboxWriter:
    """``core.ports.InboxWriter`` on one sqlite3 connection to the database file ``path``, opened on first use
    and again after a failure. ``guard()`` is entered around each write: the composition root makes it this
    process's acknowledgement unit of work (``bot.intake.Gate``), so the write waits for the unit running, if
    any, and goes before background work. ``autocheckpoint=False`` when a ``Checkpointer`` runs (storage/db.py).
    """

    def __init__(
        self, path: str, guard: Callable[[], AbstractContextManager[None]], *, autocheckpoint: bool = True
    ) -> None:
        self.path = path
        self.guard = guard
        self.autocheckpoint = autocheckpoint
        self._conn: sqlite3.Connection | None = None

    async def add_many(self, events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
        at = stored_time(_SQLITE, now)
        return self._write(lambda conn: sqlite_inbox_add(conn.execute, events, at))

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(conn)`` in one immediate transaction, committed when it returns. On an error nothing is stored,
        and the connection is opened anew for the next write (the file may have been replaced meanwhile)."""
        with self.guard():
            try:
                if self._conn is None:
                    self._conn = sqlite3.connect(sqlite_uri(self.path), uri=True, timeout=30, check_same_thread=False)
                    sqlite_settings(self._conn, autocheckpoint=self.autocheckpoint)
                conn = self._conn
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error:
                self.close()
                raise
        return result
