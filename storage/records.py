"""Approvals, returns, orders, 8D reports, analyses, visits and campaigns in the ``record`` table: one generic
versioned repository over the codecs of storage/codecs.py and storage/followup_codecs.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Generic

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.errors import ConcurrentUpdate
from core.ports import NagPlan
from storage.codecs import Codec, R, from_iso_required
from storage.nag_notes import nag_due, plan_nags
from storage.tables import RecordRow


class SqlRecords(Generic[R]):
    """One kind of record in the ``record`` table, with the optimistic version check of complaints."""

    def __init__(self, session: Session, codec: Codec[R]) -> None:
        self.session = session
        self.codec = codec

    def add(self, item: R) -> R:
        data = self.codec.to_data(item)
        row = RecordRow(
            kind=self.codec.kind,
            number=self.codec.number(item),
            state=self.codec.state(item),
            version=item.version,
            created_at=from_iso_required(data["created_at"]),
            data=data,
            nag_rules=self._nag_rules(item),
        )
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return replace(item, id=row.id)  # type: ignore[type-var]

    def _nag_rules(self, item: R) -> str | None:
        """A written record not in a final state is looked at by the next reminder pass ("", see ``nag_due``)."""
        return None if self.codec.state(item) in self.codec.final_states else ""

    def _one(self, row: RecordRow | None) -> R | None:
        return None if row is None or row.id is None else self.codec.from_data(row.id, row.data)

    def get(self, record_id: int) -> R | None:
        row = self.session.get(RecordRow, record_id, populate_existing=True)
        return self._one(row) if row is not None and row.kind == self.codec.kind else None

    def by_number(self, number: str) -> R | None:
        row = self.session.exec(
            select(RecordRow).where(RecordRow.kind == self.codec.kind, RecordRow.number == number)
        ).first()
        return self._one(row)

    def save(self, item: R, *, expected_version: int) -> None:
        assert item.id is not None
        result = self.session.execute(
            sa.update(RecordRow)
            .where(col(RecordRow.id) == item.id, col(RecordRow.version) == expected_version)
            .values(
                number=self.codec.number(item),
                state=self.codec.state(item),
                version=item.version,
                data=self.codec.to_data(item),
                nag_rules=self._nag_rules(item),
                nag_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(f"{self.codec.kind} {item.id} changed since version {expected_version}")

    def open(self) -> Sequence[R]:
        rows = self.session.exec(
            select(RecordRow)
            .where(RecordRow.kind == self.codec.kind, col(RecordRow.state).not_in(list(self.codec.final_states)))
            .order_by(col(RecordRow.id))
        ).all()
        return [item for row in rows if (item := self._one(row)) is not None]

    def nag_due(self, *, rules: str, now: datetime) -> Sequence[R]:
        table: sa.Table = RecordRow.__table__  # type: ignore[attr-defined]
        rows = self.session.exec(  # no ORDER BY: SQLite would scan the table in id order instead of the index
            select(RecordRow).where(nag_due(table, rules=rules, now=now, only=[table.c.kind == self.codec.kind]))
        ).all()
        ordered = sorted((r for r in rows if r.state not in self.codec.final_states), key=lambda r: r.id or 0)
        return [item for row in ordered if (item := self._one(row)) is not None]

    def plan_nags(self, plans: Sequence[NagPlan], *, rules: str) -> None:
        plan_nags(self.session, RecordRow.__table__, plans, rules=rules)  # type: ignore[attr-defined]

    def since(self, when: datetime) -> Sequence[R]:
        rows = self.session.exec(
            select(RecordRow)
            .where(RecordRow.kind == self.codec.kind, col(RecordRow.created_at) >= when)
            .order_by(col(RecordRow.id))
        ).all()
        return [item for row in rows if (item := self._one(row)) is not None]
