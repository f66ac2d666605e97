"""The durable inbox in ``inbox`` (implements ``core.ports.Inbox``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.messages import InboxEvent
from storage.db import upsert
from storage.inbox_sql import PG_INBOX_INSERT, first_copies, pg_inbox_batch, sqlite_inbox_add, stored_time
from storage.tables import InboxRow


class SqlInbox:
    """The durable inbox."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, platform: str, event_key: str, payload: dict[str, Any], now: datetime) -> int | None:
        table = InboxRow.__table__  # type: ignore[attr-defined]
        stmt = (
            upsert(self.session)(table)
            .values(
                platform=platform,
                event_key=event_key,
                payload=payload,
                status="pending",
                attempts=0,
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["platform", "event_key"])
            .returning(table.c.id)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def add_many(self, events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
        ids: list[int | None] = [None] * len(events)
        first = first_copies(events)
        if not first:
            return ids
        # Plain SQL: the acknowledgement path's one write (bot/intake.py). Built through SQLAlchemy's insert it
        # cost ~45 µs per event in Python (insertmanyvalues, per-row parameter processing), as much as the rest
        # of an acknowledgement; this costs a few (bench/ack.py).
        conn = self.session.connection()
        at = stored_time(conn.dialect, now)
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(PG_INBOX_INSERT, (at, pg_inbox_batch(events[i] for i in first.values())))
            for event_id, platform, key in rows:
                ids[first[(platform, key)]] = event_id
            return ids
        return sqlite_inbox_add(conn.exec_driver_sql, events, at)

    def claim(self, event_id: int) -> InboxEvent | None:
        row = self.session.exec(
            select(InboxRow)
            .where(InboxRow.id == event_id, InboxRow.status == "pending")
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).first()
        if row is None or row.id is None:
            return None
        return InboxEvent(
            id=row.id,
            platform=row.platform,
            event_key=row.event_key,
            payload=row.payload,
            received_at=row.received_at,
            attempts=row.attempts,
        )

    def pending(self, *, limit: int) -> Sequence[int]:
        ids = self.session.exec(
            select(InboxRow.id).where(InboxRow.status == "pending").order_by(col(InboxRow.id)).limit(limit)
        ).all()
        return [i for i in ids if i is not None]

    def mark_done(self, event_id: int, *, now: datetime) -> None:
        self.session.execute(
            sa.update(InboxRow)
            .where(col(InboxRow.id) == event_id)
            .values(status="done", processed_at=now, attempts=InboxRow.attempts + 1)
        )

    def mark_failed(self, event_id: int, *, error: str, give_up: bool) -> None:
        self.session.execute(
            sa.update(InboxRow)
            .where(col(InboxRow.id) == event_id)
            .values(
                attempts=InboxRow.attempts + 1,
                last_error=error[:2000],
                status="failed" if give_up else "pending",
            )
        )
