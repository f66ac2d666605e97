"""Scheduled work survives whatever is stored: a huge or negative quantity never stops a pass, and one failing job
never stops the others (each runs in its own transaction; the outbox drain always runs)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.config import Settings
from bot.dispatch.inbound import Dispatcher
from bot.dispatch.outbound import OutboxDispatcher
from bot.main import app
from bot.scheduler.tick import JOBS, Scheduler
from bot.web import Worker
from bot.wiring import Kesu, build
from core.returns import ReturnRequest, ReturnState
from storage.db import make_engine
from storage.uow import SqlUnitOfWork, session_factory
from tests.e2e.chat import LocalChat, Message, to

TZ = ZoneInfo("Asia/Shanghai")
INT64_MAX = 9223372036854775807


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def _november(bot: LocalChat) -> None:
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:00")


def _store_quantity(db_url: str, quantity: int) -> None:
    """Old data (or another path) with ``quantity`` on the form and on two approved return requests, written straight
    through the repositories: nothing at the edge checks it."""
    engine = make_engine(db_url)
    try:
        with SqlUnitOfWork(session_factory(engine)) as uow:
            form = uow.complaints.get(1)
            assert form is not None
            changed = replace(form, details=replace(form.details, quantity=quantity), version=form.version + 1)
            uow.complaints.save(changed, expected_version=form.version)
            for q in (quantity, 20):
                ret = ReturnRequest(
                    None,
                    "sales1",
                    at("2026-11-24T10:00"),
                    q,
                    customer="明辉电子",
                    complaint_id=1,
                    state=ReturnState.AWAITING_GOODS,
                    rma_no=f"RMA-202611-{q % 10000:04d}",
                )
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


# ---------------------------------------------------------------- one failing job never stops the others

ROOT = Path(__file__).resolve().parents[2]
ADMIN = '\n[[people]]\nid = "admin1"\nname = "何管理"\nroles = ["admin"]\n'


def _tick(db_url: str, now: str, *, config: str = "") -> tuple[int, list[Message], str]:
    """`kesu tick --now NOW`: its exit code, the messages it printed and its stderr."""
    env = {"KESU_DATABASE_URL": db_url, "KESU_CONFIG": config}
    result = CliRunner().invoke(app, ["tick", "--now", now], env=env, catch_exceptions=False)
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines() if line.strip()], result.stderr


def _broken(monkeypatch: pytest.MonkeyPatch, job: str) -> None:
    """Make ``job`` raise on every pass (until the monkeypatch is undone)."""

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{job} 坏了\nsecond line")

    owner: type = {"process_pending": Dispatcher, "outbox": OutboxDispatcher}.get(job, Scheduler)
    monkeypatch.setattr(owner, {"outbox": "drain"}.get(job, job), boom)


def _what(messages: list[Message]) -> set[str]:
    """Which jobs' messages were delivered: reminders (cards to people), the monthly report, the digest."""
    found = set()
    if any(m["to"].get("user") and m.get("card") for m in messages):
        found.add("nag")
    if to(messages, chat="mgmt"):
        found.add("monthly_report")
    if to(messages, chat="qa"):
        found.add("digest")
    return found


@pytest.mark.parametrize("job", [*(j.name for j in JOBS), "outbox"])
def test_one_job_failing_leaves_every_other_job_of_the_pass_running_and_is_retried_on_the_next(
    db_url: str, job: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _november(LocalChat(db_url))
    everything = {"nag", "monthly_report", "digest"}
    with monkeypatch.context() as m:
        _broken(m, job)
        code, delivered, err = _tick(db_url, "2026-12-01T09:01")
    assert code == 1 and job in err and "坏了" in err and "second line" not in err
    if job == "outbox":
        assert delivered == []  # queued all the same: the next pass delivers them
    else:
        assert _what(delivered) == everything - {job}  # the others ran, and the outbox drained
    code, delivered, err = _tick(db_url, "2026-12-01T09:02")  # fixed: the job's claim was not consumed
    assert code == 0 and err == ""
    assert _what(delivered) == (everything if job == "outbox" else everything & {job})


def test_a_job_that_keeps_failing_is_reported_once_to_the_admins_and_again_after_a_new_streak(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "kesu.toml"
    config.write_text((ROOT / "kesu.example.toml").read_text(encoding="utf-8") + ADMIN, encoding="utf-8")
    _november(LocalChat(db_url))

    def admin(minute: int) -> list[Message]:
        code, delivered, _ = _tick(db_url, f"2026-12-01T09:{minute:02d}", config=str(config))
        assert code == 1
        return to(delivered, user="admin1")

    with monkeypatch.context() as m:
        _broken(m, "monthly_report")
        told = [admin(minute) for minute in range(1, 7)]  # six passes, as many workers as you like
    assert [len(t) for t in told] == [0, 0, 1, 0, 0, 0]
    text = told[2][0]["text"]
    assert text.startswith("⚠️ 定时任务「月报」连续失败 3 次:RuntimeError: monthly_report 坏了。")
    assert "其他任务照常运行" in text and "second line" not in text

    code, delivered, _ = _tick(db_url, "2026-12-01T09:07", config=str(config))  # fixed: the streak ends
    assert code == 0 and to(delivered, chat="mgmt") and not to(delivered, user="admin1")
    with monkeypatch.context() as m:
        _broken(m, "digest")
        told = [admin(minute) for minute in range(10, 14)]
    assert [len(t) for t in told] == [0, 0, 1, 0] and "「日报」连续失败 3 次" in told[2][0]["text"]


def test_without_an_admin_a_job_that_keeps_failing_is_said_in_the_log(
    db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _november(LocalChat(db_url))
    with monkeypatch.context() as m, caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        _broken(m, "nag")
        for minute in range(1, 4):
            assert _tick(db_url, f"2026-12-01T09:{minute:02d}")[0] == 1
    assert any("no admin to tell" in r.getMessage() for r in caplog.records)
    assert [r.getMessage() for r in caplog.records].count("scheduled job nag failed") == 3
    assert all(r.exc_info for r in caplog.records if r.getMessage() == "scheduled job nag failed")


def test_failure_streaks_are_counted_reported_once_and_cleared_in_the_database(db_url: str) -> None:
    engine = make_engine(db_url)
    uow = SqlUnitOfWork(session_factory(engine))
    try:
        for minute in (1, 2):
            with uow:
                streak = uow.jobs.record("digest", error=f"boom {minute}", at=at(f"2026-12-01T09:0{minute}"))
                uow.commit()
        assert (streak.failures, streak.first_at, streak.last_error) == (2, at("2026-12-01T09:01"), "boom 2")
        with uow:
            assert uow.jobs.mark_reported("digest") is True
            uow.commit()
        with uow:  # a second worker: already reported
            assert uow.jobs.mark_reported("digest") is False
            assert [(s.job, s.failures, s.reported) for s in uow.jobs.failing()] == [("digest", 2, True)]
            uow.jobs.clear("digest")
            uow.commit()
        with uow:
            assert uow.jobs.failing() == []
    finally:
        engine.dispose()


@dataclass
class _At(Kesu):
    """Kesu whose clock reads ``at``."""

    at: datetime = datetime(2026, 12, 1, 9, 1, tzinfo=TZ)

    def now(self) -> datetime:
        return self.at


def test_the_worker_loop_runs_every_other_job_and_drains_the_outbox_when_one_fails(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _november(LocalChat(db_url))
    _broken(monkeypatch, "monthly_report")
    kesu = _At(**vars(build(Settings(database_url=db_url, config=None))))
    try:
        worker = Worker(kesu, interval=0)
        worker.stopping.set()
        worker.run()  # one pass
        with kesu.engine.connect() as conn:
            sent = conn.execute(sa.text("SELECT key FROM outbox WHERE status = 'sent'")).scalars().all()
    finally:
        kesu.close()
    assert any(k.startswith("digest:2026-12-01:") for k in sent)
    assert any(k.startswith("nag:f1:") for k in sent)
    assert not any(k.startswith("monthly:") for k in sent)
