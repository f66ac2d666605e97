"""Save and audit: the one way a use case stores a versioned record, writing its audit row in the same unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from core.audit import AuditEntry, diff
from core.ports import UnitOfWork

SCHEDULER = "kesu"  # the actor of changes the scheduler makes by itself (a campaign starting or closing)


class Versioned(Protocol):
    """A record with an id (None until stored) and a version bumped by every change."""

    @property
    def id(self) -> int | None: ...

    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


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
