"""Requests Feishu did not send are refused with a 4xx, fast, with nothing stored and no exception text."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.feishu import fake as f
from tests.feishu.conftest import FeishuBot

FIXED_BODIES = ({"msg": "bad request"}, {"msg": "unauthorized"}, {"msg": "forbidden"}, {"msg": "payload too large"})


def _refused(bot: FeishuBot, resp: Any, status: int) -> None:
    bot.settle()
    assert resp.status_code == status, resp.text
    assert resp.json() in FIXED_BODIES  # a fixed body: no exception text, no detail for the sender
    assert bot.count("SELECT count(*) FROM inbox") == 0
    assert bot.count("SELECT count(*) FROM outbox") == 0


def _message() -> dict[str, Any]:
    return f.message_event("ou_sales1", text="明辉电子投诉X200外壳划伤,200个,急")


@pytest.mark.parametrize("path", ["/feishu/events", "/feishu/card"])
def test_a_request_with_a_bad_signature_is_refused(bot: FeishuBot, path: str) -> None:
    body, headers = f.signed(_message())
    headers["X-Lark-Signature"] = "0" * 64
    _refused(bot, bot.http.post(path, content=body, headers=headers), 401)


def test_a_request_signed_with_another_key_is_refused(bot: FeishuBot) -> None:
    body, headers = f.signed(_message(), key="not-the-key")
    _refused(bot, bot.http.post("/feishu/events", content=body, headers=headers), 401)


def test_a_request_without_a_signature_is_refused(bot: FeishuBot) -> None:
    body, _ = f.signed(_message())
    _refused(bot, bot.http.post("/feishu/events", content=body, headers={"Content-Type": "application/json"}), 401)


def test_a_wrong_verification_token_is_refused(bot: FeishuBot) -> None:
    _refused(bot, bot.post("/feishu/events", f.message_event("ou_sales1", text="hi", token="wrong")), 401)
    _refused(bot, bot.post("/feishu/card", f.card_event("ou_sales1", "f1v1", "confirm", token="wrong")), 401)


def test_a_replayed_request_with_an_old_timestamp_is_refused(bot: FeishuBot) -> None:
    # A captured request, correctly signed, sent again six minutes later.
    _refused(bot, bot.post("/feishu/events", _message(), ts=time.time() - 360), 401)
    _refused(bot, bot.post("/feishu/card", f.card_event("ou_qa1", "f1v2", "valid"), ts=time.time() - 360), 401)


def test_malformed_json_is_refused(bot: FeishuBot) -> None:
    body = b'{"encrypt": "abc'
    _, headers = f.signed({}, body=body)
    _refused(bot, bot.http.post("/feishu/events", content=body, headers=headers), 400)


def test_an_encrypted_body_that_does_not_decrypt_is_refused(bot: FeishuBot) -> None:
    body = json.dumps({"encrypt": "bm90IGEgY2lwaGVydGV4dA=="}).encode()
    _, headers = f.signed({}, body=body)
    _refused(bot, bot.http.post("/feishu/events", content=body, headers=headers), 400)


def test_a_body_over_one_mebibyte_is_refused(bot: FeishuBot) -> None:
    event = f.message_event("ou_sales1", text="x" * (1024 * 1024))
    _refused(bot, bot.post("/feishu/events", event), 413)


def test_an_unknown_event_type_is_acknowledged_and_ignored(bot: FeishuBot) -> None:
    payload = _message()
    payload["header"]["event_type"] = "im.message.reaction.created_v1"
    resp = bot.post("/feishu/events", payload)
    assert resp.status_code == 200 and resp.json() == {"msg": "success"}  # no 500: Feishu would retry it
    assert bot.count("SELECT count(*) FROM inbox") == 0


def test_the_url_verification_challenge_is_answered_even_encrypted(bot: FeishuBot) -> None:
    challenge = {"challenge": "c-123", "token": f.VERIFICATION_TOKEN, "type": "url_verification"}
    body = json.dumps({"encrypt": f.encrypt(json.dumps(challenge))}).encode()
    resp = bot.http.post("/feishu/events", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 200 and resp.json() == {"challenge": "c-123"}
    wrong = {**challenge, "token": "nope"}
    resp = bot.http.post("/feishu/card", json={"encrypt": f.encrypt(json.dumps(wrong))})
    assert resp.status_code == 401


def test_a_card_value_that_is_not_ours_is_answered_without_a_change(bot: FeishuBot) -> None:
    payload = f.card_event("ou_sales1", "f1v1", "confirm")
    payload["event"]["action"]["value"] = "a string value"
    resp = bot.post("/feishu/card", payload)
    assert resp.status_code == 200 and resp.json() == {}
    assert bot.count("SELECT count(*) FROM inbox") == 0
