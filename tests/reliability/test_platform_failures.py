"""The platform API failing half of all sends for ten minutes, then recovering: messages are delayed (retried
with backoff at a ``now`` moved forward, no real waiting), never dropped, and each is shown once — including those
WeCom or Feishu accepted while their answer was lost, whose re-send the platform's duplicate check drops."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.dispatch.outbound import LEASE, OutboxDispatcher
from bot.feishu.client import _uuid
from bot.web import create_app
from bot.wiring import Kesu, build
from core.messages import Delivery, OutboundMessage, Recipient
from tests.feishu import fake as f
from tests.feishu.conftest import feishu_settings
from tests.reliability.conftest import (
    assert_complaints,
    assert_delivered_exactly_once,
    assert_events_processed_once,
    backlog,
    scalar,
)
from tests.wecom.conftest import WeCom, wecom_settings
from tests.wecom.fake_wecom import FakeWeCom

OUTAGE = timedelta(minutes=10)
STEP = timedelta(seconds=15)  # how far ``now`` moves between two dispatcher passes
COMPLAINTS, CHATTER = 40, 60


class HalfFailing:
    """While ``down``, half of all sends fail: most are refused (nothing sent), and some — of those the platform
    can deduplicate — are accepted and their answer lost. ``dedupable(call)`` says which."""

    def __init__(self, dedupable: Callable[[Any], bool], refusals: list[Any]) -> None:
        self.dedupable = dedupable
        self.refusals = refusals
        self.rng = random.Random(2026)
        self.down = True
        self.refused = 0
        self.lost: list[Any] = []

    def refuse(self, call: Any) -> Any:
        roll = self.rng.random()
        if not self.down or roll >= 0.5:
            return None
        if roll < 0.2 and self.dedupable(call):
            self.lost.append(call)  # accepted below, then answered with an error
            return None
        self.refused += 1
        return self.rng.choice(self.refusals)

    def after(self, call: Any) -> int | None:
        return 500 if any(call is lost for lost in self.lost) else None


def _run_through_outage(kesu: Kesu, failing: HalfFailing) -> None:
    """Dispatcher passes every STEP of simulated time: the outage for OUTAGE, then until nothing is left to send."""
    start = now = kesu.now()
    for _ in range(500):
        failing.down = now < start + OUTAGE
        kesu.outbox.drain(now=now)
        if not failing.down and scalar(kesu.engine, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0:
            return
        now += STEP
    pytest.fail("messages still unsent 2 hours after the outage")


@pytest.fixture
def wecom(db_url: str, api_base: str, fake: FakeWeCom, config: Path) -> Iterator[WeCom]:
    kesu = build(wecom_settings(db_url, api_base, config))
    harness = WeCom(kesu, fake)
    yield harness
    harness.http.close()
    kesu.close()


def test_wecom_failing_half_of_all_sends_for_ten_minutes_delays_every_message_and_shows_each_once(
    wecom: WeCom, fake: FakeWeCom
) -> None:
    kesu = wecom.kesu
    texts = backlog(COMPLAINTS, CHATTER)
    keys = [str(900_000 + i) for i in range(len(texts))]
    for key, (user, text) in zip(keys, texts, strict=True):
        assert wecom.text(user, text, msg_id=int(key)).status_code == 200
    wecom.settle()

    # WeCom deduplicates only message/send requests that ask for it (template cards always, a text when it is the
    # first with its words to that person, see bot/wecom/sender.py): only those can have their answer lost here.
    failing = HalfFailing(
        lambda call: call.path == "message/send" and bool(call.body.get("enable_duplicate_check")),
        [500, 502, 503, {"errcode": -1, "errmsg": "system busy"}, {"errcode": 45009, "errmsg": "api freq limit"}],
    )
    fake.refuse, fake.after = failing.refuse, failing.after
    _run_through_outage(kesu, failing)

    assert failing.refused > 20 and len(failing.lost) > 5  # the outage really happened
    assert scalar(kesu.engine, "SELECT count(*) FROM outbox WHERE attempts > 1") > 0
    assert_events_processed_once(kesu.engine, keys)
    assert_complaints(kesu, range(1, COMPLAINTS + 1))
    assert_delivered_exactly_once(kesu.engine, fake, kesu.config.accounts)
    # every message whose answer was lost was sent again, and WeCom dropped the copy
    assert {_json(c.body) for c in fake.duplicates} == {_json(c.body) for c in failing.lost}


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


def test_feishu_failing_half_of_all_sends_for_ten_minutes_delays_every_message_and_shows_each_once(
    db_url: str,
) -> None:
    for fake in f.FakeFeishu().serve():
        kesu = build(feishu_settings(db_url, fake.url))
        try:
            with TestClient(create_app(kesu, worker=False)) as http:
                for user, text in backlog(COMPLAINTS, CHATTER):
                    body, headers = f.signed(f.message_event(f"ou_{user}", text=text))
                    assert http.post("/feishu/events", content=body, headers=headers).status_code == 200
                assert kesu.intake.settle(timeout=60)

            # Feishu sends at most one message per uuid an hour: every send can have its answer lost.
            failing = HalfFailing(lambda call: True, [500, 502, 503])
            fake.refuse, fake.after = failing.refuse, failing.after
            _run_through_outage(kesu, failing)

            assert failing.refused > 20 and len(failing.lost) > 5
            assert_complaints(kesu, range(1, COMPLAINTS + 1))
            with kesu.engine.connect() as conn:
                rows = conn.exec_driver_sql("SELECT key, status, recipient_id, payload FROM outbox").all()
            assert {r.status for r in rows} == {"sent"}
            want = Counter(
                (f"ou_{r.recipient_id}", _uuid(r.key, "card" if _payload(r.payload).get("card") else "text"))
                for r in rows
            )
            got = Counter((m["receive_id"], m["uuid"]) for m in fake.sent())
            assert got == want  # each outbox message shown once, by its uuid
            assert {c.json()["uuid"] for c in fake.calls if c.duplicate} == {c.json()["uuid"] for c in failing.lost}
        finally:
            kesu.close()


def _payload(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else dict(json.loads(value))


def test_a_slow_platform_never_lets_a_second_worker_resend_what_the_first_still_holds(kesu: Kesu) -> None:
    """Sends taking 50 s each: the first worker's batch would outlive its 2-minute lease, and a second worker
    would claim and send the rows the first was still about to send. The first stops at half its lease instead."""
    now = kesu.now()
    with kesu.uow() as uow:
        for i in range(5):
            msg = OutboundMessage(Recipient.user("qa1"), {"text": f"m{i}", "card": None}, f"slow{i}")
            uow.outbox.add(msg, channel="local", now=now)
        uow.commit()
    clock = [0.0]
    shown: list[str] = []
    other = OutboxDispatcher(uow=kesu.uow, senders={"local": _Recorder(shown)})

    class Slow(_Recorder):
        def send(self, delivery: Delivery) -> None:
            clock[0] += 50
            if clock[0] > LEASE.total_seconds():  # meanwhile the other worker's pass finds the lease run out
                other.drain(now=now + timedelta(seconds=clock[0]))
            super().send(delivery)

    first = OutboxDispatcher(uow=kesu.uow, senders={"local": Slow(shown)}, clock=lambda: clock[0])
    first.drain(now=now)
    other.drain(now=now + timedelta(minutes=10))
    assert sorted(shown) == [f"slow{i}" for i in range(5)]


class _Recorder:
    def __init__(self, shown: list[str]) -> None:
        self.shown = shown

    def send(self, delivery: Delivery) -> None:
        self.shown.append(delivery.key)


@pytest.fixture
def kesu(db_url: str) -> Iterator[Kesu]:
    k = build(Settings(database_url=db_url, config=None), migrate=False)
    yield k
    k.close()
