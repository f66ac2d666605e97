"""Segregation of duties through `kesu say` / `kesu click`: nobody approves their own request, a department
responds for itself (QA only where kesu.toml says so), and returns are requested by the owner or customer service."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from typer.testing import CliRunner

from bot.config import demo_config
from bot.main import app
from storage.db import make_engine
from storage.reports import monthly_summary
from tests.e2e.chat import LocalChat, Message, actions, card_of, field, only, to

TZ = ZoneInfo("Asia/Shanghai")
FIX = {"containment": "隔离库存", "root_cause": "包装无隔层", "corrective": "增加隔层"}


class ConfiguredChat(LocalChat):
    """The local chat with a kesu.toml of its own (the demo org plus ``extra``)."""

    def __init__(self, db_url: str, config: Path) -> None:
        super().__init__(db_url)
        self.config = config

    def _run(self, *args: str) -> list[Message]:
        env = {"KESU_DATABASE_URL": self.db_url, "KESU_CONFIG": str(self.config)}
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    engine.dispose()
    return rows


def _complaint(bot: LocalChat, pieces: int = 200) -> None:
    bot.say("sales1", f"明辉电子投诉X200外壳划伤,{pieces}个,急", now="2026-11-23T09:00")
    bot.click("sales1", "f1v1", "confirm", now="2026-11-23T09:01")


def _texts(messages: list[Message], user: str) -> list[str]:
    return [m["text"] for m in to(messages, user=user) if m["text"]]


# --- approvals -------------------------------------------------------------------------------------------


def test_customer_service_cannot_approve_the_return_it_requested_and_its_manager_decides_instead(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    out = bot.say("cs_mgr", "申请退货 KS-202611-0001 200个", now="2026-11-23T10:00")
    requester_copy = only(out, user="cs_mgr")
    assert actions(card_of(requester_copy)) == ["withdraw"]  # only the requester's copy: no approve button
    assert "赵总(申请人不能审批自己的申请,由上级审批)" in requester_copy["text"]
    card = card_of(only(out, user="vp"))  # the stand-in: cs_mgr's manager
    assert actions(card) == ["approve", "reject", "delegate"]
    assert _texts(out, "sales1") == ["陈静为您的 KS-202611-0001 申请退货 200 个(退货申请 #1),审批中。"]

    refused = only(bot.click("cs_mgr", card["id"], "approve", now="2026-11-23T10:05"), user="cs_mgr")
    assert refused["text"] == "不能审批自己提交的申请。"
    assert _rows(db_url, "SELECT count(*) FROM audit_log WHERE entity = 'approval' AND action = 'approve'") == [(0,)]

    bot.click("vp", card["id"], "approve", now="2026-11-23T10:10")
    out = bot.click("vp", card["id"].replace("s0", "s1"), "approve", now="2026-11-23T10:20")
    assert any("RMA-202611-0001" in t for t in _texts(out, "cs_mgr"))
    audit = _rows(db_url, "SELECT action, actor, note FROM audit_log WHERE entity = 'approval' ORDER BY id")
    assert audit[1:] == [
        ("approve", "vp", "申请人不能审批自己的申请,代「客服经理审核」审批"),
        ("approve", "vp", None),
    ]


def test_neither_approver_can_hand_their_step_to_the_requester(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    card = card_of(only(bot.say("sales1", "申请退货 KS-202611-0001 200个", now="2026-11-23T10:00"), user="cs_mgr"))
    out = bot.click("cs_mgr", card["id"], "delegate", now="2026-11-23T10:01", deputy="sales1")
    assert only(out, user="cs_mgr")["text"] == "不能转交给申请人。"
    assert to(out, user="sales1") == []
    bot.click("cs_mgr", card["id"], "approve", now="2026-11-23T10:02")
    vp_card = card["id"].replace("s0", "s1")
    assert (
        only(bot.click("vp", vp_card, "delegate", now="2026-11-23T10:03", deputy="sales1"), user="vp")["text"]
        == "不能转交给申请人。"
    )
    assert only(bot.click("sales1", vp_card, "approve", now="2026-11-23T10:04"), user="sales1")["text"] == (
        "不能审批自己提交的申请。"
    )
    assert _rows(db_url, "SELECT count(*) FROM counter WHERE key LIKE 'RMA-%'") == [(0,)]
    assert [a for (a,) in _rows(db_url, "SELECT action FROM audit_log WHERE entity = 'approval' ORDER BY id")] == [
        "open",
        "approve",
    ]


# --- the department's response ---------------------------------------------------------------------------


def test_qa_cannot_respond_for_the_department_it_assigned(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    bot.click("qa1", "f1v2", "valid", now="2026-11-23T10:00", department="研发部")
    out = bot.click("qa1", "f1v3", "respond", now="2026-11-23T10:05", **FIX)
    assert only(out, user="qa1")["text"] == "此单指派给研发部,只有该部门的人可以提交对策。"
    assert _rows(db_url, "SELECT state, version FROM complaint") == [("assigned", 3)]


def test_qa_responds_for_a_department_where_kesu_toml_allows_it_recorded_as_such(db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "kesu.toml"
    base = Path("kesu.example.toml").read_text(encoding="utf-8")
    config.write_text(base + '\n[duties]\nqa_may_respond = ["rd"]\n', encoding="utf-8")
    bot = ConfiguredChat(db_url, config)
    _complaint(bot)
    bot.click("qa1", "f1v2", "valid", now="2026-11-23T10:00", department="研发部")
    out = bot.click("qa1", "f1v3", "respond", now="2026-11-23T10:05", **FIX)
    verify = card_of(only(out, user="qa_mgr"))  # not back to qa1, who wrote the response
    assert field(verify, "对策提交人") == "王芳(品质代填)"
    assert "qa1" not in {m["to"].get("user") for m in out if m["card"]}
    assert any("研发部对策由品质代填" in t for t in _texts(out, "sales1"))

    refused = only(bot.click("qa1", "f1v4", "effective", now="2026-11-23T11:00"), user="qa1")
    assert refused["text"] == "对策是您提交的,不能由您验证,请另一位品质人员验证。"
    bot.click("qa_mgr", "f1v4", "effective", now="2026-11-23T11:05")
    audit = _rows(db_url, "SELECT action, actor, note FROM audit_log WHERE entity = 'complaint' ORDER BY id")
    assert audit[-2:] == [("respond", "qa1", "研发部对策由品质代填"), ("effective", "qa_mgr", None)]

    reply = only(bot.say("sales1", "KS-202611-0001 进度", now="2026-11-23T12:00"), user="sales1")
    assert field(card_of(reply), "对策提交人") == "王芳(品质代填)"
    assert "王芳 提交对策(研发部对策由品质代填)" in reply["text"]


# --- returns ----------------------------------------------------------------------------------------------


def test_another_sales_person_cannot_request_a_return_on_someone_elses_form(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    out = bot.say("sales2", "申请退货 KS-202611-0001 200个", now="2026-11-23T10:00")
    assert only(out, user="sales2")["text"] == "只有本单业务员(张伟)或客服经理可以为 KS-202611-0001 申请退货。"
    assert to(out, user="cs_mgr") == [] and to(out, user="sales1") == []
    status = card_of(only(bot.say("sales2", "KS-202611-0001 进度", now="2026-11-23T10:01"), user="sales2"))
    assert actions(status) == []  # no 申请退货 button for a colleague's form
    out = bot.click("sales2", "f1v2", "request_return", now="2026-11-23T10:02")
    assert "只有本单业务员" in only(out, user="sales2")["text"]
    assert _rows(db_url, "SELECT count(*) FROM record WHERE kind = 'return'") == [(0,)]


def test_a_return_larger_than_the_complaint_asks_for_a_reason(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot, pieces=15)
    out = bot.click("sales1", "f1v2", "request_return", now="2026-11-23T10:00", quantity="99999")
    assert only(out, user="sales1")["text"] == "退货数量 99999 超过客诉数量 15,请填写原因。"
    out = bot.say("sales1", "申请退货 KS-202611-0001 20个", now="2026-11-23T10:01")
    assert only(out, user="sales1")["text"] == "退货数量 20 超过客诉数量 15,请填写原因。"
    assert _rows(db_url, "SELECT count(*) FROM record WHERE kind = 'return'") == [(0,)]

    out = bot.say("sales1", "申请退货 KS-202611-0001 20个,原因:客户整批退回", now="2026-11-23T10:02")
    approver = card_of(only(out, user="cs_mgr"))
    assert (field(approver, "退货数量"), field(approver, "超量原因")) == ("20", "客户整批退回")
    out = bot.click("sales1", "f1v2", "request_return", now="2026-11-23T10:03", quantity="18", reason="含备品")
    assert actions(card_of(only(out, user="cs_mgr"))) == ["approve", "reject", "delegate"]
    notes = _rows(db_url, "SELECT note FROM audit_log WHERE entity = 'return' AND action = 'request' ORDER BY id")
    assert notes == [("客户整批退回",), ("含备品",)]


def test_the_owner_is_told_and_open_requests_on_the_form_are_shown(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    bot.say("sales1", "申请退货 KS-202611-0001 200个", now="2026-11-23T10:00")

    again = only(bot.say("sales1", "申请退货 KS-202611-0001 200个", now="2026-11-23T10:01"), user="sales1")
    assert again["text"] == "本单已有相同的退货申请:退货申请 #1(退货审批中,200 个),请勿重复提交。"

    out = bot.say("cs_mgr", "申请退货 KS-202611-0001 50个", now="2026-11-23T10:02")
    listed = "本单已有退货申请:退货申请 #1(退货审批中,200 个)"
    assert listed in only(out, user="cs_mgr")["text"]
    owner = _texts(out, "sales1")
    assert owner == [f"陈静为您的 KS-202611-0001 申请退货 50 个(退货申请 #3),审批中。\n{listed}。"]
    assert field(card_of(only(out, user="vp")), "⚠️ 同单退货") == "退货申请 #1(退货审批中,200 个)"
    assert _rows(db_url, "SELECT count(*) FROM record WHERE kind = 'return'") == [(2,)]


def test_the_monthly_return_figure_counts_only_approved_returns(db_url: str) -> None:
    bot = LocalChat(db_url)
    _complaint(bot)
    approved = card_of(only(bot.say("sales1", "申请退货 KS-202611-0001 30个", now="2026-11-23T10:00"), user="cs_mgr"))
    bot.click("cs_mgr", approved["id"], "approve", now="2026-11-23T10:01")
    bot.click("vp", approved["id"].replace("s0", "s1"), "approve", now="2026-11-23T10:02")
    rejected = card_of(only(bot.say("sales1", "申请退货 KS-202611-0001 40个", now="2026-11-23T10:03"), user="cs_mgr"))
    bot.click("cs_mgr", rejected["id"], "reject", now="2026-11-23T10:04", comment="先补发")
    withdrawn = card_of(only(bot.say("sales1", "申请退货 KS-202611-0001 50个", now="2026-11-23T10:05"), user="cs_mgr"))
    bot.click("sales1", withdrawn["id"], "withdraw", now="2026-11-23T10:06")
    bot.say("sales1", "申请退货 KS-202611-0001 60个", now="2026-11-23T10:07")  # still under review
    bot.click("sales1", "f1v2", "request_return", now="2026-11-23T10:08", quantity="9999", reason="整批")  # review

    engine = make_engine(db_url)
    try:
        org = demo_config().org
        s = monthly_summary(engine, month="2026-11", tz=TZ, org=org, problems=org.problem_types)
    finally:
        engine.dispose()
    assert (s.returns, s.returned_quantity) == (1, 30)
