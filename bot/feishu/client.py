"""The Feishu open-platform API over httpx (explicit timeouts), and the outbox sender built on it.

The tenant_access_token lives in the database (``uow.platform``), shared by every worker and replica;
lark-oapi's process-global token cache is not used. A reply saying the token is invalid evicts it and the
call is retried once with a fresh one. Rate limits, 5xx and replies that are not JSON raise
``FeishuRetryable`` (the outbox retries with backoff); a request Feishu refuses for good raises
``PermanentDeliveryError``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.accounts import Accounts
from bot.feishu import render
from bot.protocol import PermanentDeliveryError
from core.messages import Delivery, RecipientKind
from core.ports import UnitOfWork

__all__ = ["FeishuClient", "FeishuError", "FeishuRetryable", "FeishuSender", "PermanentDeliveryError"]

log = logging.getLogger(__name__)

PLATFORM = "feishu"
RATE_LIMITED = frozenset({99991400, 11232, 230020})
TOKEN_INVALID = frozenset({99991661, 99991663, 99991664, 99991665, 99991666, 99991668})
TOKEN_MARGIN = timedelta(minutes=5)  # a stored token is used until 5 minutes before it expires
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class FeishuError(Exception):
    """An open-platform call failed; ``code`` is Feishu's code (or the HTTP status when there is none)."""

    def __init__(self, message: str, *, code: int = 0, status: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class FeishuRetryable(FeishuError):
    """Worth trying again later: rate limited, a server error, a timeout, a reply that is not JSON."""


class FeishuPermanent(FeishuError, PermanentDeliveryError):
    """Feishu refused the request for good (e.g. the recipient is not in the app's scope)."""


Now = Callable[[], datetime]


class FeishuClient:
    """The few endpoints Kesu calls, with the token taken from (and kept in) the database."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        domain: str,
        uow: Callable[[], UnitOfWork],
        now: Now,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.uow = uow
        self.now = now
        self.http = httpx.Client(base_url=domain.rstrip("/"), timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    # --- transport ----------------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TimeoutException as e:
            raise FeishuRetryable(f"{method} {path}: timed out ({type(e).__name__})") from None
        except httpx.TransportError as e:
            raise FeishuRetryable(f"{method} {path}: {type(e).__name__}") from None

    @staticmethod
    def _json(resp: httpx.Response, what: str) -> dict[str, Any]:
        """The reply's JSON object; a reply that is not JSON (a proxy's HTML error page) is retryable."""
        try:
            data = resp.json()
        except ValueError:
            raise FeishuRetryable(f"{what}: HTTP {resp.status_code}, not JSON", status=resp.status_code) from None
        if not isinstance(data, dict):
            raise FeishuRetryable(f"{what}: HTTP {resp.status_code}, not a JSON object", status=resp.status_code)
        return data

    @staticmethod
    def _check(resp: httpx.Response, data: Mapping[str, Any], what: str) -> None:
        code = data.get("code", 0)
        code = code if isinstance(code, int) else -1
        if resp.status_code < 400 and code == 0:
            return
        msg = f"{what}: HTTP {resp.status_code}, code {code} {str(data.get('msg', ''))[:200]}"
        if resp.status_code == 429 or code in RATE_LIMITED or resp.status_code >= 500:
            raise FeishuRetryable(msg, code=code, status=resp.status_code)
        if 400 <= resp.status_code < 500 and code != 0:
            raise FeishuPermanent(msg, code=code, status=resp.status_code)
        raise FeishuRetryable(msg, code=code, status=resp.status_code)

    # --- token --------------------------------------------------------------------------------------

    def token(self) -> str:
        """The tenant_access_token: the stored one while valid, else a fresh one (stored for everyone)."""
        now = self.now()
        with self.uow() as u:
            stored = u.platform.token(PLATFORM, now=now + TOKEN_MARGIN)
        if stored:
            return stored
        what = "tenant_access_token"
        resp = self._send(
            "POST",
            "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": self.app_id, "app_secret": self.app_secret},
        )
        data = self._json(resp, what)
        token, expire = data.get("tenant_access_token"), data.get("expire")
        if resp.status_code >= 400 or data.get("code") != 0 or not isinstance(token, str) or not token:
            # Wrong app id/secret is a configuration error: keep retrying (the admin fixes it), say so.
            raise FeishuRetryable(f"{what}: HTTP {resp.status_code}, code {data.get('code')}", status=resp.status_code)
        seconds = expire if isinstance(expire, int) and expire > 0 else 7200
        with self.uow() as u:
            u.platform.save_token(PLATFORM, token, expires_at=now + timedelta(seconds=seconds))
            u.commit()
        return token

    def evict(self) -> None:
        """Forget the stored token (Feishu said it is invalid)."""
        with self.uow() as u:
            u.platform.save_token(PLATFORM, "", expires_at=datetime(1970, 1, 1, tzinfo=self.now().tzinfo))
            u.commit()

    def call(self, method: str, path: str, *, what: str, **kwargs: Any) -> dict[str, Any]:
        """An authorised call; the reply's ``data`` object. An invalid token is replaced and tried once more."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token()}"}
            resp = self._send(method, path, headers=headers, **kwargs)
            data = self._json(resp, what)
            if data.get("code") in TOKEN_INVALID:
                self.evict()
                if attempt == 1:
                    continue
                raise FeishuRetryable(f"{what}: token rejected twice", code=int(data["code"]), status=resp.status_code)
            self._check(resp, data, what)
            body = data.get("data")
            return body if isinstance(body, dict) else {}
        raise AssertionError("unreachable")

    def download(self, path: str, *, what: str) -> tuple[bytes, str]:
        """Bytes and content type of a resource; errors as for ``call``."""
        for attempt in (1, 2):
            resp = self._send("GET", path, headers={"Authorization": f"Bearer {self.token()}"})
            if resp.status_code == 200 and not resp.headers.get("content-type", "").startswith("application/json"):
                return resp.content, resp.headers.get("content-type", "application/octet-stream").split(";")[0]
            data = self._json(resp, what)
            if data.get("code") in TOKEN_INVALID and attempt == 1:
                self.evict()
                continue
            self._check(resp, data, what)
            raise FeishuRetryable(f"{what}: JSON instead of the file", status=resp.status_code)
        raise AssertionError("unreachable")

    # --- messages -----------------------------------------------------------------------------------

    def send_message(self, *, receive_id_type: str, receive_id: str, msg_type: str, content: str, uuid: str) -> str:
        """``POST im/v1/messages``; the new message_id. ``uuid`` makes a retried send idempotent (1 h)."""
        data = self.call(
            "POST",
            "/open-apis/im/v1/messages",
            what="send message",
            params={"receive_id_type": receive_id_type},
            json={"receive_id": receive_id, "msg_type": msg_type, "content": content, "uuid": uuid},
        )
        return str(data.get("message_id") or "")

    def patch_message(self, message_id: str, content: str) -> None:
        """``PATCH im/v1/messages/{id}``: replace a (shared) card's content."""
        self.call("PATCH", f"/open-apis/im/v1/messages/{message_id}", what="patch card", json={"content": content})

    def upload_image(self, data: bytes, *, content_type: str) -> str:
        """``POST im/v1/images``; the image_key."""
        files = {"image": ("image", data, content_type)}
        out = self.call(
            "POST", "/open-apis/im/v1/images", what="upload image", data={"image_type": "message"}, files=files
        )
        return str(out.get("image_key") or "")

    def upload_file(self, data: bytes, *, name: str, content_type: str) -> str:
        """``POST im/v1/files``; the file_key."""
        kind = (
            "pdf" if name.lower().endswith(".pdf") else "xls" if name.lower().endswith((".xls", ".xlsx")) else "stream"
        )
        files = {"file": (name, data, content_type)}
        out = self.call(
            "POST",
            "/open-apis/im/v1/files",
            what="upload file",
            data={"file_type": kind, "file_name": name},
            files=files,
        )
        return str(out.get("file_key") or "")

    def message_resource(self, message_id: str, key: str, *, kind: str = "image") -> tuple[bytes, str]:
        """A message's image or file: ``GET im/v1/messages/{id}/resources/{key}?type=…``."""
        return self.download(f"/open-apis/im/v1/messages/{message_id}/resources/{key}?type={kind}", what="download")

    def paged(self, path: str, params: Mapping[str, Any], *, what: str) -> list[dict[str, Any]]:
        """Every item of a paged GET (``items``, ``has_more``, ``page_token``)."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query = {**params, **({"page_token": token} if token else {})}
            data = self.call("GET", path, what=what, params=query)
            items += [i for i in data.get("items") or [] if isinstance(i, dict)]
            token = data.get("page_token")
            if not data.get("has_more") or not token:
                return items


def _uuid(key: str, part: str) -> str:
    """Feishu's idempotency key (at most 50 characters) for one part of one outbox message."""
    return hashlib.sha256(f"{key}:{part}".encode()).hexdigest()[:40]


INLINE = "inline:"  # a copy that is the very message the person tapped (answered in place)


def recipient_key(kind: str, rid: str) -> str:
    """How card copies name a recipient: ``user:qa1``, ``chat:qa``."""
    return f"{kind}:{rid}"


class FeishuSender:
    """Sends outbox messages: text, cards (a later card-only message with the same card id updates every
    copy in place), and optional image / file attachments (payload keys ``image`` / ``file``: media ids)."""

    def __init__(
        self,
        client: FeishuClient,
        accounts: Accounts,
        *,
        choices: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    ) -> None:
        self.client = client
        self.accounts = accounts
        self.choices = dict(choices or {})

    def _target(self, delivery: Delivery) -> tuple[str, str]:
        to = delivery.recipient
        if to.kind is RecipientKind.CHAT:
            chat = self.accounts.chat(to.id)
            if chat is None or not chat.feishu:
                raise PermanentDeliveryError(f"chat {to.id} has no feishu chat_id")
            return "chat_id", chat.feishu
        open_id = self.accounts.account(PLATFORM, to.id)
        if not open_id:
            raise PermanentDeliveryError(f"person {to.id} has no feishu open_id")
        return "open_id", open_id

    def send(self, delivery: Delivery) -> None:
        """Deliver one outbox message, or raise."""
        id_type, receive_id = self._target(delivery)
        payload = delivery.payload
        text, neutral = payload.get("text"), payload.get("card")
        key = delivery.key

        def send(msg_type: str, content: str, part: str) -> str:
            return self.client.send_message(
                receive_id_type=id_type,
                receive_id=receive_id,
                msg_type=msg_type,
                content=content,
                uuid=_uuid(key, part),
            )

        if isinstance(neutral, dict):
            self._card(delivery, neutral, text if isinstance(text, str) else None, send)
        elif isinstance(text, str) and text:
            send("text", render.text_content(text), "text")
        for part in ("image", "file"):
            media_id = payload.get(part)
            if isinstance(media_id, str) and media_id:
                self._attachment(part, media_id, payload, send)

    def _card(self, delivery: Delivery, neutral: dict[str, Any], text: str | None, send: Callable[..., str]) -> None:
        content = render.card_content(neutral, text=text, choices=self.choices)
        who = recipient_key(delivery.recipient.kind.value, delivery.recipient.id)
        card_id = str(neutral.get("id"))
        with self.client.uow() as u:
            copy = u.platform.copy_of(PLATFORM, recipient=who, card_id=card_id)
        if copy and (copy.startswith(INLINE) or not text):
            message_id = copy.removeprefix(INLINE)
            try:
                self.client.patch_message(message_id, content)
            except FeishuPermanent as e:  # too old (14 days) or gone: send a new copy instead
                log.info("card %s copy %s not patchable (%s); sending a new one", card_id, message_id, e)
            else:
                if copy.startswith(INLINE):
                    self._remember(who, card_id, message_id)
                return
        message_id = send("interactive", content, "card")
        if message_id:
            self._remember(who, card_id, message_id)

    def _remember(self, who: str, card_id: str, ref: str) -> None:
        with self.client.uow() as u:
            u.platform.remember_copy(PLATFORM, recipient=who, card_id=card_id, ref=ref, now=self.client.now())
            u.commit()

    def _attachment(self, part: str, media_id: str, payload: Mapping[str, Any], send: Callable[..., str]) -> None:
        with self.client.uow() as u:
            media = u.media.get(media_id)
        if media is None:
            raise PermanentDeliveryError(f"{part} {media_id} is not stored")
        content_type, data = media
        if part == "image":
            image_key = self.client.upload_image(data, content_type=content_type)
            send("image", json.dumps({"image_key": image_key}), "image")
            return
        name = str(payload.get("file_name") or f"{media_id}.bin")
        file_key = self.client.upload_file(data, name=name, content_type=content_type)
        send("file", json.dumps({"file_key": file_key}), "file")
