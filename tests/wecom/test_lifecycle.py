"""The whole complaint lifecycle through WeCom: encrypted callbacks in, template cards out (to the fake API)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest

from bot.dispatch.inbound import TAP_FAILED
from tests.wecom.conftest import WeCom


def test_url_verification_answers_the_plain_decrypted_echostr(wecom: WeCom) -> None:
    body, query = wecom.envelope("8675309")
    echostr = ET.fromstring(body).findtext("Encrypt")
    r = wecom.http.get("/wecom/callback", params={**query, "echostr": echostr})
    assert r.status_code == 200
    assert r.text == "8675309"
    assert r.headers["content-type"].startswith("text/plain")


def test_a_complaint_runs_from_first_message_to_closing_entirely_through_wecom(wecom: WeCom) -> None:
    fake = wecom.fake
    r = wecom.text("sales1", "明辉电子投诉X200外壳划伤,200个,急")
    assert r.status_code == 200 and r.text == ""
    wecom.drain()
    draft = fake.cards_to("sales1")[-1]
    assert draft["card_type"] == "button_interaction"
    assert len(draft["button_list"]) <= 6

    r = wecom.click("sales1", draft, "提交")
    assert wecom.reply(r).findtext("Button/ReplaceName") == "已处理"
    wecom.drain()
    qa_card = fake.cards_to("qa1")[-1]
    assert "新客诉" in qa_card["main_title"]["title"] + qa_card["main_title"]["desc"]
    assert any(c.body["chatid"] == "wrqa" for c in fake.sent("appchat/send"))

    # "valid" needs the responsible department: the tap asks for it, the reply fills it in
    r = wecom.click("qa1", qa_card, "有效,指派部门")
    assert r.status_code == 200 and r.text == ""  # refused for want of a value: the card keeps its buttons
    wecom.drain()
    assert any("责任部门" in t for t in fake.texts_to("qa1"))
    wecom.text("qa1", "研发部")
    wecom.drain()
    rd_card = fake.cards_to("rd1")[-1]

    r = wecom.click("rd1", rd_card, "提交对策")
    assert r.status_code == 200 and r.text == ""  # refused for want of a value: the card keeps its buttons
    wecom.text("rd1", "紧急对策:隔离全检\n根本原因:包装无隔层\n纠正措施:加隔层")
    wecom.drain()
    verify_card = fake.cards_to("qa1")[-1]
    assert verify_card["task_id"] != qa_card["task_id"]

    r = wecom.click("qa1", verify_card, "验证有效")
    assert wecom.reply(r).findtext("Button/ReplaceName") == "已处理"
    wecom.drain()
    report_card = fake.cards_to("sales1")[-1]
    r = wecom.click("sales1", report_card, "已回复客户")
    assert wecom.reply(r).findtext("Button/ReplaceName") == "已处理"
    wecom.drain()
    accept_card = fake.cards_to("sales1")[-1]
    r = wecom.click("sales1", accept_card, "客户已确认接收")
    assert wecom.reply(r).findtext("Button/ReplaceName") == "已处理"
    wecom.drain()

    number = qa_card["main_title"]["title"].split()[0]
    assert number.startswith("KS-")
    wecom.text("sales1", f"{number} 进度")
    wecom.drain()
    everything = " ".join(fake.texts_to("sales1")) + str(fake.cards_to("sales1"))
    assert "已结案" in everything
    task_ids = [c.body["template_card"]["task_id"] for c in fake.sent("message/send") if "template_card" in c.body]
    assert len(task_ids) == len(set(task_ids))


def test_after_an_approval_every_copy_of_its_card_is_updated_through_update_template_card(wecom: WeCom) -> None:
    fake = wecom.fake
    wecom.text("sales1", "明辉电子投诉X200外壳划伤,200个,急")
    wecom.drain()
    wecom.click("sales1", fake.cards_to("sales1")[-1], "提交")
    wecom.drain()
    number = fake.cards_to("qa1")[-1]["main_title"]["title"].split()[0]
    wecom.text("sales1", f"申请退货 {number} 200个")
    wecom.drain()
    approval = fake.cards_to("cs_mgr")[-1]
    r = wecom.click("cs_mgr", approval, "批准")
    assert wecom.reply(r).findtext("Button/ReplaceName") == "已处理"
    wecom.drain()
    updates = [c.body for c in fake.sent("message/update_template_card")]
    assert updates, "the approver's copy was not updated"
    assert updates[-1]["userids"] == ["cs_mgr"]
    assert updates[-1]["response_code"].startswith("CLICK")
    assert "button_list" not in updates[-1]["template_card"]
    assert fake.cards_to("vp"), "the next approver got no card"


def test_a_photo_is_downloaded_from_media_get_and_kept(wecom: WeCom) -> None:
    r = wecom.image("sales1", "MEDIA1")
    assert r.status_code == 200 and r.text == ""
    assert wecom.fake.sent("media/get")[-1].params["media_id"] == "MEDIA1"
    with wecom.kesu.engine.connect() as conn:
        import sqlalchemy as sa

        assert conn.execute(sa.text("SELECT count(*) FROM media")).scalar_one() == 1
    assert wecom.inbox() == 1


def test_an_unknown_userid_is_told_to_ask_an_admin_and_nothing_is_stored(wecom: WeCom) -> None:
    r = wecom.text("stranger", "明辉电子投诉X200外壳划伤,200个")
    reply = wecom.reply(r)
    assert reply.findtext("MsgType") == "text"
    assert "联系管理员" in (reply.findtext("Content") or "")
    assert wecom.inbox() == 0


def test_an_unsupported_message_gets_a_polite_reply_never_an_error(wecom: WeCom) -> None:
    inner = (
        "<xml><ToUserName><![CDATA[wwkesu0001]]></ToUserName><FromUserName><![CDATA[sales1]]></FromUserName>"
        "<CreateTime>1</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[v]]></MediaId>"
        "<Format><![CDATA[amr]]></Format><MsgId>77</MsgId><AgentID>1000002</AgentID></xml>"
    )
    r = wecom.post(inner)
    assert r.status_code == 200
    assert "暂不支持" in (wecom.reply(r).findtext("Content") or "")
    assert wecom.inbox() == 0


def test_a_redelivered_message_or_click_changes_nothing(wecom: WeCom) -> None:
    wecom.text("sales1", "明辉电子投诉X200外壳划伤,200个,急", msg_id=4242)
    wecom.text("sales1", "明辉电子投诉X200外壳划伤,200个,急", msg_id=4242)
    assert wecom.inbox() == 1
    wecom.drain()
    draft = wecom.fake.cards_to("sales1")[-1]
    assert len(wecom.fake.cards_to("sales1")) == 1
    wecom.click("sales1", draft, "提交", created=1_800_000_000)
    again = wecom.click("sales1", draft, "提交", created=1_800_000_000)
    assert again.status_code == 200 and again.text == ""
    assert wecom.inbox() == 2


def _submitted(wecom: WeCom) -> dict[str, object]:
    wecom.text("sales1", "明辉电子投诉X200外壳划伤,200个,急")
    wecom.drain()
    wecom.click("sales1", wecom.fake.cards_to("sales1")[-1], "提交")
    wecom.drain()
    return wecom.fake.cards_to("qa1")[-1]


def test_values_typed_for_a_tap_that_are_refused_may_be_typed_again(wecom: WeCom) -> None:
    card = _submitted(wecom)
    wecom.click("qa1", card, "有效,指派部门")
    wecom.text("qa1", "研发")  # no such department
    wecom.drain()
    assert any("没有「研发」这个部门" in t for t in wecom.fake.texts_to("qa1"))
    assert not wecom.fake.cards_to("rd1")
    wecom.text("qa1", "责任部门=研发部")
    wecom.drain()
    assert wecom.fake.cards_to("rd1")


def test_a_stale_tap_is_told_in_a_text_and_leaves_the_buttons(wecom: WeCom) -> None:
    card = _submitted(wecom)
    wecom.click("qa1", card, "误投")
    wecom.text("qa1", "原因:不是我们的产品")
    wecom.drain()
    r = wecom.click("qa1", card, "误投", created=int(time.time()) + 1)  # a second tap, a second later
    assert r.status_code == 200 and r.text == ""  # refused: no update_button greying the card
    wecom.drain()
    assert wecom.fake.texts_to("qa1")[-1].startswith("此卡片已失效")


def test_cancel_drops_the_pending_values_and_is_read_as_an_ordinary_message(wecom: WeCom) -> None:
    card = _submitted(wecom)
    r = wecom.click("qa1", card, "客户原因")
    assert r.status_code == 200 and r.text == ""  # refused for want of a value: the card keeps its buttons
    wecom.text("qa1", "取消")
    wecom.text("qa1", "研发部")
    wecom.drain()
    assert not wecom.fake.cards_to("rd1")
    assert len(wecom.fake.cards_to("qa1")) == 1


def test_a_rejection_needs_a_reason_which_the_approver_types_after_the_tap(wecom: WeCom) -> None:
    fake = wecom.fake
    card = _submitted(wecom)
    number = str(card["main_title"]["title"]).split()[0]  # type: ignore[index]
    wecom.text("sales1", f"申请退货 {number} 200个")
    wecom.drain()
    r = wecom.click("cs_mgr", fake.cards_to("cs_mgr")[-1], "驳回")
    assert r.status_code == 200 and r.text == ""  # refused for want of a value: the card keeps its buttons
    wecom.text("cs_mgr", "数量不对,请核实")
    wecom.drain()
    assert any("驳回" in t for t in fake.texts_to("sales1") + [str(c) for c in fake.cards_to("sales1")])
    assert not fake.cards_to("vp")


def test_a_tap_that_fails_leaves_the_buttons_and_is_told_once_in_a_text(
    wecom: WeCom, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = _submitted(wecom)

    def broken(ctx: object) -> None:
        raise RuntimeError("the handler crashed")

    monkeypatch.setattr(wecom.kesu.dispatcher.actions, "find", lambda _: broken)
    r = wecom.click("qa1", card, "误投")
    assert r.status_code == 200 and r.text == ""  # no update_button: the card stays usable
    wecom.kesu.dispatcher.process_pending(now=wecom.kesu.now())  # the worker's retry fails again: told once only
    wecom.drain()
    assert wecom.fake.texts_to("qa1").count(TAP_FAILED) == 1
