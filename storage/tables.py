"""SQLModel tables (``*Row``); the domain never sees them: ``storage.mappers`` translates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes stored as naive UTC on every database, read back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))


class ComplaintRow(SQLModel, table=True):
    """客户反馈处理单."""

    __tablename__ = "complaint"
    __table_args__ = (
        sa.Index("ix_complaint_nag", "nag_rules", "nag_at"),
        sa.Index("ix_complaint_submitted_at", "submitted_at"),
        sa.Index("ix_complaint_repeat", "customer", "product", "problem", "submitted_at"),
        sa.Index("ix_complaint_closed_at", "closed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, unique=True, max_length=20)
    owner: str = Field(index=True, max_length=64)
    state: str = Field(index=True, max_length=20)
    version: int
    created_at: datetime = _ts()
    submitted_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)
    customer: str | None = Field(default=None, index=True, max_length=200)
    product: str | None = Field(default=None, max_length=200)
    severity: str = Field(max_length=10)
    department: str | None = Field(default=None, max_length=64)
    problem: str | None = Field(default=None, index=True, max_length=32)
    qa_owner: str | None = Field(default=None, max_length=64)
    round: int = 0
    resolution: str | None = Field(default=None, max_length=20)
    last_action: str | None = Field(default=None, max_length=32)
    last_actor: str | None = Field(default=None, max_length=64)
    last_at: datetime | None = _ts(nullable=True)
    data: dict[str, Any] = _json()  # details, response, comments and clocks
    # The reminder pass's note (core/nag.py "a reminder pass looks only …"): under which rules it planned its
    # next look, and when. Every write of an open form resets the rules to "" (look at it on the next pass);
    # None when the form is not open.
    nag_rules: str | None = Field(default=None, max_length=16)
    nag_at: datetime | None = _ts(nullable=True)


class AuditRow(SQLModel, table=True):
    """Append-only audit trail (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_entity", "entity", "entity_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=32)
    actor: str = Field(max_length=64)
    at: datetime = _ts()
    before: dict[str, Any] = _json()
    after: dict[str, Any] = _json()
    note: str | None = None


class CounterRow(SQLModel, table=True):
    """Per-key sequence (e.g. KS-202611): the last number handed out."""

    __tablename__ = "counter"

    key: str = Field(primary_key=True, max_length=32)
    value: int


class InboxRow(SQLModel, table=True):
    """Every accepted inbound event, stored once before it is acknowledged."""

    __tablename__ = "inbox"
    __table_args__ = (
        sa.UniqueConstraint("platform", "event_key", name="uq_inbox_event"),
        sa.Index("ix_inbox_pending", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    event_key: str = Field(max_length=200)
    payload: dict[str, Any] = _json()
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    received_at: datetime = _ts()
    processed_at: datetime | None = _ts(nullable=True)
    last_error: str | None = None


class OutboxRow(SQLModel, table=True):
    """Messages to people, written in the transaction that caused them; sent by the dispatcher."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    channel: str = Field(max_length=16)
    recipient_kind: str = Field(max_length=8)
    recipient_id: str = Field(max_length=64)
    payload: dict[str, Any] = _json()
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    created_at: datetime = _ts()
    next_attempt_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    last_error: str | None = None


class MediaRow(SQLModel, table=True):
    """Bytes people sent (photos), kept in the database so any replica can serve them."""

    __tablename__ = "media"

    id: str = Field(primary_key=True, max_length=32)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64, index=True)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: datetime = _ts()


class ComplaintPhotoRow(SQLModel, table=True):
    """A photo attached to a form (a row of its own: attaching never overwrites a concurrent decision)."""

    __tablename__ = "complaint_photo"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    media_id: str = Field(foreign_key="media.id", max_length=32)
    added_by: str = Field(max_length=64)
    added_at: datetime = _ts()


class ComplaintClockRow(SQLModel, table=True):
    """One clock of a form as a row: a copy of ``complaint.data["clocks"]`` rewritten on every save, so the
    monthly report can aggregate deadlines in SQL. ``started_at`` is the form's receipt (``created_at``)."""

    __tablename__ = "complaint_clock"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    name: str = Field(max_length=32)
    started_at: datetime = _ts()
    due_at: datetime = _ts(index=True)
    met_at: datetime | None = _ts(nullable=True)


class RecordRow(SQLModel, table=True):
    """Approvals, returns and order reviews: a versioned JSON document per record, by kind."""

    __tablename__ = "record"
    __table_args__ = (
        sa.UniqueConstraint("kind", "number", name="uq_record_number"),
        sa.Index("ix_record_open", "kind", "state", "id"),
        sa.Index("ix_record_nag", "kind", "nag_rules", "nag_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    number: str | None = Field(default=None, max_length=32)
    state: str = Field(max_length=24)
    version: int
    created_at: datetime = _ts()
    data: dict[str, Any] = _json()
    nag_rules: str | None = Field(default=None, max_length=16)  # as on ``complaint``: None in a final state
    nag_at: datetime | None = _ts(nullable=True)


class PlatformTokenRow(SQLModel, table=True):
    """A platform access token shared by every worker."""

    __tablename__ = "platform_token"

    platform: str = Field(primary_key=True, max_length=16)
    token: str
    expires_at: datetime = _ts()


class CardCopyRow(SQLModel, table=True):
    """Where a copy of a card went on a platform, so every copy can be updated after a decision."""

    __tablename__ = "card_copy"
    __table_args__ = (sa.UniqueConstraint("platform", "recipient", "card_id", name="uq_card_copy"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    recipient: str = Field(max_length=80)
    card_id: str = Field(max_length=40)
    ref: str
    created_at: datetime = _ts()


class NagAckRow(SQLModel, table=True):
    """A running clock someone concerned acknowledged (收到/处理中): its escalation stops."""

    __tablename__ = "nag_ack"

    key: str = Field(primary_key=True, max_length=80)
    by: str = Field(max_length=64)
    at: datetime = _ts()


class JobRunRow(SQLModel, table=True):
    """A scheduled job (a digest, a monthly report) claimed by the worker that runs it: once, however many."""

    __tablename__ = "job_run"

    key: str = Field(primary_key=True, max_length=80)
    ran_at: datetime = _ts()


class JobFailureRow(SQLModel, table=True):
    """A scheduled job's current streak of failed passes (cleared by its next success); ``reported`` once the
    admins were told."""

    __tablename__ = "job_failure"

    job: str = Field(primary_key=True, max_length=40)
    failures: int
    first_at: datetime = _ts()
    last_at: datetime = _ts()
    last_error: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    reported: bool = False


class CustomerRow(SQLModel, table=True):
    """A customer's archive (PROCEDURE §6); aliases, legal details, contacts and credit in ``data``."""

    __tablename__ = "customer"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    owner: str = Field(index=True, max_length=64)
    key: bool = False
    provisional: bool = False
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    version: int
    data: dict[str, Any] = _json()


class CustomerViewRow(SQLModel, table=True):
    """Append-only log of every look at a customer's archive: who, when, confidential or not, allowed or not."""

    __tablename__ = "customer_view"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    viewer: str = Field(max_length=64)
    at: datetime = _ts()
    confidential: bool
    allowed: bool
