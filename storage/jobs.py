"""The failure streaks of scheduled jobs (``job_failure``), shared by every worker (implements
``core.ports.JobFailures``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from core.ports import JobFailure
from storage.tables import JobFailureRow

ERROR_CHARS = 500  # the last error kept per job: enough for its message, not a whole traceback

table: sa.Table = JobFailureRow.__table__  # type: ignore[attr-defined]


def _failure(row: Any) -> JobFailure:
    return JobFailure(row.job, row.failures, row.first_at, row.last_at, row.last_error, bool(row.reported))


class SqlJobFailures:
    """One row per job with a current streak: a failure is an upsert that counts up in one statement, so workers
    failing at once each count; telling the admins is a conditional update only one transaction wins."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def failing(self) -> Sequence[JobFailure]:
        return [_failure(r) for r in self.session.execute(sa.select(table).order_by(table.c.job))]

    def record(self, job: str, *, error: str, at: datetime) -> JobFailure:
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        new = insert(table).values(
            job=job, failures=1, first_at=at, last_at=at, last_error=error[:ERROR_CHARS], reported=False
        )
        stmt = new.on_conflict_do_update(
            index_elements=["job"],
            set_={
                "failures": table.c.failures + 1,
                "last_at": new.excluded.last_at,
                "last_error": new.excluded.last_error,
            },
        ).returning(*table.c)
        return _failure(self.session.execute(stmt).one())

    def mark_reported(self, job: str) -> bool:
        stmt = (
            sa.update(table)
            .where(table.c.job == job, table.c.reported.is_(False))
            .values(reported=True)
            .returning(table.c.job)
        )
        return self.session.execute(stmt).scalar_one_or_none() is not None

    def clear(self, job: str) -> None:
        self.session.execute(sa.delete(table).where(table.c.job == job))
