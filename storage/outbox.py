"""The transactional outbox in ``outbox`` (implements ``core.ports.Outbox``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.messages import Delivery, OutboundMessage, Recipient, RecipientKind
from storage.db import upsert
from storage.tables import OutboxRow


class SqlOutbox:
    """The transactional outbox."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, message: OutboundMessage, *, channel: str, now: datetime) -> bool:
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        stmt = (
            upsert(self.session)(table)
            .values(
                key=message.key,
                channel=channel,
                recipient_kind=message.recipient.kind.value,
                recipient_id=message.recipient.id,
                payload=message.payload,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.id)
        )
        return self.session.execute(stmt).scalar_one_or_none() is not None

    def claim(self, *, now: datetime, limit: int, channels: Sequence[str], lease_until: datetime) -> Sequence[Delivery]:
        rows = self.session.exec(
            select(OutboxRow)
            .where(
                OutboxRow.status == "pending",
                col(OutboxRow.next_attempt_at) <= now,
                col(OutboxRow.channel).in_(list(channels)),
            )
            .order_by(col(OutboxRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if rows:
            self.session.execute(
                sa.update(OutboxRow)
                .where(col(OutboxRow.id).in_([r.id for r in rows]))
                .values(next_attempt_at=lease_until)
                .execution_options(synchronize_session=False)
            )
        return [
            Delivery(
                id=r.id or 0,
                channel=r.channel,
                recipient=Recipient(RecipientKind(r.recipient_kind), r.recipient_id),
                payload=r.payload,
                key=r.key,
                attempts=r.attempts,
                created_at=r.created_at,
            )
            for r in rows
        ]

    def mark_sent(self, delivery_id: int, *, now: datetime) -> None:
        self.session.execute(
            sa.update(OutboxRow)
            .where(col(OutboxRow.id) == delivery_id)
            .values(status="sent", sent_at=now, attempts=OutboxRow.attempts + 1)
        )

    def mark_failed(self, delivery_id: int, *, now: datetime, error: str, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"attempts": OutboxRow.attempts + 1, "last_error": error[:2000]}
        if retry_at is None:
            values["status"] = "dead"
        else:
            values["next_attempt_at"] = retry_at
        self.session.execute(sa.update(OutboxRow).where(col(OutboxRow.id) == delivery_id).values(**values))
