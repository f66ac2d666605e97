"""A reminder pass looks only at what can have a stage due: the notes of when to look at a record again.

Between two stages of a clock (``core.nag.next_push``) every pass computes the same latest stage, whose message
is already queued (its outbox key). So a pass notes, on each form or record it looked at, when its next stage
comes; the next passes skip it until then. Writing a form or record clears the note (it may have new clocks,
owners or times), and a note made under other rules (reminder settings, calendar, timezone, org) does not
count: each pass still sends exactly what a pass over every open record would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import kinds
from core.clocks import Calendar
from core.kinds import Kind
from core.nag import Reminders, Watch, next_push
from core.org import Org
from core.ports import NagPlan, UnitOfWork
from core.watches import complaint_watches, sources


@dataclass(frozen=True)
class Look:
    """A form (``kinds.COMPLAINT``) or record (a kind of ``core.watches.sources``) a pass looks at, with its
    running clocks."""

    kind: Kind
    id: int
    version: int
    watches: tuple[Watch, ...]


def _canonical(value: Any) -> Any:
    """``value`` as nested tuples whose repr is the same in every process (sets sorted, objects by their fields)."""
    if value is None or isinstance(value, str | int | float | datetime | date | time | timedelta):
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, _canonical(getattr(value, f.name))) for f in fields(value) if f.compare),
        )
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted((_canonical(v) for v in value), key=repr)))
    if isinstance(value, dict):
        return ("dict", tuple(sorted(((_canonical(k), _canonical(v)) for k, v in value.items()), key=repr)))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    if hasattr(value, "__dict__"):  # a plain object such as a calendar: its holidays and make-up workdays
        return (type(value).__name__, _canonical(vars(value)))
    return value


def plan_rules(reminders: Reminders, calendar: Calendar, tz: ZoneInfo, org: Org) -> str:
    """A short fingerprint of everything a pass's messages depend on besides the records and ``now``: notes made
    under another fingerprint are not trusted."""
    text = repr(_canonical((reminders, calendar, tz.key, org)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def due_looks(uow: UnitOfWork, org: Org, *, rules: str, now: datetime) -> list[Look]:
    """The forms and records that can have a stage due at ``now`` — written since their last look, or whose
    noted next stage has come — with their running clocks and acknowledgements."""
    found: list[tuple[Kind, Any, list[Watch]]] = [
        (kinds.COMPLAINT, form, complaint_watches(form, org)) for form in uow.complaints.nag_due(rules=rules, now=now)
    ]
    for kind, (records, build) in sources(uow).items():
        found += [(kind, item, build(item, org, frozenset())) for item in records.nag_due(rules=rules, now=now)]
    acknowledged = uow.nags.acknowledged([w.key for _, _, watches in found for w in watches])
    return [
        Look(kind, int(item.id), item.version, tuple(replace(w, acknowledged=w.key in acknowledged) for w in watches))
        for kind, item, watches in found
    ]


def next_look(
    look: Look, reminders: Reminders, *, calendar: Calendar, tz: ZoneInfo, after: datetime
) -> datetime | None:
    """When the first stage of any of the look's clocks after ``after`` comes due (None: none is left)."""
    times = [
        at
        for w in look.watches
        if (at := next_push(w, reminders.policy(w.clock), calendar=calendar, tz=tz, work=reminders.work, after=after))
        is not None
    ]
    return min(times, default=None)


def plan_looks(uow: UnitOfWork, plans: Iterable[tuple[Look, datetime | None]], *, rules: str) -> None:
    """Note on each form or record looked at when to look again (None: not until it is written again)."""
    by_kind: dict[Kind, list[NagPlan]] = {}
    for look, at in plans:
        by_kind.setdefault(look.kind, []).append(NagPlan(look.id, look.version, at))
    if kinds.COMPLAINT in by_kind:
        uow.complaints.plan_nags(by_kind[kinds.COMPLAINT], rules=rules)
    for kind, (records, _) in sources(uow).items():
        if kind in by_kind:
            records.plan_nags(by_kind[kind], rules=rules)
