"""A reminder pass loads only the forms and records that can have a stage due (the notes of core/nag_notes.py), and
still sends exactly what a pass over every open form and record sends — on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.wiring import Kesu, build
from core import complaint_flow
from core.approval_flow import open_approval
from core.complaint import Action, Details, Severity
from core.nag import due_nudge
from core.ports import NagPlan
from core.watches import running

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


@pytest.fixture
def kesu(db_url: str) -> Iterator[Kesu]:
    k = build(Settings(database_url=db_url, config=None))
    yield k
    k.close()


def submit(kesu: Kesu, *, now: datetime, severity: Severity = Severity.NORMAL, customer: str = "明辉电子") -> int:
    """sales1 logs and confirms a complaint at ``now``; its id."""
    org, policy = kesu.config.org, kesu.dispatcher.policy
    details = Details(customer=customer, product="X200", defect="外壳划伤", quantity=200, severity=severity)
    with kesu.uow() as uow:
        draft = complaint_flow.log_complaint(uow, org=org, person_id="sales1", details=details, now=now)
        assert draft.id is not None
        _, form = complaint_flow.act(
            uow,
            org=org,
            policy=policy,
            person_id="sales1",
            complaint_id=draft.id,
            card_version=draft.version,
            action=Action.CONFIRM,
            values={},
            now=now,
        )
        uow.commit()
    assert form.id is not None
    return form.id


def assign(kesu: Kesu, complaint_id: int, *, now: datetime) -> None:
    """qa1 finds the form valid and assigns it to 研发部 (the handling clock's owners change)."""
    with kesu.uow() as uow:
        form = complaint_flow.load(uow, complaint_id)
        complaint_flow.act(
            uow,
            org=kesu.config.org,
            policy=kesu.dispatcher.policy,
            person_id="qa1",
            complaint_id=complaint_id,
            card_version=form.version,
            action=Action.VALID,
            values={"department": "rd"},
            now=now,
        )
        uow.commit()


def every_stage_due(kesu: Kesu, now: datetime) -> set[str]:
    """The outbox keys a pass over every running clock would queue at ``now`` (what a pass did before notes)."""
    org, policy = kesu.config.org, kesu.dispatcher.policy
    keys: set[str] = set()
    with kesu.uow() as uow:
        for watch in running(uow, org):
            nudge = due_nudge(
                watch,
                policy.reminders.policy(watch.clock),
                org,
                calendar=policy.calendar,
                tz=policy.tz,
                work=policy.reminders.work,
                now=now,
            )
            if nudge is not None:
                keys |= {f"{nudge.key}:{pid}" for pid in nudge.to}
    return keys


def queued_nags(kesu: Kesu) -> set[str]:
    with kesu.engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT key FROM outbox WHERE key LIKE 'nag:%'")).scalars())


def looked_at(kesu: Kesu, now: datetime, rules: str | None = None) -> list[int]:
    """The ids of the open forms a pass at ``now`` loads."""
    with kesu.uow() as uow:
        return [f.id or 0 for f in uow.complaints.nag_due(rules=rules or kesu.scheduler.rules, now=now)]


def test_passes_with_notes_queue_exactly_what_passes_over_every_open_record_queue(kesu: Kesu) -> None:
    normal = submit(kesu, now=MONDAY)
    urgent = submit(kesu, now=MONDAY + timedelta(hours=2), severity=Severity.URGENT, customer="顺达电器")
    with kesu.uow() as uow:
        open_approval(
            uow,
            policy=kesu.dispatcher.policy,
            kind="return",
            subject=f"return:{normal}",
            requester="sales1",
            department="sales",
            now=MONDAY + timedelta(hours=3),
        )
        uow.commit()
    expected: set[str] = set()
    at = MONDAY
    while at < MONDAY + timedelta(days=10):
        if MONDAY + timedelta(days=2) <= at < MONDAY + timedelta(days=2, minutes=97):
            assign(kesu, normal, now=at)  # a write: new owners for the handling clock
        if MONDAY + timedelta(days=4) <= at < MONDAY + timedelta(days=4, minutes=97):
            with kesu.uow() as uow:  # someone taps 收到 on the urgent clock: its escalation stops
                assert uow.nags.acknowledge(f"f{urgent}:urgent", by="sales1", at=at)
                uow.commit()
        expected |= every_stage_due(kesu, at)
        kesu.scheduler.nag(now=at)
        assert queued_nags(kesu) == expected, at
        at += timedelta(minutes=97)  # passes at every time of day, hours apart
    assert {k.split(":")[3] for k in expected} >= {"remind1", "remind2", "due", "esc1", "esc2", "esc3"}  # all kinds
    assert any(k.startswith(f"nag:f{urgent}:") for k in expected) and any(k.startswith("nag:a") for k in expected)


def test_a_form_is_loaded_only_when_written_or_when_its_next_stage_comes(kesu: Kesu) -> None:
    form = submit(kesu, now=MONDAY)  # first response due Thursday 09:00: half-time is Tuesday 21:00
    half = MONDAY + timedelta(hours=36)
    assert looked_at(kesu, MONDAY) == [form]  # just written: the next pass looks at it
    assert kesu.scheduler.nag(now=MONDAY) == 0
    assert looked_at(kesu, MONDAY + timedelta(hours=1)) == []  # noted: nothing is due before half-time
    assert looked_at(kesu, half - timedelta(seconds=1)) == []
    assert looked_at(kesu, half) == [form]
    assert looked_at(kesu, half, rules="other rules") == [form]  # notes made under other rules are not trusted

    assert kesu.scheduler.nag(now=half) == 1  # the clock that came due is still nudged (sales1)
    assert queued_nags(kesu) == {f"nag:f{form}:first_response:remind1:sales1"}
    assert looked_at(kesu, half + timedelta(minutes=1)) == []

    with kesu.uow() as uow:  # a note computed from an older version is not written
        uow.complaints.plan_nags([NagPlan(form, 1, None)], rules=kesu.scheduler.rules)
        uow.commit()
    assert looked_at(kesu, MONDAY + timedelta(days=2)) == [form]  # Wednesday 09:00, one working day before due

    assign(kesu, form, now=half + timedelta(hours=12))
    assert looked_at(kesu, half + timedelta(hours=12)) == [form]  # written: looked at by the next pass again
