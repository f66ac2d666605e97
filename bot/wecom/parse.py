"""WeCom callback XML → what the person did. Parsing is safe: the envelope, read before its signature is checked,
through defusedxml; the decrypted message (signed, so from WeCom) through expat, with any DTD refused as well."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, fromstring

import defusedxml.ElementTree as SafeET

MAX_KEY = 200  # the inbox's event_key column (VARCHAR(200), enforced by PostgreSQL)


class BadCallback(Exception):
    """The body is not a WeCom callback we can read (malformed, entities, no Encrypt)."""


def redelivery_key(key: str) -> str:
    """The inbox key of a callback, hashed when longer than the column: a tap's EventKey alone may be 1024 bytes
    and its TaskId 128, and a key that does not fit made PostgreSQL refuse the tap (a 500)."""
    return key if len(key) <= MAX_KEY else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Message:
    """One decrypted callback. ``kind``: text, image, click, message (unsupported type) or event (ignored)."""

    kind: str
    userid: str
    key: str
    created: int
    text: str | None = None
    media_id: str | None = None
    event_key: str | None = None
    task_id: str | None = None
    response_code: str | None = None


def safe_xml(body: bytes | str) -> Element:
    """Parse untrusted XML: DOCTYPE/ENTITY (billion laughs, external entities) and malformed XML → BadCallback."""
    try:
        root: Element = SafeET.fromstring(body, forbid_dtd=True)
    except Exception as e:  # ParseError, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
        raise BadCallback(type(e).__name__) from None
    return root


def envelope(body: bytes) -> dict[str, str]:
    """The outer ``<xml><ToUserName/><AgentID/><Encrypt/></xml>`` as a dict for WeChatCrypto."""
    root = safe_xml(body)
    encrypt = root.findtext("Encrypt")
    if not encrypt:
        raise BadCallback("no Encrypt")
    return {"Encrypt": encrypt, "ToUserName": root.findtext("ToUserName") or ""}


def signed_xml(plain: str) -> Element:
    """Parse the decrypted, signature-checked message. Plain expat (2.5: bounded entity expansion, no external
    fetches), a third of defusedxml's cost on the acknowledgement path; a DTD is refused all the same."""
    if "<!DOCTYPE" in plain or "<!ENTITY" in plain:
        raise BadCallback("DTD")
    try:
        return fromstring(plain)
    except ParseError as e:
        raise BadCallback(type(e).__name__) from None


def message(plain: str) -> Message:
    """The decrypted inner XML → Message. Read straight from one parse: wechatpy's ``parse_message`` would parse
    it twice more (xmltodict) without entity protection, and on the acknowledgement path every parse counts
    (bench/ack.py)."""
    root = signed_xml(plain)

    def field(name: str) -> str:
        return (root.findtext(name) or "").strip()

    userid = field("FromUserName")
    if not userid:
        raise BadCallback("no FromUserName")
    created_text = field("CreateTime")
    created = int(created_text) if created_text.isascii() and created_text.isdigit() else 0
    msg_type = field("MsgType")
    msg_id = redelivery_key(field("MsgId") or f"{userid}{created}")
    if msg_type == "text":
        return Message("text", userid, msg_id, created, text=root.findtext("Content") or "")
    if msg_type == "image":
        return Message("image", userid, msg_id, created, media_id=field("MediaId"))
    if msg_type == "event":
        event = field("Event")
        if event == "template_card_event":
            task = field("TaskId")
            event_key = field("EventKey")
            return Message(
                "click",
                userid,
                redelivery_key(f"{userid}{created}{task}{event_key}"),
                created,
                event_key=event_key,
                task_id=task,
                response_code=field("ResponseCode") or None,
            )
        return Message("event", userid, redelivery_key(f"{userid}{created}{event}"), created)
    return Message("message", userid, msg_id, created)
