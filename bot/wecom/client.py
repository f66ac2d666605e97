"""WeCom API calls over httpx (explicit timeouts), with the access token shared through a token store.

wechatpy's client hard-codes the token URL and sets no timeouts, so only its crypto and parsing are used;
the few endpoints Kesu needs are called here, every one relative to ``api_base``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from bot import protocol

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid / expired token: evict, fetch again, retry once
# Errors retrying cannot fix (bad recipient, bad chat, bad request); everything else is retried with backoff.
PERMANENT_ERRORS = frozenset({40003, 40058, 60111, 81013, 86001, 86003, 93000})
TOKEN_MARGIN = timedelta(minutes=5)
MAX_MEDIA_BYTES = 10 * 1024 * 1024


class WeComError(Exception):
    """A failed WeCom call that may succeed later (network, 5xx, rate limit, busy): retried by the outbox."""

    def __init__(self, message: str, *, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


class PermanentDeliveryError(WeComError, protocol.PermanentDeliveryError):
    """WeCom will never accept this message (unknown user, bad chat id …): the outbox stops retrying and
    marks it dead (it subclasses bot.protocol.PermanentDeliveryError)."""


class TokenStore(Protocol):
    """Where the access token lives: the database (shared by every worker) or memory (the CLI)."""

    def get(self) -> str | None:
        """A token still valid now, or None."""
        ...

    def save(self, token: str, expires_in: int) -> None:
        """Keep a freshly fetched token for ``expires_in`` seconds (minus a margin)."""
        ...

    def evict(self, token: str) -> None:
        """Forget ``token`` (WeCom said it is invalid) unless another worker already replaced it."""
        ...


class MemoryTokens:
    """A token store for one process (the administration commands)."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.token: str | None = None
        self.expires_at: datetime | None = None

    def get(self) -> str | None:
        if self.token and self.expires_at and self.expires_at > self.now():
            return self.token
        return None

    def save(self, token: str, expires_in: int) -> None:
        self.token, self.expires_at = token, self.now() + timedelta(seconds=expires_in) - TOKEN_MARGIN

    def evict(self, token: str) -> None:
        if self.token == token:
            self.token = None


class WeComClient:
    """The WeCom endpoints Kesu uses. Raises WeComError (retryable) or PermanentDeliveryError."""

    def __init__(
        self,
        *,
        api_base: str,
        corp_id: str,
        secret: str,
        agent_id: str,
        tokens: TokenStore,
        timeout: httpx.Timeout = TIMEOUT,
        http: httpx.Client | None = None,
    ) -> None:
        self.api_base = api_base if api_base.endswith("/") else api_base + "/"
        self.corp_id = corp_id
        self.secret = secret
        self.agent_id = int(agent_id)
        self.tokens = tokens
        self.http = http or httpx.Client(timeout=timeout)
        self._lock = threading.Lock()

    # --- transport -----------------------------------------------------------------------------------

    def _http(
        self, method: str, path: str, *, params: dict[str, Any], body: Any = None, files: Any = None
    ) -> httpx.Response:
        try:
            if files is not None:
                r = self.http.request(method, self.api_base + path, params=params, files=files)
            else:
                r = self.http.request(method, self.api_base + path, params=params, json=body)
        except httpx.HTTPError as e:
            raise WeComError(f"{path}: {type(e).__name__}") from e
        if r.status_code >= 400:
            raise WeComError(f"{path}: HTTP {r.status_code}")
        return r

    @staticmethod
    def _json(path: str, r: httpx.Response) -> dict[str, Any]:
        try:
            data = r.json()
        except ValueError as e:
            raise WeComError(f"{path}: 非 JSON 应答") from e
        if not isinstance(data, dict):
            raise WeComError(f"{path}: 应答格式不对")
        return data

    def token(self) -> str:
        """The shared access token, fetched from ``gettoken`` when none is stored (once per process at a time)."""
        token = self.tokens.get()
        if token:
            return token
        with self._lock:
            token = self.tokens.get()
            if token:
                return token
            r = self._http("GET", "gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret})
            data = self._json("gettoken", r)
            if data.get("errcode", 0) != 0 or not data.get("access_token"):
                raise WeComError(f"gettoken: {data.get('errcode')} {data.get('errmsg')}", errcode=data.get("errcode"))
            token = str(data["access_token"])
            self.tokens.save(token, int(data.get("expires_in", 7200)))
            return token

    def _call(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None, files: Any = None
    ) -> httpx.Response:
        """One API call with the token; a token error evicts the token and retries once with a new one."""
        for attempt in (1, 2):
            token = self.token()
            r = self._http(method, path, params={**(params or {}), "access_token": token}, body=body, files=files)
            if r.headers.get("content-type", "").startswith(("application/json", "text/plain")):
                data = self._json(path, r)
                code = int(data.get("errcode", 0) or 0)
                if code in TOKEN_ERRORS and attempt == 1:
                    self.tokens.evict(token)
                    continue
                if code in PERMANENT_ERRORS:
                    raise PermanentDeliveryError(f"{path}: {code} {data.get('errmsg')}", errcode=code)
                if code != 0:
                    raise WeComError(f"{path}: {code} {data.get('errmsg')}", errcode=code)
            return r
        raise WeComError(f"{path}: access token rejected twice")  # pragma: no cover - loop always returns

    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST JSON to ``path``; the decoded answer (errcode 0)."""
        return self._json(path, self._call("POST", path, body=body))

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET ``path``; the decoded answer (errcode 0)."""
        return self._json(path, self._call("GET", path, params=params))

    # --- endpoints -----------------------------------------------------------------------------------

    def send(self, touser: str, message: dict[str, Any]) -> dict[str, Any]:
        """message/send to one member; an ``invaliduser`` partial failure is permanent."""
        body = {"touser": touser, "agentid": self.agent_id, **message}
        data = self.call("message/send", body)
        bad = [x for x in (data.get("invaliduser"), data.get("unlicenseduser")) if x]
        if bad:
            raise PermanentDeliveryError(f"message/send: invaliduser {'|'.join(bad)}")
        return data

    def update_card(self, userid: str, response_code: str, card: dict[str, Any]) -> dict[str, Any]:
        """message/update_template_card: replace the member's copy of a card."""
        body = {
            "userids": [userid],
            "agentid": self.agent_id,
            "response_code": response_code,
            "template_card": card,
        }
        data = self.call("message/update_template_card", body)
        if data.get("invaliduser"):
            raise PermanentDeliveryError(f"message/update_template_card: invaliduser {data['invaliduser']}")
        return data

    def appchat_send(self, chatid: str, message: dict[str, Any]) -> None:
        """appchat/send to a group the app created."""
        self.call("appchat/send", {"chatid": chatid, **message})

    def appchat_create(self, *, name: str, owner: str, userlist: list[str]) -> str:
        """appchat/create; the new chat id."""
        data = self.call("appchat/create", {"name": name, "owner": owner, "userlist": userlist})
        return str(data["chatid"])

    def webhook_send(self, key: str, message: dict[str, Any]) -> None:
        """A group robot's webhook (no access token)."""
        r = self._http("POST", "webhook/send", params={"key": key}, body=message)
        data = self._json("webhook/send", r)
        code = int(data.get("errcode", 0) or 0)
        if code in PERMANENT_ERRORS:
            raise PermanentDeliveryError(f"webhook/send: {code} {data.get('errmsg')}", errcode=code)
        if code != 0:
            raise WeComError(f"webhook/send: {code} {data.get('errmsg')}", errcode=code)

    def upload(self, kind: str, data: bytes, *, name: str, content_type: str) -> str:
        """media/upload (``image`` or ``file``, kept 3 days by WeCom); the media_id to send."""
        files = {"media": (name, data, content_type)}
        answer = self._json("media/upload", self._call("POST", "media/upload", params={"type": kind}, files=files))
        if not answer.get("media_id"):
            raise WeComError("media/upload: 没有 media_id")
        return str(answer["media_id"])

    def webhook_upload(self, key: str, data: bytes, *, name: str, content_type: str) -> str:
        """A group robot's file upload (webhook/upload_media, no access token); the media_id to send."""
        files = {"media": (name, data, content_type)}
        r = self._http("POST", "webhook/upload_media", params={"key": key, "type": "file"}, files=files)
        answer = self._json("webhook/upload_media", r)
        code = int(answer.get("errcode", 0) or 0)
        if code in PERMANENT_ERRORS:
            raise PermanentDeliveryError(f"webhook/upload_media: {code} {answer.get('errmsg')}", errcode=code)
        if code != 0 or not answer.get("media_id"):
            raise WeComError(f"webhook/upload_media: {code} {answer.get('errmsg')}", errcode=code)
        return str(answer["media_id"])

    def media(self, media_id: str) -> tuple[bytes, str]:
        """media/get: the bytes and content type of a photo someone sent (at most 10 MB)."""
        r = self._call("GET", "media/get", params={"media_id": media_id})
        if len(r.content) > MAX_MEDIA_BYTES:
            raise PermanentDeliveryError("media/get: 图片超过 10 MB")
        return r.content, r.headers.get("content-type", "application/octet-stream").split(";")[0]

    def departments(self) -> list[dict[str, Any]]:
        """department/list: every department in the app's visible range."""
        return list(self.get("department/list", {}).get("department", []))

    def users(self, department_id: int) -> list[dict[str, Any]]:
        """user/list of one department (members only, not sub-departments)."""
        return list(self.get("user/list", {"department_id": department_id}).get("userlist", []))
