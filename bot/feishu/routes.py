"""``POST /feishu/events`` and ``POST /feishu/card``: verify, decrypt, store, acknowledge.

Events are handed to the intake (``bot/intake.py``), the one way in: stored before the 200 and processed
after the response, in the background; a card tap is decided at once and answered inline with a toast and the
tapper's updated card (Feishu allows 3 s). Refusals are
4xx with a fixed body (never an exception's text); every event type Kesu does not act on gets a 200, so
Feishu never retries it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bot.feishu import parse, render
from bot.feishu.client import INLINE, PLATFORM, FeishuClient, recipient_key
from bot.protocol import Click, InboundEvent, Outcome, PlatformDeps
from bot.webhook import read_body

log = logging.getLogger(__name__)

ASK_ADMIN = "请联系管理员把您加入 Kesu"
_REFUSALS = {400: "bad request", 401: "unauthorized", 403: "forbidden", 413: "payload too large"}


_FAILED = {"toast": {"type": "error", "content": "系统出错,请稍后再试。"}}


def _refuse(status: int) -> JSONResponse:
    return JSONResponse({"msg": _REFUSALS.get(status, "refused")}, status_code=status)


@dataclass
class FeishuRoutes:
    """The webhook endpoints of one Kesu process."""

    deps: PlatformDeps
    client: FeishuClient
    keys: parse.Keys
    decrypt: Callable[[str], str]
    choices: Mapping[str, Sequence[tuple[str, str]]]

    def __post_init__(self) -> None:
        self.chats = self.deps.accounts.chats_on(PLATFORM)
        self.names = {account: p.name for account, p in self.deps.accounts.people_on(PLATFORM).items()}
        self.intake = self.deps.intake

    def router(self) -> APIRouter:
        """The FastAPI router with both endpoints."""
        router = APIRouter()
        router.add_api_route("/feishu/events", self.events, methods=["POST"], include_in_schema=False)
        router.add_api_route("/feishu/card", self.card, methods=["POST"], include_in_schema=False)
        return router

    async def _payload(self, request: Request) -> dict[str, Any]:
        body = await read_body(request)
        if body is None:
            raise parse.Rejected(413, "body too large")
        # request.headers is Starlette's case-insensitive Headers (a lower-cased dict would lose the signature).
        return parse.open_envelope(body, request.headers, keys=self.keys, now=time.time(), decrypt=self.decrypt)

    async def events(self, request: Request) -> JSONResponse:
        """Event subscription: challenge, messages, card taps (when the same URL is used), the rest ignored."""
        return await self._event(request)

    async def _opened(self, request: Request, what: str) -> tuple[dict[str, Any], str] | JSONResponse:
        """The verified, decrypted payload and its type; or the answer itself (a refusal or the challenge)."""
        try:
            payload = await self._payload(request)
        except parse.Rejected as r:
            log.warning("feishu %s refused (%s): %s", what, r.status, r.reason)
            return _refuse(r.status)
        kind = parse.event_type(payload)
        if kind == "url_verification":
            return JSONResponse({"challenge": str(payload.get("challenge", ""))})
        return payload, kind

    async def _event(self, request: Request) -> JSONResponse:
        opened = await self._opened(request, "event")
        if isinstance(opened, JSONResponse):
            return opened
        payload, kind = opened
        if kind == "card.action.trigger":
            return await self._tap(payload)
        if kind == "im.message.receive_v1":
            try:
                await self._message(payload)
            except Exception:
                log.exception("feishu message not stored")
                return JSONResponse({"msg": "try again"}, status_code=503)  # Feishu retries; nothing was lost
        elif kind == "im.chat.member.bot.added_v1":
            event = payload.get("event")
            chat_id = event.get("chat_id") if isinstance(event, dict) else None  # any shape: never a 500
            log.info("Kesu was added to Feishu chat %s: add it to kesu.toml [[chats]] feishu = ...", chat_id)
        else:
            log.debug("feishu event %r ignored", kind)
        return JSONResponse({"msg": "success"})

    async def card(self, request: Request) -> JSONResponse:
        """Card callbacks (``card.action.trigger``): answered inline with a toast and the updated card."""
        return await self._card(request)

    async def _card(self, request: Request) -> JSONResponse:
        opened = await self._opened(request, "card callback")
        if isinstance(opened, JSONResponse):
            return opened
        payload, kind = opened
        if kind != "card.action.trigger":
            return JSONResponse({})
        return await self._tap(payload)

    # --- messages -----------------------------------------------------------------------------------

    async def _message(self, payload: Mapping[str, Any]) -> None:
        accepted = self._addressed(payload)
        if accepted is None:
            return
        msg, user = accepted
        image: str | None = None
        if msg.message_type == "image" and msg.image_key:
            data, content_type = await run_in_threadpool(self._image, msg.message_id, msg.image_key)
            image = await self.intake.keep_media(data, content_type)
        await self.intake.store(self._inbound(msg, user, image))

    def _addressed(self, payload: Mapping[str, Any]) -> tuple[parse.Message, str] | None:
        """A message for Kesu from a known person (and that person's id); unknown people are told to ask an
        admin, and group messages that do not mention Kesu are ignored."""
        msg = parse.message(payload)
        if msg is None or msg.sender_type != "user":
            return None
        if msg.chat_type != "p2p" and not any(oid not in self.names for _, oid, _ in msg.mentions):
            return None  # a group message not addressed to Kesu
        person = self.deps.accounts.person_by_account(PLATFORM, msg.open_id)
        if person is None:
            self.intake.later(self._ask_admin, msg.open_id, msg.event_id)
            return None
        return msg, person.id

    def _inbound(self, msg: parse.Message, user: str, image: str | None) -> InboundEvent:
        text = parse.strip_mentions(msg.text, msg.mentions, self.names) if msg.text is not None else None
        return InboundEvent(
            platform=PLATFORM,
            event_key=msg.event_id,
            user=user,
            at=self.deps.now(),
            chat=self.chats.get(msg.chat_id) if msg.chat_type != "p2p" else None,
            text=text,
            image=image,
        )

    # --- the long connection (bot/feishu/ws.py) --------------------------------------------------------

    def on_frame(self, payload: bytes) -> dict[str, Any] | None:
        """One event from the long connection (plain JSON: the connection itself is authenticated). Runs on
        the connection's loop: messages are stored and processed later; a tap is decided at once and its
        answer (toast and card) goes back in the frame's ACK. Raising makes lark answer 500, and Feishu
        sends the event again."""
        try:
            data = json.loads(payload)
        except ValueError:
            log.warning("feishu long connection: a frame that is not JSON was ignored")
            return None
        if not isinstance(data, dict):
            return None
        kind = parse.event_type(data)
        if kind == "card.action.trigger":
            tap = parse.card_action(data)
            return self._decide_now(tap) if tap else {}
        if kind == "im.message.receive_v1":
            accepted = self._addressed(data)
            if accepted is None:
                return None
            msg, user = accepted
            image: str | None = None
            if msg.message_type == "image" and msg.image_key:
                image = self.intake.keep_media_now(*self._image(msg.message_id, msg.image_key))
            self.intake.submit(self._inbound(msg, user, image)).result(timeout=10)
        return None

    def _image(self, message_id: str, image_key: str) -> tuple[bytes, str]:
        """A photo someone sent (its bytes and content type), downloaded from Feishu."""
        return self.client.message_resource(message_id, image_key, kind="image")

    def _ask_admin(self, open_id: str, event_id: str) -> None:
        try:
            self.client.send_message(
                receive_id_type="open_id",
                receive_id=open_id,
                msg_type="text",
                content=render.text_content(ASK_ADMIN),
                uuid=f"ask-admin-{event_id}"[:50],
            )
        except Exception as e:
            log.warning("could not tell unknown Feishu user %s to ask an admin: %s", open_id, e)

    # --- card taps ----------------------------------------------------------------------------------

    async def _tap(self, payload: Mapping[str, Any]) -> JSONResponse:
        tap = parse.card_action(payload)
        if tap is None:
            return JSONResponse({})
        tapped = self._tapped(tap)
        if isinstance(tapped, dict):
            return JSONResponse(tapped)
        try:
            outcome = await self.intake.decide(tapped)
        except Exception:
            log.exception("feishu card tap %s failed", tap.event_id)
            return JSONResponse(_FAILED)
        return JSONResponse(await run_in_threadpool(self.intake.call_urgent, self._answer, tapped.user, tap, outcome))

    def _decide_now(self, tap: parse.CardAction) -> dict[str, Any]:
        """``_tap`` for the long connection's thread."""
        tapped = self._tapped(tap)
        if isinstance(tapped, dict):
            return tapped
        try:
            outcome = self.intake.decide_now(tapped)
        except Exception:
            log.exception("feishu card tap %s failed", tap.event_id)
            return _FAILED
        return self.intake.call_urgent(self._answer, tapped.user, tap, outcome)

    def _tapped(self, tap: parse.CardAction) -> InboundEvent | dict[str, Any]:
        """The tap as an event; or the answer for a tapper Kesu does not know."""
        person = self.deps.accounts.person_by_account(PLATFORM, tap.open_id)
        if person is None:
            return {"toast": {"type": "error", "content": ASK_ADMIN}}
        return InboundEvent(
            platform=PLATFORM,
            event_key=tap.event_id,
            user=person.id,
            at=self.deps.now(),
            chat=self.chats.get(tap.open_chat_id),
            click=Click(card_id=tap.card_id, action=tap.action, values=dict(tap.values)),
        )

    def _answer(self, user: str, tap: parse.CardAction, outcome: Outcome | None) -> dict[str, Any]:
        if outcome is None:  # a redelivered tap
            return {"toast": {"type": "info", "content": "已处理"}}
        texts = [str(r["text"]) for r in outcome.replies if r.get("text")]
        toast = outcome.text or (texts[-1] if texts else None) or "已处理"
        answer: dict[str, Any] = {
            "toast": {"type": "success" if outcome.ok and outcome.processed else "error", "content": toast[:200]}
        }
        reply = next((r for r in reversed(outcome.replies) if isinstance(r.get("card"), dict)), None)
        if reply is None or not tap.open_message_id:
            return answer
        card: dict[str, Any] = reply["card"]
        who = recipient_key("user", user)
        with self.deps.uow() as u:
            mine = u.platform.copy_of(PLATFORM, recipient=who, card_id=tap.card_id)
        private = mine is not None and mine.removeprefix(INLINE) == tap.open_message_id
        if not private and card.get("id") != tap.card_id:
            return answer  # a shared (group) card is not turned into this person's next card
        text = reply.get("text")
        answer["card"] = {
            "type": "raw",
            "data": render.card(card, text=text if isinstance(text, str) else None, choices=self.choices),
        }
        if private:
            # The tapped message now shows this card: its outbox copy for the tapper updates it in place.
            with self.deps.uow() as u:
                u.platform.remember_copy(
                    PLATFORM,
                    recipient=who,
                    card_id=str(card.get("id")),
                    ref=INLINE + tap.open_message_id,
                    now=self.deps.now(),
                )
                u.commit()
        return answer
