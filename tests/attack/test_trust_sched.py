"""Scheduled work survives whatever is stored: a huge or negative quantity never stops a pass, and one failing job
never stops the others (each runs in its own transaction; the outbox drain always runs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.returns import ReturnRequest
from storage.db import make_engine
from storage.uow import SqlUnitOfWork, session_factory
from tests.e2e.chat import LocalChat, to

TZ = ZoneInfo("Asia/Shanghai")
INT64_MAX = 9223372036854775807


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def _november(bot: LocalChat) -> None:
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:00")


def _store_quantity(db_url: str, quantity: int) -> None:
    """Old data (or another path) with ``quantity`` on the form and on two return requests, written straight through
    the repositories: nothing at the edge checks it."""
    engine = make_engine(db_url)
    try:
        with SqlUnitOfWork(session_factory(engine)) as uow:
            form = uow.complaints.get(1)
            assert form is not None
            changed = replace(form, details=replace(form.details, quantity=quantity), version=form.version + 1)
            uow.complaints.save(changed, expected_version=form.version)
            for q in (quantity, 20):
                ret = ReturnRequest(None, "sales1", at("2026-11-24T10:00"), q, customer="明辉电子", complaint_id=1)
                uow.returns.add(ret)
            uow.commit()
    finally:
        engine.dispose()


@pytest.mark.parametrize("quantity", [INT64_MAX, 3_000_000_000, -5, 10**20])
def test_a_huge_or_negative_stored_quantity_never_stops_the_monthly_report(db_url: str, quantity: int) -> None:
    bot = LocalChat(db_url)
    _november(bot)
    _store_quantity(db_url, quantity)
    report = to(bot.tick(now="2026-12-01T09:01"), chat="mgmt")
    texts = [str(m["text"]) for m in report if m.get("text")]
    assert len(texts) == 1 and "📊 2026-11 客诉月报" in texts[0] and "退货：2 次" in texts[0]
    total = int(texts[0].split("共 ")[1].split(" 件")[0])
    assert total == pytest.approx(quantity + 20, rel=1e-12)  # exact on PostgreSQL, a float's precision on SQLite
    assert [m.get("file_name") for m in report if m.get("file")] == ["客诉月报-2026-11.xlsx"]
