"""The append-only audit trail in ``audit_log`` (implements ``core.ports.AuditLog``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from core.audit import AuditEntry
from storage.tables import AuditRow


class SqlAudit:
    """The append-only ``audit_log`` table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, entry: AuditEntry) -> None:
        self.session.add(
            AuditRow(
                entity=entry.entity,
                entity_id=entry.entity_id,
                action=entry.action,
                actor=entry.actor,
                at=entry.at,
                before=entry.before,
                after=entry.after,
                note=entry.note,
            )
        )

    def history(self, entity: str, entity_id: str) -> Sequence[AuditEntry]:
        self.session.flush()
        rows = self.session.exec(
            select(AuditRow)
            .where(AuditRow.entity == entity, AuditRow.entity_id == entity_id)
            .order_by(col(AuditRow.id))
        ).all()
        return [
            AuditEntry(
                entity=r.entity,
                entity_id=r.entity_id,
                action=r.action,
                actor=r.actor,
                at=r.at,
                before=r.before,
                after=r.after,
                note=r.note,
            )
            for r in rows
        ]
