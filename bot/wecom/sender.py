"""The WeCom outbox sender: people get text, markdown or template cards; groups get appchat or webhook messages."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.accounts import Accounts
from bot.wecom import render
from bot.wecom.client import PermanentDeliveryError, WeComClient, WeComError
from core.messages import Delivery, RecipientKind
from core.ports import UnitOfWork

log = logging.getLogger(__name__)

PLATFORM = "wecom"
BODY_PLATFORM = "wecom-body"  # in the platform state table: which delivery first sent a body to a person
# WeCom drops a message/send whose request JSON equals one accepted within the interval (at most 4 hours): a
# re-send of one delivery is the same request (template cards carry a task id per delivery, texts see _once).
DUPLICATE_CHECK = {"enable_duplicate_check": 1, "duplicate_check_interval": 4 * 3600}


class DbTokens:
    """The access token in the database: one token for every worker and replica."""

    def __init__(self, uow: Callable[[], UnitOfWork], now: Callable[[], datetime]) -> None:
        self.uow = uow
        self.now = now

    def get(self) -> str | None:
        with self.uow() as u:
            return u.platform.token(PLATFORM, now=self.now())

    def save(self, token: str, expires_in: int) -> None:
        expires = self.now() + timedelta(seconds=expires_in) - timedelta(minutes=5)
        with self.uow() as u:
            u.platform.save_token(PLATFORM, token, expires_at=expires)
            u.commit()

    def evict(self, token: str) -> None:
        with self.uow() as u:
            if u.platform.token(PLATFORM, now=self.now()) == token:
                u.platform.save_token(PLATFORM, token, expires_at=self.now() - timedelta(seconds=1))
                u.commit()


class WeComSender:
    """Sends one outbox delivery; raises WeComError (retry) or PermanentDeliveryError (report, stop)."""

    def __init__(
        self, *, client: WeComClient, accounts: Accounts, uow: Callable[[], UnitOfWork], now: Callable[[], datetime]
    ) -> None:
        self.client = client
        self.accounts = accounts
        self.uow = uow
        self.now = now

    def send(self, delivery: Delivery) -> None:
        """Deliver or raise. A message with an ``image`` or ``file`` (a stored media id) is that attachment."""
        for part in ("image", "file"):
            media_id = delivery.payload.get(part)
            if isinstance(media_id, str) and media_id:
                self._attachment(delivery, part, media_id)
                return
        if delivery.recipient.kind is RecipientKind.CHAT:
            self._to_chat(delivery)
        else:
            self._to_person(delivery)

    def _attachment(self, d: Delivery, part: str, media_id: str) -> None:
        """A chart (image) or report (file): uploaded, then sent to the person, the app's group, or a robot."""
        with self.uow() as u:
            media = u.media.get(media_id)
        if media is None:
            raise PermanentDeliveryError(f"{part} {media_id} 不存在")
        content_type, data = media
        name = str(d.payload.get("file_name") or f"{media_id}.{'png' if part == 'image' else 'bin'}")
        if d.recipient.kind is RecipientKind.CHAT:
            chat = self.accounts.chat(d.recipient.id)
            if chat is None:
                raise PermanentDeliveryError(f"未知的群 {d.recipient.id}")
            if chat.wecom:
                uploaded = self.client.upload(part, data, name=name, content_type=content_type)
                self.client.appchat_send(chat.wecom, {"msgtype": part, part: {"media_id": uploaded}})
            elif chat.wecom_webhook and part == "image":  # a robot takes images inline (base64 + md5, 2 MB)
                image = {"base64": base64.b64encode(data).decode(), "md5": hashlib.md5(data).hexdigest()}
                self.client.webhook_send(chat.wecom_webhook, {"msgtype": "image", "image": image})
            elif chat.wecom_webhook:
                uploaded = self.client.webhook_upload(chat.wecom_webhook, data, name=name, content_type=content_type)
                self.client.webhook_send(chat.wecom_webhook, {"msgtype": "file", "file": {"media_id": uploaded}})
            else:
                raise PermanentDeliveryError(f"群 {chat.id} 没有配置 wecom 或 wecom_webhook")
            return
        userid = self.accounts.account(PLATFORM, d.recipient.id)
        if userid is None:
            raise PermanentDeliveryError(f"未知的人员 {d.recipient.id}")
        uploaded = self.client.upload(part, data, name=name, content_type=content_type)
        self.client.send(userid, {"msgtype": part, part: {"media_id": uploaded}})

    def _to_chat(self, d: Delivery) -> None:
        chat = self.accounts.chat(d.recipient.id)
        if chat is None:
            raise PermanentDeliveryError(f"未知的群 {d.recipient.id}")
        body = self._group_body(d.payload)
        if chat.wecom:
            self.client.appchat_send(chat.wecom, body)
        elif chat.wecom_webhook:
            self.client.webhook_send(chat.wecom_webhook, body)
        else:
            raise PermanentDeliveryError(f"群 {chat.id} 没有配置 wecom 或 wecom_webhook")

    @staticmethod
    def _group_body(payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("card"):
            return render.markdown_message(payload)
        return render.text_message(str(payload.get("text") or ""))

    def _to_person(self, d: Delivery) -> None:
        person_id = d.recipient.id
        userid = self.accounts.account(PLATFORM, person_id)
        if userid is None:
            raise PermanentDeliveryError(f"未知的人员 {person_id}")
        card = d.payload.get("card")
        if not card:
            self.client.send(userid, self._once(userid, render.text_message(str(d.payload.get("text") or "")), d))
            return
        card_id = str(card["id"])
        with self.uow() as u:
            copy = u.platform.copy_of(PLATFORM, recipient=person_id, card_id=card_id)
        created = d.created_at.isoformat() if d.created_at else ""
        task = render.task_id(card_id, d.id, f"{d.key}|{created}")
        if copy and self._update(userid, copy, render.template_card(d.payload, task=task)):
            self._remember(person_id, card_id, "")  # a response code works once
            return
        if not card.get("actions"):
            self.client.send(userid, self._once(userid, render.markdown_message(d.payload), d))
            return
        answer = self.client.send(userid, {**render.card_message(d.payload, task=task), **DUPLICATE_CHECK})
        code = answer.get("response_code")
        if code:
            self._remember(person_id, card_id, str(code))

    def _once(self, userid: str, body: dict[str, Any], d: Delivery) -> dict[str, Any]:
        """``body`` with WeCom's duplicate check when this delivery is the first to send exactly this body to
        this person, so a re-send after a lost answer (a timeout, a worker killed before it marked the row sent)
        is dropped by WeCom. The check compares the request JSON, so a later delivery with the same words (a
        second 「怎么用」 answer) goes without it: WeCom would drop it as a duplicate of the first. The first
        delivery is claimed in the database (an insert only one transaction can make), whatever the workers."""
        digest = hashlib.sha256(json.dumps([userid, body], sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        digest = digest[:40]
        with self.uow() as u:
            owner = u.platform.copy_of(BODY_PLATFORM, recipient=userid, card_id=digest)
            if owner is None and u.nags.claim(f"{BODY_PLATFORM}:{digest}", at=self.now()):
                u.platform.remember_copy(BODY_PLATFORM, recipient=userid, card_id=digest, ref=d.key, now=self.now())
                u.commit()
                owner = d.key
        return {**body, **DUPLICATE_CHECK} if owner == d.key else body

    def _update(self, userid: str, code: str, card: dict[str, Any]) -> bool:
        """Replace the person's copy; False when WeCom refuses the code (used or expired): send a new card."""
        try:
            self.client.update_card(userid, code, card)
        except PermanentDeliveryError:
            raise
        except WeComError as e:
            if e.errcode is None:
                raise  # network or 5xx: retry the delivery later
            log.info("update_template_card refused (%s); sending a new card", e.errcode)
            return False
        return True

    def _remember(self, person_id: str, card_id: str, code: str) -> None:
        with self.uow() as u:
            u.platform.remember_copy(PLATFORM, recipient=person_id, card_id=card_id, ref=code, now=self.now())
            u.commit()
