"""Outbound calls: timeouts everywhere, failures retried or reported, one shared access token."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.wecom.client import MemoryTokens, PermanentDeliveryError, WeComClient, WeComError
from bot.wiring import build
from core.messages import Delivery, Recipient
from tests.wecom.conftest import AGENT_ID, CORP_ID, SECRET, WeCom, wecom_settings
from tests.wecom.fake_wecom import FakeWeCom


def _delivery(to: Recipient, payload: dict[str, object], n: int = 1) -> Delivery:
    return Delivery(id=n, channel="wecom", recipient=to, payload=payload, key=f"k{n}", attempts=0)


def _text(text: str) -> dict[str, object]:
    return {"text": text, "card": None}


def _client(api_base: str, timeout: httpx.Timeout) -> WeComClient:
    return WeComClient(
        api_base=api_base,
        corp_id=CORP_ID,
        secret=SECRET,
        agent_id=AGENT_ID,
        tokens=MemoryTokens(lambda: datetime.now(UTC)),
        timeout=timeout,
    )


def test_every_call_has_a_timeout(wecom: WeCom) -> None:
    sender = wecom.kesu.senders["wecom"]
    timeout = sender.client.http.timeout  # type: ignore[attr-defined]
    assert None not in (timeout.connect, timeout.read, timeout.write, timeout.pool)


def test_a_slow_api_times_out_and_the_delivery_will_be_retried(fake: FakeWeCom, api_base: str) -> None:
    fake.delay["message/send"] = 1.0
    client = _client(api_base, httpx.Timeout(0.2))
    with pytest.raises(WeComError) as raised:
        client.send("sales1", {"msgtype": "text", "text": {"content": "hi"}})
    assert not isinstance(raised.value, PermanentDeliveryError)


def test_an_invaliduser_partial_failure_is_reported_as_permanent(wecom: WeCom) -> None:
    wecom.fake.invalid_users.add("sales1")
    with pytest.raises(PermanentDeliveryError, match="invaliduser sales1"):
        wecom.kesu.senders["wecom"].send(_delivery(Recipient.user("sales1"), _text("hi")))


def test_a_server_error_raises_so_the_outbox_retries(wecom: WeCom) -> None:
    wecom.fake.script["message/send"] = [500]
    sender = wecom.kesu.senders["wecom"]
    with pytest.raises(WeComError) as raised:
        sender.send(_delivery(Recipient.user("sales1"), _text("hi")))
    assert not isinstance(raised.value, PermanentDeliveryError)
    sender.send(_delivery(Recipient.user("sales1"), _text("hi"), 2))
    assert wecom.fake.texts_to("sales1") == ["hi", "hi"]  # the 500 was received, then the retry


def test_the_token_is_stored_in_the_database_and_shared_by_a_second_instance(
    wecom: WeCom, db_url: str, api_base: str, wecom_config: Path
) -> None:
    wecom.kesu.senders["wecom"].send(_delivery(Recipient.user("sales1"), _text("one")))
    other = build(wecom_settings(db_url, api_base, wecom_config))
    try:
        other.senders["wecom"].send(_delivery(Recipient.user("qa1"), _text("two"), 2))
    finally:
        other.close()
    assert len(wecom.fake.sent("gettoken")) == 1
    tokens = {c.params["access_token"] for c in wecom.fake.sent("message/send")}
    assert len(tokens) == 1


def test_an_expired_token_is_fetched_again_once_and_the_call_retried(wecom: WeCom) -> None:
    sender = wecom.kesu.senders["wecom"]
    sender.send(_delivery(Recipient.user("sales1"), _text("one")))
    wecom.fake.valid_tokens.clear()  # WeCom expired it early: the next call answers 42001
    sender.send(_delivery(Recipient.user("sales1"), _text("two"), 2))
    assert len(wecom.fake.sent("gettoken")) == 2
    sends = wecom.fake.sent("message/send")
    assert [c.body["text"]["content"] for c in sends] == ["one", "two", "two"]
    assert sends[1].params["access_token"] != sends[2].params["access_token"]


def test_group_messages_go_to_the_appchat_or_the_robot_webhook(wecom: WeCom) -> None:
    sender = wecom.kesu.senders["wecom"]
    card = {
        "id": "f1v2",
        "title": "新客诉",
        "fields": [{"label": "客户", "value": "明辉电子"}],
        "actions": [],
        "inputs": [],
    }
    sender.send(_delivery(Recipient.chat("qa"), {"text": None, "card": card}))
    sender.send(_delivery(Recipient.chat("mgmt"), _text("月报"), 2))
    appchat = wecom.fake.sent("appchat/send")[-1].body
    assert appchat["chatid"] == "wrqa" and appchat["msgtype"] == "markdown"
    assert "明辉电子" in appchat["markdown"]["content"]
    hook = wecom.fake.sent("webhook/send")[-1]
    assert hook.params["key"] == "hookmgmt" and hook.body["text"]["content"] == "月报"


def test_a_card_with_more_than_six_actions_is_cut_to_six_buttons_with_unique_task_ids(wecom: WeCom) -> None:
    sender = wecom.kesu.senders["wecom"]
    actions = [{"id": f"a{i}", "label": f"操作{i}"} for i in range(8)]
    card = {"id": "f9v1", "title": "t", "fields": [], "actions": actions, "inputs": []}
    sender.send(_delivery(Recipient.user("qa1"), {"text": None, "card": card}, 1))
    sender.send(_delivery(Recipient.user("qa_mgr"), {"text": None, "card": card}, 2))
    cards = [c.body["template_card"] for c in wecom.fake.sent("message/send")]
    assert all(len(c["button_list"]) == 6 for c in cards)
    assert cards[0]["task_id"] != cards[1]["task_id"]


def test_a_malformed_agent_id_or_aes_key_is_refused_at_start_with_a_clear_message(
    db_url: str, api_base: str, wecom_config: Path
) -> None:
    settings = wecom_settings(db_url, api_base, wecom_config)
    with pytest.raises(ValueError, match="KESU_WECOM_AGENT_ID"):
        build(settings.model_copy(update={"wecom_agent_id": "abc"}))
    with pytest.raises(ValueError, match="KESU_WECOM_AES_KEY"):
        build(settings.model_copy(update={"wecom_aes_key": "short"}))


def test_a_permanent_wecom_failure_is_the_outbox_permanent_failure() -> None:
    from bot.protocol import PermanentDeliveryError as OutboxPermanent
    from bot.wecom.client import PermanentDeliveryError

    assert issubclass(PermanentDeliveryError, OutboxPermanent)


def test_charts_and_reports_reach_robots_app_groups_and_people(wecom: WeCom) -> None:
    kesu, fake = wecom.kesu, wecom.fake
    now = kesu.now()
    png = kesu.store_media(b"\x89PNG\r\n\x1a\nchart", content_type="image/png", now=now)
    xlsx = kesu.store_media(b"PK\x03\x04report", content_type="application/vnd.ms-excel", now=now)
    sender = kesu.senders["wecom"]

    sender.send(_delivery(Recipient.chat("mgmt"), {"image": png}, 1))  # a robot: the image inline
    image = fake.sent("webhook/send")[-1].body["image"]
    assert base64.b64decode(image["base64"]) == b"\x89PNG\r\n\x1a\nchart"
    assert image["md5"] == hashlib.md5(b"\x89PNG\r\n\x1a\nchart").hexdigest()

    sender.send(_delivery(Recipient.chat("mgmt"), {"file": xlsx, "file_name": "客诉月报-2026-11.xlsx"}, 2))
    upload = fake.sent("webhook/upload_media")[-1]
    assert upload.params["type"] == "file" and "客诉月报-2026-11.xlsx".encode() in upload.body["multipart"]
    sent_file = fake.sent("webhook/send")[-1].body
    assert sent_file["msgtype"] == "file" and sent_file["file"]["media_id"].startswith("WMEDIA")

    sender.send(_delivery(Recipient.chat("qa"), {"image": png}, 3))  # the app's own group: upload, then send
    assert fake.sent("media/upload")[-1].params["type"] == "image"
    sent = fake.sent("appchat/send")[-1].body
    assert sent["chatid"] == "wrqa" and sent["image"]["media_id"].startswith("MEDIA")

    sender.send(_delivery(Recipient.user("gm"), {"file": xlsx, "file_name": "r.xlsx"}, 4))
    to_gm = fake.sent("message/send")[-1].body
    assert to_gm["touser"] == "gm" and to_gm["msgtype"] == "file" and to_gm["file"]["media_id"].startswith("MEDIA")

    with pytest.raises(PermanentDeliveryError):
        sender.send(_delivery(Recipient.chat("mgmt"), {"image": "no-such-media"}, 5))
