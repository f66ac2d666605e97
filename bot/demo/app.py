"""The web simulator of `kesu demo`: a chat-app page over the local channel, with a movable clock.

Every action on the page takes the same path as `kesu say` / `kesu click` / `kesu tick` (``Kesu.run_local``
and ``Scheduler.tick``); this module only keeps the conversation as the page shows it and a simulated
clock. It lets anyone act as anyone, so it serves 127.0.0.1 by default and is never part of `kesu serve`; it answers
only requests addressed to it (no DNS rebinding) and takes changes only from its own page (no other site's posts).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, Field

from bot.local.parse import MAX_IMAGE_BYTES, click_event, image_type, say_event
from bot.local.render import to_json
from bot.wiring import Kesu
from core.limits import clean
from core.messages import Delivery
from core.org import Org, Role

ROLE_LABELS: dict[Role, str] = {
    Role.SALES: "业务员",
    Role.QA: "品质工程师",
    Role.QA_MANAGER: "品质经理",
    Role.DEPT: "责任部门",
    Role.CS_MANAGER: "客服经理",
    Role.VP: "副总",
    Role.GM: "总经理",
    Role.WAREHOUSE: "仓库",
    Role.PURCHASING: "采购",
    Role.FINANCE: "财务",
    Role.PMC: "PMC",
    Role.ADMIN: "管理员",
}

# The clock control: label → how far it moves time. "month" means the 1st of next month at 09:00.
STEPS: dict[str, str] = {"1h": "+1 小时", "1d": "+1 天", "3d": "+3 天", "month": "下月1日 09:00"}
MAX_TICKS_PER_STEP = 48  # a long jump ticks at most this many times on the way, so reminders come in order


def _cleaned(value: object) -> object:
    return clean(value) if isinstance(value, str) else value


# What the page typed, cleaned as every event is, before pydantic reads it (it refuses a lone surrogate).
Text = Annotated[str, BeforeValidator(_cleaned)]


class SayBody(BaseModel):
    """A message typed on the page."""

    user: Text = Field(max_length=64)
    text: Text = Field(min_length=1, max_length=2000)
    chat: Text | None = Field(default=None, max_length=64)


class ClickBody(BaseModel):
    """A tap on a card button, with what the card's inputs hold."""

    user: Text = Field(max_length=64)
    card_id: Text = Field(max_length=100)
    action: Text = Field(max_length=64)
    values: dict[Text, Text] = Field(default_factory=dict, max_length=50)


class ClockBody(BaseModel):
    """Move the clock forward by one of ``STEPS``."""

    step: Text


@dataclass
class Demo:
    """The page's state: the conversation so far and a simulated clock (real time since start, plus jumps)."""

    kesu: Kesu
    start: datetime
    log: list[dict[str, Any]] = field(default_factory=list)
    jumped: timedelta = timedelta(0)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _started: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        """The simulated time: ``start`` + real time elapsed + every jump of the clock control."""
        return self.start + timedelta(seconds=time.monotonic() - self._started) + self.jumped

    def _record(self, conversation: str, sender: str, message: dict[str, Any], at: datetime) -> dict[str, Any]:
        entry = {"seq": len(self.log) + 1, "at": at.isoformat(timespec="minutes"), "conv": conversation}
        entry |= {"from": sender, "message": message}
        self.log.append(entry)
        return entry

    def _delivered(self, deliveries: list[Delivery], at: datetime) -> list[dict[str, Any]]:
        out = []
        for d in deliveries:
            message = to_json(d)
            kind, who = next(iter(message["to"].items()))
            out.append(self._record(f"{kind}:{who}", "bot", message, at))
        return out

    def say(self, user: str, text: str, chat: str | None) -> list[dict[str, Any]]:
        """``user`` types ``text`` (in group ``chat`` when given), as `kesu say` does."""
        with self.lock:
            at = self.now()
            first = self._record(f"chat:{chat}" if chat else f"user:{user}", user, {"text": text}, at)
            event = say_event(user=user, text=text, now=at, chat=chat)
            return [first, *self._delivered(self.kesu.run_local(event, now=at), at)]

    def photo(self, user: str, data: bytes, content_type: str) -> list[dict[str, Any]]:
        """``user`` sends a photo, as `kesu say --image` does."""
        with self.lock:
            at = self.now()
            media_id = self.kesu.store_media(data, content_type=content_type, now=at)
            first = self._record(f"user:{user}", user, {"image": media_id}, at)
            event = say_event(user=user, text=None, now=at, image=media_id)
            return [first, *self._delivered(self.kesu.run_local(event, now=at), at)]

    def click(self, body: ClickBody) -> list[dict[str, Any]]:
        """A tap, as `kesu click --set` does, with the card's non-empty inputs."""
        values = {k: v.strip() for k, v in body.values.items() if v.strip()}
        with self.lock:
            at = self.now()
            event = click_event(user=body.user, card_id=body.card_id, action=body.action, values=values, now=at)
            return self._delivered(self.kesu.run_local(event, now=at), at)

    def advance(self, step: str) -> list[dict[str, Any]]:
        """Move the clock forward and run the scheduler on the way (as `kesu tick` at each point)."""
        with self.lock:
            start = self.now()
            if step == "month":
                first = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
                target = first.replace(hour=9, minute=0, second=0, microsecond=0)
            else:
                target = start + {"1h": timedelta(hours=1), "1d": timedelta(days=1), "3d": timedelta(days=3)}[step]
            span = target - start
            ticks = min(MAX_TICKS_PER_STEP, max(1, int(span / timedelta(hours=1))))
            out: list[dict[str, Any]] = []
            for n in range(1, ticks + 1):
                at = start + span * n / ticks
                self.kesu.scheduler.tick(now=at)
                out += self._delivered(self.kesu.local.take(), at)
            self.jumped += target - self.now()
            return out


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD = frozenset({"", "0.0.0.0", "::"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SAME_SITE = frozenset({"same-origin", "none"})  # Sec-Fetch-Site values of the page itself or a typed address


def host_allowed(host: str, listen: tuple[str, int] | None) -> bool:
    """Whether a Host header names the demo: a loopback name (127.0.0.1, localhost, [::1]) or the --host it listens
    on, with its port. Listening on every interface (0.0.0.0), any IP address is accepted too — DNS rebinding needs
    a domain name. Without ``listen`` (an app not yet bound), a loopback name with any port."""
    try:
        url = urlsplit(f"//{host}")
        name, port = url.hostname or "", url.port
    except ValueError:
        return False
    if not name:
        return False
    if listen is None:
        return name in LOOPBACK
    address, listening = listen
    if (port or 80) != listening:
        return False
    if name in LOOPBACK or name == address.strip("[]").lower():
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return address in WILDCARD


def same_origin(method: str, *, host: str, origin: str | None, fetch_site: str | None) -> bool:
    """Whether a request may change state: reads always; a POST only from the demo's own page (its Origin is
    http://<Host>, or the browser says same-origin), or from a client that sends neither header (curl)."""
    if method.upper() in SAFE_METHODS:
        return True
    if fetch_site is not None and fetch_site.lower() not in SAME_SITE:
        return False
    return origin is None or origin.lower() == f"http://{host}".lower()


def _department_name(org: Org, department: str | None) -> str | None:
    found = org.department(department) if department else None
    return found.name if found else department


def _page() -> str:
    return resources.files("bot.demo").joinpath("page.html").read_text(encoding="utf-8")


def create_demo_app(kesu: Kesu, *, start: datetime, listen: tuple[str, int] | None = None) -> FastAPI:
    """The simulator: the page at ``/`` and its JSON API under ``/api``, answering only requests addressed to
    ``listen`` (host, port) and changes only from its own page (no other site, no DNS rebinding)."""
    demo = Demo(kesu=kesu, start=start)
    org = kesu.config.org
    app = FastAPI(title="Kesu 客诉助手 演示", docs_url=None, redoc_url=None)
    app.state.demo = demo

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        """422 with where and what, never the input echoed back (a lone surrogate in it cannot be encoded)."""
        errors = [
            {"loc": [clean(str(part)) for part in err.get("loc", ())], "msg": clean(str(err.get("msg", "")))}
            for err in e.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    page = _page()

    @app.middleware("http")
    async def own_address_and_origin(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host = request.headers.get("host", "")
        if not host_allowed(host, listen):
            return JSONResponse({"detail": f"Host 不是本演示的地址:{host[:100]}"}, status_code=400)
        origin, fetch_site = request.headers.get("origin"), request.headers.get("sec-fetch-site")
        if not same_origin(request.method, host=host, origin=origin, fetch_site=fetch_site):
            return JSONResponse({"detail": "请求来源不是本演示页面,已拒绝。"}, status_code=403)
        return await call_next(request)

    def person(user: str) -> None:
        if org.person(user) is None:
            raise HTTPException(404, f"没有这个人:{user}")

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page

    @app.get("/api/state")
    def state(after: int = 0) -> dict[str, Any]:
        with demo.lock:
            return {
                "now": demo.now().isoformat(timespec="minutes"),
                "log": demo.log[after:],
                "people": [
                    {
                        "id": p.id,
                        "name": p.name,
                        "roles": [ROLE_LABELS.get(r, r.value) for r in sorted(p.roles)],
                        "department": _department_name(org, p.department),
                    }
                    for p in org.people
                ],
                "chats": [{"id": c.id, "name": c.name} for c in org.chats],
                "steps": STEPS,
            }

    @app.post("/api/say")
    def say(body: SayBody) -> dict[str, Any]:
        person(body.user)
        if body.chat is not None and org.chat(body.chat) is None:
            raise HTTPException(404, f"没有这个群:{body.chat}")
        return {"entries": demo.say(body.user, body.text.strip(), body.chat), "now": demo.now().isoformat()}

    @app.post("/api/photo")
    async def photo(request: Request, user: str) -> dict[str, Any]:
        person(user)
        data = await request.body()
        content_type = image_type(data)
        if content_type is None or len(data) > MAX_IMAGE_BYTES:
            raise HTTPException(415, "不是支持的图片(JPEG/PNG/GIF/BMP/WebP/HEIC,10 MB 以内)")
        return {"entries": demo.photo(user, data, content_type), "now": demo.now().isoformat()}

    @app.post("/api/click")
    def click(body: ClickBody) -> dict[str, Any]:
        person(body.user)
        return {"entries": demo.click(body), "now": demo.now().isoformat()}

    @app.post("/api/clock")
    def clock(body: ClockBody) -> dict[str, Any]:
        if body.step not in STEPS:
            raise HTTPException(422, f"未知的时间步长:{body.step}")
        return {"entries": demo.advance(body.step), "now": demo.now().isoformat(timespec="minutes")}

    @app.get("/media/{media_id}")
    def media(media_id: str) -> Response:
        with kesu.uow() as uow:
            found = uow.media.get(media_id)
        if found is None:
            raise HTTPException(404, "没有这个文件")
        content_type, data = found
        return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=3600"})

    return app
