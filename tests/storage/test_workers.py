"""Several workers: rows claimed by one are skipped by the others; a crashing event is retried, then reported."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.context import Context, Understood
from bot.dispatch.inbound import MAX_ATTEMPTS
from bot.local.parse import say_event
from bot.wiring import Kesu, build
from core.messages import OutboundMessage, Recipient

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _queue(kesu: Kesu, n: int) -> None:
    with kesu.uow() as uow:
        for i in range(n):
            msg = OutboundMessage(Recipient.user("qa1"), {"text": f"m{i}", "card": None}, f"m{i}")
            uow.outbox.add(msg, channel="local", now=NOW)
        uow.commit()


@pytest.mark.postgres
def test_two_workers_claim_disjoint_outbox_rows_on_postgres(postgres_url: str) -> None:
    kesu = build(Settings(database_url=postgres_url, config=None), migrate=False)
    try:
        with kesu.engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE outbox RESTART IDENTITY")
        _queue(kesu, 4)
        lease = NOW + timedelta(minutes=2)
        with kesu.uow() as first:
            mine = first.outbox.claim(now=NOW, limit=2, channels=["local"], lease_until=lease)
            # `first` has not committed: its rows are locked, and a second worker skips them.
            with kesu.uow() as second:
                theirs = second.outbox.claim(now=NOW, limit=10, channels=["local"], lease_until=lease)
                second.commit()
            first.commit()
        assert [d.key for d in mine] == ["m0", "m1"]
        assert [d.key for d in theirs] == ["m2", "m3"]
        with kesu.uow() as third:  # all four are leased now
            assert third.outbox.claim(now=NOW, limit=10, channels=["local"], lease_until=lease) == []
    finally:
        kesu.close()


@pytest.mark.postgres
def test_an_inbox_event_held_by_one_worker_is_skipped_by_another_on_postgres(postgres_url: str) -> None:
    kesu = build(Settings(database_url=postgres_url, config=None), migrate=False)
    try:
        event_id = kesu.dispatcher.ingest(say_event(user="sales1", text="帮助", now=NOW), now=NOW)
        assert event_id is not None
        with kesu.uow() as first:
            assert first.inbox.claim(event_id) is not None
            with kesu.uow() as second:
                assert second.inbox.claim(event_id) is None
    finally:
        kesu.close()


def test_a_leased_message_is_sent_again_when_its_worker_died_before_marking_it(kesu: Kesu) -> None:
    _queue(kesu, 1)
    with kesu.uow() as uow:  # a worker leases the row, then dies before sending
        uow.outbox.claim(now=NOW, limit=10, channels=["local"], lease_until=NOW + timedelta(minutes=2))
        uow.commit()
    assert kesu.outbox.drain(now=NOW + timedelta(minutes=1)) == []
    assert [d.key for d in kesu.outbox.drain(now=NOW + timedelta(minutes=2))] == ["m0"]


def test_a_crashing_event_is_retried_then_given_up_and_the_sender_is_told(kesu: Kesu) -> None:
    def crash(ctx: Context, understood: Understood) -> None:
        raise RuntimeError("bug")

    kesu.dispatcher.intents.handlers["help"] = crash
    event_id = kesu.dispatcher.ingest(say_event(user="sales1", text="帮助", now=NOW), now=NOW)
    assert event_id is not None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        outcome = kesu.dispatcher.process(event_id, now=NOW)
        assert not outcome.processed and not outcome.ok
        with kesu.engine.connect() as conn:
            status, attempts = conn.execute(
                sa.text("SELECT status, attempts FROM inbox WHERE id = :i"), {"i": event_id}
            ).one()
        assert attempts == attempt
        assert status == ("failed" if attempt == MAX_ATTEMPTS else "pending")
    assert [d.payload["text"] for d in kesu.outbox.drain(now=NOW)] == [
        "抱歉,这条消息处理失败,已记录。请稍后重试或联系管理员。"
    ]
    assert kesu.dispatcher.process_pending(now=NOW) == 0
