"""Acknowledged clocks in ``nag_ack`` and claimed jobs in ``job_run`` (implements ``core.ports.Nags``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from storage.db import upsert
from storage.tables import JobRunRow, NagAckRow


class SqlNags:
    """Acknowledged clocks (``nag_ack``) and claimed jobs (``job_run``): a claim is an insert that only one
    transaction can make (the primary key), so two workers never run one job."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def acknowledged(self, keys: Iterable[str] | None = None) -> frozenset[str]:
        if keys is None:
            return frozenset(self.session.exec(select(NagAckRow.key)).all())
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 10_000):  # SQLite takes at most 32,766 parameters in one statement
            chunk = wanted[start : start + 10_000]
            found.update(self.session.exec(select(NagAckRow.key).where(col(NagAckRow.key).in_(chunk))).all())
        return frozenset(found)

    def acknowledge(self, key: str, *, by: str, at: datetime) -> bool:
        table = NagAckRow.__table__  # type: ignore[attr-defined]
        stmt = (
            upsert(self.session)(table)
            .values(key=key, by=by, at=at)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.key)
        )
        return self.session.execute(stmt).scalar_one_or_none() is not None  # rowcount is -1 on psycopg

    def claim(self, job: str, *, at: datetime) -> bool:
        table = JobRunRow.__table__  # type: ignore[attr-defined]
        stmt = (
            upsert(self.session)(table)
            .values(key=job, ran_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.key)
        )
        return self.session.execute(stmt).scalar_one_or_none() is not None
