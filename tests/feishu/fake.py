"""A fake Feishu open platform (a real HTTP server on 127.0.0.1) that records every request, and requests
encrypted and signed the way Feishu sends them."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from Crypto.Cipher import AES
from fastapi import FastAPI, Request, Response

APP_ID = "cli_test"
APP_SECRET = "secret"
VERIFICATION_TOKEN = "vtoken"
ENCRYPT_KEY = "ekey-0123456789"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Call:
    """One request the fake received, and the HTTP status it was answered with."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    result: dict[str, Any] = field(default_factory=dict)
    duplicate: bool = False  # a send whose uuid was accepted within the hour: no second message

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Canned:
    """A reply to give instead of the normal one: HTTP status, body, content type, delay in seconds."""

    status: int = 200
    body: bytes | dict[str, Any] = b""
    content_type: str = "application/json"
    delay: float = 0.0


@dataclass
class FakeFeishu:
    """The endpoints Kesu uses. ``canned`` replies are consumed first by the next im/v1 calls."""

    calls: list[Call] = field(default_factory=list)
    canned: list[Canned] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    resources: dict[str, bytes] = field(default_factory=dict)
    contacts: dict[str, Any] = field(default_factory=dict)
    port: int = 0
    ws_url: str = ""  # where the long-connection endpoint sends clients (a FakeLongConnection)
    # Failures of message sends: ``refuse(call)`` returns a status to answer with before accepting (nothing
    # sent); ``after(call)``, once the message was accepted, returns a status to answer instead (the answer is
    # lost) or None.
    refuse: Callable[[Call], int | None] | None = None
    after: Callable[[Call], int | None] | None = None
    uuids: dict[str, tuple[float, str]] = field(default_factory=dict)  # receive_id:uuid -> (when, message_id)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = self._build()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what was received --------------------------------------------------------------------------

    def token_requests(self) -> list[Call]:
        return [c for c in self.calls if c.path.endswith("/tenant_access_token/internal")]

    def sent(self) -> list[dict[str, Any]]:
        """Messages sent: receive_id_type, receive_id, msg_type, content (decoded), uuid, message_id."""
        out = []
        for c in self.calls:
            if c.method == "POST" and c.path == "/open-apis/im/v1/messages" and c.result and not c.duplicate:
                body = c.json()
                out.append(
                    {
                        "receive_id_type": c.query.get("receive_id_type"),
                        "receive_id": body["receive_id"],
                        "msg_type": body["msg_type"],
                        "content": json.loads(body["content"]),
                        "uuid": body.get("uuid"),
                        "message_id": c.result.get("message_id"),
                    }
                )
        return out

    def patched(self) -> list[tuple[str, dict[str, Any]]]:
        """(message_id, card) of every PATCH."""
        return [
            (c.path.rsplit("/", 1)[1], json.loads(c.json()["content"]))
            for c in self.calls
            if c.method == "PATCH" and c.path.startswith("/open-apis/im/v1/messages/") and c.status == 200
        ]

    def forget(self) -> None:
        self.calls.clear()

    # --- the server ---------------------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()
        fake = self

        def reply(status: int, body: dict[str, Any]) -> Response:
            return Response(json.dumps(body), status_code=status, media_type="application/json")

        async def record(request: Request) -> tuple[Call, Canned | None]:
            call = Call(
                request.method,
                request.url.path,
                dict(request.query_params),
                dict(request.headers),
                await request.body(),
            )
            with fake._lock:
                fake.calls.append(call)
                canned = fake.canned.pop(0) if fake.canned and "/im/v1/" in call.path else None
            return call, canned

        def authorised(call: Call) -> bool:
            return call.headers.get("authorization", "").removeprefix("Bearer ") in fake.valid_tokens

        async def answer(
            request: Request, ok: dict[str, Any], accept: Callable[[Call, dict[str, Any]], Response] | None = None
        ) -> Response:
            call, canned = await record(request)
            if canned is not None:
                if canned.delay:
                    time.sleep(canned.delay)  # the server being slow, not the test waiting
                body = canned.body if isinstance(canned.body, bytes) else json.dumps(canned.body).encode()
                call.status = canned.status
                return Response(body, status_code=canned.status, media_type=canned.content_type)
            if not authorised(call):
                call.status = 400
                return reply(400, {"code": 99991663, "msg": "Invalid access token for authorization."})
            if accept is not None:
                return accept(call, ok)
            call.status, call.result = 200, ok
            return reply(200, {"code": 0, "msg": "success", "data": ok})

        @app.post("/open-apis/auth/v3/tenant_access_token/internal")
        async def token(request: Request) -> Response:
            call, _ = await record(request)
            body = call.json()
            if body != {"app_id": APP_ID, "app_secret": APP_SECRET}:
                return reply(200, {"code": 10014, "msg": "app secret invalid"})
            tok = f"t-{next(fake._ids)}"
            fake.valid_tokens.add(tok)
            return reply(200, {"code": 0, "msg": "ok", "tenant_access_token": tok, "expire": 7200})

        @app.post("/callback/ws/endpoint")
        async def ws_endpoint(request: Request) -> Response:
            call, _ = await record(request)
            if call.json().get("AppSecret") != APP_SECRET or not fake.ws_url:
                return reply(200, {"code": 1000040343, "msg": "app secret invalid"})
            config = {"ReconnectCount": 0, "ReconnectInterval": 1, "ReconnectNonce": 0, "PingInterval": 120}
            return reply(200, {"code": 0, "data": {"URL": fake.ws_url, "ClientConfig": config}})

        def accept_message(call: Call, ok: dict[str, Any]) -> Response:
            """An authorised send: refused, sent, or (same uuid within the hour) not sent again; its answer may
            be lost after it was sent."""
            if fake.refuse is not None and (status := fake.refuse(call)):
                call.status = status
                return reply(status, {"code": 99991400, "msg": "refused"})
            body = call.json()
            key = f"{body.get('receive_id')}:{body['uuid']}" if body.get("uuid") else None  # per receiver here
            with fake._lock:
                seen = fake.uuids.get(key) if key else None
                if seen and time.monotonic() - seen[0] < 3600:
                    ok, call.duplicate = {"message_id": seen[1]}, True
                elif key:
                    fake.uuids[key] = (time.monotonic(), str(ok["message_id"]))
            call.status, call.result = 200, ok
            lost = fake.after(call) if fake.after else None
            if lost:
                return reply(lost, {"code": 99991400, "msg": "answer lost"})
            return reply(200, {"code": 0, "msg": "success", "data": ok})

        @app.post("/open-apis/im/v1/messages")
        async def send(request: Request) -> Response:
            return await answer(request, {"message_id": f"om_{next(fake._ids)}"}, accept_message)

        @app.patch("/open-apis/im/v1/messages/{message_id}")
        async def patch(request: Request, message_id: str) -> Response:
            return await answer(request, {})

        @app.post("/open-apis/im/v1/images")
        async def image(request: Request) -> Response:
            return await answer(request, {"image_key": f"img_{next(fake._ids)}"})

        @app.post("/open-apis/im/v1/files")
        async def file(request: Request) -> Response:
            return await answer(request, {"file_key": f"file_{next(fake._ids)}"})

        @app.get("/open-apis/im/v1/messages/{message_id}/resources/{key}")
        async def resource(request: Request, message_id: str, key: str) -> Response:
            call, _ = await record(request)
            if not authorised(call):
                return reply(400, {"code": 99991663, "msg": "Invalid access token"})
            if key not in fake.resources:
                return reply(400, {"code": 234003, "msg": "File not in msg."})
            return Response(fake.resources[key], media_type="image/png")

        @app.get("/open-apis/contact/v3/{kind}/{rest:path}")
        async def contacts(request: Request, kind: str, rest: str) -> Response:
            call, _ = await record(request)
            if not authorised(call):
                return reply(400, {"code": 99991663, "msg": "Invalid access token"})
            items = fake.contacts.get(f"{kind}/{rest}", [])
            return reply(200, {"code": 0, "data": {"items": items, "has_more": False}})

        return app

    def serve(self) -> Iterator[FakeFeishu]:
        """Run on a free port in a background thread (the socket listens before the thread starts, so the
        first request simply queues until the server accepts it)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else every reply waits for a delayed ACK
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


# --- requests the way Feishu sends them ------------------------------------------------------------


def encrypt(plaintext: str, key: str = ENCRYPT_KEY) -> str:
    """AES-256-CBC with key sha256(encrypt_key), random IV prepended, PKCS7, base64 (Feishu's scheme)."""
    digest = hashlib.sha256(key.encode()).digest()
    iv = os.urandom(16)
    data = plaintext.encode()
    pad = 16 - len(data) % 16
    data += bytes([pad]) * pad
    return base64.b64encode(iv + AES.new(digest, AES.MODE_CBC, iv).encrypt(data)).decode()


def signed(
    payload: dict[str, Any], *, key: str = ENCRYPT_KEY, ts: float | None = None, body: bytes | None = None
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of an encrypted, signed request."""
    raw = body if body is not None else json.dumps({"encrypt": encrypt(json.dumps(payload), key)}).encode()
    stamp = str(int(time.time() if ts is None else ts))
    nonce = uuid.uuid4().hex
    sig = hashlib.sha256((stamp + nonce + key).encode() + raw).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": stamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": sig,
    }
    return raw, headers


def _header(event_type: str, token: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "create_time": str(int(time.time() * 1000)),
        "token": token,
        "app_id": APP_ID,
        "tenant_key": "tenant",
    }


def message_event(
    open_id: str,
    *,
    text: str | None = None,
    image_key: str | None = None,
    chat_id: str = "oc_p2p",
    chat_type: str = "p2p",
    mentions: list[dict[str, Any]] | None = None,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """An ``im.message.receive_v1`` payload."""
    kind, content = ("image", {"image_key": image_key}) if image_key else ("text", {"text": text or ""})
    return {
        "schema": "2.0",
        "header": _header("im.message.receive_v1", token),
        "event": {
            "sender": {"sender_id": {"open_id": open_id, "union_id": "on_x"}, "sender_type": "user"},
            "message": {
                "message_id": f"om_in_{uuid.uuid4().hex[:8]}",
                "create_time": str(int(time.time() * 1000)),
                "chat_id": chat_id,
                "chat_type": chat_type,
                "message_type": kind,
                "content": json.dumps(content, ensure_ascii=False),
                "mentions": mentions or [],
            },
        },
    }


def card_event(
    open_id: str,
    card_id: str,
    action: str,
    *,
    form: dict[str, Any] | None = None,
    message_id: str = "om_tapped",
    chat_id: str = "oc_p2p",
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A ``card.action.trigger`` payload: a button with value {"card", "action"}, the form's values."""
    action_body: dict[str, Any] = {"tag": "button", "value": {"card": card_id, "action": action}}
    if form is not None:
        action_body["form_value"] = form
        action_body["name"] = "submit_0"
    return {
        "schema": "2.0",
        "header": _header("card.action.trigger", token),
        "event": {
            "operator": {"open_id": open_id, "tenant_key": "tenant"},
            "token": "c-token",
            "action": action_body,
            "host": "im_message",
            "context": {"open_message_id": message_id, "open_chat_id": chat_id},
        },
    }


class FakeLongConnection:
    """Feishu's long-connection server (a real WebSocket server, lark's protobuf frames): pushes event frames to
    the connected client and collects the client's ACK frames."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.connected = threading.Event()
        self.closed = threading.Event()
        self.acks: queue.Queue[Any] = queue.Queue()
        self._conn: Any = None
        self._ids = itertools.count(1)
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws?device_id=dev1&service_id=7"

    def serve(self) -> Iterator[FakeLongConnection]:
        import websockets

        started = threading.Event()

        async def handler(conn: Any) -> None:
            from lark_oapi.ws.pb.pbbp2_pb2 import Frame

            self._conn = conn
            self.connected.set()
            try:
                async for raw in conn:
                    frame = Frame()
                    frame.ParseFromString(raw)
                    if frame.method == 1:  # data: an ACK (control frames are pings)
                        self.acks.put(frame)
            except websockets.ConnectionClosed:
                pass
            finally:
                self.closed.set()

        stop: asyncio.Future[None] = self.loop.create_future()

        async def main() -> None:
            async with websockets.serve(handler, "127.0.0.1", 0) as server:
                self.port = next(iter(server.sockets)).getsockname()[1]
                started.set()
                await stop  # until the test is done

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            with contextlib.suppress(RuntimeError, asyncio.CancelledError):
                self.loop.run_until_complete(main())

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert started.wait(10), "fake long-connection server did not start"
        try:
            yield self
        finally:
            self.loop.call_soon_threadsafe(stop.set_result, None)
            thread.join(timeout=10)

    def push(self, payload: dict[str, Any] | bytes) -> str:
        """Send one event frame (as Feishu does: type=event, sum=1, seq=0); returns its message id."""
        from lark_oapi.ws.pb.pbbp2_pb2 import Frame

        message_id = f"msg{next(self._ids)}"
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        frame = Frame(SeqID=0, LogID=0, service=7, method=1, payload=body)
        for key, value in (
            ("type", "event"),
            ("message_id", message_id),
            ("trace_id", "t"),
            ("sum", "1"),
            ("seq", "0"),
        ):
            header = frame.headers.add()
            header.key, header.value = key, value
        asyncio.run_coroutine_threadsafe(self._conn.send(frame.SerializeToString()), self.loop).result(timeout=10)
        return message_id

    def ack(self, message_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The client's answer to a pushed frame: {"code": 200|500, "data": decoded JSON or None}."""
        while True:
            frame = self.acks.get(timeout=timeout)
            if {h.key: h.value for h in frame.headers}.get("message_id") != message_id:
                continue
            answer = json.loads(frame.payload)
            data = answer.get("data")
            return {"code": answer.get("code"), "data": json.loads(base64.b64decode(data)) if data else None}
