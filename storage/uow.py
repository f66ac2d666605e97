"""The unit of work: one SQLAlchemy session and the repositories over it (implements ``core.ports.UnitOfWork``)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from core.analysis import ReturnAnalysis
from core.approval import Approval
from core.campaign import Campaign
from core.eightd import EightD
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
from storage.codecs import APPROVALS, ORDERS, RETURNS
from storage.complaints import SqlComplaints
from storage.counters import SqlCounters
from storage.customers import SqlCustomers
from storage.followup_codecs import ANALYSES, CAMPAIGNS, EIGHTDS, VISITS
from storage.inbox import SqlInbox
from storage.jobs import SqlJobFailures
from storage.media import SqlMedia
from storage.nags import SqlNags
from storage.outbox import SqlOutbox
from storage.platform_state import SqlPlatformState
from storage.records import SqlRecords


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
