"""Two `kesu worker` processes on one PostgreSQL database working the same backlog at once: each event processed
once, each message sent once (rows are claimed with SELECT … FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

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
from tests.wecom.fake_wecom import FakeWeCom

COMPLAINTS, CHATTER = 200, 200


@pytest.fixture
def kesu(db_url: str, api_base: str, config: Path) -> Iterator[Kesu]:
    k = build(wecom_settings(db_url, api_base, config), migrate=False)
    yield k
    k.close()


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_workers_on_postgres_share_a_backlog_and_do_each_thing_once(
    db_url: str, kesu: Kesu, fake: FakeWeCom, processes: Processes
) -> None:
    engine = kesu.engine
    names = ("kesu-worker-a", "kesu-worker-b")
    for name in names:  # each names its connections, so the test sees when both are up
        processes.env["KESU_DATABASE_URL"] = _named(db_url, name)
        processes.worker(name)

    def connected() -> set[str]:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT DISTINCT application_name FROM pg_stat_activity")).scalars()
            return {r for r in rows if r in names}

    wait_for(lambda: connected() == set(names), timeout=60, what="both workers connected", processes=processes)
    keys = queue_events(kesu, backlog(COMPLAINTS, CHATTER), now=kesu.now())
    total = COMPLAINTS + CHATTER
    wait_for(
        lambda: (
            scalar(engine, "SELECT count(*) FROM inbox WHERE status = 'done'") == total
            and scalar(engine, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0
        ),
        timeout=180,
        what="the backlog processed and sent",
        processes=processes,
    )

    assert_events_processed_once(engine, keys)
    assert_complaints(kesu, range(1, COMPLAINTS + 1))
    assert_delivered_exactly_once(engine, fake, kesu.config.accounts)
    assert fake.duplicates == []  # nothing was even sent twice
    assert len({c.peer for c in fake.deliveries}) >= 2  # both workers sent (each over its own connection)


def _named(url: str, application_name: str) -> str:
    return sa.engine.make_url(url).update_query_dict({"application_name": application_name}).render_as_string(False)
