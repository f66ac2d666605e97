"""`/wecom/callback`: URL verification, and every message or card click of the self-built app.

Each accepted callback is handed to the intake (``bot/intake.py``), the one way in: stored before the 200,
texts and photos processed after the answer, a card click decided at once. Only a click that took effect
replaces its button (passive ``update_button``); a refused or failed one answers empty, so the card stays usable,
and the person is told why in a text. Template cards cannot carry text inputs: a click carries the inputs its
button asks for (``Click.text_inputs``), and when the tap is refused for want of them, the person's next text
message fills them (bot/dispatch/pending.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from bot.protocol import Click, InboundEvent, Outcome, PlatformDeps
from bot.webhook import read_body
from bot.wecom import render
from bot.wecom.client import WeComClient, WeComError
from bot.wecom.parse import BadCallback, Message, envelope, message

log = logging.getLogger(__name__)

PLATFORM = "wecom"
MAX_AGE = 300  # seconds: an older (replayed) callback is refused

UNKNOWN_USER = "请联系管理员把您加入 Kesu。"
UNSUPPORTED = "暂不支持这种消息,请发送文字或图片。"
IMAGE_FAILED = "图片接收失败,请重新发送。"


def _inputs(spec: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """A button key's input spec (``name:label`` items) as (name, label) pairs."""
    out = []
    for item in spec:
        name, _, label = item.partition(":")
        out.append((name, label or name))
    return tuple(out)


def shown(outcome: Outcome | None) -> str | None:
    """The text that replaces the tapped button: only for a tap that took effect. A refused or failed tap (or a
    duplicate) answers empty, so the card keeps its buttons; the person is told why in a text message (a refusal,
    a request to type the values, a failure: the dispatcher sends each)."""
    if outcome is None or not outcome.ok:
        return None
    return "已处理" if outcome.processed else "处理中"


class Callback:
    """The callback endpoint's work, with its dependencies."""

    def __init__(self, deps: PlatformDeps, client: WeComClient) -> None:
        s = deps.settings
        self.deps = deps
        self.client = client
        self.corp_id: str = s.wecom_corp_id
        self.agent_id: str = s.wecom_agent_id
        self.crypto = WeChatCrypto(s.wecom_token, s.wecom_aes_key, s.wecom_corp_id)
        self.intake = deps.intake

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

    # --- work ----------------------------------------------------------------------------------------

    def remember(self, person: str, card_id: str, response_code: str) -> None:
        """The newest response code of this person's copy of a card: it updates the copy after the decision."""
        with self.deps.uow() as u:
            u.platform.remember_copy(
                PLATFORM, recipient=person, card_id=card_id, ref=response_code, now=self.deps.now()
            )
            u.commit()

    async def click(self, msg: Message, person: str) -> str | None:
        """Decide a tap; the text for the tapped button, None for a duplicate or a foreign key."""
        parsed = render.parse_key(msg.event_key or "")
        if parsed is None:
            return None
        card_id, action, spec = parsed
        if msg.response_code:
            await run_in_threadpool(self.intake.call_urgent, self.remember, person, card_id, msg.response_code)
        click = Click(card_id=card_id, action=action, text_inputs=_inputs(spec))
        event = InboundEvent(platform=PLATFORM, event_key=msg.key, user=person, at=self.deps.now(), click=click)
        return shown(await self.intake.decide(event))

    # --- HTTP ----------------------------------------------------------------------------------------

    async def receive(self, request: Request) -> Response:
        q = request.query_params
        sig, timestamp, nonce = q.get("msg_signature"), q.get("timestamp"), q.get("nonce")
        if not (sig and timestamp and nonce):
            return _refuse(400, "missing query parameters")
        body = await read_body(request)
        if body is None:
            return _refuse(413, "body too large")
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
            text = await self.click(msg, person.id)
            return PlainTextResponse("") if text is None else self._button(msg.userid, text, nonce, timestamp)
        event = InboundEvent(
            platform=PLATFORM, event_key=msg.key, user=person.id, at=self.deps.now(), text=msg.text or ""
        )
        if msg.kind == "image":
            try:
                data, content_type = await run_in_threadpool(self.client.media, msg.media_id or "")
            except WeComError as e:
                log.warning("wecom: photo %s not downloaded: %s", msg.media_id, e)
                return self._text(msg.userid, IMAGE_FAILED, nonce, timestamp)
            event = replace(event, text=None, image=await self.intake.keep_media(data, content_type))
        try:
            await self.intake.store(event)
        except Exception:
            log.exception("wecom: callback not stored")
            return Response(status_code=503)  # WeCom retries; nothing was acknowledged
        return PlainTextResponse("")

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
