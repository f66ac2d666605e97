"""Scratch databases for the scale benchmarks: a migrated SQLite file or PostgreSQL database, and bulk loading
(one ``executemany`` transaction on SQLite, ``COPY`` on PostgreSQL) that bypasses the ORM."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from storage.db import make_engine, normalise_url
from storage.migrate import upgrade

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Scratch:
    """A migrated, empty (or reused) database: its URL, its kind and an engine on it."""

    url: str
    kind: str  # sqlite | postgres
    engine: sa.Engine
    path: Path | None = None  # the SQLite file


@contextmanager
def scratch(kind: str, *, pg_admin: str = PG_ADMIN, sqlite_file: Path | None = None) -> Iterator[Scratch]:
    """A fresh migrated database of ``kind``, removed afterwards (a given ``sqlite_file`` is kept and reused)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = sqlite_file or Path(tmp) / "bench.db"
            url = f"sqlite:///{path}"
            engine = make_engine(url)
            upgrade(engine)
            try:
                yield Scratch(url, kind, engine, path)
            finally:
                engine.dispose()
        return
    admin = make_engine(pg_admin, isolation_level="AUTOCOMMIT")
    name = f"kesu_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(normalise_url(pg_admin)).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield Scratch(url, kind, engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def db_time(at: datetime | None) -> str | None:
    """A datetime (aware, or naive UTC) as the naive UTC text both databases store (SQLAlchemy's SQLite format)."""
    if at is None:
        return None
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(sep=" ", timespec="microseconds")


def load(db: Scratch, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Append ``rows`` to ``table`` in one transaction; values are plain (times as ``db_time`` text, JSON as
    dicts). Returns the number of rows."""
    n = 0
    if db.kind == "sqlite":
        assert db.path is not None
        conn = sqlite3.connect(db.path)
        try:
            conn.execute("PRAGMA synchronous=OFF")
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

            def plain() -> Iterator[tuple[Any, ...]]:
                nonlocal n
                for row in rows:
                    n += 1
                    yield tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in row)

            with conn:
                conn.executemany(sql, plain())
        finally:
            conn.close()
        return n
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                n += 1
                copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row])
        cur.close()
        raw.commit()
    finally:
        raw.close()
    return n


def finish(db: Scratch, tables: Sequence[str]) -> None:
    """After a bulk load on PostgreSQL: sequences moved past the loaded ids, and planner statistics (what
    autovacuum keeps on a live database). SQLite is left as Kesu leaves it: no ANALYZE statistics."""
    if db.kind == "sqlite":
        return
    with db.engine.begin() as conn:
        for table in tables:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
            )
    vacuum = make_engine(db.url, isolation_level="AUTOCOMMIT")  # VACUUM cannot run inside a transaction block
    try:
        with vacuum.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        vacuum.dispose()
