"""Hostile callbacks are answered 4xx fast, store nothing and reveal nothing."""

from __future__ import annotations

import time

from wechatpy.enterprise.crypto import WeChatCrypto

from tests.wecom.conftest import AES_KEY, TOKEN, WeCom, inner_text

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><Encrypt>&lol3;</Encrypt></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Encrypt>&xxe;</Encrypt></xml>'
)


def _refused(wecom: WeCom, r: object, status: int) -> None:
    assert getattr(r, "status_code") == status  # noqa: B009
    text = getattr(r, "text")  # noqa: B009
    assert "Traceback" not in text and "Exception" not in text and "Error" not in text
    assert wecom.inbox() == 0


def test_a_bad_signature_is_refused_and_nothing_is_stored(wecom: WeCom) -> None:
    body, query = wecom.envelope(inner_text("sales1", "你好", 1))
    r = wecom.http.post("/wecom/callback", params={**query, "msg_signature": "0" * 40}, content=body)
    _refused(wecom, r, 403)


def test_a_message_encrypted_for_another_corp_is_refused(wecom: WeCom) -> None:
    other = WeChatCrypto(TOKEN, AES_KEY, "wwsomeoneelse")
    r = wecom.post(inner_text("sales1", "你好", 2), crypto=other)
    _refused(wecom, r, 403)


def test_malformed_xml_is_refused(wecom: WeCom) -> None:
    _, query = wecom.envelope(inner_text("sales1", "你好", 3))
    r = wecom.http.post("/wecom/callback", params=query, content=b"<xml><Encrypt>abc</Encr")
    _refused(wecom, r, 400)


def test_entity_expansion_is_refused_without_expanding(wecom: WeCom) -> None:
    _, query = wecom.envelope(inner_text("sales1", "你好", 4))
    started = time.perf_counter()
    r = wecom.http.post("/wecom/callback", params=query, content=BILLION_LAUGHS.encode())
    assert time.perf_counter() - started < 1
    _refused(wecom, r, 400)


def test_an_external_entity_is_refused(wecom: WeCom) -> None:
    _, query = wecom.envelope(inner_text("sales1", "你好", 5))
    r = wecom.http.post("/wecom/callback", params=query, content=EXTERNAL_ENTITY.encode())
    _refused(wecom, r, 400)


def test_a_body_over_one_mebibyte_is_refused_with_413(wecom: WeCom) -> None:
    _, query = wecom.envelope(inner_text("sales1", "你好", 6))
    r = wecom.http.post("/wecom/callback", params=query, content=b"<xml>" + b"a" * (1024 * 1024) + b"</xml>")
    _refused(wecom, r, 413)


def test_a_replayed_old_callback_is_refused(wecom: WeCom) -> None:
    r = wecom.text("sales1", "明辉电子投诉X200外壳划伤,200个", timestamp=int(time.time()) - 3600)
    _refused(wecom, r, 403)


def test_a_wrong_echostr_signature_is_refused(wecom: WeCom) -> None:
    r = wecom.http.get(
        "/wecom/callback", params={"msg_signature": "x", "timestamp": "1", "nonce": "n", "echostr": "abc"}
    )
    assert r.status_code == 403
    assert r.text == ""
