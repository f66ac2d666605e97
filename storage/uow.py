"""Repositories and the unit of work over one SQLAlchemy session (implements ``core.ports``)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from core.analysis import ReturnAnalysis
from core.approval import Approval
from core.campaign import Campaign
from core.eightd import EightD
from core.messages import InboxEvent
from core.orders import Order
from core.ports import (
    AuditLog,
    ComplaintRepository,
    Counters,
    Customers,
    Inbox,
    JobFailures,
    MediaStore,
    Nags,
    Outbox,
    PlatformState,
    Records,
)
from core.returns import ReturnRequest
from core.visits import Visit
from storage.audit import SqlAudit
from storage.complaints import SqlComplaints
from storage.counters import SqlCounters
from storage.customers import SqlCustomers
from storage.db import upsert
from storage.inbox_sql import (
    PG_COPIES,
    PG_INBOX_INSERT,
    PG_INBOX_INSERT_UNLESS_COPIES,
    Execute,
    first_copies,
    pg_inbox_batch,
    sqlite_copies,
    sqlite_inbox_add,
    stored_time,
)
from storage.jobs import SqlJobFailures
from storage.outbox import SqlOutbox
from storage.records import (
    ANALYSES,
    APPROVALS,
    CAMPAIGNS,
    EIGHTDS,
    ORDERS,
    RETURNS,
    VISITS,
    SqlRecords,
)
from storage.tables import (
    CardCopyRow,
    InboxRow,
    JobRunRow,
    MediaRow,
    NagAckRow,
    PlatformTokenRow,
)


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


class SqlMedia:
    """Media bytes in the ``media`` table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, data: bytes, *, content_type: str, now: datetime) -> str:
        media_id = uuid.uuid4().hex
        digest = hashlib.sha256(data).hexdigest()
        self.session.add(
            MediaRow(id=media_id, content_type=content_type, size=len(data), sha256=digest, data=data, created_at=now)
        )
        self.session.flush()
        return media_id

    def get(self, media_id: str) -> tuple[str, bytes] | None:
        row = self.session.get(MediaRow, media_id)
        return (row.content_type, row.data) if row else None


class SqlPlatformState:
    """Tokens and card copies in ``platform_token`` and ``card_copy``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def token(self, platform: str, *, now: datetime) -> str | None:
        row = self.session.get(PlatformTokenRow, platform, populate_existing=True)
        return row.token if row and row.expires_at > now else None

    def save_token(self, platform: str, token: str, *, expires_at: datetime) -> None:
        table = PlatformTokenRow.__table__  # type: ignore[attr-defined]
        stmt = (
            upsert(self.session)(table)
            .values(platform=platform, token=token, expires_at=expires_at)
            .on_conflict_do_update(index_elements=["platform"], set_={"token": token, "expires_at": expires_at})
        )
        self.session.execute(stmt)

    def remember_copy(self, platform: str, *, recipient: str, card_id: str, ref: str, now: datetime) -> None:
        table = CardCopyRow.__table__  # type: ignore[attr-defined]
        stmt = (
            upsert(self.session)(table)
            .values(platform=platform, recipient=recipient, card_id=card_id, ref=ref, created_at=now)
            .on_conflict_do_update(index_elements=["platform", "recipient", "card_id"], set_={"ref": ref})
        )
        self.session.execute(stmt)

    def copy_of(self, platform: str, *, recipient: str, card_id: str) -> str | None:
        row = self.session.exec(
            select(CardCopyRow).where(
                CardCopyRow.platform == platform, CardCopyRow.recipient == recipient, CardCopyRow.card_id == card_id
            )
        ).first()
        return row.ref if row else None

    def copies_of(self, platform: str, *, recipients: Sequence[str], card_id: str) -> dict[str, str]:
        # Plain SQL: it runs in every inbox write (WeCom's pending card inputs), where building and compiling
        # the expanding IN of a Core select cost ~190 µs per batch.
        wanted = sorted(set(recipients))
        if not wanted:
            return {}
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":
            return {recipient: ref for recipient, ref in conn.exec_driver_sql(PG_COPIES, (platform, card_id, wanted))}
        return sqlite_copies(conn.exec_driver_sql, platform, card_id, wanted)


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


class SqlUnitOfWork:
    """One session, one transaction; rolled back unless ``commit()`` was called.

    ``guard``, when given, is entered before the transaction begins and left after it ends (the composition
    root uses it to order this process's database work: acknowledgements first)."""

    def __init__(
        self, session_factory: sessionmaker[Session], guard: Callable[[], AbstractContextManager[object]] | None = None
    ) -> None:
        self._factory = session_factory
        self._guard = guard
        self._held: AbstractContextManager[object] | None = None

    def __enter__(self) -> Self:
        if self._guard is not None:
            self._held = self._guard()
            self._held.__enter__()
        try:
            self._open()
        except BaseException:
            self._release(None, None, None)
            raise
        return self

    def _release(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.__exit__(exc_type, exc, tb)

    def _open(self) -> None:
        self.session = self._factory()
        self.complaints: ComplaintRepository = SqlComplaints(self.session)
        self.audit: AuditLog = SqlAudit(self.session)
        self.counters: Counters = SqlCounters(self.session)
        self.outbox: Outbox = SqlOutbox(self.session)
        self.inbox: Inbox = SqlInbox(self.session)
        self.media: MediaStore = SqlMedia(self.session)
        self.platform: PlatformState = SqlPlatformState(self.session)
        self.approvals: Records[Approval] = SqlRecords(self.session, APPROVALS)
        self.returns: Records[ReturnRequest] = SqlRecords(self.session, RETURNS)
        self.orders: Records[Order] = SqlRecords(self.session, ORDERS)
        self.nags: Nags = SqlNags(self.session)
        self.jobs: JobFailures = SqlJobFailures(self.session)
        self.eightds: Records[EightD] = SqlRecords(self.session, EIGHTDS)
        self.analyses: Records[ReturnAnalysis] = SqlRecords(self.session, ANALYSES)
        self.visits: Records[Visit] = SqlRecords(self.session, VISITS)
        self.campaigns: Records[Campaign] = SqlRecords(self.session, CAMPAIGNS)
        self.customers: Customers = SqlCustomers(self.session)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.session.rollback()
            self.session.close()
        finally:
            self._release(exc_type, exc, tb)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` that keep loaded values after commit."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


__all__ = [  # the inbox SQL, imported from here before it had a module of its own
    "PG_COPIES",
    "PG_INBOX_INSERT",
    "PG_INBOX_INSERT_UNLESS_COPIES",
    "Execute",
    "SqlAudit",
    "SqlComplaints",
    "SqlCounters",
    "SqlOutbox",
    "SqlUnitOfWork",
    "first_copies",
    "pg_inbox_batch",
    "session_factory",
    "sqlite_copies",
    "sqlite_inbox_add",
    "stored_time",
]
