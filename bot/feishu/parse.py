"""Feishu requests → plain data: the envelope is checked (size, signature, age, decryption, token) and the
two events Kesu acts on are read into small dataclasses. Pure functions: no I/O, no clock reads."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.webhook import MAX_BODY

MAX_AGE = 300.0  # seconds: older (or later) request timestamps are refused as replays

TS_HEADER = "X-Lark-Request-Timestamp"
NONCE_HEADER = "X-Lark-Request-Nonce"
SIG_HEADER = "X-Lark-Signature"

_DATE_PICKED = re.compile(r"^(\d{4}-\d{2}-\d{2})(?: [+-]\d{4})?$")


class Rejected(Exception):
    """The request is refused with ``status``; ``reason`` is for the log only, never for the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Keys:
    """What a request is checked with: the app's encrypt key and verification token (either may be unset), and
    its app id (an event naming another app is refused, like WeCom's corp id inside the ciphertext)."""

    encrypt_key: str | None
    verification_token: str | None
    app_id: str | None = None


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """Feishu's request signature: sha256(timestamp + nonce + encrypt_key + body), hex."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def _object(text: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[…" nested past the C stack
        raise Rejected(400, "malformed JSON") from None
    if not isinstance(data, dict):
        raise Rejected(400, "JSON is not an object")
    return data


def open_envelope(
    body: bytes,
    headers: Mapping[str, str],
    *,
    keys: Keys,
    now: float,
    decrypt: Callable[[str], str],
) -> dict[str, Any]:
    """The verified, decrypted payload of a Feishu request, or Rejected.

    ``headers`` must look up case-insensitively (Starlette's Headers). ``now`` is a Unix time;
    ``decrypt`` is lark-oapi's ``AESCipher(encrypt_key).decrypt_str``.
    """
    if len(body) > MAX_BODY:  # the long connection's frames too
        raise Rejected(413, "body too large")
    if not keys.encrypt_key and not keys.verification_token:
        raise Rejected(403, "neither KESU_FEISHU_ENCRYPT_KEY nor KESU_FEISHU_VERIFICATION_TOKEN is set")
    outer = _object(body)
    ts, nonce, sig = headers.get(TS_HEADER), headers.get(NONCE_HEADER), headers.get(SIG_HEADER)
    signed = False
    if ts is not None:
        try:
            age = now - float(ts)
        except ValueError:
            raise Rejected(400, "bad timestamp header") from None
        if not math.isfinite(age) or abs(age) > MAX_AGE:  # float("nan") parses, and abs(nan) > MAX_AGE is False
            raise Rejected(401, f"request timestamp {age:.0f} s away from now")
    if keys.encrypt_key and (ts or nonce or sig):
        if not (ts and nonce and sig):
            raise Rejected(401, "incomplete signature headers")
        expected = signature(ts, nonce, keys.encrypt_key, body)
        if not hmac.compare_digest(expected, sig.lower()):
            raise Rejected(401, "bad signature")
        signed = True
    if "encrypt" in outer:
        cipher = outer["encrypt"]
        if not keys.encrypt_key or not isinstance(cipher, str):
            raise Rejected(400, "encrypted body without an encrypt key")
        try:
            plain = decrypt(cipher)
        except Exception:
            raise Rejected(400, "undecryptable body") from None
        payload = _object(plain)
    else:
        payload = outer
    header = payload.get("header") if isinstance(payload.get("header"), dict) else None
    token = (header or {}).get("token", payload.get("token"))
    vt = keys.verification_token
    if vt and not (isinstance(token, str) and hmac.compare_digest(token.encode(), vt.encode())):
        raise Rejected(401, "wrong verification token")
    app_id = (header or {}).get("app_id")
    if keys.app_id and app_id is not None and app_id != keys.app_id:
        raise Rejected(403, "an event for another app")
    if keys.encrypt_key and not signed and payload.get("type") != "url_verification":
        raise Rejected(401, "unsigned request")
    return payload


def event_type(payload: Mapping[str, Any]) -> str:
    """``url_verification``, a schema 2.0 ``header.event_type``, or a v1 ``event.type`` ("" if none)."""
    if payload.get("type") == "url_verification":
        return "url_verification"
    header = payload.get("header")
    if isinstance(header, dict):
        return str(header.get("event_type") or "")
    event = payload.get("event")
    if isinstance(event, dict):
        return str(event.get("type") or "")
    return str(payload.get("type") or "")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Message:
    """An ``im.message.receive_v1`` as Kesu needs it."""

    event_id: str
    open_id: str
    sender_type: str
    message_id: str
    chat_id: str
    chat_type: str  # p2p | group
    message_type: str  # text | post | image | file | …
    text: str | None = None
    image_key: str | None = None
    mentions: tuple[tuple[str, str, str], ...] = ()  # (placeholder key, open_id, name)


def _post_text(content: dict[str, Any]) -> str:
    """The plain text of a rich-text (post) message: every text, link and @ segment, lines kept."""
    body = content if "content" in content else next((v for v in content.values() if isinstance(v, dict)), {})
    lines: list[str] = []
    if body.get("title"):
        lines.append(str(body["title"]))
    for paragraph in body.get("content") or []:
        if isinstance(paragraph, list):
            parts = [str(seg.get("text") or seg.get("key") or "") for seg in paragraph if isinstance(seg, dict)]
            lines.append("".join(parts))
    return "\n".join(lines)


def message(payload: Mapping[str, Any]) -> Message | None:
    """The message in an ``im.message.receive_v1`` payload, or None when it lacks what Kesu needs."""
    header, event = _dict(payload.get("header")), _dict(payload.get("event"))
    sender, msg = _dict(event.get("sender")), _dict(event.get("message"))
    open_id = _dict(sender.get("sender_id")).get("open_id")
    event_id = header.get("event_id")
    if not (isinstance(open_id, str) and isinstance(event_id, str) and event_id):
        return None
    try:
        content = json.loads(msg.get("content") or "{}")
    except (ValueError, TypeError):
        content = {}
    content = _dict(content)
    kind = str(msg.get("message_type") or "")
    text: str | None = None
    if kind == "text":
        text = str(content.get("text") or "")
    elif kind == "post":
        text = _post_text(content)
    image_key = content.get("image_key") if kind == "image" else None
    mentions = tuple(
        (str(m.get("key") or ""), str(_dict(m.get("id")).get("open_id") or ""), str(m.get("name") or ""))
        for m in msg.get("mentions") or []
        if isinstance(m, dict)
    )
    return Message(
        event_id=event_id,
        open_id=open_id,
        sender_type=str(sender.get("sender_type") or "user"),
        message_id=str(msg.get("message_id") or ""),
        chat_id=str(msg.get("chat_id") or ""),
        chat_type=str(msg.get("chat_type") or "p2p"),
        message_type=kind,
        text=text,
        image_key=image_key if isinstance(image_key, str) else None,
        mentions=mentions,
    )


def strip_mentions(text: str, mentions: tuple[tuple[str, str, str], ...], keep: Mapping[str, str]) -> str:
    """The text with each ``@_user_N`` placeholder removed, or replaced by the name in ``keep`` (open_id →
    name) for people the sender mentioned, so "@Kesu 请 @王芳 看看" reads "请 王芳 看看"."""
    for key, open_id, _ in sorted(mentions, key=lambda m: -len(m[0])):  # @_user_10 before @_user_1
        if key:
            text = text.replace(key, keep.get(open_id, ""))
    return " ".join(text.split())


@dataclass(frozen=True)
class CardAction:
    """A ``card.action.trigger`` callback: who tapped which button of which card, with the form's values."""

    event_id: str
    open_id: str
    card_id: str
    action: str
    values: dict[str, str] = field(default_factory=dict)
    open_message_id: str = ""
    open_chat_id: str = ""


def _text_value(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text_value(v) for v in value)
    text = "" if value is None else str(value).strip()
    picked = _DATE_PICKED.match(text)
    return picked.group(1) if picked else text  # a date picker sends "2026-12-20 +0800"


def card_action(payload: Mapping[str, Any]) -> CardAction | None:
    """The tap in a ``card.action.trigger`` payload, or None when it is not one of Kesu's buttons."""
    header, event = _dict(payload.get("header")), _dict(payload.get("event"))
    action, context = _dict(event.get("action")), _dict(event.get("context"))
    value = _dict(action.get("value"))
    open_id = _dict(event.get("operator")).get("open_id")
    event_id = header.get("event_id")
    card, act = value.get("card"), value.get("action")
    if not all(isinstance(x, str) and x for x in (open_id, event_id, card, act)):
        return None
    values = {str(k): _text_value(v) for k, v in _dict(action.get("form_value")).items()}
    return CardAction(
        event_id=str(event_id),
        open_id=str(open_id),
        card_id=str(card),
        action=str(act),
        values={k: v for k, v in values.items() if v},
        open_message_id=str(context.get("open_message_id") or ""),
        open_chat_id=str(context.get("open_chat_id") or ""),
    )
