"""Private answers never land in a group, every export and hand-over of the customer archive is accountable,
customers go only to sales, the demo refuses other sites, and a killed `kesu tick` loses no message."""

from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.config import Settings
from bot.demo.app import create_demo_app, host_allowed
from bot.main import app
from bot.wiring import build
from core.archive_flow import COLUMNS
from core.audit import AuditEntry
from core.customers import CustomerView
from tests.e2e.chat import LocalChat, Message, card_of, only, to

MINGHUI = ["明辉电子", "MH", "sales1", "是", "", "", "", "王经理", "13800138000", "", "", "月结60天"]
SHUNDA = ["顺达电器", "", "sales1", "否", "", "", "", "赵小姐", "0755-1234567", "", "", ""]


def _cli(db_url: str, *args: str) -> tuple[int, str, str]:
    env = {"KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""}
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _import(db_url: str, tmp_path: Path, *extra: str) -> None:
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[zh for _, zh, _ in COLUMNS], MINGHUI, SHUNDA])
    code, out, _ = _cli(db_url, "customers", "import", str(path), *extra)
    assert code == 0, out


def _read(db_url: str) -> tuple[dict[str, str], dict[str, list[CustomerView]], list[AuditEntry]]:
    """Owners by customer name, each customer's view log, and the archive's audit entries."""
    kesu = build(Settings(database_url=db_url, config=None), migrate=False)
    try:
        with kesu.uow() as uow:
            customers = list(uow.customers.all())
            owners = {c.name: c.owner for c in customers}
            views = {c.name: list(uow.customers.views(c.id or 0)) for c in customers}
            audit = [e for c in customers for e in uow.audit.history("customer", c.name)]
            audit += list(uow.audit.history("customer", "*"))
        return owners, views, audit
    finally:
        kesu.close()


def _text(messages: list[Message]) -> str:
    return json.dumps(messages, ensure_ascii=False)


# 1. Private answers asked for in a group chat go to the asker; the group sees one short line.


def _submitted(bot: LocalChat) -> None:
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个,急", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01")


def test_my_tasks_asked_in_a_group_go_privately_and_the_group_sees_no_task(db_url: str) -> None:
    bot = LocalChat(db_url)
    _submitted(bot)
    out = bot.say("qa1", "我的待办", now="2026-11-23T09:05", chat="qa")
    private = only(out, user="qa1")
    assert "KS-202611-0001" in private["text"]
    group = only(out, chat="qa")
    assert group["card"] is None and "私信" in group["text"]
    assert "KS-" not in group["text"] and "明辉" not in group["text"]


def test_a_status_question_in_a_group_is_answered_privately(db_url: str) -> None:
    bot = LocalChat(db_url)
    _submitted(bot)
    out = bot.say("qa1", "KS-202611-0001 进度", now="2026-11-23T09:05", chat="qa")
    assert card_of(only(out, user="qa1"))
    group = only(out, chat="qa")
    assert group["card"] is None and "私信" in group["text"] and "明辉" not in group["text"]
    listed = bot.say("sales1", "明辉电子 进度", now="2026-11-23T09:06", chat="sales")
    assert "KS-202611-0001" in only(listed, user="sales1")["text"]
    assert "KS-" not in _text(to(listed, chat="sales"))


def test_an_archive_card_asked_for_in_a_group_goes_privately_even_without_contacts(db_url: str, tmp_path: Path) -> None:
    _import(db_url, tmp_path)
    out = LocalChat(db_url).say("qa1", "客户资料 明辉电子", now="2026-11-24T09:00", chat="qa")
    assert card_of(only(out, user="qa1"))
    group = only(out, chat="qa")
    assert group["card"] is None and "私信" in group["text"]


# 2. Export, import and hand-over of the archive are in its access log and audit trail, with the person named.


def test_an_export_is_logged_per_customer_with_who_how_many_and_where(db_url: str, tmp_path: Path) -> None:
    _import(db_url, tmp_path)
    out_file = tmp_path / "out.csv"
    code, _, err = _cli(db_url, "customers", "export", "--out", str(out_file), "--as", "gm")
    assert code == 0, err
    _, views, audit = _read(db_url)
    assert [(v.viewer, v.confidential, v.allowed) for v in views["明辉电子"]] == [("gm", True, True)]
    assert [(v.viewer, v.confidential) for v in views["顺达电器"]] == [("gm", True)]
    export = [e for e in audit if e.action == "export"]
    assert len(export) == 1 and export[0].actor == "gm"
    assert export[0].after == {"customers": 2, "to": str(out_file)}


def test_an_export_without_as_is_logged_as_the_operating_system_user(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "zhang")
    _import(db_url, tmp_path)
    code, csv_text, _ = _cli(db_url, "customers", "export")
    assert code == 0 and "明辉电子" in csv_text
    _, views, audit = _read(db_url)
    assert views["明辉电子"][0].viewer == "cli:zhang"
    assert [(e.actor, e.after) for e in audit if e.action == "export"] == [("cli:zhang", {"customers": 2, "to": "-"})]


def test_an_export_as_an_unknown_person_is_refused_and_logs_nothing(db_url: str, tmp_path: Path) -> None:
    _import(db_url, tmp_path)
    code, out, err = _cli(db_url, "customers", "export", "--as", "nobody")
    assert code == 1 and "nobody" in err and "明辉电子" not in out
    _, views, _ = _read(db_url)
    assert views["明辉电子"] == []


def test_import_and_reassign_name_the_person_in_the_audit_trail(db_url: str, tmp_path: Path) -> None:
    _import(db_url, tmp_path, "--as", "cs_mgr")
    code, _, err = _cli(db_url, "customers", "reassign", "--from", "sales1", "--to", "sales2", "--as", "cs_mgr")
    assert code == 0, err
    _, _, audit = _read(db_url)
    assert {(e.action, e.actor) for e in audit if e.entity_id == "明辉电子"} == {
        ("import_add", "cs_mgr"),
        ("reassign", "cs_mgr"),
    }


# 3. Customers are handed only to sales or the customer-service manager, from someone who exists.


@pytest.mark.parametrize(("from_", "to_", "said"), [("sales1", "fin1", "fin1"), ("nobody", "sales2", "nobody")])
def test_a_hand_over_to_someone_not_in_sales_or_from_nobody_is_refused_and_changes_nothing(
    db_url: str, tmp_path: Path, from_: str, to_: str, said: str
) -> None:
    _import(db_url, tmp_path)
    code, out, err = _cli(db_url, "customers", "reassign", "--from", from_, "--to", to_)
    assert code == 1
    assert said in err and "未做任何更改" in err and "已将" not in out
    owners, _, _ = _read(db_url)
    assert owners == {"明辉电子": "sales1", "顺达电器": "sales1"}
    told = LocalChat(db_url).tick(now="2026-11-24T09:00")
    assert to(told, user=to_) == [] and "客户已交给您" not in _text(told)


def test_a_hand_over_to_the_customer_service_manager_is_allowed(db_url: str, tmp_path: Path) -> None:
    _import(db_url, tmp_path)
    code, _, err = _cli(db_url, "customers", "reassign", "--from", "sales1", "--to", "cs_mgr")
    assert code == 0, err
    assert _read(db_url)[0] == {"明辉电子": "cs_mgr", "顺达电器": "cs_mgr"}


# 4. The demo answers only requests addressed to it, and posts only from its own page.


@pytest.fixture
def demo(tmp_path: Path) -> Any:
    kesu = build(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", config=None))
    from datetime import datetime

    start = datetime(2026, 11, 23, 9, 0, tzinfo=kesu.config.timezone)
    try:
        yield create_demo_app(kesu, start=start, listen=("127.0.0.1", 8765))
    finally:
        kesu.close()


SAY = {"user": "sales1", "text": "你好"}


@pytest.mark.parametrize("host", ["evil.example:8765", "evil.example", "127.0.0.1:9999", "localhost.evil.example"])
def test_the_demo_refuses_a_host_header_that_is_not_its_own(demo: Any, host: str) -> None:
    client = TestClient(demo, base_url="http://127.0.0.1:8765")
    assert client.get("/api/state", headers={"Host": host}).status_code == 400
    assert client.post("/api/say", json=SAY, headers={"Host": host}).status_code == 400
    assert client.get("/api/state").json()["log"] == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://localhost:8765"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_the_demo_refuses_a_post_from_another_origin(demo: Any, headers: dict[str, str]) -> None:
    client = TestClient(demo, base_url="http://127.0.0.1:8765")
    refused = client.post("/api/say", json=SAY, headers=headers)
    assert refused.status_code == 403 and "来源" in refused.json()["detail"]
    assert client.post("/api/clock", json={"step": "1d"}, headers=headers).status_code == 403
    assert client.get("/api/state").json()["log"] == []


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765"])
def test_the_demo_accepts_its_own_page_under_each_loopback_name(demo: Any, host: str) -> None:
    client = TestClient(demo, base_url=f"http://{host}")
    same = {"Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
    assert client.get("/").status_code == 200
    assert client.post("/api/say", json=SAY, headers=same).status_code == 200


@pytest.mark.parametrize(
    ("host", "listen", "allowed"),
    [
        ("192.168.1.5:8765", ("0.0.0.0", 8765), True),  # every interface: an IP address cannot be rebound
        ("evil.example:8765", ("0.0.0.0", 8765), False),
        ("kesu-demo.lan:8765", ("kesu-demo.lan", 8765), True),  # the --host given
        ("192.168.1.5:8765", ("127.0.0.1", 8765), False),
        ("", ("", 8765), False),
        ("localhost:notaport", None, False),
    ],
)
def test_the_demo_host_check_accepts_only_its_own_address(
    host: str, listen: tuple[str, int] | None, allowed: bool
) -> None:
    assert host_allowed(host, listen) is allowed


# 5. A `kesu tick` (or say/click) killed while printing leaves what it did not print to the next tick.


def _ctrl_c() -> None:
    raise KeyboardInterrupt


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGTERM)  # a real `kill PID`, delivered to this (the main) thread at once


def _killed_after_one(db_url: str, monkeypatch: pytest.MonkeyPatch, *args: str, kill: Any = _ctrl_c) -> Message:
    """Run a CLI command whose process dies while printing its second message; returns the one it printed."""
    real_echo = typer.echo
    printed: list[str] = []

    def echo(message: Any = None, *rest: Any, **kwargs: Any) -> None:
        if printed:
            kill()  # the kill arrives while the second message is being written
            raise AssertionError("still running after the kill")
        printed.append(str(message))
        real_echo(message, *rest, **kwargs)

    def unhandled(signum: int, frame: Any) -> None:
        raise RuntimeError("SIGTERM reached the test runner: the command does not handle it")

    previous = signal.signal(signal.SIGTERM, unhandled)  # a regression fails this test instead of killing pytest
    try:
        with monkeypatch.context() as m:
            m.setattr(typer, "echo", echo)
            CliRunner().invoke(app, list(args), env={"KESU_DATABASE_URL": db_url, "KESU_CONFIG": ""})
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(printed) == 1
    first: Message = json.loads(printed[0])
    return first


def test_messages_not_printed_when_the_cli_is_killed_are_printed_by_the_next_tick(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个,急", now="2026-11-23T09:00")
    first = _killed_after_one(
        db_url, monkeypatch, "click", "--as", "sales1", "f1v1", "confirm", "--now", "2026-11-23T09:01"
    )
    rest = bot.tick(now="2026-11-23T09:01")
    everyone = [first, *rest]
    assert {json.dumps(m["to"]) for m in everyone} >= {'{"user": "qa1"}', '{"chat": "qa"}', '{"user": "sales1"}'}
    assert bot.tick(now="2026-11-23T09:02") == []


@pytest.mark.parametrize("kill", [_ctrl_c, _kill], ids=["ctrl-c", "sigterm"])
def test_a_tick_killed_while_printing_leaves_the_rest_to_the_next_tick_at_the_same_time(
    db_url: str, monkeypatch: pytest.MonkeyPatch, kill: Any
) -> None:
    bot = LocalChat(db_url)
    bot.say("sales1", "明辉电子投诉X200外壳划伤,200个,急", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01")
    first = _killed_after_one(db_url, monkeypatch, "tick", "--now", "2026-11-23T09:02", kill=kill)
    rest = bot.tick(now="2026-11-23T09:02")
    texts = [json.dumps(m, ensure_ascii=False) for m in [first, *rest]]
    assert any("客诉月报" in t for t in texts) and any("客诉日报" in t for t in texts)
    assert len(rest) == 3 and first not in rest  # the one being written when killed comes again, no other
    assert bot.tick(now="2026-11-23T09:03") == []
