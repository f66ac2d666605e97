"""Ports the domain needs from storage: repositories and the unit of work (implemented in ``storage``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from core.analysis import ReturnAnalysis
from core.approval import Approval
from core.audit import AuditEntry
from core.campaign import Campaign
from core.complaint import Complaint
from core.customers import CustomerRecord, CustomerView
from core.eightd import EightD
from core.messages import Delivery, InboxEvent, OutboundMessage
from core.orders import Order
from core.returns import ReturnRequest
from core.routing import MayAct
from core.visits import Visit

T = TypeVar("T")


@dataclass(frozen=True)
class NagPlan:
    """When the scheduler must look at a form or record again for reminders (``at``; None: not until it is
    written again), computed from it as of ``version``."""

    id: int
    version: int
    at: datetime | None


@dataclass(frozen=True)
class JobFailure:
    """A scheduled job's current streak of failed passes: how many, since and until when, the last error, and
    whether the admins were told."""

    job: str
    failures: int
    first_at: datetime
    last_at: datetime
    last_error: str
    reported: bool = False


class ComplaintRepository(Protocol):
    """Complaint forms."""

    def add(self, form: Complaint) -> Complaint:
        """Store a new form; returns it with its id."""
        ...

    def get(self, complaint_id: int) -> Complaint | None:
        """A form by id."""
        ...

    def by_number(self, number: str) -> Complaint | None:
        """A form by its KS number."""
        ...

    def save(self, form: Complaint, *, expected_version: int) -> None:
        """Write ``form`` if the stored version is still ``expected_version``; else raise ConcurrentUpdate."""
        ...

    def open_drafts(self, owner: str, *, limit: int | None = None) -> Sequence[Complaint]:
        """A person's drafts, newest first (the newest ``limit`` of them)."""
        ...

    def draft_count(self, owner: str) -> int:
        """How many drafts a person has."""
        ...

    def nag_due(self, *, rules: str, now: datetime) -> Sequence[Complaint]:
        """Open forms a reminder pass must look at: each written since it was last planned under ``rules``
        (or planned under other rules), or planned for ``now`` or earlier — by id. Other open forms have no
        reminder stage due."""
        ...

    def plan_nags(self, plans: Sequence[NagPlan], *, rules: str) -> None:
        """Record each form's next look under ``rules``, unless the form changed since ``plan.version`` (its
        write made it due for a look) or a transaction is writing it now (it will)."""
        ...

    def open_forms(self, *, may_act: MayAct | None = None, customer: str | None = None) -> Sequence[Complaint]:
        """Every submitted form that is not closed, by id; only those ``may_act`` admits, only ``customer``'s."""
        ...

    def latest_submitted(self, owner: str, *, since: datetime) -> Complaint | None:
        """The owner's most recently submitted form, if submitted at or after ``since``."""
        ...

    def add_photo(self, complaint_id: int, media_id: str, *, by: str, at: datetime) -> None:
        """Attach a stored photo to a form (attachments are rows of their own: no version race)."""
        ...

    def for_customer(self, name: str) -> Sequence[str]:
        """Numbers of the submitted forms about customer ``name`` (not cancelled), newest first."""
        ...

    def similar(self, *, customer: str, product: str, problem: str, since: datetime, exclude: int) -> Sequence[str]:
        """Numbers of submitted forms (not cancelled) with this customer, product and problem type, submitted
        at or after ``since``, other than form ``exclude``; oldest first."""
        ...

    def known_customers(self) -> Sequence[str]:
        """Customer names on submitted forms (new customers sales have named before)."""
        ...


class MediaStore(Protocol):
    """Photos and files people send, kept in the database (no local disk: any replica can serve them)."""

    def put(self, data: bytes, *, content_type: str, now: datetime) -> str:
        """Store bytes; returns the media id."""
        ...

    def get(self, media_id: str) -> tuple[str, bytes] | None:
        """(content type, bytes), or None."""
        ...


class AuditLog(Protocol):
    """Append-only audit trail."""

    def append(self, entry: AuditEntry) -> None:
        """Add one entry (entries are never changed or removed)."""
        ...

    def history(self, entity: str, entity_id: str) -> Sequence[AuditEntry]:
        """Entries of one record, oldest first."""
        ...


class Counters(Protocol):
    """Gap-free sequence numbers, allocated inside the caller's transaction."""

    def next(self, key: str) -> int:
        """The next number for ``key`` (1, 2, 3 …); rolled back with the transaction."""
        ...


class Outbox(Protocol):
    """Messages waiting to be delivered."""

    def add(self, message: OutboundMessage, *, channel: str, now: datetime) -> bool:
        """Queue a message; False if its key was already queued (nothing written)."""
        ...

    def claim(self, *, now: datetime, limit: int, channels: Sequence[str], lease_until: datetime) -> Sequence[Delivery]:
        """Due rows for ``channels``, leased until ``lease_until`` so no other worker takes them meanwhile."""
        ...

    def mark_sent(self, delivery_id: int, *, now: datetime) -> None:
        """Delivered."""
        ...

    def mark_failed(self, delivery_id: int, *, now: datetime, error: str, retry_at: datetime | None) -> None:
        """Failed: retry at ``retry_at``, or give up (dead) when None."""
        ...


class Inbox(Protocol):
    """Inbound events, stored once before they are acknowledged."""

    def add(self, *, platform: str, event_key: str, payload: dict[str, Any], now: datetime) -> int | None:
        """Store an event; None when (platform, event_key) is already stored (a duplicate delivery)."""
        ...

    def add_many(self, events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
        """Store (platform, event_key, payload) events in one statement; each one's id, or None for a
        duplicate (already stored, or earlier in ``events``)."""
        ...

    def claim(self, event_id: int) -> InboxEvent | None:
        """Lock a pending event for processing; None if it is done or another worker holds it."""
        ...

    def pending(self, *, limit: int) -> Sequence[int]:
        """Ids of events not yet processed, oldest first."""
        ...

    def mark_done(self, event_id: int, *, now: datetime) -> None:
        """Processed (in the same transaction as its effects)."""
        ...

    def mark_failed(self, event_id: int, *, error: str, give_up: bool) -> None:
        """Processing raised: pending for a later retry, or 'failed' for good when ``give_up``."""
        ...


class InboxWriter(Protocol):
    """The acknowledgement path's own connection, awaited on the web server's event loop (PostgreSQL; see
    ``storage/inbox_writer.py``). Each call is durable when it returns."""

    async def add_many(self, events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
        """As ``Inbox.add_many``."""
        ...

    def close(self) -> None:
        """Let go of the connection (the next call opens a new one)."""
        ...


class Records(Protocol[T]):
    """Approvals, returns and orders: versioned records, written only if nobody changed them meanwhile."""

    def add(self, item: T) -> T:
        """Store a new record; returns it with its id."""
        ...

    def get(self, record_id: int) -> T | None:
        """A record by id (None if there is none)."""
        ...

    def by_number(self, number: str) -> T | None:
        """A record by its number (RMA-…, OR-…)."""
        ...

    def save(self, item: T, *, expected_version: int) -> None:
        """Write ``item`` if the stored version is still ``expected_version``; else raise ConcurrentUpdate."""
        ...

    def open(self) -> Sequence[T]:
        """Records not yet in a final state, oldest first."""
        ...

    def nag_due(self, *, rules: str, now: datetime) -> Sequence[T]:
        """Records not in a final state a reminder pass must look at (as ``ComplaintRepository.nag_due``)."""
        ...

    def plan_nags(self, plans: Sequence[NagPlan], *, rules: str) -> None:
        """Record each record's next look (as ``ComplaintRepository.plan_nags``)."""
        ...

    def since(self, when: datetime) -> Sequence[T]:
        """Records created at or after ``when``, oldest first."""
        ...


class PlatformState(Protocol):
    """What platform adapters keep in the database so every worker shares it: access tokens, and where each
    copy of a card was delivered (to update every copy after a decision)."""

    def token(self, platform: str, *, now: datetime) -> str | None:
        """A stored access token still valid at ``now``."""
        ...

    def save_token(self, platform: str, token: str, *, expires_at: datetime) -> None:
        """Store the platform's access token (replacing the old one)."""
        ...

    def remember_copy(self, platform: str, *, recipient: str, card_id: str, ref: str, now: datetime) -> None:
        """The platform's reference for a card delivered to ``recipient`` (response_code, message_id …)."""
        ...

    def copy_of(self, platform: str, *, recipient: str, card_id: str) -> str | None:
        """The reference of the copy of ``card_id`` delivered to ``recipient``, if any."""
        ...


class Nags(Protocol):
    """Acknowledged clocks and claimed scheduled jobs."""

    def acknowledged(self, keys: Iterable[str] | None = None) -> frozenset[str]:
        """Keys of every acknowledged clock (of those among ``keys`` when given)."""
        ...

    def acknowledge(self, key: str, *, by: str, at: datetime) -> bool:
        """Record that ``by`` acknowledged clock ``key``; False if it already was."""
        ...

    def claim(self, job: str, *, at: datetime) -> bool:
        """Claim a scheduled job for this worker; False when another pass already ran (or runs) it."""
        ...


class JobFailures(Protocol):
    """The failure streaks of scheduled jobs, shared by every worker (a success clears one)."""

    def failing(self) -> Sequence[JobFailure]:
        """Every job with a current streak."""
        ...

    def record(self, job: str, *, error: str, at: datetime) -> JobFailure:
        """One more failed pass of ``job`` (a streak starts at 1); the streak after it."""
        ...

    def mark_reported(self, job: str) -> bool:
        """Note that the admins were told of ``job``'s streak; False if they already were (by another worker)."""
        ...

    def clear(self, job: str) -> None:
        """``job`` succeeded: its streak ends."""
        ...


class Customers(Protocol):
    """The customer archive (PROCEDURE §6) and the append-only log of who looked at it."""

    def add(self, customer: CustomerRecord) -> CustomerRecord:
        """Store a new customer (names are unique); returns it with its id."""
        ...

    def get(self, customer_id: int) -> CustomerRecord | None:
        """A customer by id."""
        ...

    def by_name(self, name: str) -> CustomerRecord | None:
        """The customer with this name or alias (case-insensitive), or None."""
        ...

    def save(self, customer: CustomerRecord, *, expected_version: int) -> None:
        """Write ``customer`` if the stored version is still ``expected_version``; else raise ConcurrentUpdate."""
        ...

    def all(self) -> Sequence[CustomerRecord]:
        """Every customer, by name."""
        ...

    def owned_by(self, person: str) -> Sequence[CustomerRecord]:
        """The customers ``person`` keeps, by name."""
        ...

    def record_view(self, view: CustomerView) -> None:
        """Log one look at an archive (never changed or removed)."""
        ...

    def views(self, customer_id: int) -> Sequence[CustomerView]:
        """The looks at one customer's archive, oldest first."""
        ...


class UnitOfWork(Protocol):
    """One transaction over all repositories: ``with uow: ...; uow.commit()``."""

    complaints: ComplaintRepository
    audit: AuditLog
    counters: Counters
    outbox: Outbox
    inbox: Inbox
    media: MediaStore
    platform: PlatformState
    approvals: Records[Approval]
    returns: Records[ReturnRequest]
    orders: Records[Order]
    nags: Nags
    jobs: JobFailures
    eightds: Records[EightD]
    analyses: Records[ReturnAnalysis]
    visits: Records[Visit]
    campaigns: Records[Campaign]
    customers: Customers

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None:
        """Make everything done in this unit durable at once."""
        ...

    def rollback(self) -> None:
        """Discard everything done in this unit."""
        ...
