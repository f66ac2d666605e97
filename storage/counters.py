"""Sequences in ``counter`` (implements ``core.ports.Counters``)."""

from __future__ import annotations

from sqlmodel import Session

from storage.db import upsert
from storage.tables import CounterRow


class SqlCounters:
    """Sequences in the ``counter`` table: one atomic upsert, locked until the transaction ends."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def next(self, key: str) -> int:
        table = CounterRow.__table__  # type: ignore[attr-defined]
        stmt = (
            upsert(self.session)(table)
            .values(key=key, value=1)
            .on_conflict_do_update(index_elements=["key"], set_={"value": table.c.value + 1})
            .returning(table.c.value)
        )
        return int(self.session.execute(stmt).scalar_one())
