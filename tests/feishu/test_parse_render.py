"""Feishu payloads in, Card JSON 2.0 out: the pure parts of the adapter."""

from __future__ import annotations

import json
import time

import pytest
from lark_oapi.core.utils.decryptor import AESCipher

from bot.feishu import parse, render
from tests.feishu import fake as f

KEYS = parse.Keys(encrypt_key=f.ENCRYPT_KEY, verification_token=f.VERIFICATION_TOKEN)


def test_a_request_encrypted_the_feishu_way_opens_with_lark_oapis_own_cipher() -> None:
    payload = f.message_event("ou_sales1", text="你好")
    body, headers = f.signed(payload)
    opened = parse.open_envelope(
        body, headers, keys=KEYS, now=time.time(), decrypt=AESCipher(f.ENCRYPT_KEY).decrypt_str
    )
    assert opened == payload


def test_a_timestamp_from_the_future_is_refused_like_an_old_one() -> None:
    body, headers = f.signed(f.message_event("ou_sales1", text="x"), ts=time.time() + 600)
    with pytest.raises(parse.Rejected) as refused:
        parse.open_envelope(body, headers, keys=KEYS, now=time.time(), decrypt=AESCipher(f.ENCRYPT_KEY).decrypt_str)
    assert refused.value.status == 401


def test_mentions_of_the_bot_are_dropped_and_colleagues_keep_their_names() -> None:
    mentions = (("@_user_1", "ou_bot", "Kesu"), ("@_user_2", "ou_qa1", "王芳"))
    assert parse.strip_mentions("@_user_1 请 @_user_2 看看", mentions, {"ou_qa1": "王芳"}) == "请 王芳 看看"


def test_a_card_tap_reads_the_form_values_and_a_picked_date() -> None:
    payload = f.card_event(
        "ou_sales1", "o1v1", "change", form={"delivery": "2026-12-20 +0800", "quantity": " 5 ", "note": ""}
    )
    tap = parse.card_action(payload)
    assert tap is not None
    assert (tap.card_id, tap.action, tap.values) == ("o1v1", "change", {"delivery": "2026-12-20", "quantity": "5"})


def test_a_rich_text_post_is_read_as_its_text() -> None:
    payload = f.message_event("ou_sales1", text="x")
    post = {
        "zh_cn": {"title": "", "content": [[{"tag": "text", "text": "明辉投诉 "}, {"tag": "text", "text": "200个"}]]}
    }
    payload["event"]["message"].update(message_type="post", content=json.dumps(post, ensure_ascii=False))
    msg = parse.message(payload)
    assert msg is not None and msg.text == "明辉投诉 200个"


def test_a_card_with_inputs_is_one_form_with_a_submit_button_per_action() -> None:
    neutral = {
        "id": "f1v2",
        "title": "KS-202611-0001 新客诉",
        "fields": [{"label": "问题", "value": "划伤*严重*"}],
        "actions": [{"id": "valid", "label": "有效"}, {"id": "misdirected", "label": "误投"}],
        "inputs": [
            {"name": "department", "label": "责任部门", "required": False},
            {"name": "reason", "label": "原因", "required": False},
        ],
    }
    card = render.card(neutral, text="请确认", choices={"department": (("rd", "研发部"),)})
    assert card["schema"] == "2.0" and card["config"]["update_multi"] is True
    markdown, fields, form = card["body"]["elements"]
    assert markdown["content"] == "请确认" and "划伤&#42;严重&#42;" in fields["content"]
    select, reason, *buttons = form["elements"]
    assert select["tag"] == "select_static" and select["options"] == [
        {"text": {"tag": "plain_text", "content": "研发部"}, "value": "rd"}
    ]
    assert reason["tag"] == "input" and reason["name"] == "reason"
    assert [b["form_action_type"] for b in buttons] == ["submit", "submit"]
    assert [b["behaviors"][0]["value"] for b in buttons] == [
        {"card": "f1v2", "action": "valid"},
        {"card": "f1v2", "action": "misdirected"},
    ]


def test_a_card_without_actions_is_grey_and_has_no_buttons() -> None:
    card = render.card({"id": "a1s0", "title": "已批准", "fields": [], "actions": [], "inputs": []})
    assert card["header"]["template"] == "grey" and card["body"]["elements"] == []
