"""Audit entries: who did what to which record, when, and what changed (append-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    """One state change of one record. ``before``/``after`` hold only the fields that changed."""

    entity: str
    entity_id: str
    action: str
    actor: str
    at: datetime
    before: dict[str, Any]
    after: dict[str, Any]
    note: str | None = None


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed keys of two snapshots, as (old values, new values)."""
    keys = [k for k in after if before.get(k) != after.get(k)] + [k for k in before if k not in after]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
