"""WeCom callback XML → what the person did. Parsing is safe (defusedxml refuses DTDs and entities)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from wechatpy.enterprise import parse_message


class BadCallback(Exception):
    """The body is not a WeCom callback we can read (malformed, entities, no Encrypt)."""


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


def message(plain: str) -> Message:
    """The decrypted inner XML → Message."""
    safe_xml(plain)
    msg: Any = parse_message(plain)
    if msg is None:
        raise BadCallback("empty message")
    data: dict[str, Any] = msg._data
    userid = str(data.get("FromUserName") or "")
    created = int(str(data.get("CreateTime") or "0"))
    if not userid:
        raise BadCallback("no FromUserName")
    msg_type = str(data.get("MsgType") or "")
    if msg_type == "text":
        return Message("text", userid, str(data.get("MsgId") or f"{userid}{created}"), created, text=msg.content)
    if msg_type == "image":
        key = str(data.get("MsgId") or f"{userid}{created}")
        return Message("image", userid, key, created, media_id=str(data.get("MediaId") or ""))
    if msg_type == "event":
        event = str(data.get("Event") or "")
        if event == "template_card_event":
            task = str(data.get("TaskId") or "")
            event_key = str(data.get("EventKey") or "")
            return Message(
                "click",
                userid,
                f"{userid}{created}{task}{event_key}",
                created,
                event_key=event_key,
                task_id=task,
                response_code=str(data.get("ResponseCode") or "") or None,
            )
        return Message("event", userid, f"{userid}{created}{event}", created)
    return Message("message", userid, str(data.get("MsgId") or f"{userid}{created}"), created)
