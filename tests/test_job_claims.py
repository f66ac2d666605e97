"""Job claims and acknowledgements are exactly-once on both databases (psycopg reports no rowcount for an
INSERT … ON CONFLICT DO NOTHING, so the answer must come from RETURNING)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import Settings
from bot.wiring import build

AT = datetime(2026, 7, 15, 1, 0, tzinfo=UTC)


def test_a_job_is_claimed_once_and_a_clock_acknowledged_once(db_url: str) -> None:
    kesu = build(Settings(database_url=db_url, config=None))
    try:
        answers = []
        for _ in range(2):
            with kesu.uow() as u:
                answers.append(
                    (u.nags.claim("campaign:2026-07", at=AT), u.nags.acknowledge("f1:normal", by="rd1", at=AT))
                )
                u.commit()
        assert answers == [(True, True), (False, False)]
        with kesu.uow() as u:
            assert u.nags.acknowledged() == frozenset({"f1:normal"})
    finally:
        kesu.close()
