"""Attacks on ``/wecom/callback``: every forged, replayed, hostile or malformed request is answered 4xx (or, for a
redelivery, the empty 200 WeCom expects), never 5xx, and stores and changes nothing.

tests/wecom/test_security.py already covers: a zeroed signature, another corp's id, truncated XML, billion laughs
and a file entity in the outer XML, a body just over 1 MiB, a timestamp an hour old, a forged echostr signature.
"""

from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from tests.attack.conftest import changed, no_detail, snapshot
from tests.attack.payloads import TEN_MIB, chunks, hostile_xml
from tests.wecom.conftest import AES_KEY, AGENT_ID, CORP_ID, TOKEN, WeCom, inner_text

COMPLAINT = "明辉电子投诉X200外壳划伤,200个,急"
OTHER_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"


def sign(encrypt: str, timestamp: str, nonce: str, token: str = TOKEN) -> str:
    """WeCom's msg_signature: sha1 of the sorted token, timestamp, nonce and ciphertext."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def outer(encrypt: str) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID>{AGENT_ID}</AgentID>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    ).encode()


def signed_query(encrypt: str) -> dict[str, str]:
    ts, nonce = str(int(time.time())), "nonce1"
    return {"msg_signature": sign(encrypt, ts, nonce), "timestamp": ts, "nonce": nonce}


def ciphertext(wecom: WeCom, inner: str) -> str:
    """The Encrypt value WeCom would send for ``inner`` (real key, real corp id)."""
    body, _ = wecom.envelope(inner)
    return ET.fromstring(body).findtext("Encrypt") or ""


def refused(wecom: WeCom, send: Any, *statuses: int) -> Any:
    """Send once; the answer is one of ``statuses`` without detail, and no table changed."""
    before = snapshot(wecom.kesu.engine)
    resp = send()
    wecom.settle()
    assert resp.status_code in statuses, (resp.status_code, resp.text)
    no_detail(resp)
    assert resp.text == ""
    assert changed(before, snapshot(wecom.kesu.engine)) == {}
    return resp


# --- signatures and keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dropped", ["msg_signature", "timestamp", "nonce"])
def test_a_callback_missing_a_signature_parameter_is_refused(wecom: WeCom, dropped: str) -> None:
    body, query = wecom.envelope(inner_text("sales1", COMPLAINT, 11))
    del query[dropped]
    refused(wecom, lambda: wecom.http.post("/wecom/callback", params=query, content=body), 400)


def test_a_callback_with_no_query_at_all_is_refused(wecom: WeCom) -> None:
    body, _ = wecom.envelope(inner_text("sales1", COMPLAINT, 12))
    refused(wecom, lambda: wecom.http.post("/wecom/callback", content=body), 400)


def test_a_callback_signed_with_another_token_is_refused(wecom: WeCom) -> None:
    forger = WeChatCrypto("not-the-token", AES_KEY, CORP_ID)
    refused(wecom, lambda: wecom.post(inner_text("sales1", COMPLAINT, 13), crypto=forger), 403)


def test_a_tampered_ciphertext_fails_its_signature(wecom: WeCom) -> None:
    body, query = wecom.envelope(inner_text("sales1", COMPLAINT, 14))
    encrypt = ET.fromstring(body).findtext("Encrypt") or ""
    tampered = encrypt[:20] + ("A" if encrypt[20] != "A" else "B") + encrypt[21:]
    refused(wecom, lambda: wecom.http.post("/wecom/callback", params=query, content=outer(tampered)), 403)


def test_a_ciphertext_that_decrypts_to_garbage_is_refused_even_with_a_valid_signature(wecom: WeCom) -> None:
    encrypt = ciphertext(wecom, inner_text("sales1", COMPLAINT, 15))
    tampered = encrypt[:40] + encrypt[60:80] + encrypt[40:60] + encrypt[80:]  # blocks swapped, re-signed
    query = signed_query(tampered)
    # Garbage either fails to decode (400) or carries a receive id that is not our corp's (403).
    refused(wecom, lambda: wecom.http.post("/wecom/callback", params=query, content=outer(tampered)), 400, 403)


def test_a_callback_encrypted_with_another_aes_key_is_refused(wecom: WeCom) -> None:
    # The token (and so the signature) is right; only the key differs: decryption yields garbage.
    forger = WeChatCrypto(TOKEN, OTHER_AES_KEY, CORP_ID)
    refused(wecom, lambda: wecom.post(inner_text("sales1", COMPLAINT, 16), crypto=forger), 400, 403)


def test_a_ciphertext_that_is_not_base64_is_refused(wecom: WeCom) -> None:
    encrypt = "@@not base64@@"
    query = signed_query(encrypt)
    refused(wecom, lambda: wecom.http.post("/wecom/callback", params=query, content=outer(encrypt)), 400)


# --- replays ---------------------------------------------------------------------------------------------


def test_the_same_message_delivered_twice_is_stored_once(wecom: WeCom) -> None:
    body, query = wecom.envelope(inner_text("sales1", COMPLAINT, 21))
    before = snapshot(wecom.kesu.engine)
    first = wecom.http.post("/wecom/callback", params=query, content=body)
    wecom.settle()
    assert first.status_code == 200 and first.text == ""
    once = snapshot(wecom.kesu.engine)
    added = changed(before, once)
    assert added["inbox"] == 1 and added["complaint"] == 1  # the real thing: stored and turned into a draft
    again = wecom.http.post("/wecom/callback", params=query, content=body)  # byte for byte the same
    wecom.settle()
    assert again.status_code == 200 and again.text == ""  # WeCom's retry is acknowledged, not refused
    assert changed(once, snapshot(wecom.kesu.engine)) == {}


def test_a_message_redelivered_in_a_new_envelope_is_stored_once(wecom: WeCom) -> None:
    inner = inner_text("sales1", COMPLAINT, 22)
    wecom.post(inner)
    wecom.settle()
    once = snapshot(wecom.kesu.engine)
    resp = wecom.post(inner)  # WeCom's retry: fresh timestamp and nonce, the same MsgId
    wecom.settle()
    assert resp.status_code == 200 and resp.text == ""
    assert changed(once, snapshot(wecom.kesu.engine)) == {}


@pytest.mark.parametrize("timestamp", ["future", "abc", "-1", "1.5e9", "²", "١٧٠٠٠٠٠٠٠٠"])
def test_a_timestamp_that_is_not_now_is_refused(wecom: WeCom, timestamp: str) -> None:
    ts = str(int(time.time()) + 3600) if timestamp == "future" else timestamp
    encrypt = ciphertext(wecom, inner_text("sales1", COMPLAINT, 23))
    query = {"msg_signature": sign(encrypt, ts, "n1"), "timestamp": ts, "nonce": "n1"}
    refused(wecom, lambda: wecom.http.post("/wecom/callback", params=query, content=outer(encrypt)), 403)


# --- XML ---------------------------------------------------------------------------------------------------

OUTER_ATTACKS = {
    k: v
    for k, v in hostile_xml("Encrypt").items()
    if k not in ("billion_laughs", "external_entity_file")  # covered in tests/wecom/test_security.py
}


@pytest.mark.parametrize("name", sorted(OUTER_ATTACKS))
def test_a_dtd_or_entity_in_the_outer_xml_is_refused(wecom: WeCom, name: str) -> None:
    _, query = wecom.envelope(inner_text("sales1", COMPLAINT, 31))
    body = OUTER_ATTACKS[name].encode()
    started = time.perf_counter()
    refused(wecom, lambda: wecom.http.post("/wecom/callback", params=query, content=body), 400)
    assert time.perf_counter() - started < 2  # refused before any expansion or fetch


@pytest.mark.parametrize("name", sorted(hostile_xml("Content")))
def test_a_dtd_or_entity_in_the_decrypted_xml_is_refused(wecom: WeCom, name: str) -> None:
    # Encrypted with the real key and signed with the real token: only the inner XML is hostile.
    inner = hostile_xml("Content")[name]
    started = time.perf_counter()
    refused(wecom, lambda: wecom.post(inner), 400)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "inner",
    [
        "",
        "not xml at all",
        "<xml><ToUserName>x</ToUserName>",  # truncated
        "<xml><MsgType>text</MsgType><Content>no sender</Content></xml>",
        "\ufeff<?xml version='1.0' encoding='ebcdic'?><xml/>",
    ],
    ids=["empty", "text", "truncated", "no_sender", "bad_encoding"],
)
def test_a_decrypted_body_that_is_not_a_callback_is_refused(wecom: WeCom, inner: str) -> None:
    refused(wecom, lambda: wecom.post(inner), 400)


# --- bodies and content types ---------------------------------------------------------------------------


def test_a_ten_mebibyte_body_is_refused_unread(wecom: WeCom) -> None:
    _, query = wecom.envelope(inner_text("sales1", COMPLAINT, 41))
    body = b"<xml><Encrypt>" + b"A" * TEN_MIB + b"</Encrypt></xml>"
    refused(wecom, lambda: wecom.http.post("/wecom/callback", params=query, content=body), 413)


def test_a_ten_mebibyte_body_without_a_length_is_cut_off(wecom: WeCom) -> None:
    _, query = wecom.envelope(inner_text("sales1", COMPLAINT, 42))
    refused(wecom, lambda: wecom.http.post("/wecom/callback", params=query, content=chunks(TEN_MIB)), 413)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe\x00<\x00x\x00m\x00l",
        "<xml><Encrypt>密文</Encrypt></xml>".encode("gbk"),
        b"<xml><Encrypt></Encrypt></xml>",
        b"<xml><Encrypt>\x00\x01</Encrypt></xml>",
        b"<a><b>" * 10_000,
    ],
    ids=["empty", "utf16_garbage", "gbk", "no_ciphertext", "control_bytes", "deeply_nested"],
)
def test_a_malformed_body_is_refused(wecom: WeCom, body: bytes) -> None:
    _, query = wecom.envelope(inner_text("sales1", COMPLAINT, 43))
    refused(wecom, lambda: wecom.http.post("/wecom/callback", params=query, content=body), 400, 403)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"],
)
def test_a_body_in_another_format_is_refused_whatever_its_content_type(wecom: WeCom, content_type: str) -> None:
    # A signature that checks, over a ciphertext that would decrypt: only the outer format is wrong.
    encrypt = ciphertext(wecom, inner_text("sales1", COMPLAINT, 44))
    query = signed_query(encrypt)
    bodies = {
        "application/json": b'{"Encrypt": "' + encrypt.encode() + b'"}',
        "application/x-www-form-urlencoded": b"Encrypt=" + encrypt.encode(),
        "multipart/form-data; boundary=x": b'--x\r\nContent-Disposition: form-data; name="Encrypt"\r\n\r\n'
        + encrypt.encode()
        + b"\r\n--x--\r\n",
        "text/plain": encrypt.encode(),
    }
    headers = {"Content-Type": content_type}

    def post() -> Any:
        return wecom.http.post("/wecom/callback", params=query, content=bodies[content_type], headers=headers)

    refused(wecom, post, 400)


def test_a_real_callback_is_judged_by_its_signature_not_its_content_type(wecom: WeCom) -> None:
    # WeCom's own header is not part of what it signs: an unusual one is no reason to lose the message.
    body, query = wecom.envelope(inner_text("sales1", "怎么用", 46))
    resp = wecom.http.post("/wecom/callback", params=query, content=body, headers={"Content-Type": "text/plain"})
    wecom.settle()
    assert resp.status_code == 200 and resp.text == ""


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_refused(wecom: WeCom, method: str) -> None:
    body, query = wecom.envelope(inner_text("sales1", COMPLAINT, 45))
    before = snapshot(wecom.kesu.engine)
    resp = wecom.http.request(method, "/wecom/callback", params=query, content=body)
    assert resp.status_code == 405
    assert changed(before, snapshot(wecom.kesu.engine)) == {}


# --- URL verification ------------------------------------------------------------------------------------


def test_url_verification_with_a_missing_parameter_is_refused(wecom: WeCom) -> None:
    _, query = wecom.envelope("8675309")
    before = snapshot(wecom.kesu.engine)
    resp = wecom.http.get("/wecom/callback", params=query)  # no echostr
    assert resp.status_code == 422 and "8675309" not in resp.text
    assert changed(before, snapshot(wecom.kesu.engine)) == {}


def test_url_verification_for_another_corp_is_refused(wecom: WeCom) -> None:
    body, query = wecom.envelope("8675309", crypto=WeChatCrypto(TOKEN, AES_KEY, "wwsomeoneelse"))
    echostr = ET.fromstring(body).findtext("Encrypt") or ""
    refused(wecom, lambda: wecom.http.get("/wecom/callback", params={**query, "echostr": echostr}), 403)


def test_url_verification_with_an_echostr_that_does_not_decrypt_is_refused(wecom: WeCom) -> None:
    echostr = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="  # base64, valid signature, not a ciphertext of ours
    query = signed_query(echostr)
    refused(wecom, lambda: wecom.http.get("/wecom/callback", params={**query, "echostr": echostr}), 400, 403)
