"""Clocks that nag the right people (PROCEDURE §1.3), driven by `kesu tick --now` on the demo org:
reminders before the due time, the due notice, escalation level by level in working hours, 收到/处理中 to stop
it, completion to end it, quiet hours and holidays from the business calendar, and the daily digest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage.db import make_engine
from tests.e2e.chat import LocalChat, Message, card_of, only, to


def nags(out: list[Message], user: str, clock: str = "") -> list[str]:
    """The reminder card titles ``user`` received (about ``clock`` when given)."""
    return [
        m["card"]["title"]
        for m in to(out, user=user)
        if m.get("card") and str(m["card"]["id"]).startswith("n") and clock in m["card"]["title"]
    ]


NORMAL = "处理完成(普通件)"


def _assigned_normal_complaint(bot: LocalChat) -> None:
    """Monday 2026-11-23 09:00: a normal complaint, valid, assigned to 研发部 (rd1, whose manager is vp)."""
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:00")
    bot.click("qa1", "f1v2", "valid", now="2026-11-23T10:00", department="rd")


def test_a_normal_complaint_left_alone_is_reminded_then_escalated_until_acknowledged(db_url: str) -> None:
    bot = LocalChat(db_url)
    _assigned_normal_complaint(bot)  # the handling clock: 7 days, due Monday 11-30 09:00

    assert nags(bot.tick(now="2026-11-26T12:00"), "rd1") == []
    # Half-time: Thursday 21:00 (quiet hours start at 22:00); one working day before: Friday 09:00.
    half = nags(bot.tick(now="2026-11-26T21:30"), "rd1")
    assert half == [f"⏰ 提醒:KS-202611-0001 {NORMAL} 将于 11-30 09:00 到期,请及时处理。"]
    assert nags(bot.tick(now="2026-11-27T08:01"), "rd1") == []
    assert len(nags(bot.tick(now="2026-11-27T09:01"), "rd1", "将于")) == 1
    assert nags(bot.tick(now="2026-11-27T10:00"), "rd1") == []  # each reminder once
    assert nags(bot.tick(now="2026-11-29T10:00"), "rd1") == []  # Sunday: nothing falls due

    due = bot.tick(now="2026-11-30T09:01")
    assert nags(due, "rd1", NORMAL) == [f"⏰ KS-202611-0001 {NORMAL} 已到期(截止 11-30 09:00),请尽快处理。"]
    assert [a["id"] for a in card_of(to(due, user="rd1")[0])["actions"]] == ["ack"]
    assert nags(due, "vp", NORMAL) == [] and nags(due, "gm", NORMAL) == []  # only the owner so far

    # Every 4 working hours (08:00–18:00) one level up: rd1 heads 研发部, so first his manager (vp), then
    # qa_manager, then gm; the owner is told each time. Nobody else hears of it.
    first = bot.tick(now="2026-11-30T13:01")
    assert len(nags(first, "vp", NORMAL)) == 1 and len(nags(first, "rd1", NORMAL)) == 1
    assert nags(first, "qa_mgr", NORMAL) == [] and nags(first, "gm", NORMAL) == [] and nags(first, "sales2") == []
    second = bot.tick(now="2026-11-30T17:01")
    assert len(nags(second, "qa_mgr", NORMAL)) == 1 and nags(second, "vp", NORMAL) == []
    assert nags(bot.tick(now="2026-11-30T22:00"), "gm", NORMAL) == []  # evening hours do not count
    third = bot.tick(now="2026-12-01T11:01")  # 1 h on Monday evening + 3 h on Tuesday morning
    assert len(nags(third, "gm", NORMAL)) == 1

    # A stranger cannot acknowledge; rd1 can, and the escalation stops there.
    assert "无需确认" in only(bot.click("sales2", "nf1-normal", "ack", now="2026-12-01T11:30"), user="sales2")["text"]
    acked = bot.click("rd1", "nf1-normal", "ack", now="2026-12-01T11:31")
    assert "已确认收到" in only(acked, user="rd1")["text"]
    later = bot.tick(now="2026-12-02T18:00")
    assert nags(later, "gm", NORMAL) == [] and nags(later, "rd1", NORMAL) == []


def test_reminders_stop_when_the_step_is_done(db_url: str) -> None:
    bot = LocalChat(db_url)
    _assigned_normal_complaint(bot)
    fix = {"containment": "隔离库存", "root_cause": "包装无隔层", "corrective": "增加隔层"}
    bot.click("rd1", "f1v3", "respond", now="2026-11-24T10:00", **fix)
    bot.click("qa1", "f1v4", "effective", now="2026-11-24T11:00")  # handled: the handling clock is met
    out = bot.tick(now="2026-12-01T11:01")
    assert all(nags(out, user, NORMAL) == [] for user in ("rd1", "qa1", "vp", "qa_mgr", "gm"))


def test_an_urgent_complaint_on_the_friday_evening_before_a_holiday(db_url: str) -> None:
    """2026-04-03 (Friday) 19:00, before Qingming (04-04 … 04-06 off, 04-07 a working day). Urgent pushes are
    never held; escalation waits for working hours; the non-urgent first-response clock waits for 04-07."""
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个,急", now="2026-04-03T19:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-04-03T19:00")  # urgent: 2 days, due Sunday 04-05 19:00

    saturday = bot.tick(now="2026-04-04T19:01")  # half-time, on a holiday evening: urgent, so sent
    assert nags(saturday, "qa1", "处理完成(急件)") == [
        "⏰ 提醒:KS-202604-0001 处理完成(急件) 将于 04-05 19:00 到期,请及时处理。"
    ]
    sunday = bot.tick(now="2026-04-05T19:01")
    assert len(nags(sunday, "qa1", "已到期")) == 1
    holiday = bot.tick(now="2026-04-06T15:00")
    assert nags(holiday, "qa_mgr") == [] and nags(holiday, "qa1") == []  # no working hours on a holiday
    assert all(nags(out, "sales1") == [] for out in (saturday, sunday, holiday))  # first response: not urgent

    morning = bot.tick(now="2026-04-07T08:01")  # first response fell due on the holiday: told the first morning
    assert nags(morning, "sales1") == ["⏰ KS-202604-0001 首次答复客户 已到期(截止 04-06 19:00),请尽快处理。"]
    noon = bot.tick(now="2026-04-07T12:01")  # 4 working hours after the due time: QA's department head
    assert len(nags(noon, "qa_mgr", "升级")) == 1


def test_the_daily_digest_goes_to_the_qa_group_once_on_working_days(db_url: str) -> None:
    bot = LocalChat(db_url)
    _assigned_normal_complaint(bot)
    assert to(bot.tick(now="2026-11-24T08:00"), chat="qa") == []  # before 08:30
    digest = only(bot.tick(now="2026-11-24T08:31"), chat="qa")["text"]
    assert digest.startswith("📋 11-24 客诉日报") and "新增 1:KS-202611-0001" in digest
    assert to(bot.tick(now="2026-11-24T09:00"), chat="qa") == []  # once a day
    assert to(bot.tick(now="2026-11-29T09:00"), chat="qa") == []  # Sunday: none
    assert "已超期 1" in only(bot.tick(now="2026-12-01T09:00"), chat="qa")["text"]


def _kesu_tick(db_url: str, now: str) -> subprocess.Popen[str]:
    env = {**os.environ, "KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.main", "tick", "--now", now],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_workers_send_each_reminder_once(db_url: str) -> None:
    """Two `kesu tick` processes at once over the same due set (on PostgreSQL: row claims and SKIP LOCKED)."""
    bot = LocalChat(db_url)
    for i in range(1, 13):
        bot.say("sales1", f"明辉电子投诉X200外壳划伤,{i}0个", now="2026-11-23T09:00")
        bot.click("sales1", f"f{i}v1", "confirm", now="2026-11-23T09:00")
    workers = [_kesu_tick(db_url, "2026-11-30T13:01") for _ in range(2)]
    printed: list[dict[str, Any]] = []
    for w in workers:
        stdout, stderr = w.communicate(timeout=120)
        assert w.returncode == 0, stderr
        printed += [json.loads(line) for line in stdout.splitlines() if line.strip()]
    sent = [(json.dumps(m["to"], sort_keys=True), m["card"]["title"]) for m in printed if m.get("card")]
    assert len(sent) == len(set(sent))  # nobody got the same reminder twice
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT key, status FROM outbox WHERE key LIKE 'nag:%'")).all()
        forms = conn.execute(sa.text("SELECT count(*) FROM complaint WHERE state = 'submitted'")).scalar_one()
    engine.dispose()
    assert forms >= 10
    assert rows and all(status == "sent" for _, status in rows), rows
    assert len([s for s in sent if "升级" in s[1] and "qa_mgr" in s[0]]) == forms, (sorted(sent), rows)
    assert rows and all(status == "sent" for _, status in rows)
    assert len(rows) == len({key for key, _ in rows}) == len(sent)


def test_two_kesu_worker_processes_send_each_reminder_once(db_url: str) -> None:
    """Two real `kesu worker` loops (the real clock) over forms whose clocks ran out days ago: each reminder is
    queued once and sent once (attempts = 1), on SQLite and on PostgreSQL."""
    bot = LocalChat(db_url)
    received = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    for i in range(1, 7):
        bot.say("sales1", f"明辉电子投诉X200外壳划伤,{i}0个", now=received)
        bot.click("sales1", f"f{i}v1", "confirm", now=received)
    env = {**os.environ, "KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.main", "worker", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    engine = make_engine(db_url)
    query = sa.text("SELECT key, status, attempts FROM outbox WHERE key LIKE 'nag:%'")
    try:
        deadline = time.monotonic() + 90
        rows: list[Any] = []
        while time.monotonic() < deadline:  # bounded: until both workers' passes have sent everything
            with engine.connect() as conn:
                rows = list(conn.execute(query).all())
            if len(rows) >= 12 and all(status == "sent" for _, status, _ in rows):
                break
            time.sleep(0.2)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
        engine.dispose()
    assert len(rows) >= 12, rows  # every form: its handling clock and its first-response clock
    assert all(status == "sent" and attempts == 1 for _, status, attempts in rows), rows
    assert len({key for key, _, _ in rows}) == len(rows)
