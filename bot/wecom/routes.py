"""`/wecom/callback`: URL verification, and every message or card click of the self-built app.

Each accepted callback is in the inbox before the 200 (a group commit, ``bot/intake.py`` says why). Text
and photos are processed after the answer, in the background; a card click is decided at once
so the tapped button shows the true outcome (passive ``update_button``). Template cards cannot carry text
inputs: when a tap is refused for want of values the card asks for, the person's next text message (within
10 minutes; ``取消`` drops it) fills them and repeats the tap (see ``fill_values``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.protocol import Click, InboundEvent, PlatformDeps, Prepare, Stored
from bot.wecom import render
from bot.wecom.client import WeComClient, WeComError
from bot.wecom.parse import BadCallback, Message, envelope, message

log = logging.getLogger(__name__)
T = TypeVar("T")

PLATFORM = "wecom"
MAX_BODY = 1024 * 1024
MAX_AGE = 300  # seconds: an older (replayed) callback is refused
FILL_PLATFORM = "wecom-fill"  # pending card inputs, kept per person in the platform state table
FILL_KEY = "pending"
FILL_WINDOW = timedelta(minutes=10)

UNKNOWN_USER = "请联系管理员把您加入 Kesu。"
UNSUPPORTED = "暂不支持这种消息,请发送文字或图片。"
IMAGE_FAILED = "图片接收失败,请重新发送。"
ASK_FILL = "请回复填写"
ASKING_WORDS = ("填写", "没有「」")  # a refusal asking for a value whose label it does not name


@dataclass(frozen=True)
class Pending:
    """A refused tap waiting for the values the person will type."""

    card_id: str
    action: str
    inputs: tuple[tuple[str, str], ...]  # (name, label)
    missing: tuple[str, ...]
    at: datetime


def _inputs(spec: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for item in spec:
        name, _, label = item.partition(":")
        out.append((name, label or name))
    return tuple(out)


def fill_values(text: str, pending: Pending) -> dict[str, str]:
    """The values in a reply: ``标签:值`` / ``name=值`` lines; a reply without labels fills the missing input."""
    values: dict[str, str] = {}
    loose: list[str] = []
    for line in re.split(r"[\n;；]", text):
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"[:：=]", line, maxsplit=1)
        head, value = (parts[0], parts[1]) if len(parts) == 2 else (line, None)
        head = head.strip()
        match = next(
            (n for n, label in pending.inputs if head in (n, label) or (head and label.startswith(head))), None
        )
        if value is not None and match:
            values[match] = value.strip()
        else:
            loose.append(line)
    if not values and loose:
        target = pending.missing[0] if pending.missing else (pending.inputs[0][0] if pending.inputs else None)
        if target:
            values[target] = "\n".join(loose)
    return values


class Callback:
    """The callback endpoint's work, with its dependencies."""

    def __init__(self, deps: PlatformDeps, client: WeComClient) -> None:
        s = deps.settings
        self.deps = deps
        self.client = client
        self.corp_id: str = s.wecom_corp_id
        self.agent_id: str = s.wecom_agent_id
        self.crypto = WeChatCrypto(s.wecom_token, s.wecom_aes_key, s.wecom_corp_id)
        self.prepare = Prepare(FILL_PLATFORM, FILL_KEY, self.fill)  # a text may answer a refused tap

    # --- replies -------------------------------------------------------------------------------------

    def _encrypted(self, xml: str, nonce: str, timestamp: str) -> Response:
        return Response(self.crypto.encrypt_message(xml, nonce, timestamp), media_type="application/xml")

    def _text(self, to: str, text: str, nonce: str, timestamp: str) -> Response:
        xml = render.text_reply_xml(
            to_user=to, corp_id=self.corp_id, agent_id=self.agent_id, text=text, at=int(time.time())
        )
        return self._encrypted(xml, nonce, timestamp)

    def _button(self, to: str, text: str, nonce: str, timestamp: str) -> Response:
        xml = render.update_button_xml(to_user=to, corp_id=self.corp_id, text=text, at=int(time.time()))
        return self._encrypted(xml, nonce, timestamp)

    # --- pending inputs ------------------------------------------------------------------------------

    @staticmethod
    def pending(ref: str | None, now: datetime) -> Pending | None:
        """The refused tap recorded as ``ref``, unless none or too old."""
        if not ref:
            return None
        data = json.loads(ref)
        p = Pending(
            data["card"],
            data["action"],
            tuple((n, label) for n, label in data["inputs"]),
            tuple(data["missing"]),
            datetime.fromisoformat(data["at"]),
        )
        return p if now - p.at <= FILL_WINDOW else None

    def set_pending(self, person: str, pending: Pending | None, now: datetime) -> None:
        ref = ""
        if pending is not None:
            ref = json.dumps(
                {
                    "card": pending.card_id,
                    "action": pending.action,
                    "inputs": [list(i) for i in pending.inputs],
                    "missing": list(pending.missing),
                    "at": pending.at.isoformat(),
                },
                ensure_ascii=False,
            )
        with self.deps.uow() as u:
            u.platform.remember_copy(FILL_PLATFORM, recipient=person, card_id=FILL_KEY, ref=ref, now=now)
            u.commit()

    # --- work ----------------------------------------------------------------------------------------

    def fill(self, events: list[InboundEvent], refs: Mapping[str, str]) -> list[tuple[InboundEvent, Pending | None]]:
        """Inside the inbox write (``self.prepare``), with each sender's pending tap (``refs``): a text answering
        a refused tap is stored as that tap with the typed values (``取消`` drops the tap). The pending tap is
        cleared when the event is processed, so a redelivered older message (a duplicate) leaves it in place."""
        out: list[tuple[InboundEvent, Pending | None]] = []
        for event in events:
            pending = self.pending(refs.get(event.user), event.at)
            text = event.text or ""
            if pending is None:
                out.append((event, None))
            elif text.strip() in ("取消", "cancel"):
                out.append((event, replace(pending, action="")))
            else:
                click = Click(pending.card_id, pending.action, fill_values(text, pending))
                out.append((replace(event, text=None, click=click), pending))
        return out

    def processed(self, person: str, stored: Stored) -> None:
        """Once a text or photo is stored (the writer queues it): process it."""
        event_id, pending = stored
        if event_id is not None:
            self.process(event_id, pending, person)

    def process(self, event_id: int, pending: Pending | None = None, person: str = "") -> None:
        """Handle a stored text or photo (after the answer); values typed for a tap that are refused again
        (a misspelt department …) may be typed once more."""
        now = self.deps.now()
        if pending is not None:
            self.set_pending(person, None, now)
        outcome = self.deps.sink.process(event_id, now=now)
        if pending is not None and pending.action and outcome.processed and not outcome.ok:
            self.set_pending(person, replace(pending, at=now), now)

    def click(self, msg: Message, person: str) -> str | None:
        """Store and decide a tap; the text for the tapped button, None for a duplicate or a foreign key."""
        parsed = render.parse_key(msg.event_key or "")
        if parsed is None:
            return None
        card_id, action, spec = parsed
        now = self.deps.now()
        if msg.response_code:  # the newest code updates this person's copy after the decision
            with self.deps.uow() as u:
                u.platform.remember_copy(PLATFORM, recipient=person, card_id=card_id, ref=msg.response_code, now=now)
                u.commit()
        event = InboundEvent(
            platform=PLATFORM, event_key=msg.key, user=person, at=now, click=Click(card_id=card_id, action=action)
        )
        event_id = self.deps.sink.ingest(event, now=now)
        if event_id is None:
            return None
        outcome = self.deps.sink.process(event_id, now=now)
        if outcome.ok:
            return "已处理" if outcome.processed else "处理中"
        inputs = _inputs(spec)
        refusal = outcome.text or ""
        missing = tuple(n for n, label in inputs if label and label in refusal)
        asks = missing or any(word in refusal for word in ASKING_WORDS)
        if inputs and asks:  # refused for want of values the card asks for: the next text message fills them
            self.set_pending(person, Pending(card_id, action, inputs, missing, now), now)
            return ASK_FILL
        return (outcome.text or "未处理")[:20]

    # --- HTTP ----------------------------------------------------------------------------------------

    async def receive(self, request: Request) -> Response:
        q = request.query_params
        sig, timestamp, nonce = q.get("msg_signature"), q.get("timestamp"), q.get("nonce")
        if not (sig and timestamp and nonce):
            return _refuse(400, "missing query parameters")
        declared = request.headers.get("content-length")
        if declared and declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
            return _refuse(413, "body too large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return _refuse(413, "body too large")
            chunks.append(chunk)
        body = b"".join(chunks)
        # isascii: "²".isdigit() is True but int("²") raises (a 500 before the signature was even checked).
        if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > MAX_AGE:
            return _refuse(403, "stale or invalid timestamp")
        try:
            plain = self.crypto.decrypt_message(envelope(body), sig, timestamp, nonce)
            msg = message(plain)
        except (InvalidSignatureException, InvalidCorpIdException) as e:
            return _refuse(403, type(e).__name__)
        except BadCallback as e:
            return _refuse(400, f"bad callback: {e}")
        except Exception as e:  # wrong AES key surfaces as UnicodeDecodeError / garbage
            return _refuse(400, f"undecryptable: {type(e).__name__}")
        person = self.deps.accounts.person_by_account(PLATFORM, msg.userid)
        if msg.kind == "event":
            return PlainTextResponse("")
        if person is None:
            log.info("wecom: unknown userid %s", msg.userid)
            return self._text(msg.userid, UNKNOWN_USER, nonce, timestamp)
        if msg.kind == "message":
            return self._text(msg.userid, UNSUPPORTED, nonce, timestamp)
        if msg.kind == "click":
            shown = await run_in_threadpool(self.deps.intake.call_urgent, self.click, msg, person.id)
            if shown is None:
                return PlainTextResponse("")
            return self._button(msg.userid, shown, nonce, timestamp)
        now = self.deps.now()
        event = InboundEvent(platform=PLATFORM, event_key=msg.key, user=person.id, at=now, text=msg.text or "")
        prepare: Prepare | None = self.prepare
        if msg.kind == "image":
            try:
                data, content_type = await run_in_threadpool(self.client.media, msg.media_id or "")
            except WeComError as e:
                log.warning("wecom: photo %s not downloaded: %s", msg.media_id, e)
                return self._text(msg.userid, IMAGE_FAILED, nonce, timestamp)
            media_id = await run_in_threadpool(self.deps.intake.call_urgent, self.keep, data, content_type)
            event, prepare = replace(event, text=None, image=media_id), None
        try:
            await self.deps.intake.store(event, prepare, then=partial(self.processed, person.id))
        except Exception:
            log.exception("wecom: callback not stored")
            return Response(status_code=503)  # WeCom retries; nothing was acknowledged
        return PlainTextResponse("")

    def keep(self, data: bytes, content_type: str) -> str:
        """Keep a downloaded photo; its media id."""
        with self.deps.uow() as u:
            media_id = u.media.put(data, content_type=content_type, now=self.deps.now())
            u.commit()
        return media_id

    def verify(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> Response:
        try:
            echo = self.crypto.check_signature(msg_signature, timestamp, nonce, echostr)
        except (InvalidSignatureException, InvalidCorpIdException) as e:
            return _refuse(403, type(e).__name__)
        except Exception as e:
            return _refuse(400, f"undecryptable echostr: {type(e).__name__}")
        return PlainTextResponse(str(echo))


def _refuse(status: int, why: str) -> Response:
    """A refused callback: logged once, nothing stored, no detail in the answer."""
    log.warning("wecom callback refused (%s): %s", status, why)
    return Response(status_code=status)


def make_router(deps: PlatformDeps, client: WeComClient) -> APIRouter:
    """GET and POST /wecom/callback."""
    cb = Callback(deps, client)
    router = APIRouter()

    @router.get("/wecom/callback")
    def verify(msg_signature: str, timestamp: str, nonce: str, echostr: str) -> Response:
        return cb.verify(msg_signature, timestamp, nonce, echostr)

    @router.post("/wecom/callback")
    async def receive(request: Request) -> Response:
        return await cb.receive(request)

    return router
