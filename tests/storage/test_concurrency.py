"""Storage under concurrency: gap-free numbers, one winner per decision, inbox and outbox idempotency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.local.parse import click_event
from bot.wiring import Kesu, build
from core import complaint as c
from core import complaint_flow
from core.errors import ConcurrentUpdate
from core.messages import Delivery, OutboundMessage, Recipient
from core.policy import Policy
from storage.uow import SqlUnitOfWork, session_factory

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


def _draft(kesu: Kesu, owner: str = "sales1") -> c.Complaint:
    details = c.Details(customer="明辉电子", product="X200", defect="划伤", quantity=10)
    with kesu.uow() as uow:
        form = complaint_flow.log_complaint(uow, org=kesu.config.org, person_id=owner, details=details, now=NOW)
        uow.commit()
    return form


def _policy(kesu: Kesu) -> Policy:
    return kesu.dispatcher.policy


def _act(kesu: Kesu, form: c.Complaint, user: str, action: c.Action, **values: str) -> c.Complaint:
    assert form.id is not None
    with kesu.uow() as uow:
        _, after = complaint_flow.act(
            uow,
            org=kesu.config.org,
            policy=_policy(kesu),
            person_id=user,
            complaint_id=form.id,
            card_version=form.version,
            action=action,
            values=values,
            now=NOW,
        )
        uow.commit()
    return after


def test_fifty_concurrent_submissions_get_fifty_consecutive_numbers(kesu: Kesu) -> None:
    drafts = [_draft(kesu, owner="sales1" if i % 2 else "sales2") for i in range(50)]
    barrier = threading.Barrier(10)

    def submit(form: c.Complaint) -> str:
        if form.id is not None and form.id <= 10:
            barrier.wait(timeout=30)  # the first ten start at the same instant
        for _ in range(5):
            try:
                return _act(kesu, form, form.owner, c.Action.CONFIRM).number or ""
            except ConcurrentUpdate:
                continue
        raise AssertionError("could not submit")

    with ThreadPoolExecutor(max_workers=10) as pool:
        numbers = list(pool.map(submit, drafts))
    assert sorted(numbers) == [f"KS-202611-{i:04d}" for i in range(1, 51)]


def test_two_qa_verifications_at_once_give_exactly_one_decision(kesu: Kesu) -> None:
    form = _draft(kesu)
    form = _act(kesu, form, "sales1", c.Action.CONFIRM)
    form = _act(kesu, form, "qa1", c.Action.VALID, department="rd")
    form = _act(kesu, form, "rd1", c.Action.RESPOND, containment="a", root_cause="b", corrective="c")
    assert form.state is c.State.RESPONDED
    card = f"f{form.id}v{form.version}"
    barrier = threading.Barrier(2)

    def tap(action: str, values: dict[str, str]) -> tuple[bool, str | None]:
        event = click_event(user="qa1", card_id=card, action=action, values=values, now=NOW)
        event_id = kesu.dispatcher.ingest(event, now=NOW)
        assert event_id is not None
        barrier.wait(timeout=30)
        outcome = kesu.dispatcher.process(event_id, now=NOW)
        return outcome.ok, outcome.text

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda a: tap(*a), [("effective", {}), ("not_effective", {"comment": "仍有划伤"})]))
    assert sorted(ok for ok, _ in results) == [False, True]
    refusal = next(text for ok, text in results if not ok)
    assert refusal is not None and "已失效" in refusal
    with kesu.uow() as uow:
        assert form.id is not None
        stored = uow.complaints.get(form.id)
        assert stored is not None and stored.version == form.version + 1
        verifications = [
            e for e in uow.audit.history("complaint", str(form.id)) if e.action in ("effective", "not_effective")
        ]
        assert len(verifications) == 1


@pytest.mark.postgres
def test_postgres_optimistic_lock_lets_only_the_first_of_two_overlapping_writers_commit(postgres_url: str) -> None:
    """Both transactions read version N before either writes: the second UPDATE matches no row."""
    kesu = build(Settings(database_url=postgres_url, config=None), migrate=False)
    try:
        form = _act(kesu, _draft(kesu), "sales1", c.Action.CONFIRM)
        assert form.id is not None
        factory = session_factory(kesu.engine)
        barrier = threading.Barrier(2)
        org = kesu.config.org

        def decide(action: c.Action, values: dict[str, str]) -> str:
            with SqlUnitOfWork(factory) as uow:
                before = uow.complaints.get(form.id or 0)
                assert before is not None
                barrier.wait(timeout=30)  # both have read the same version
                actor = org.person("qa1")
                assert actor is not None
                after = c.decide(before, action=action, actor=actor, values=values, org=org, now=NOW)
                try:
                    uow.complaints.save(after, expected_version=before.version)
                except ConcurrentUpdate:
                    return "lost"
                uow.commit()
                return "won"

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(
                pool.map(
                    lambda a: decide(*a),
                    [(c.Action.VALID, {"department": "rd"}), (c.Action.MISDIRECTED, {"reason": "不是我们的产品"})],
                )
            )
        assert sorted(results) == ["lost", "won"]
    finally:
        kesu.close()


def test_a_duplicate_delivery_is_stored_once_and_processed_once(kesu: Kesu) -> None:
    draft = _draft(kesu)
    event = click_event(user="sales1", card_id=f"f{draft.id}v1", action="confirm", values={}, now=NOW, key="dup-1")
    first = kesu.dispatcher.ingest(event, now=NOW)
    assert first is not None
    assert kesu.dispatcher.ingest(event, now=NOW) is None
    assert kesu.dispatcher.process(first, now=NOW).processed
    assert not kesu.dispatcher.process(first, now=NOW).processed  # a replay after done changes nothing
    with kesu.uow() as uow:
        assert uow.counters.next("KS-202611") == 2  # exactly one number was used


def test_an_outbox_key_is_written_once(kesu: Kesu) -> None:
    msg = OutboundMessage(Recipient.user("qa1"), {"text": "hi", "card": None}, "k1")
    with kesu.uow() as uow:
        assert uow.outbox.add(msg, channel="local", now=NOW) is True
        assert uow.outbox.add(msg, channel="local", now=NOW) is False
        uow.commit()
    assert [d.key for d in kesu.outbox.drain(now=NOW)] == ["k1"]
    assert kesu.outbox.drain(now=NOW) == []


def test_a_failing_platform_delays_a_message_and_it_is_delivered_later(kesu: Kesu) -> None:
    class Flaky:
        def __init__(self) -> None:
            self.calls = 0
            self.sent: list[str] = []

        def send(self, delivery: Delivery) -> None:
            self.calls += 1
            if self.calls <= 2:
                raise ConnectionError("platform down")
            self.sent.append(delivery.key)

    flaky = Flaky()
    kesu.senders["local"] = flaky
    with kesu.uow() as uow:
        uow.outbox.add(
            OutboundMessage(Recipient.user("qa1"), {"text": "x", "card": None}, "m1"), channel="local", now=NOW
        )
        uow.commit()
    assert kesu.outbox.drain(now=NOW) == []  # failed, waits 5 s
    assert kesu.outbox.drain(now=NOW + timedelta(seconds=4)) == []  # not due yet
    assert kesu.outbox.drain(now=NOW + timedelta(seconds=5)) == []  # failed again, waits 10 s
    assert [d.key for d in kesu.outbox.drain(now=NOW + timedelta(seconds=15))] == ["m1"]
    assert flaky.sent == ["m1"]


def test_the_audit_log_refuses_updates_and_deletes(kesu: Kesu) -> None:
    _draft(kesu)
    for sql in ("UPDATE audit_log SET actor = 'someone'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), kesu.engine.begin() as conn:
            conn.exec_driver_sql(sql)
    with kesu.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT actor FROM audit_log").scalar_one() == "sales1"


def test_open_drafts_newest_first_and_limited_to_the_newest(kesu: Kesu) -> None:
    ids = [_draft(kesu).id for _ in range(3)]
    _draft(kesu, owner="sales2")
    with kesu.uow() as uow:
        assert [f.id for f in uow.complaints.open_drafts("sales1")] == ids[::-1]
        assert [f.id for f in uow.complaints.open_drafts("sales1", limit=1)] == [ids[-1]]
        assert (uow.complaints.draft_count("sales1"), uow.complaints.draft_count("sales2")) == (3, 1)
        newest = complaint_flow.open_draft(uow, "sales1")
    assert newest is not None and newest.id == ids[-1]
