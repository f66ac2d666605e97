"""The whole complaint procedure through Feishu: encrypted, signed events and card callbacks in; what the
fake open platform was sent out."""

from __future__ import annotations

import re
from typing import Any

from tests.feishu import fake as f
from tests.feishu.conftest import FeishuBot, buttons, card_id, card_of, card_text, only, to


def _card_to(out: list[dict[str, Any]], receive_id: str) -> tuple[str, str, dict[str, Any]]:
    """(Kesu card id, Feishu message id, card) of the one card sent to ``receive_id``."""
    cards = [m for m in to(out, receive_id) if m["msg_type"] == "interactive"]
    assert len(cards) == 1, cards
    card = card_of(cards[0])
    return card_id(card), str(cards[0]["message_id"]), card


def test_a_complaint_runs_from_a_feishu_message_to_closure_through_card_forms(bot: FeishuBot) -> None:
    # Sales writes to the bot privately; the quantity is missing, so a draft card with a form comes back.
    assert bot.say("ou_sales1", "华为投诉 P40支架 颜色不一致").status_code == 200
    out = bot.deliver()
    draft_id, draft_msg, draft = _card_to(out, "ou_sales1")
    assert draft_id == "f1v1" and out[0]["receive_id_type"] == "open_id"
    assert draft["schema"] == "2.0" and draft["config"]["update_multi"] is True
    form = next(e for e in draft["body"]["elements"] if e["tag"] == "form")
    assert {e["name"] for e in form["elements"] if e["tag"] != "button"} >= {"quantity", "severity"}
    assert [b["action"] for b in buttons(draft)] == ["confirm", "cancel"]
    assert all(isinstance(b, dict) for b in buttons(draft))  # callback values are JSON objects

    # One submit completes the missing field: QA (qa1 and the QA group) get the numbered form.
    answer = bot.tap("ou_sales1", "f1v1", "confirm", message_id=draft_msg, quantity="1000", severity="急件")
    assert answer["toast"]["type"] == "success"
    number = re.search(r"KS-\d{6}-0001", card_text(answer) if "card" in answer else answer["toast"]["content"])
    assert number is not None
    out = bot.deliver()
    qa_id, qa_msg, qa_card = _card_to(out, "ou_qa1")
    group = [m for m in to(out, "oc_qa") if m["msg_type"] == "interactive"]
    assert qa_id == "f1v2" and card_id(card_of(group[0])) == "f1v2"
    assert group[0]["receive_id_type"] == "chat_id"
    assert number.group(0) in card_text(qa_card) and "1000" in card_text(qa_card)
    department = next(e for e in qa_card["body"]["elements"][-1]["elements"] if e.get("name") == "department")
    assert department["tag"] == "select_static"

    # Sales cannot take QA's step (an error toast); QA marks it valid with the department picked in the form.
    refused = bot.tap("ou_sales1", "f1v2", "valid", message_id=qa_msg, department="rd")
    assert refused["toast"]["type"] == "error" and "权限" in refused["toast"]["content"]
    bot.deliver()
    answer = bot.tap("ou_qa1", "f1v2", "valid", message_id=qa_msg, department="rd")
    assert answer["toast"]["type"] == "success"
    out = bot.deliver()
    rd_id, rd_msg, _ = _card_to(out, "ou_rd1")
    assert rd_id == "f1v3"

    # R&D answers in the card's form; QA gets the verification card.
    response = {"containment": "隔离库存,全检", "root_cause": "包装无隔层", "corrective": "增加隔层"}
    bot.tap("ou_rd1", "f1v3", "respond", message_id=rd_msg, **response)
    out = bot.deliver()
    verify_id, verify_msg, verify = _card_to(out, "ou_qa1")
    assert verify_id == "f1v4" and "包装无隔层" in card_text(verify)

    # Not effective, with a comment: back to R&D for round 2.
    bot.tap("ou_qa1", "f1v4", "not_effective", message_id=verify_msg, comment="抽检仍有划伤")
    out = bot.deliver()
    again_id, again_msg, again = _card_to(out, "ou_rd1")
    assert again_id == "f1v5" and "抽检仍有划伤" in card_text(again) and "第 2 轮" in card_text(again)
    bot.tap("ou_rd1", "f1v5", "respond", message_id=again_msg, **{**response, "corrective": "改用吸塑托盘"})
    out = bot.deliver()
    verify_id, verify_msg, _ = _card_to(out, "ou_qa1")
    assert verify_id == "f1v6"

    # Effective → sales reports to the customer. A second tap on the old card is refused, naming who acted.
    bot.tap("ou_qa1", "f1v6", "effective", message_id=verify_msg)
    out = bot.deliver()
    report_id, report_msg, _ = _card_to(out, "ou_sales1")
    assert report_id == "f1v7"
    stale = bot.tap("ou_qa1", "f1v6", "not_effective", message_id=verify_msg, comment="x")
    assert stale["toast"]["type"] == "error" and "已失效" in stale["toast"]["content"]
    bot.deliver()

    # Reported: the tapped card turns into the acceptance card in place (inline), and its outbox copy
    # updates that same message instead of sending a second one.
    answer = bot.tap("ou_sales1", "f1v7", "reported", message_id=report_msg)
    assert card_id(answer["card"]["data"]) == "f1v8"
    out = bot.deliver()
    assert [m for m in to(out, "ou_sales1") if m["msg_type"] == "interactive"] == []
    patched = [m for m in out if m["msg_type"] == "patch" and m["message_id"] == report_msg]
    assert patched and card_id(card_of(patched[-1])) == "f1v8"

    answer = bot.tap("ou_sales1", "f1v8", "accepted", message_id=report_msg, note="客户签字确认")
    assert answer["toast"]["type"] == "success"
    out = bot.deliver()
    assert "已结案" in only(out, "ou_qa1")["content"]["text"]

    # The status query, in the QA group with an @-mention of the bot: answered privately, the group is told so.
    mention = [{"key": "@_user_1", "id": {"open_id": "ou_kesu_bot"}, "name": "Kesu"}]
    bot.say("ou_qa1", f"@_user_1 {number.group(0)} 进度", chat_id="oc_qa", chat_type="group", mentions=mention)
    out = bot.deliver()
    status = [m for m in to(out, "ou_qa1") if m["msg_type"] == "interactive"]
    assert status and "已结案" in card_text(card_of(status[0]))
    assert [m["msg_type"] for m in to(out, "oc_qa")] == ["text"] and "私信" in only(out, "oc_qa")["content"]["text"]

    assert bot.count("SELECT count(*) FROM complaint") == 1
    assert bot.count("SELECT count(*) FROM inbox WHERE platform = 'feishu' AND status <> 'done'") == 0


def test_a_redelivered_event_changes_nothing(bot: FeishuBot) -> None:
    payload = f.message_event("ou_sales1", text="明辉电子投诉X200外壳划伤,200个,急")
    assert bot.post("/feishu/events", payload).status_code == 200
    assert bot.post("/feishu/events", payload).status_code == 200  # Feishu retried the same event_id
    assert len(bot.deliver()) == 1
    assert bot.count("SELECT count(*) FROM inbox") == 1
    assert bot.count("SELECT count(*) FROM complaint") == 1


def test_a_photo_is_downloaded_stored_and_attached_to_the_draft(bot: FeishuBot) -> None:
    bot.say("ou_sales1", "华为投诉 P40支架 颜色不一致")
    bot.deliver()
    bot.fake.resources["img_in_1"] = f.PNG
    resp = bot.post("/feishu/events", f.message_event("ou_sales1", image_key="img_in_1"))
    assert resp.status_code == 200
    assert bot.count("SELECT count(*) FROM media") == 1
    out = bot.deliver()
    assert "照片已附到" in only(out, "ou_sales1")["content"]["text"]


def test_an_unknown_feishu_user_is_told_to_ask_an_admin_and_nothing_is_stored(bot: FeishuBot) -> None:
    assert bot.say("ou_stranger", "明辉电子投诉X200外壳划伤,200个").status_code == 200
    told = [m for m in bot.fake.sent() if m["receive_id"] == "ou_stranger"]
    assert [m["content"]["text"] for m in told] == ["请联系管理员把您加入 Kesu"]
    assert bot.count("SELECT count(*) FROM inbox") == 0
    tap = bot.tap("ou_stranger", "f1v1", "confirm", message_id="om_x")
    assert tap["toast"]["content"] == "请联系管理员把您加入 Kesu"
    assert bot.count("SELECT count(*) FROM inbox") == 0


def test_a_group_message_not_addressed_to_kesu_is_ignored(bot: FeishuBot) -> None:
    colleague = [{"key": "@_user_1", "id": {"open_id": "ou_qa1"}, "name": "王芳"}]
    assert (
        bot.say("ou_sales1", "@_user_1 明天开会", chat_id="oc_qa", chat_type="group", mentions=colleague).status_code
        == 200
    )
    assert bot.say("ou_sales1", "大家好", chat_id="oc_qa", chat_type="group").status_code == 200
    assert bot.count("SELECT count(*) FROM inbox") == 0


def test_every_copy_of_an_approval_card_shows_the_decision(bot: FeishuBot) -> None:
    bot.say("ou_sales1", "明辉电子投诉X200外壳划伤,200个,急")
    _, draft_msg, _ = _card_to(bot.deliver(), "ou_sales1")
    bot.tap("ou_sales1", "f1v1", "confirm", message_id=draft_msg)
    out = bot.deliver()
    number = re.search(r"KS-\d{6}-0001", card_text(card_of(_first_card(out, "ou_qa1")))).group(0)  # type: ignore[union-attr]

    bot.say("ou_sales1", f"申请退货 {number} 200个")
    out = bot.deliver()
    approver_id, approver_msg, _ = _card_to(out, "ou_cs_mgr")
    requester_id, requester_msg, _ = _card_to(out, "ou_sales1")
    assert approver_id == requester_id  # the requester's copy of the same step card (it can withdraw)

    answer = bot.tap("ou_cs_mgr", approver_id, "approve", message_id=approver_msg)
    assert answer["toast"]["type"] == "success"
    out = bot.deliver()
    patched = {m["message_id"]: card_of(m) for m in out if m["msg_type"] == "patch"}
    assert {approver_msg, requester_msg} <= set(patched)
    assert all(buttons(card) == [] for card in (patched[approver_msg], patched[requester_msg]))
    assert _card_to(out, "ou_vp")[0] != approver_id  # the next step's card goes to the VP


def _first_card(out: list[dict[str, Any]], receive_id: str) -> dict[str, Any]:
    return next(m for m in to(out, receive_id) if m["msg_type"] == "interactive")


def test_a_photo_that_cannot_be_downloaded_is_not_acknowledged_so_feishu_sends_it_again(bot: FeishuBot) -> None:
    resp = bot.post("/feishu/events", f.message_event("ou_sales1", image_key="img_missing"))
    assert resp.status_code == 503 and resp.json() == {"msg": "try again"}
    assert bot.count("SELECT count(*) FROM inbox") == 0 and bot.count("SELECT count(*) FROM media") == 0


def test_a_card_tap_sent_to_the_events_url_is_answered_the_same_way(bot: FeishuBot) -> None:
    bot.say("ou_sales1", "明辉电子投诉X200外壳划伤,200个,急")
    _, draft_msg, _ = _card_to(bot.deliver(), "ou_sales1")
    resp = bot.post("/feishu/events", f.card_event("ou_sales1", "f1v1", "cancel", message_id=draft_msg))
    assert resp.status_code == 200 and resp.json()["toast"]["type"] == "success"
    assert bot.count("SELECT count(*) FROM inbox WHERE status = 'done'") == 2
