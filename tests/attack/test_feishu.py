"""Attacks on ``/feishu/events`` and ``/feishu/card``: every forged, replayed, hostile or malformed request is
answered 4xx with a fixed body (or, for a redelivery, the 200 Feishu expects), never 5xx, and stores and changes
nothing.

tests/feishu/test_security.py already covers: a zeroed signature, another signing key, no signature headers, a
wrong verification token, a timestamp six minutes old, truncated JSON, a ciphertext that does not decrypt, a body
just over 1 MiB, an unknown event type, the URL challenge, a card value that is not an object.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.attack.conftest import changed, no_detail, snapshot
from tests.attack.payloads import TEN_MIB, chunks, hostile_xml
from tests.feishu import fake as f
from tests.feishu.conftest import FeishuBot

PATHS = ["/feishu/events", "/feishu/card"]
FIXED_BODIES = ({"msg": "bad request"}, {"msg": "unauthorized"}, {"msg": "forbidden"}, {"msg": "payload too large"})
COMPLAINT = "明辉电子投诉X200外壳划伤,200个,急"


def message() -> dict[str, Any]:
    return f.message_event("ou_sales1", text=COMPLAINT)


def tap() -> dict[str, Any]:
    return f.card_event("ou_sales1", "f9999v1", "confirm")  # no such form: a tap let through changes nothing


def payload_for(path: str) -> dict[str, Any]:
    return message() if path == "/feishu/events" else tap()


def signed_raw(body: bytes, *, ts: str | None = None) -> dict[str, str]:
    """Headers signing ``body`` exactly as it is, with the real key (and ``ts`` when given)."""
    _, headers = f.signed({}, body=body)
    if ts is not None:
        headers["X-Lark-Request-Timestamp"] = ts
        headers["X-Lark-Signature"] = hashlib.sha256(
            (ts + headers["X-Lark-Request-Nonce"] + f.ENCRYPT_KEY).encode() + body
        ).hexdigest()
    return headers


def refused(feishu: FeishuBot, send: Callable[[], Any], *statuses: int) -> Any:
    """Send once; the answer is one of ``statuses`` with a fixed body, and no table changed."""
    before = snapshot(feishu.kesu.engine)
    resp = send()
    feishu.settle()
    assert resp.status_code in statuses, (resp.status_code, resp.text)
    assert resp.json() in FIXED_BODIES
    no_detail(resp)
    assert changed(before, snapshot(feishu.kesu.engine)) == {}
    return resp


def post(feishu: FeishuBot, path: str, body: bytes, headers: dict[str, str]) -> Callable[[], Any]:
    return lambda: feishu.http.post(path, content=body, headers=headers)


# --- signatures and keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dropped", ["X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature"])
def test_a_request_missing_one_signature_header_is_refused(feishu: FeishuBot, path: str, dropped: str) -> None:
    body, headers = f.signed(payload_for(path))
    del headers[dropped]
    refused(feishu, post(feishu, path, body, headers), 401)


@pytest.mark.parametrize("path", PATHS)
def test_a_tampered_ciphertext_fails_its_signature(feishu: FeishuBot, path: str) -> None:
    body, headers = f.signed(payload_for(path))
    cipher = json.loads(body)["encrypt"]
    tampered = json.dumps({"encrypt": cipher[:30] + ("A" if cipher[30] != "A" else "B") + cipher[31:]}).encode()
    refused(feishu, post(feishu, path, tampered, headers), 401)


@pytest.mark.parametrize("path", PATHS)
def test_a_ciphertext_that_decrypts_to_garbage_is_refused_even_when_signed(feishu: FeishuBot, path: str) -> None:
    raw = base64.b64decode(json.loads(f.signed(payload_for(path))[0])["encrypt"])
    swapped = raw[:16] + raw[48:64] + raw[32:48] + raw[16:32] + raw[64:]  # ciphertext blocks reordered
    body = json.dumps({"encrypt": base64.b64encode(swapped).decode()}).encode()
    refused(feishu, post(feishu, path, body, signed_raw(body)), 400)


@pytest.mark.parametrize("path", PATHS)
def test_a_payload_encrypted_with_another_key_is_refused_even_when_signed(feishu: FeishuBot, path: str) -> None:
    body = json.dumps({"encrypt": f.encrypt(json.dumps(payload_for(path)), key="another-encrypt-key")}).encode()
    refused(feishu, post(feishu, path, body, signed_raw(body)), 400)


@pytest.mark.parametrize("path", PATHS)
def test_an_event_for_another_app_is_refused(feishu: FeishuBot, path: str) -> None:
    # Right key, right token, right signature: only the app id inside the ciphertext is someone else's.
    payload = payload_for(path)
    payload["header"]["app_id"] = "cli_someone_else"
    body, headers = f.signed(payload)
    refused(feishu, post(feishu, path, body, headers), 403)


# --- replays ---------------------------------------------------------------------------------------------


def test_the_same_event_delivered_twice_is_stored_once(feishu: FeishuBot) -> None:
    body, headers = f.signed(message())
    before = snapshot(feishu.kesu.engine)
    first = feishu.http.post("/feishu/events", content=body, headers=headers)
    feishu.settle()
    assert first.status_code == 200 and first.json() == {"msg": "success"}
    once = snapshot(feishu.kesu.engine)
    added = changed(before, once)
    assert added["inbox"] == 1 and added["complaint"] == 1  # the real thing: stored and turned into a draft
    again = feishu.http.post("/feishu/events", content=body, headers=headers)  # byte for byte the same, in time
    feishu.settle()
    assert again.status_code == 200 and again.json() == {"msg": "success"}  # acknowledged: Feishu stops retrying
    assert changed(once, snapshot(feishu.kesu.engine)) == {}


def test_an_event_redelivered_in_a_new_request_is_stored_once(feishu: FeishuBot) -> None:
    event = message()
    feishu.post("/feishu/events", event)
    once = snapshot(feishu.kesu.engine)
    resp = feishu.post("/feishu/events", event)  # Feishu's retry: new timestamp, nonce and IV, same event_id
    assert resp.status_code == 200
    assert changed(once, snapshot(feishu.kesu.engine)) == {}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("ts", ["future", "abc", "nan", "inf", "-inf", "1e12", "0"])
def test_a_signed_request_whose_timestamp_is_not_now_is_refused(feishu: FeishuBot, path: str, ts: str) -> None:
    stamp = str(int(time.time()) + 400) if ts == "future" else ts
    body, _ = f.signed(payload_for(path))
    refused(feishu, post(feishu, path, body, signed_raw(body, ts=stamp)), 400, 401)


# --- bodies, formats and content types --------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_a_ten_mebibyte_body_is_refused_unread(feishu: FeishuBot, path: str) -> None:
    body = b'{"encrypt": "' + b"A" * TEN_MIB + b'"}'
    refused(feishu, post(feishu, path, body, signed_raw(body)), 413)


@pytest.mark.parametrize("path", PATHS)
def test_a_ten_mebibyte_body_without_a_length_is_cut_off(feishu: FeishuBot, path: str) -> None:
    refused(feishu, lambda: feishu.http.post(path, content=chunks(TEN_MIB)), 413)


MALFORMED = {
    "empty": b"",
    "not_utf8": b'{"encrypt": "\xff\xfe\xfd"}',
    "utf16": json.dumps({"encrypt": "abc"}).encode("utf-16"),
    "array": b"[1, 2, 3]",
    "string": b'"encrypt"',
    "number": b"12345",
    "null": b"null",
    "deeply_nested_array": b"[" * 100_000 + b"]" * 100_000,
    "deeply_nested_object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "huge_integer": b'{"encrypt": 1' + b"0" * 5_000 + b"}",
    "encrypt_is_a_number": b'{"encrypt": 42}',
    "encrypt_is_a_list": b'{"encrypt": ["a"]}',
    "encrypt_is_an_object": b'{"encrypt": {"a": 1}}',
    "encrypt_is_empty": b'{"encrypt": ""}',
    "nan_literal": b'{"encrypt": NaN}',
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_body_is_refused_even_when_signed(feishu: FeishuBot, path: str, name: str) -> None:
    body = MALFORMED[name]
    refused(feishu, post(feishu, path, body, signed_raw(body)), 400, 401)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "plain",
    ["not json", "[1]", '"x"', "[" * 50_000, '{"header": "x", "event": []}'],
    ids=["text", "array", "string", "deeply_nested", "wrong_shapes"],
)
def test_a_ciphertext_of_something_that_is_not_an_event_is_refused(feishu: FeishuBot, path: str, plain: str) -> None:
    body = json.dumps({"encrypt": f.encrypt(plain)}).encode()
    refused(feishu, post(feishu, path, body, signed_raw(body)), 400, 401)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/xml", hostile_xml("encrypt")["billion_laughs"].encode()),
        ("application/xml", hostile_xml("encrypt")["external_entity_file"].encode()),
        ("application/x-www-form-urlencoded", b"encrypt=abc&token=vtoken"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="encrypt"\r\n\r\nabc\r\n--x--',
        ),
        ("text/plain", b"encrypt"),
    ],
    ids=["xml_bomb", "xml_external_entity", "form", "multipart", "text"],
)
def test_a_body_in_another_format_is_refused(feishu: FeishuBot, path: str, content_type: str, body: bytes) -> None:
    headers = {**signed_raw(body), "Content-Type": content_type}
    refused(feishu, post(feishu, path, body, headers), 400)


@pytest.mark.parametrize("path", PATHS)
def test_a_signed_event_is_judged_by_its_signature_not_its_content_type(feishu: FeishuBot, path: str) -> None:
    # An unusual header on a request Feishu really signed is no reason to lose the event.
    body, headers = f.signed(payload_for(path))
    headers["Content-Type"] = "text/plain; charset=gbk"
    resp = feishu.http.post(path, content=body, headers=headers)
    feishu.settle()
    assert resp.status_code == 200


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("event_type", ["im.chat.member.bot.added_v1", "im.message.receive_v1", "card.action.trigger"])
@pytest.mark.parametrize("event", ["0", None, [], {"message": "x", "operator": 1, "action": []}])
def test_an_event_of_a_known_type_in_the_wrong_shape_is_answered_not_a_server_error(
    feishu: FeishuBot, path: str, event_type: str, event: Any
) -> None:
    # Found by the fuzz run: "event": "0" in a bot-added event was a 500 (and a 500 makes Feishu retry).
    payload = {"schema": "2.0", "header": {**message()["header"], "event_type": event_type}, "event": event}
    before = snapshot(feishu.kesu.engine)
    resp = feishu.post(path, payload)
    assert resp.status_code == 200, resp.text
    assert resp.json() in ({}, {"msg": "success"})
    assert changed(before, snapshot(feishu.kesu.engine)) == {}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_refused(feishu: FeishuBot, path: str, method: str) -> None:
    body, headers = f.signed(payload_for(path))
    before = snapshot(feishu.kesu.engine)
    resp = feishu.http.request(method, path, content=body, headers=headers)
    assert resp.status_code == 405
    assert changed(before, snapshot(feishu.kesu.engine)) == {}
