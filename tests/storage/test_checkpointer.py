"""A file SQLite's WAL is checkpointed by Kesu's checkpointer thread, never inside a commit (storage/db.py)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.wiring import build
from core import complaint as c
from core import complaint_flow

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_commits_leave_the_wal_to_the_checkpointer_which_stops_with_kesu(tmp_path: Path) -> None:
    kesu = build(Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}", config=None))
    try:
        assert kesu.checkpointer is not None and kesu.checkpointer.running()
        with kesu.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        details = c.Details(customer="明辉电子", product="X200", defect="划伤", quantity=10)
        with kesu.uow() as uow:
            complaint_flow.log_complaint(uow, org=kesu.config.org, person_id="sales1", details=details, now=NOW)
            uow.commit()
        busy, frames, done = kesu.checkpointer.checkpoint()
        assert (busy, done) == (0, frames) and frames > 0  # the commit's pages were still in the WAL
        with kesu.uow() as uow:
            assert uow.complaints.open_drafts("sales1")  # nothing lost by checkpointing
    finally:
        kesu.close()
    assert not kesu.checkpointer.running()


def test_an_in_memory_database_has_no_checkpointer() -> None:
    kesu = build(Settings(database_url="sqlite://", config=None))
    try:
        assert kesu.checkpointer is None
    finally:
        kesu.close()


def test_a_checkpoint_never_makes_a_removed_database_anew(tmp_path: Path) -> None:
    kesu = build(Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}", config=None))
    kesu.close()
    assert kesu.checkpointer is not None
    for name in ("k.db", "k.db-wal", "k.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    with pytest.raises(sqlite3.OperationalError):
        kesu.checkpointer.checkpoint()
    assert not (tmp_path / "k.db").exists()
