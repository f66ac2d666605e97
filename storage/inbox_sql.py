"""The inbox write in plain SQL, one text per database kind (used by ``SqlInbox`` and storage/inbox_writer.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.tables import InboxRow

_INBOX_CHUNK = 1000  # events per INSERT on SQLite: 4,000 parameters, under its limit of 32,766


# PostgreSQL's inbox write (``SqlInbox`` and storage/inbox_writer.py): one statement text whatever the batch size, and
# the batch as one JSON document (``pg_inbox_batch``), so psycopg parses the statement once and PostgreSQL plans
# it once (2,000 placeholders took ~180 µs per batch to parse, and text arrays of JSON ~50 µs per event to escape).
PG_INBOX_INSERT = (
    "INSERT INTO inbox (platform, event_key, payload, status, attempts, received_at) "
    "SELECT p, k, j, 'pending', 0, %s FROM jsonb_to_recordset(%s::jsonb) AS t(p text, k text, j jsonb) "
    "ON CONFLICT (platform, event_key) DO NOTHING RETURNING id, platform, event_key"
)


def pg_inbox_batch(events: Iterable[tuple[str, str, dict[str, Any]]]) -> str:
    """(platform, event_key, payload) events as ``PG_INBOX_INSERT``'s JSON document."""
    return json.dumps([{"p": p, "k": k, "j": payload} for p, k, payload in events])


def first_copies(events: Sequence[tuple[str, str, dict[str, Any]]]) -> dict[tuple[str, str], int]:
    """(platform, event_key) -> the index of its first copy in ``events`` (a later copy is a duplicate too)."""
    first: dict[tuple[str, str], int] = {}
    for i, (platform, key, _) in enumerate(events):
        first.setdefault((platform, key), i)
    return first


def stored_time(dialect: sa.Dialect, at: datetime) -> Any:
    """``at`` as the inbox's ``received_at`` column stores it on ``dialect`` (the column's own type, so rows
    written in plain SQL read back exactly like rows written by the ORM)."""
    processor = _TIME_PROCESSORS.get(dialect.name)
    if processor is None:
        column = InboxRow.__table__.c.received_at  # type: ignore[attr-defined]
        processor = column.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
        _TIME_PROCESSORS[dialect.name] = processor
    return processor(at)


_TIME_PROCESSORS: dict[str, Callable[[Any], Any]] = {}


# SQLite's inbox write (``SqlInbox`` and ``SqliteInboxWriter`` in storage/inbox_writer.py), through any
# ``execute(sql, params)`` whose result has ``fetchone()`` and iterates over rows: a SQLAlchemy connection's
# ``exec_driver_sql`` or a sqlite3 connection's ``execute``.
Execute = Callable[[str, tuple[Any, ...]], Any]


def sqlite_inbox_add(execute: Execute, events: Sequence[tuple[str, str, dict[str, Any]]], at: Any) -> list[int | None]:
    """Store ``events`` (platform, event_key, payload) received ``at`` (as ``stored_time`` gives it) unless
    stored before; each one's inbox id, None for a duplicate. Inside a transaction that holds the write lock."""
    ids: list[int | None] = [None] * len(events)
    first = first_copies(events)
    chosen = [events[i] for i in first.values()]
    for start in range(0, len(chosen), _INBOX_CHUNK):
        chunk = chosen[start : start + _INBOX_CHUNK]
        values = ", ".join(["(?, ?, ?, 'pending', 0, ?)"] * len(chunk))
        params: list[Any] = []
        for platform, key, payload in chunk:
            params += (platform, key, json.dumps(payload), at)  # as SQLAlchemy's JSON type writes it
        execute(
            "INSERT INTO inbox (platform, event_key, payload, status, attempts, received_at) VALUES "
            f"{values} ON CONFLICT (platform, event_key) DO NOTHING",
            tuple(params),
        )
        # Python's sqlite3 lets go of the GIL for every row it steps through, and each time a thread waits for it
        # again behind the event loop: RETURNING cost a wait per event. The rows this INSERT added have the ids
        # last_insert_rowid() - changes() + 1 … last_insert_rowid() (a rowid table under this transaction's write
        # lock numbers them in turn), read back as one row.
        (rows,) = execute(
            "SELECT json_group_array(json_array(id, platform, event_key)) FROM inbox "
            "WHERE changes() > 0 AND id > last_insert_rowid() - changes() AND id <= last_insert_rowid()",
            (),
        ).fetchone()
        for event_id, platform, key in json.loads(rows):
            ids[first[(platform, key)]] = event_id
    return ids
