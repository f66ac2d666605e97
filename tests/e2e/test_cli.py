"""The CLI and web edges: config check, bad taps, other message kinds, recovery, chat, health."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.config import Settings
from bot.local.parse import say_event
from bot.main import app
from bot.protocol import InboundEvent
from bot.web import create_app
from bot.wiring import build
from tests.e2e.chat import LocalChat, card_of, field, only

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_config_check_accepts_the_demo_org_and_the_example_file(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["config", "check"], env={"KESU_CONFIG": ""})
    assert result.exit_code == 0 and "配置正确" in result.stdout
    example = Path(__file__).resolve().parents[2] / "kesu.example.toml"
    result = runner.invoke(app, ["--config", str(example), "config", "check"])
    assert result.exit_code == 0 and "12 人" in result.stdout


def test_config_check_names_the_bad_key_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "kesu.toml"
    bad.write_text('[[people]]\nid = "a"\nname = "甲"\nroles = ["sales"]\nmanager = "bob"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "check"], env={"KESU_CONFIG": str(bad)})
    assert result.exit_code == 2
    assert 'people[0].manager: 未知的人员 "bob"' in result.stderr


def test_a_bad_config_stops_every_command_with_the_same_message(tmp_path: Path) -> None:
    bad = tmp_path / "kesu.toml"
    bad.write_text('timezone = "Mars/Base"\n', encoding="utf-8")
    env = {"KESU_CONFIG": str(bad), "KESU_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    result = CliRunner().invoke(app, ["say", "--as", "sales1", "hi"], env=env)
    assert result.exit_code == 2 and "timezone" in result.stderr


def test_taps_on_unknown_cards_or_actions_get_a_chinese_reply(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00")
    assert "无法操作" in only(bot.click("sales1", "zzz", "confirm", now="2026-11-23T09:01"), user="sales1")["text"]
    assert "找不到" in only(bot.click("sales1", "f99v1", "confirm", now="2026-11-23T09:01"), user="sales1")["text"]
    assert (
        "没有「approve」" in only(bot.click("sales1", "f1v1", "approve", now="2026-11-23T09:01"), user="sales1")["text"]
    )
    assert field(card_of(only(bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:02"), user="qa1")), "编号")


def test_a_group_chat_question_is_answered_in_the_group_and_small_talk_gets_a_hint(db_url: str) -> None:
    bot = LocalChat(db_url)
    assert "帮助" in only(bot.say("sales1", "今天天气不错", now="2026-11-23T09:00", chat="sales"), chat="sales")["text"]
    assert "登记客诉" in only(bot.say("qa1", "帮助", now="2026-11-23T09:00"), user="qa1")["text"]
    assert "没有找到" in only(bot.say("qa1", "KS-202611-0042 进度", now="2026-11-23T09:00"), user="qa1")["text"]


def test_cancel_drops_the_newest_draft(db_url: str) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00")
    assert "已取消" in only(bot.say("sales1", "取消", now="2026-11-23T09:01"), user="sales1")["text"]
    assert "没有可以取消" in only(bot.say("sales1", "取消", now="2026-11-23T09:02"), user="sales1")["text"]
    assert "已失效" in only(bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:03"), user="sales1")["text"]


def test_only_sales_may_log_a_complaint(db_url: str) -> None:
    bot = LocalChat(db_url)
    assert (
        "只有业务员"
        in only(bot.say("rd1", "明辉电子投诉X200外壳划伤,200个", now="2026-11-23T09:00"), user="rd1")["text"]
    )


def test_a_photo_with_no_form_to_go_to_gets_a_hint_and_a_forged_media_id_a_refusal(db_url: str) -> None:
    kesu = build(Settings(database_url=db_url, config=None), migrate=False)
    try:
        media = kesu.store_media(b"\x89PNG\r\n\x1a\nfake", content_type="image/png", now=NOW)
        out = kesu.run_local(say_event(user="sales1", text=None, image=media, now=NOW), now=NOW)
        assert [d.payload["text"] for d in out] == [
            "收到图片。要登记客诉,请先用文字描述:客户、产品、问题和数量,再发照片。"
        ]
        forged = InboundEvent(platform="local", event_key="img-2", user="sales1", at=NOW, image="not-a-media-id")
        assert [d.payload["text"] for d in kesu.run_local(forged, now=NOW)] == ["图片没有收到完整,请重发。"]
    finally:
        kesu.close()


def test_an_event_stored_before_a_crash_is_processed_by_the_next_tick(db_url: str) -> None:
    kesu = build(Settings(database_url=db_url, config=None), migrate=False)
    try:
        kesu.dispatcher.ingest(say_event(user="sales1", text="明辉电子投诉X200外壳划伤,200个", now=NOW), now=NOW)
        # ...the process dies here, after the acknowledgement and before dispatch.
    finally:
        kesu.close()
    out = LocalChat(db_url).tick(now="2026-11-23T09:05")
    assert card_of(only(out, user="sales1"))["id"] == "f1v1"
    assert LocalChat(db_url).tick(now="2026-11-23T09:06") == []


def test_kesu_chat_shows_cards_as_text_and_taps_by_number(tmp_path: Path) -> None:
    env = {"KESU_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", "KESU_CONFIG": ""}
    typed = "明辉电子投诉X200外壳划伤,200个,急\n1\n\n\n\n/as qa1\n1\n研发部\n\n/q\n"
    result = CliRunner().invoke(app, ["chat", "--as", "sales1"], env=env, input=typed)
    assert result.exit_code == 0, result.output
    assert "[1] 提交" in result.output
    assert result.output.count("(回车跳过)") == 5  # three optional draft fields, then 责任部门 and 问题类型 for "valid"
    assert "→ 发给 qa:" in result.output  # the QA group got the card
    assert "KS-" in result.output and "研发部" in result.output
    assert "→ 发给 rd1:" in result.output


def test_the_installed_kesu_command_prints_json_lines(tmp_path: Path) -> None:
    kesu = Path(sys.executable).with_name("kesu")
    env = {**os.environ, "KESU_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}", "KESU_CONFIG": ""}
    done = subprocess.run(
        [str(kesu), "say", "--as", "sales1", "--now", "2026-11-23T09:00", "明辉电子投诉X200外壳划伤,200个,急"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["to"] == {"user": "sales1"} and lines[0]["card"]["id"] == "f1v1"
    assert (tmp_path / "k.db").exists()


def test_health_reports_the_database(db_url: str) -> None:
    kesu = build(Settings(database_url=db_url, config=None), migrate=False)
    try:
        with TestClient(create_app(kesu, worker=False)) as client:
            response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
    finally:
        kesu.close()


def test_serve_runs_the_worker_that_processes_pending_events(db_url: str) -> None:
    kesu = build(Settings(database_url=db_url, config=None), migrate=False)
    try:
        event_id = kesu.dispatcher.ingest(say_event(user="sales1", text="帮助", now=NOW), now=NOW)
        assert event_id is not None
        with TestClient(create_app(kesu, worker=True)):
            pass  # startup runs a first pass before the app serves; shutdown waits for it
        with kesu.uow() as uow:
            assert uow.inbox.pending(limit=10) == []
    finally:
        kesu.close()
