"""Save and audit: the one way a use case stores a versioned record, writing its audit row in the same unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Generic, Protocol, TypeVar

from core.audit import AuditEntry, diff
from core.errors import NotFound, StaleCard
from core.org import Org
from core.ports import UnitOfWork

SCHEDULER = "kesu"  # the actor of changes the scheduler makes by itself (a campaign starting or closing)


class Versioned(Protocol):
    """A record with an id (None until stored) and a version bumped by every change."""

    @property
    def id(self) -> int | None: ...

    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)
T_co = TypeVar("T_co", covariant=True)


class Acted(Protocol):
    """A record that remembers its last change: who, what, when."""

    @property
    def last_actor(self) -> str | None: ...

    @property
    def last_action(self) -> str | None: ...

    @property
    def last_at(self) -> datetime | None: ...


def stale_card(record: Acted, *, now_is: str, org: Org, tz: tzinfo) -> StaleCard:
    """The refusal of a tap on an outdated card: who last changed ``record`` and when, and where it is now
    (``now_is``, e.g. 'OR-202611-0002 当前:评审中')."""
    who = ""
    if record.last_actor and record.last_at:
        who = f",已被{org.name_of(record.last_actor)}于 {record.last_at.astimezone(tz):%H:%M} {record.last_action}"
    return StaleCard(f"此卡片已失效{who}。{now_is}。")


class Readable(Protocol[T_co]):
    """A repository's read by id."""

    def get(self, record_id: int, /) -> T_co | None: ...


def load(records: Readable[T_co], record_id: int, *, missing: str) -> T_co:
    """The record with ``record_id``; NotFound saying ``missing`` otherwise (e.g. a card outlived its record)."""
    found = records.get(record_id)
    if found is None:
        raise NotFound(missing)
    return found


class Writable(Protocol[V]):
    """The two writes of a repository: add a new record, save a changed one if nobody changed it meanwhile."""

    def add(self, item: V, /) -> V: ...

    def save(self, item: V, /, *, expected_version: int) -> None: ...


def store(
    uow: UnitOfWork,
    records: Writable[V],
    before: V | None,
    after: V,
    *,
    entity: str,
    snapshot: Callable[[V], dict[str, Any]],
    action: str,
    actor: str,
    now: datetime,
    note: str | None = None,
    entity_id: Callable[[V], str] | None = None,
) -> V:
    """Add ``after`` (``before`` is None) or save it over ``before``, and append one audit row holding what
    changed (the whole snapshot for a new record). Returns the stored record."""
    old: dict[str, Any]
    new: dict[str, Any]
    if before is None:
        after = records.add(after)
        old, new = {}, snapshot(after)
    else:
        records.save(after, expected_version=before.version)
        old, new = diff(snapshot(before), snapshot(after))
    assert after.id is not None
    key = entity_id(after) if entity_id else str(after.id)
    uow.audit.append(AuditEntry(entity, key, action, actor, now, old, new, note))
    return after


@dataclass(frozen=True)
class Kind(Generic[V]):
    """One record kind's audited save: its audit entity, where the unit of work keeps it, its audit view."""

    entity: str
    records: Callable[[UnitOfWork], Writable[V]]
    snapshot: Callable[[V], dict[str, Any]]

    def store(
        self,
        uow: UnitOfWork,
        before: V | None,
        after: V,
        *,
        action: str,
        actor: str,
        now: datetime,
        note: str | None = None,
    ) -> V:
        """``store`` for this kind: add ``after`` (``before`` is None) or save it over ``before``, audited."""
        return store(
            uow,
            self.records(uow),
            before,
            after,
            entity=self.entity,
            snapshot=self.snapshot,
            action=action,
            actor=actor,
            now=now,
            note=note,
        )
