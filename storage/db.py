"""Engines: SQLite (WAL, immediate transactions) by default, PostgreSQL (psycopg 3) when the URL says so."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlmodel import Session


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3; everything else is passed through."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite ``url``; None for an in-memory SQLite database or another kind."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


log = logging.getLogger(__name__)


def make_engine(url: str, *, reader: bool = False, autocheckpoint: bool = True, **kwargs: Any) -> sa.Engine:
    """An engine for ``url``. SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE, so concurrent writers
    queue instead of failing, and a transaction that reads then writes cannot deadlock. ``reader``: an engine
    for read-only work (reports) whose SQLite transactions begin deferred: a snapshot that never waits for,
    or blocks, the writer. ``autocheckpoint=False``: no commit checkpoints the SQLite WAL; a ``Checkpointer``
    must then run."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, **kwargs)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
    path = sqlite_file(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        sqlite_settings(dbapi_conn, wal=path is not None, autocheckpoint=autocheckpoint)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

    return engine


def sqlite_settings(conn: sqlite3.Connection, *, wal: bool = True, autocheckpoint: bool = True) -> None:
    """What every connection to Kesu's SQLite database sets: BEGIN is ours to issue, writers wait for each other
    (30 s), foreign keys hold, WAL (``wal``) with NORMAL syncs, and ``autocheckpoint=False`` as ``make_engine``."""
    conn.isolation_level = None
    for pragma in (
        *(["journal_mode=WAL"] if wal else []),
        "busy_timeout=30000",
        "foreign_keys=ON",
        "synchronous=NORMAL",
        *([] if autocheckpoint else ["wal_autocheckpoint=0"]),
    ):
        conn.execute(f"PRAGMA {pragma}")


def sqlite_uri(path: str) -> str:
    """``path`` as a URI that opens an existing database read-write and never makes a new one (one removed
    meanwhile stays removed)."""
    return Path(path).absolute().as_uri() + "?mode=rw"


class Checkpointer:
    """Checkpoints a SQLite database's WAL from a thread of its own, every ``interval`` seconds, for engines made
    with ``autocheckpoint=False``.

    Why: by default the commit that takes the WAL past 1,000 pages copies it into the database and syncs it,
    inside that commit. On the acknowledgement path (bot/intake.py, on the event loop) those commits took up
    to 11 ms against 0.2 ms for the others (bench/ack.py, 50 senders). A PASSIVE checkpoint blocks no reader
    or writer, and sqlite3 lets go of the GIL while it runs.
    """

    def __init__(self, path: str, *, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kesu-checkpointer", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def close(self) -> None:
        """Stop the thread after one last checkpoint."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def running(self) -> bool:
        """Whether the thread runs."""
        return self._thread.is_alive()

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, WAL frames, frames checkpointed), as SQLite reports them."""
        conn = sqlite3.connect(sqlite_uri(self.path), uri=True, timeout=30, isolation_level=None)
        try:
            busy, frames, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            conn.close()
        return busy, frames, done

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(self.interval)
            try:
                self.checkpoint()
            except sqlite3.Error as e:  # the next round tries again; the WAL only grows meanwhile
                log.warning("WAL checkpoint failed: %s", e)
            if stopping:
                return


def upsert(session: Session) -> Any:
    """The dialect's INSERT with ON CONFLICT support (SQLite and PostgreSQL both have it)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
