"""In-memory fakes of the core ports (cosmicpython style) and a small hand-built org for unit tests.

A ``FakeStore`` is "the database": what has been committed. Each ``FakeUnitOfWork`` reads through to it
and keeps its own writes in a pending layer that ``commit()`` copies into the store and ``rollback()``
(or leaving the ``with`` block without committing) throws away, so a test can assert that a refused
step changed nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar
from zoneinfo import ZoneInfo

from core.analysis import ReturnAnalysis
from core.approval import Approval, ApprovalState
from core.audit import AuditEntry
from core.campaign import Campaign
from core.clocks import DEFAULT_CLOCKS, WeekdayCalendar
from core.complaint import OPEN_STATES, Complaint, State
from core.customers import CustomerRecord, CustomerView
from core.eightd import EightD
from core.errors import ConcurrentUpdate
from core.messages import Delivery, InboxEvent, OutboundMessage
from core.orders import Order
from core.org import Chat, ChatPurpose, Department, Org, Person, Role
from core.policy import Policy
from core.ports import (
    AuditLog,
    ComplaintRepository,
    Counters,
    Customers,
    Inbox,
    JobFailure,
    JobFailures,
    MediaStore,
    NagPlan,
    Nags,
    Outbox,
    PlatformState,
    Records,
)
from core.returns import ReturnRequest
from core.routing import MayAct
from core.visits import Visit


class _Record(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=_Record)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class OutboxRow:
    """One queued message as the fake outbox keeps it."""

    id: int
    message: OutboundMessage
    channel: str
    created_at: datetime
    next_attempt_at: datetime
    status: str = "pending"  # pending | sent | dead
    attempts: int = 0
    sent_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class InboxRow:
    """One stored inbound event as the fake inbox keeps it."""

    id: int
    platform: str
    event_key: str
    payload: dict[str, Any]
    received_at: datetime
    status: str = "pending"  # pending | done | failed
    attempts: int = 0
    done_at: datetime | None = None
    last_error: str | None = None


@dataclass
class FakeStore:
    """The committed state shared by every unit of work over it (ids are sequences: never rolled back)."""

    complaints: dict[int, Complaint] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    outbox: dict[int, OutboxRow] = field(default_factory=dict)
    inbox: dict[int, InboxRow] = field(default_factory=dict)
    complaint_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    outbox_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    inbox_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    approvals: dict[int, Approval] = field(default_factory=dict)
    returns: dict[int, ReturnRequest] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    eightds: dict[int, EightD] = field(default_factory=dict)
    analyses: dict[int, ReturnAnalysis] = field(default_factory=dict)
    visits: dict[int, Visit] = field(default_factory=dict)
    campaigns: dict[int, Campaign] = field(default_factory=dict)
    record_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    customers: dict[int, CustomerRecord] = field(default_factory=dict)
    customer_views: list[CustomerView] = field(default_factory=list)
    customer_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))


class FakeComplaints:
    """Complaint forms: reads see this unit's pending writes over the committed ones."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.writes: dict[int, Complaint] = {}

    def _all(self) -> dict[int, Complaint]:
        return self._store.complaints | self.writes

    def add(self, form: Complaint) -> Complaint:
        """Stores a new form with a fresh id (events are not stored, as in the database)."""
        stored = replace(form, id=next(self._store.complaint_ids), events=())
        assert stored.id is not None
        self.writes[stored.id] = stored
        return replace(stored, events=form.events)

    def get(self, complaint_id: int) -> Complaint | None:
        """A form by id."""
        return self._all().get(complaint_id)

    def by_number(self, number: str) -> Complaint | None:
        """A form by its KS number."""
        return next((f for f in self._all().values() if f.number == number), None)

    def save(self, form: Complaint, *, expected_version: int) -> None:
        """Writes ``form`` only if the latest version (committed by anyone, or pending here) is ``expected_version``."""
        assert form.id is not None
        current = self.get(form.id)
        if current is None or current.version != expected_version:
            found = None if current is None else current.version
            raise ConcurrentUpdate(f"complaint {form.id} is at version {found}, not {expected_version}")
        self.writes[form.id] = replace(form, events=())

    def open_drafts(self, owner: str, *, limit: int | None = None) -> Sequence[Complaint]:
        """A person's drafts, newest first (the newest ``limit`` of them)."""
        forms = self._all()
        drafts = [
            forms[i] for i in sorted(forms, reverse=True) if forms[i].owner == owner and forms[i].state is State.DRAFT
        ]
        return drafts[:limit]

    def draft_count(self, owner: str) -> int:
        """How many drafts a person has."""
        return len(self.open_drafts(owner))

    def open_forms(self, *, may_act: MayAct | None = None, customer: str | None = None) -> Sequence[Complaint]:
        """Every submitted form that is not closed, by id; only those ``may_act`` admits, only ``customer``'s."""
        forms = [f for _, f in sorted(self._all().items()) if f.state in OPEN_STATES]
        return [
            f
            for f in forms
            if (may_act is None or may_act.admits(f)) and (customer is None or f.details.customer == customer)
        ]

    def nag_due(self, *, rules: str, now: datetime) -> Sequence[Complaint]:
        """The fake keeps no notes: every open form is looked at (what a pass without notes does)."""
        return self.open_forms()

    def plan_nags(self, plans: Sequence[NagPlan], *, rules: str) -> None:
        """Notes are not kept (see ``nag_due``)."""

    def latest_submitted(self, owner: str, *, since: datetime) -> Complaint | None:
        """The owner's newest submitted form, if submitted at or after ``since``."""
        forms = [f for f in self._all().values() if f.owner == owner and f.submitted_at and f.submitted_at >= since]
        return max(forms, key=lambda f: (f.submitted_at, f.id or 0), default=None)

    def for_customer(self, name: str) -> Sequence[str]:
        """Submitted forms about ``name``, newest first."""
        found = [
            f for f in self._all().values() if f.number and f.details.customer == name and f.state.value != "cancelled"
        ]
        return [f.number for f in sorted(found, key=lambda f: f.id or 0, reverse=True) if f.number]

    def similar(self, *, customer: str, product: str, problem: str, since: datetime, exclude: int) -> Sequence[str]:
        """Earlier forms with the same customer, product and problem type."""
        found = [
            f
            for f in self._all().values()
            if f.number
            and f.id != exclude
            and f.state.value != "cancelled"
            and (f.details.customer, f.details.product, f.problem) == (customer, product, problem)
            and f.submitted_at is not None
            and f.submitted_at >= since
        ]
        return [f.number for f in sorted(found, key=lambda f: f.submitted_at or since) if f.number]

    def known_customers(self) -> Sequence[str]:
        """Customer names on submitted forms."""
        return sorted({f.details.customer for f in self._all().values() if f.number and f.details.customer})

    def add_photo(self, complaint_id: int, media_id: str, *, by: str, at: datetime) -> None:
        """Photos are kept apart from the form's version, as in the database."""
        form = self._all()[complaint_id]
        self.writes[complaint_id] = replace(form, photos=(*form.photos, media_id))

    def commit(self) -> None:
        self._store.complaints.update(self.writes)
        self.writes.clear()

    def rollback(self) -> None:
        self.writes.clear()


class FakeAudit:
    """Append-only audit trail."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.writes: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> None:
        """Adds one entry."""
        self.writes.append(entry)

    def history(self, entity: str, entity_id: str) -> Sequence[AuditEntry]:
        """Entries of one record, oldest first."""
        return [e for e in [*self._store.audit, *self.writes] if (e.entity, e.entity_id) == (entity, entity_id)]

    def commit(self) -> None:
        self._store.audit.extend(self.writes)
        self.writes.clear()

    def rollback(self) -> None:
        self.writes.clear()


class FakeCounters:
    """Gap-free sequences, rolled back with the unit of work."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.writes: dict[str, int] = {}

    def next(self, key: str) -> int:
        """The next number for ``key``."""
        value = self.writes.get(key, self._store.counters.get(key, 0)) + 1
        self.writes[key] = value
        return value

    def commit(self) -> None:
        self._store.counters.update(self.writes)
        self.writes.clear()

    def rollback(self) -> None:
        self.writes.clear()


class FakeOutbox:
    """Messages waiting to be delivered, unique by key."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.writes: dict[int, OutboxRow] = {}

    def rows(self) -> list[OutboxRow]:
        """Every row this unit sees, by id."""
        rows = self._store.outbox | self.writes
        return [rows[i] for i in sorted(rows)]

    def add(self, message: OutboundMessage, *, channel: str, now: datetime) -> bool:
        """Queues a message; False (nothing written) when its key is already queued."""
        if any(r.message.key == message.key for r in self.rows()):
            return False
        row_id = next(self._store.outbox_ids)
        self.writes[row_id] = OutboxRow(row_id, message, channel, created_at=now, next_attempt_at=now)
        return True

    def claim(self, *, now: datetime, limit: int, channels: Sequence[str], lease_until: datetime) -> Sequence[Delivery]:
        """Due pending rows for ``channels``, leased until ``lease_until``."""
        due = [r for r in self.rows() if r.status == "pending" and r.next_attempt_at <= now and r.channel in channels][
            :limit
        ]
        for r in due:
            self.writes[r.id] = replace(r, next_attempt_at=lease_until)
        return [
            Delivery(
                id=r.id,
                channel=r.channel,
                recipient=r.message.recipient,
                payload=r.message.payload,
                key=r.message.key,
                attempts=r.attempts,
            )
            for r in due
        ]

    def _row(self, delivery_id: int) -> OutboxRow:
        return (self._store.outbox | self.writes)[delivery_id]

    def mark_sent(self, delivery_id: int, *, now: datetime) -> None:
        """Delivered."""
        r = self._row(delivery_id)
        self.writes[delivery_id] = replace(r, status="sent", sent_at=now, attempts=r.attempts + 1)

    def mark_failed(self, delivery_id: int, *, now: datetime, error: str, retry_at: datetime | None) -> None:
        """Failed: retry at ``retry_at``, or dead when None."""
        r = self._row(delivery_id)
        r = replace(r, attempts=r.attempts + 1, last_error=error)
        self.writes[delivery_id] = (
            replace(r, status="dead") if retry_at is None else replace(r, next_attempt_at=retry_at)
        )

    def commit(self) -> None:
        self._store.outbox.update(self.writes)
        self.writes.clear()

    def rollback(self) -> None:
        self.writes.clear()


class FakeInbox:
    """Inbound events, unique on (platform, event key)."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.writes: dict[int, InboxRow] = {}

    def rows(self) -> list[InboxRow]:
        """Every row this unit sees, by id."""
        rows = self._store.inbox | self.writes
        return [rows[i] for i in sorted(rows)]

    def add(self, *, platform: str, event_key: str, payload: dict[str, Any], now: datetime) -> int | None:
        """Stores an event; None for a duplicate delivery."""
        if any((r.platform, r.event_key) == (platform, event_key) for r in self.rows()):
            return None
        row_id = next(self._store.inbox_ids)
        self.writes[row_id] = InboxRow(row_id, platform, event_key, payload, received_at=now)
        return row_id

    def add_many(self, events: Sequence[tuple[str, str, dict[str, Any]]], *, now: datetime) -> list[int | None]:
        """``add`` for each, in order (a repeat within ``events`` is a duplicate too)."""
        return [self.add(platform=p, event_key=k, payload=d, now=now) for p, k, d in events]

    def claim(self, event_id: int) -> InboxEvent | None:
        """A pending event, or None when it is done, failed or unknown."""
        r = (self._store.inbox | self.writes).get(event_id)
        if r is None or r.status != "pending":
            return None
        return InboxEvent(
            id=r.id,
            platform=r.platform,
            event_key=r.event_key,
            payload=r.payload,
            received_at=r.received_at,
            attempts=r.attempts,
        )

    def pending(self, *, limit: int) -> Sequence[int]:
        """Ids of events not yet processed, oldest first."""
        return [r.id for r in self.rows() if r.status == "pending"][:limit]

    def mark_done(self, event_id: int, *, now: datetime) -> None:
        """Processed."""
        r = (self._store.inbox | self.writes).get(event_id)
        assert r is not None
        self.writes[event_id] = replace(r, status="done", done_at=now)

    def mark_failed(self, event_id: int, *, error: str, give_up: bool) -> None:
        """Pending for a retry, or failed for good when ``give_up``."""
        r = (self._store.inbox | self.writes).get(event_id)
        assert r is not None
        self.writes[event_id] = replace(
            r, attempts=r.attempts + 1, last_error=error, status="failed" if give_up else "pending"
        )

    def commit(self) -> None:
        self._store.inbox.update(self.writes)
        self.writes.clear()

    def rollback(self) -> None:
        self.writes.clear()


class FakeMedia:
    """Media bytes by id."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.writes: dict[str, tuple[str, bytes]] = {}

    def put(self, data: bytes, *, content_type: str, now: datetime) -> str:
        media_id = f"m{len(self._store.media) + len(self.writes) + 1}"
        self.writes[media_id] = (content_type, data)
        return media_id

    def get(self, media_id: str) -> tuple[str, bytes] | None:
        return (self._store.media | self.writes).get(media_id)

    def commit(self) -> None:
        self._store.media.update(self.writes)
        self.writes.clear()

    def rollback(self) -> None:
        self.writes.clear()


class FakeRecords(Generic[R]):
    """Versioned records of one kind (approvals, returns, orders)."""

    def __init__(
        self,
        committed: dict[int, R],
        ids: Iterator[int],
        final: Callable[[R], bool],
        number: Callable[[R], str | None] | None = None,
    ) -> None:
        self._committed = committed
        self._ids = ids
        self._final = final
        # A record's number as storage keeps it (its codec's ``number``): the RMA or order number by default.
        self._number = number or (lambda r: getattr(r, "rma_no", None) or getattr(r, "number", None))
        self.writes: dict[int, R] = {}

    def _all(self) -> dict[int, R]:
        return self._committed | self.writes

    def add(self, item: R) -> R:
        stored: R = replace(item, id=next(self._ids))  # type: ignore[type-var]
        assert stored.id is not None
        self.writes[stored.id] = stored
        return stored

    def get(self, record_id: int) -> R | None:
        return self._all().get(record_id)

    def by_number(self, number: str) -> R | None:
        return next((r for r in self._all().values() if self._number(r) == number), None)

    def save(self, item: R, *, expected_version: int) -> None:
        assert item.id is not None
        current = self.get(item.id)
        if current is None or current.version != expected_version:
            raise ConcurrentUpdate(f"record {item.id} is not at version {expected_version}")
        self.writes[item.id] = item

    def open(self) -> Sequence[R]:
        return [r for _, r in sorted(self._all().items()) if not self._final(r)]

    def nag_due(self, *, rules: str, now: datetime) -> Sequence[R]:
        """Every open record (the fake keeps no notes)."""
        return self.open()

    def plan_nags(self, plans: Sequence[NagPlan], *, rules: str) -> None:
        """Notes are not kept (see ``nag_due``)."""

    def since(self, when: datetime) -> Sequence[R]:
        """Records created (or opened) at or after ``when``."""
        out = []
        for _, r in sorted(self._all().items()):
            created = getattr(r, "created_at", None) or getattr(r, "opened_at", None)
            if created is not None and created >= when:
                out.append(r)
        return out

    def commit(self) -> None:
        self._committed.update(self.writes)
        self.writes.clear()

    def rollback(self) -> None:
        self.writes.clear()


class FakeCustomers:
    """The customer archive and its view log: reads see this unit's pending writes over the committed ones."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self.writes: dict[int, CustomerRecord] = {}
        self.new_views: list[CustomerView] = []

    def _all(self) -> dict[int, CustomerRecord]:
        return self._store.customers | self.writes

    def add(self, customer: CustomerRecord) -> CustomerRecord:
        if any(c.name == customer.name for c in self._all().values()):
            raise ValueError(f"customer {customer.name!r} exists")  # the unique constraint
        stored = replace(customer, id=next(self._store.customer_ids))
        assert stored.id is not None
        self.writes[stored.id] = stored
        return stored

    def get(self, customer_id: int) -> CustomerRecord | None:
        return self._all().get(customer_id)

    def by_name(self, name: str) -> CustomerRecord | None:
        found = self.all()
        exact = next((c for c in found if c.name.casefold() == name.strip().casefold()), None)
        return exact or next((c for c in found if c.named(name)), None)

    def save(self, customer: CustomerRecord, *, expected_version: int) -> None:
        assert customer.id is not None
        current = self.get(customer.id)
        if current is None or current.version != expected_version:
            raise ConcurrentUpdate(f"customer {customer.id} is not at version {expected_version}")
        self.writes[customer.id] = customer

    def all(self) -> Sequence[CustomerRecord]:
        return sorted(self._all().values(), key=lambda c: c.name)

    def owned_by(self, person: str) -> Sequence[CustomerRecord]:
        return [c for c in self.all() if c.owner == person]

    def record_view(self, view: CustomerView) -> None:
        self.new_views.append(view)

    def views(self, customer_id: int) -> Sequence[CustomerView]:
        return [v for v in [*self._store.customer_views, *self.new_views] if v.customer_id == customer_id]

    def commit(self) -> None:
        self._store.customers.update(self.writes)
        self._store.customer_views.extend(self.new_views)
        self.writes.clear()
        self.new_views.clear()

    def rollback(self) -> None:
        self.writes.clear()
        self.new_views.clear()


class FakePlatformState:
    """Tokens and card copies (committed at once: adapters use short units of their own)."""

    def __init__(self) -> None:
        self.tokens: dict[str, tuple[str, datetime]] = {}
        self.copies: dict[tuple[str, str, str], str] = {}

    def token(self, platform: str, *, now: datetime) -> str | None:
        found = self.tokens.get(platform)
        return found[0] if found and found[1] > now else None

    def save_token(self, platform: str, token: str, *, expires_at: datetime) -> None:
        self.tokens[platform] = (token, expires_at)

    def remember_copy(self, platform: str, *, recipient: str, card_id: str, ref: str, now: datetime) -> None:
        self.copies[(platform, recipient, card_id)] = ref

    def copy_of(self, platform: str, *, recipient: str, card_id: str) -> str | None:
        return self.copies.get((platform, recipient, card_id))

    def copies_of(self, platform: str, *, recipients: Sequence[str], card_id: str) -> dict[str, str]:
        found = {r: self.copies.get((platform, r, card_id)) for r in recipients}
        return {r: ref for r, ref in found.items() if ref is not None}


class FakeNags:
    """Acknowledged clocks and claimed jobs (committed at once, like the platform state)."""

    def __init__(self) -> None:
        self.acks: dict[str, tuple[str, datetime]] = {}
        self.jobs: dict[str, datetime] = {}

    def acknowledged(self, keys: Iterable[str] | None = None) -> frozenset[str]:
        return frozenset(self.acks) if keys is None else frozenset(self.acks).intersection(keys)

    def acknowledge(self, key: str, *, by: str, at: datetime) -> bool:
        if key in self.acks:
            return False
        self.acks[key] = (by, at)
        return True

    def claim(self, job: str, *, at: datetime) -> bool:
        if job in self.jobs:
            return False
        self.jobs[job] = at
        return True


class FakeJobFailures:
    """Failure streaks of scheduled jobs (committed at once, like the claims)."""

    def __init__(self) -> None:
        self.streaks: dict[str, JobFailure] = {}

    def failing(self) -> Sequence[JobFailure]:
        return [self.streaks[job] for job in sorted(self.streaks)]

    def record(self, job: str, *, error: str, at: datetime) -> JobFailure:
        old = self.streaks.get(job)
        new = (
            replace(old, failures=old.failures + 1, last_at=at, last_error=error)
            if old
            else JobFailure(job, 1, at, at, error)
        )
        self.streaks[job] = new
        return new

    def mark_reported(self, job: str) -> bool:
        old = self.streaks.get(job)
        if old is None or old.reported:
            return False
        self.streaks[job] = replace(old, reported=True)
        return True

    def clear(self, job: str) -> None:
        self.streaks.pop(job, None)


class FakeUnitOfWork:
    """One transaction over the fakes: ``commit()`` copies the pending writes to the store; leaving the
    ``with`` block without committing discards them. Reusable, like cosmicpython's fake."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store if store is not None else FakeStore()
        self.fake_complaints = FakeComplaints(self.store)
        self.fake_audit = FakeAudit(self.store)
        self.fake_counters = FakeCounters(self.store)
        self.fake_outbox = FakeOutbox(self.store)
        self.fake_inbox = FakeInbox(self.store)
        self.fake_media = FakeMedia(self.store)
        self.fake_approvals: FakeRecords[Approval] = FakeRecords(
            self.store.approvals, self.store.record_ids, lambda a: a.state is not ApprovalState.PENDING
        )
        self.fake_returns: FakeRecords[ReturnRequest] = FakeRecords(
            self.store.returns, self.store.record_ids, lambda r: r.state.value in ("closed", "rejected", "withdrawn")
        )
        self.fake_orders: FakeRecords[Order] = FakeRecords(
            self.store.orders, self.store.record_ids, lambda o: o.state.value != "review"
        )
        self.fake_eightds: FakeRecords[EightD] = FakeRecords(
            self.store.eightds, self.store.record_ids, lambda e: e.state.value == "closed", lambda e: e.label
        )
        self.fake_analyses: FakeRecords[ReturnAnalysis] = FakeRecords(
            self.store.analyses, self.store.record_ids, lambda a: a.state.value == "done", lambda a: a.label
        )
        self.fake_visits: FakeRecords[Visit] = FakeRecords(
            self.store.visits, self.store.record_ids, lambda v: v.answered
        )
        self.fake_campaigns: FakeRecords[Campaign] = FakeRecords(
            self.store.campaigns, self.store.record_ids, lambda c: c.state == "closed"
        )
        self.complaints: ComplaintRepository = self.fake_complaints
        self.audit: AuditLog = self.fake_audit
        self.counters: Counters = self.fake_counters
        self.outbox: Outbox = self.fake_outbox
        self.inbox: Inbox = self.fake_inbox
        self.media: MediaStore = self.fake_media
        self.platform: PlatformState = FakePlatformState()
        self.approvals: Records[Approval] = self.fake_approvals
        self.returns: Records[ReturnRequest] = self.fake_returns
        self.orders: Records[Order] = self.fake_orders
        self.nags: Nags = FakeNags()
        self.jobs: JobFailures = FakeJobFailures()
        self.eightds: Records[EightD] = self.fake_eightds
        self.analyses: Records[ReturnAnalysis] = self.fake_analyses
        self.visits: Records[Visit] = self.fake_visits
        self.campaigns: Records[Campaign] = self.fake_campaigns
        self.fake_customers = FakeCustomers(self.store)
        self.customers: Customers = self.fake_customers
        self.commits = 0

    def _parts(self) -> tuple[Any, ...]:
        return (
            self.fake_complaints,
            self.fake_audit,
            self.fake_counters,
            self.fake_outbox,
            self.fake_inbox,
            self.fake_media,
            self.fake_approvals,
            self.fake_returns,
            self.fake_orders,
            self.fake_eightds,
            self.fake_analyses,
            self.fake_visits,
            self.fake_campaigns,
            self.fake_customers,
        )

    def __enter__(self) -> Self:
        self.rollback()  # a new transaction starts from what is committed
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        """Makes every pending write durable at once."""
        for part in self._parts():
            part.commit()
        self.commits += 1

    def rollback(self) -> None:
        """Discards every pending write."""
        for part in self._parts():
            part.rollback()


# --- a small organisation ------------------------------------------------------------------------------

SALES1, SALES2, QA1, QA_MGR, RD1, RD2, PROD1 = "sales1", "sales2", "qa1", "qa_mgr", "rd1", "rd2", "prod1"
QA_CHAT = "qa_chat"


def make_org() -> Org:
    """Two sales, one qa, one qa_manager, 研发部 (head rd1, member rd2), 生产部 (prod1, no head), a qa chat."""
    return Org(
        people=(
            Person(SALES1, "张伟", frozenset({Role.SALES}), department="sales"),
            Person(SALES2, "李娜", frozenset({Role.SALES}), department="sales"),
            Person(QA1, "王芳", frozenset({Role.QA}), department="qa"),
            Person(QA_MGR, "刘洋", frozenset({Role.QA_MANAGER}), department="qa"),
            Person(RD1, "陈静", frozenset({Role.DEPT}), department="rd"),
            Person(RD2, "杨磊", frozenset({Role.DEPT}), department="rd"),
            Person(PROD1, "赵强", frozenset({Role.DEPT}), department="prod"),
        ),
        departments=(
            Department("sales", "市场部"),
            Department("qa", "品质部", head=QA_MGR),
            Department("rd", "研发部", head=RD1),
            Department("prod", "生产部"),
        ),
        chats=(Chat(QA_CHAT, "品质群", ChatPurpose.QA),),
    )


def policy() -> Policy:
    """The default clocks on a Monday–Friday calendar in Shanghai time."""
    return Policy(clocks=dict(DEFAULT_CLOCKS), calendar=WeekdayCalendar(), tz=SHANGHAI)
