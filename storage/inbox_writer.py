"""PostgreSQL's inbox write on the web server's event loop: the acknowledgement path's own connection.

Why not the writer thread (bot/intake.py) as on SQLite: psycopg lets go of the GIL in every libpq call and
every wait for the server, and a thread that let go of it gets it back only when the event loop, busy parsing
requests, hands it over (up to the 5 ms switch interval). A batch of three statements took 8–11 ms of wall time
for ~1 ms of work, measured with ``bench/ack.py`` at 50 senders. Awaited on the loop, a round trip is one more
thing the loop waits for while it answers other requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import make_url

from storage.db import normalise_url
from storage.uow import (
    PG_INBOX_INSERT,
    PG_INBOX_INSERT_UNLESS_COPIES,
    first_copies,
    pg_inbox_batch,
    stored_time,
)

_DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]


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

    async def add_many_unless_copies(
        self,
        events: Sequence[tuple[str, str, dict[str, Any]]],
        *,
        now: datetime,
        platform: str,
        card_id: str,
        recipients: Sequence[str],
    ) -> list[int | None] | dict[str, str]:
        ids: list[int | None] = [None] * len(events)
        first = first_copies(events)
        batch = pg_inbox_batch(events[i] for i in first.values())
        params = (platform, card_id, sorted(set(recipients)), stored_time(_DIALECT, now), batch)
        copies: dict[str, str] = {}
        for event_id, key_or_recipient, key_or_ref in await self._fetch(PG_INBOX_INSERT_UNLESS_COPIES, params):
            if event_id is None:
                copies[key_or_recipient] = key_or_ref
            else:
                ids[first[(key_or_recipient, key_or_ref)]] = event_id
        return copies or ids

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
