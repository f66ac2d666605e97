"""A fake WeCom API: a real HTTP server on 127.0.0.1 that records every request and answers like WeCom."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SENDS = ("message/send", "appchat/send", "webhook/send")  # the calls that put a message in front of people


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    params: dict[str, str]
    body: Any
    peer: str = ""  # the client's address: which connection (process) it came on


@dataclass
class FakeWeCom:
    """State of the fake: what it was sent, which tokens are valid, scripted failures."""

    calls: list[Call] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    invalid_users: set[str] = field(default_factory=set)
    script: dict[str, list[Any]] = field(default_factory=dict)  # path -> answers: dict (JSON) or int (status)
    delay: dict[str, float] = field(default_factory=dict)
    departments: list[dict[str, Any]] = field(default_factory=list)
    users: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Messages people received (SENDS accepted, minus those dropped by the duplicate check), and those dropped.
    deliveries: list[Call] = field(default_factory=list)
    duplicates: list[Call] = field(default_factory=list)
    accepted: dict[str, tuple[float, str]] = field(default_factory=dict)  # request JSON -> (when, msgid)
    # Failures: ``refuse(call)`` returns an answer to a send before accepting it (nothing delivered): an HTTP
    # status, or a JSON error such as {"errcode": -1, "errmsg": "system busy"};
    # ``after(call)``, once the send was accepted, returns a status to answer instead (the answer is lost) or
    # None; it may also block, holding the answer back.
    refuse: Callable[[Call], int | dict[str, Any] | None] | None = None
    after: Callable[[Call], int | None] | None = None

    def reset(self) -> None:
        """Forget everything received and every scripted behaviour (each test starts from here)."""
        with self.lock:
            for store in (self.calls, self.deliveries, self.duplicates):
                store.clear()
            for table in (self.valid_tokens, self.invalid_users, self.script, self.delay, self.accepted):
                table.clear()
            self.refuse = self.after = None

    def sent(self, path: str) -> list[Call]:
        """Calls to ``path`` (e.g. "message/send"), oldest first."""
        return [c for c in self.calls if c.path == path]

    def cards_to(self, userid: str) -> list[dict[str, Any]]:
        """Template cards sent to ``userid``."""
        return [
            c.body["template_card"]
            for c in self.sent("message/send")
            if c.body.get("touser") == userid and c.body.get("msgtype") == "template_card"
        ]

    def texts_to(self, userid: str) -> list[str]:
        """Text and markdown contents sent to ``userid``."""
        out = []
        for c in self.sent("message/send"):
            if c.body.get("touser") == userid and c.body.get("msgtype") in ("text", "markdown"):
                out.append(c.body[c.body["msgtype"]]["content"])
        return out

    def _accept(self, call: Call, answer: dict[str, Any]) -> Response:
        """A send WeCom accepted. With ``enable_duplicate_check``, a request whose JSON equals one accepted in the
        last ``duplicate_check_interval`` seconds (default 1800) is not shown again (its answer is undocumented:
        here errcode 0 and the first message's msgid, no response_code)."""
        duplicate = False
        if call.body.get("enable_duplicate_check"):
            key = json.dumps(call.body, sort_keys=True, ensure_ascii=False)
            interval = float(call.body.get("duplicate_check_interval") or 1800)
            with self.lock:
                seen = self.accepted.get(key)
                if seen and time.monotonic() - seen[0] < interval:
                    duplicate = True
                    answer = {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": seen[1]}
                else:
                    self.accepted[key] = (time.monotonic(), str(answer.get("msgid", "")))
        with self.lock:
            (self.duplicates if duplicate else self.deliveries).append(call)
        lost = self.after(call) if self.after else None
        return Response(status_code=lost) if lost else JSONResponse(answer)

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.api_route("/cgi-bin/{path:path}", methods=["GET", "POST"])
        async def handle(path: str, request: Request) -> Response:
            raw = await request.body()
            multipart = request.headers.get("content-type", "").startswith("multipart/")
            body: Any = {"multipart": raw} if multipart else (json.loads(raw) if raw else {})
            params = dict(request.query_params)
            peer = f"{request.client.host}:{request.client.port}" if request.client else ""
            call = Call(request.method, path, params, body, peer)
            with self.lock:
                self.calls.append(call)
                scripted = self.script.get(path)
                answer = scripted.pop(0) if scripted else None
                n = next(self.counter)
            if path in self.delay:
                time.sleep(self.delay[path])
            if isinstance(answer, int):
                return Response(status_code=answer)
            if isinstance(answer, dict):
                return JSONResponse(answer)
            if path in SENDS and self.refuse is not None and (refused := self.refuse(call)):
                return JSONResponse(refused) if isinstance(refused, dict) else Response(status_code=refused)
            if path == "gettoken":
                token = f"TOKEN{n}"
                self.valid_tokens.add(token)
                return JSONResponse({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
            if path == "webhook/send":
                return self._accept(call, {"errcode": 0, "errmsg": "ok"})
            if path == "webhook/upload_media":
                return JSONResponse({"errcode": 0, "errmsg": "ok", "type": "file", "media_id": f"WMEDIA{n}"})
            if params.get("access_token") not in self.valid_tokens:
                return JSONResponse({"errcode": 42001, "errmsg": "access_token expired"})
            if path == "message/send":
                bad = [u for u in str(body.get("touser", "")).split("|") if u in self.invalid_users]
                out: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(bad), "msgid": f"m{n}"}
                if body.get("msgtype") == "template_card":
                    out["response_code"] = f"RC{n}"
                return self._accept(call, out)
            if path == "appchat/send":
                return self._accept(call, {"errcode": 0, "errmsg": "ok"})
            if path == "media/upload":
                return JSONResponse({"errcode": 0, "errmsg": "ok", "type": params.get("type"), "media_id": f"MEDIA{n}"})
            if path == "media/get":
                return Response(PNG, media_type="image/png")
            if path == "appchat/create":
                return JSONResponse({"errcode": 0, "errmsg": "ok", "chatid": f"chat{n}"})
            if path == "department/list":
                return JSONResponse({"errcode": 0, "errmsg": "ok", "department": self.departments})
            if path == "user/list":
                dept = int(params.get("department_id", "0"))
                return JSONResponse({"errcode": 0, "errmsg": "ok", "userlist": self.users.get(dept, [])})
            return JSONResponse({"errcode": 0, "errmsg": "ok"})

        return api


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(app: Any, port: int) -> Iterator[None]:
    """Run ``app`` with uvicorn on 127.0.0.1:``port`` in a background thread until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):  # bounded wait for the port to bind
        if server.started:
            break
        time.sleep(0.01)
    else:
        raise RuntimeError("fake WeCom server did not start")
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running_fake() -> Iterator[tuple[FakeWeCom, str]]:
    """A started fake; yields it and its api base URL."""
    fake = FakeWeCom()
    port = free_port()
    with serve(fake.app(), port):
        yield fake, f"http://127.0.0.1:{port}/cgi-bin/"


if __name__ == "__main__":  # python -m tests.wecom.fake_wecom [PORT]: run the fake by hand, logging each call
    import sys

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8999
    print(f"fake WeCom API at http://127.0.0.1:{port}/cgi-bin/")
    uvicorn.run(FakeWeCom().app(), host="127.0.0.1", port=port, log_level="info")
