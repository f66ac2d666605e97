"""A `kesu worker` killed with SIGKILL mid-batch — while processing the inbox, then between a send WeCom accepted
and marking it sent — and restarted: every event processed once, every message shown once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.wiring import Kesu, build
from tests.reliability.conftest import (
    Processes,
    assert_complaints,
    assert_delivered_exactly_once,
    assert_events_processed_once,
    backlog,
    queue_events,
    scalar,
    wait_for,
)
from tests.wecom.conftest import wecom_settings
from tests.wecom.fake_wecom import Call, FakeWeCom

N = 150


@pytest.fixture
def kesu(db_url: str, api_base: str, config: Path) -> Iterator[Kesu]:
    k = build(wecom_settings(db_url, api_base, config), migrate=False)
    yield k
    k.close()


def test_a_worker_killed_mid_batch_and_restarted_loses_nothing_and_repeats_nothing(
    kesu: Kesu, fake: FakeWeCom, processes: Processes
) -> None:
    engine = kesu.engine
    keys = queue_events(kesu, backlog(N), now=kesu.now())

    def done() -> int:
        return scalar(engine, "SELECT count(*) FROM inbox WHERE status = 'done'")

    # 1. Killed while working through the inbox: its open transaction dies with it.
    first = processes.worker("worker-1")
    wait_for(lambda: done() >= 20, timeout=90, what="20 events processed", processes=processes)
    processes.kill(first)
    assert done() < N

    # 2. Killed after WeCom accepted a message and before the row was marked sent: the fake holds the answer.
    held, release = threading.Event(), threading.Event()
    target = len(fake.deliveries) + 10

    def hold(call: Call) -> None:
        if call.path == "message/send" and len(fake.deliveries) == target and not held.is_set():
            held.set()
            release.wait(60)

    fake.after = hold
    second = processes.worker("worker-2")
    try:
        wait_for(held.is_set, timeout=90, what="a send in flight", processes=processes)
        processes.kill(second)
    finally:
        release.set()
    in_flight = fake.deliveries[target - 1]
    row = int(in_flight.body["template_card"]["task_id"].rsplit("-", 2)[1])
    with engine.connect() as conn:
        status = conn.execute(sa.text("SELECT status FROM outbox WHERE id = :i"), {"i": row}).scalar_one()
    assert status == "pending"  # shown to the person, but leased by a dead worker

    # 3. A worker started after the dead one's leases ran out finishes the work.
    processes.worker("worker-3", ahead=180)
    wait_for(
        lambda: done() == N and scalar(engine, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0,
        timeout=120,
        what="every event processed and every message sent",
        processes=processes,
    )

    assert_events_processed_once(engine, keys)
    assert_complaints(kesu, range(1, N + 1))
    assert_delivered_exactly_once(engine, fake, kesu.config.accounts)
    # The held message was sent again and dropped by WeCom's duplicate check (the first kill may have left one too).
    resent = [c.body for c in fake.duplicates]
    assert in_flight.body in resent
    assert all(body in [c.body for c in fake.deliveries] for body in resent)
