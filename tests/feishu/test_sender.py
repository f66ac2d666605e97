"""The Feishu sender against the fake open platform: timeouts, retries, the shared token, odd replies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.feishu.client import FeishuClient, FeishuRetryable, FeishuSender, PermanentDeliveryError
from bot.wiring import Kesu, build
from core.messages import Delivery, Recipient
from tests.feishu import fake as f
from tests.feishu.conftest import feishu_settings


@pytest.fixture
def kesu(db_url: str, fake: f.FakeFeishu) -> Iterator[Kesu]:
    k = build(feishu_settings(db_url, fake.url))
    yield k
    k.close()


def _sender(kesu: Kesu) -> FeishuSender:
    sender = kesu.senders["feishu"]
    assert isinstance(sender, FeishuSender)
    return sender


def _delivery(to: Recipient, text: str = "你好", card: dict[str, object] | None = None, n: int = 1) -> Delivery:
    return Delivery(n, "feishu", to, {"text": text, "card": card}, f"k{n}", 0)


def _card(card_id: str, title: str, actions: list[dict[str, str]]) -> dict[str, object]:
    return {
        "id": card_id,
        "title": title,
        "fields": [{"label": "客户", "value": "明辉"}],
        "actions": actions,
        "inputs": [],
    }


def test_a_text_goes_to_the_persons_open_id_with_an_idempotency_uuid(kesu: Kesu, fake: f.FakeFeishu) -> None:
    _sender(kesu).send(_delivery(Recipient.user("qa1")))
    _sender(kesu).send(_delivery(Recipient.chat("qa")))
    sent = fake.sent()
    assert [(m["receive_id_type"], m["receive_id"]) for m in sent] == [("open_id", "ou_qa1"), ("chat_id", "oc_qa")]
    assert sent[0]["content"] == {"text": "你好"} and sent[0]["uuid"] and len(sent[0]["uuid"]) <= 50
    assert all(c.headers["authorization"].startswith("Bearer t-") for c in fake.calls if "/im/" in c.path)


def test_a_slow_platform_times_out_and_the_message_is_retried(kesu: Kesu, fake: f.FakeFeishu) -> None:
    client = FeishuClient(
        app_id=f.APP_ID, app_secret=f.APP_SECRET, domain=fake.url, uow=kesu.uow, now=kesu.now, timeout=0.2
    )
    fake.canned.append(f.Canned(delay=1.0, body={"code": 0, "data": {"message_id": "om_late"}}))
    with pytest.raises(FeishuRetryable, match="timed out"):
        client.send_message(receive_id_type="open_id", receive_id="ou_qa1", msg_type="text", content="{}", uuid="u")
    client.close()


@pytest.mark.parametrize(
    "canned",
    [
        f.Canned(status=400, body={"code": 99991400, "msg": "request trigger frequency limit"}),
        f.Canned(status=429, body={"code": 99991400, "msg": "too many requests"}),
        f.Canned(status=503, body={"code": 1, "msg": "unavailable"}),
        f.Canned(status=502, body=b"<html>Bad Gateway</html>", content_type="text/html"),
        f.Canned(status=200, body=b"not json at all", content_type="text/plain"),
    ],
    ids=["rate-limit-code", "http-429", "5xx", "html-502", "non-json-200"],
)
def test_a_rate_limit_server_error_or_non_json_reply_is_retried_later(
    kesu: Kesu, fake: f.FakeFeishu, canned: f.Canned
) -> None:
    fake.canned.append(canned)
    with pytest.raises(FeishuRetryable) as raised:
        _sender(kesu).send(_delivery(Recipient.user("qa1")))
    assert not isinstance(raised.value, PermanentDeliveryError)
    assert fake.sent() == []
    _sender(kesu).send(_delivery(Recipient.user("qa1")))  # the outbox's next attempt goes through
    assert len(fake.sent()) == 1


def test_the_outbox_retries_a_failed_send_with_backoff(kesu: Kesu, fake: f.FakeFeishu) -> None:
    from bot.protocol import InboundEvent

    now = kesu.now()
    event = InboundEvent(platform="feishu", event_key="e1", user="sales1", at=now, text="怎么用")
    fake.canned.append(f.Canned(status=500, body={"code": 1, "msg": "boom"}))
    event_id = kesu.dispatcher.ingest(event, now=now)
    assert event_id is not None
    kesu.dispatcher.process(event_id, now=now)
    assert kesu.outbox.drain(now=now) == []  # failed once: waits for its retry time
    assert len(kesu.outbox.drain(now=now + timedelta(minutes=1))) == 1
    assert len(fake.sent()) == 1


def test_a_recipient_feishu_refuses_for_good_is_not_retried(kesu: Kesu, fake: f.FakeFeishu) -> None:
    fake.canned.append(f.Canned(status=400, body={"code": 230013, "msg": "Bot has NO availability to this user."}))
    with pytest.raises(PermanentDeliveryError):
        _sender(kesu).send(_delivery(Recipient.user("qa1")))
    with pytest.raises(PermanentDeliveryError):
        _sender(kesu).send(_delivery(Recipient.user("nobody")))


def test_the_token_in_the_database_is_reused_by_a_second_kesu(kesu: Kesu, fake: f.FakeFeishu, db_url: str) -> None:
    _sender(kesu).send(_delivery(Recipient.user("qa1")))
    other = build(feishu_settings(db_url, fake.url), migrate=False)
    try:
        _sender(other).send(_delivery(Recipient.user("rd1"), n=2))
    finally:
        other.close()
    assert len(fake.token_requests()) == 1
    assert len(fake.sent()) == 2


def test_an_invalid_token_is_evicted_and_the_call_retried_with_a_new_one(kesu: Kesu, fake: f.FakeFeishu) -> None:
    with kesu.uow() as u:
        u.platform.save_token("feishu", "t-revoked", expires_at=kesu.now() + timedelta(hours=1))
        u.commit()
    _sender(kesu).send(_delivery(Recipient.user("qa1")))
    assert len(fake.token_requests()) == 1
    sends = [c for c in fake.calls if c.path == "/open-apis/im/v1/messages"]
    assert [c.headers["authorization"] for c in sends] == ["Bearer t-revoked", f"Bearer {sorted(fake.valid_tokens)[0]}"]
    with kesu.uow() as u:
        assert u.platform.token("feishu", now=kesu.now()) in fake.valid_tokens


def test_a_card_only_update_patches_every_copy_instead_of_sending_again(kesu: Kesu, fake: f.FakeFeishu) -> None:
    ask = _card("a1s0", "退货申请:请审批", [{"id": "approve", "label": "批准"}])
    _sender(kesu).send(_delivery(Recipient.user("cs_mgr"), text="请审批", card=ask, n=1))
    _sender(kesu).send(_delivery(Recipient.user("sales1"), text="已提交", card=ask, n=2))
    first = {m["receive_id"]: m["message_id"] for m in fake.sent()}
    fake.forget()
    decided = _card("a1s0", "退货申请:已批准", [])
    for n, who in enumerate(("cs_mgr", "sales1"), 3):
        _sender(kesu).send(Delivery(n, "feishu", Recipient.user(who), {"text": None, "card": decided}, f"k{n}", 0))
    assert fake.sent() == []
    assert sorted(mid for mid, _ in fake.patched()) == sorted(first.values())
    assert all("已批准" in card["header"]["title"]["content"] for _, card in fake.patched())


def test_an_image_and_a_file_are_uploaded_then_sent(kesu: Kesu, fake: f.FakeFeishu) -> None:
    with kesu.uow() as u:
        image = u.media.put(f.PNG, content_type="image/png", now=kesu.now())
        report = u.media.put(b"%PDF-1.4", content_type="application/pdf", now=kesu.now())
        u.commit()
    payload = {"text": "11 月汇总", "card": None, "image": image, "file": report, "file_name": "2026-11.pdf"}
    _sender(kesu).send(Delivery(1, "feishu", Recipient.chat("mgmt"), payload, "k1", 0))
    assert [m["msg_type"] for m in fake.sent()] == ["text", "image", "file"]
    assert fake.sent()[1]["content"]["image_key"].startswith("img_")
    uploads = [c for c in fake.calls if c.path in ("/open-apis/im/v1/images", "/open-apis/im/v1/files")]
    assert len(uploads) == 2 and f.PNG in uploads[0].body and b"2026-11.pdf" in uploads[1].body
