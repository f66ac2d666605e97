"""The web app and the background worker that run a built Kesu (``kesu serve``, ``kesu worker``)."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.gate import Gate

if TYPE_CHECKING:  # bot.wiring builds the Kesu
    from bot.wiring import Kesu

log = logging.getLogger(__name__)


class Worker:
    """The background loop of `kesu serve` / `kesu worker`: a scheduler pass every ``interval`` seconds."""

    def __init__(self, kesu: Kesu, *, interval: float = 1.0) -> None:
        self.kesu = kesu
        self.interval = interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="kesu-worker", daemon=True)

    def run(self) -> None:
        """Tick until stopped (at least once); a failing job is logged (each job fails alone, the others run) and
        retried on the next pass."""
        while True:
            try:
                done = self.kesu.scheduler.run(now=self.kesu.now())
                self.kesu.local.take()  # local deliveries are recorded in the outbox; nobody prints them here
                if done.failed:
                    log.error("scheduler pass failed: %s", ", ".join(done.failed))
            except Exception:
                log.exception("scheduler pass failed")
            if self.stopping.wait(self.interval):
                return

    def start(self) -> None:
        """Run in a background thread."""
        self.thread.start()

    def stop(self) -> None:
        """Finish the current pass and stop."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=30)


_frozen = False


def freeze_startup_objects() -> None:
    """Move everything alive at start (modules, lark-oapi's thousands of generated classes, config) out of
    the garbage collector's view, once per process. Otherwise each full collection walks them all: a
    100–300 ms pause of every thread, acknowledgements included (measured with bench/ack.py,
    WeCom and Feishu: p99 118 ms → 39 ms at 50 concurrent senders)."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


def create_app(kesu: Kesu, *, worker: bool = True, long_connections: Sequence[str] = ()) -> FastAPI:
    """The web app: health, the platform webhooks, (unless ``worker`` is False) the background worker, and the
    long connections of the platforms named in ``long_connections`` (``feishu``)."""
    connectors = {p.name: p.connect for p in kesu.platforms if p.connect is not None}
    for name in long_connections:
        if name not in connectors:
            raise ValueError(f"{name} has no long connection here: is the platform on (its KESU_* settings)?")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        freeze_startup_objects()
        w = Worker(kesu) if worker else None
        if w:
            w.start()
        stops = [connectors[name]() for name in long_connections]
        try:
            yield
        finally:
            for stop in stops:
                stop()
            if w:
                w.stop()

    app = FastAPI(title="Kesu 客诉助手", lifespan=lifespan)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with kesu.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok", "database": kesu.engine.dialect.name}

    for platform in kesu.platforms:
        # The routes themselves, not include_router: FastAPI 0.165 matches an included router's routes
        # through an extra layer per request, ~25 µs of the ~300 µs an acknowledgement costs (bench/ack.py).
        app.router.routes.extend(platform.router.routes)
    app.add_middleware(_AckFirst, gate=kesu.intake.gate)
    return app


class _AckFirst:
    """Every HTTP request counts as one being acknowledged: background database work waits (bot/intake.py)."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.gate.request():  # from the request's headers to the end of its answer
            await self.app(scope, receive, send)
