"""Composition root: builds engine, unit of work, routers, dispatchers and the web app from settings."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from bot import feishu, wecom
from bot.actions import analysis as analysis_actions
from bot.actions import approval as approval_actions
from bot.actions import campaign as campaign_actions
from bot.actions import complaint as complaint_actions
from bot.actions import eightd as eightd_actions
from bot.actions import nag as nag_actions
from bot.actions import orders as order_actions
from bot.actions import returns as return_actions
from bot.actions import visits as visit_actions
from bot.config import KesuConfig, Settings, load_config
from bot.context import ActionRouter, IntentRouter
from bot.dispatch.inbound import Dispatcher
from bot.dispatch.outbound import OutboxDispatcher
from bot.intake import Gate, GroupIntake, UnitWriter
from bot.intents import (
    chitchat,
    customer_info,
    key_customer,
    log_complaint,
    monthly_summary,
    my_tasks,
    order_review,
    photo,
    query_status,
    request_return,
    visits,
)
from bot.intents.understand import Parser
from bot.local.client import LocalSender
from bot.notify.outbox import channel_router
from bot.protocol import InboundEvent, Platform, PlatformDeps, Sender
from bot.scheduler.tick import Scheduler
from core.messages import Delivery
from core.ports import InboxWriter, UnitOfWork
from core.report import MonthlySummary
from core.services import Policy
from storage import reports
from storage.db import Checkpointer, make_engine, sqlite_file
from storage.inbox_writer import PgInboxWriter, SqliteInboxWriter
from storage.migrate import ensure_schema
from storage.uow import SqlUnitOfWork, session_factory

log = logging.getLogger(__name__)


def intents() -> IntentRouter:
    """Every intent Kesu understands, registered explicitly."""
    router = IntentRouter()
    for module in (
        log_complaint,
        query_status,
        my_tasks,
        monthly_summary,
        visits,
        key_customer,
        photo,
        request_return,
        order_review,
        customer_info,
        chitchat,
    ):
        router.include(module.router)
    return router


def actions() -> ActionRouter:
    """Every card kind Kesu handles taps on."""
    router = ActionRouter()
    for module in (
        complaint_actions,
        approval_actions,
        return_actions,
        order_actions,
        nag_actions,
        eightd_actions,
        analysis_actions,
        visit_actions,
        campaign_actions,
    ):
        router.include(module.router)
    return router


@dataclass
class Kesu:
    """Everything one process needs, built once from settings."""

    settings: Settings
    config: KesuConfig
    engine: sa.Engine
    uow: Callable[[], UnitOfWork]
    dispatcher: Dispatcher
    outbox: OutboxDispatcher
    scheduler: Scheduler
    local: LocalSender
    intake: GroupIntake
    senders: dict[str, Sender] = field(default_factory=dict)
    platforms: list[Platform] = field(default_factory=list)
    checkpointer: Checkpointer | None = None  # file SQLite only

    def run_local(self, event: InboundEvent, *, now: datetime) -> list[Delivery]:
        """The local channel's whole path: inbox, dispatch, outbox, delivery; returns what was delivered."""
        event_id = self.dispatcher.ingest(event, now=now)
        if event_id is not None:
            self.dispatcher.process(event_id, now=now)
        self.outbox.drain(now=now)
        return self.local.take()

    def store_media(self, data: bytes, *, content_type: str, now: datetime) -> str:
        """Keep a photo someone sent (before its event is stored); returns the media id."""
        with self.uow() as uow:
            media_id = uow.media.put(data, content_type=content_type, now=now)
            uow.commit()
        return media_id

    def close(self) -> None:
        """Release database connections."""
        if self.intake.writer is not None:
            self.intake.writer.close()
        self.engine.dispose()
        if self.checkpointer is not None:
            self.checkpointer.close()

    def now(self) -> datetime:
        """The real clock, in the factory's timezone (only the composition root reads it)."""
        return datetime.now(self.config.timezone)


def build(settings: Settings, *, migrate: bool = True) -> Kesu:
    """Build the app's parts. ``migrate`` brings the database schema to head first."""
    config = load_config(settings.config)
    path = sqlite_file(settings.database_url)
    # A file SQLite's WAL is checkpointed by a thread of its own, never inside a commit (storage/db.py).
    checkpointer = Checkpointer(path) if path is not None else None
    engine = make_engine(settings.database_url, autocheckpoint=checkpointer is None)
    in_memory = engine.dialect.name == "sqlite" and path is None
    if checkpointer is not None:
        checkpointer.start()
    if migrate:
        ensure_schema(engine)
    factory = session_factory(engine)
    gate = Gate(exclusive=engine.dialect.name == "sqlite")  # SQLite has one writer (see bot/intake.py)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(factory, guard=gate.unit)

    policy = Policy(
        clocks=config.clocks,
        calendar=config.calendar(),
        tz=config.timezone,
        chains=config.approvals,
        reminders=config.reminders,
        confidential_roles=config.confidential_roles,
        campaigns=config.campaigns,
        duties=config.duties,
        limits=config.limits,
    )
    with uow() as unit:  # customers named on earlier forms are matched like the configured ones
        known = tuple(unit.complaints.known_customers())
    dispatcher = Dispatcher(
        uow=uow,
        org=config.org,
        policy=policy,
        intents=intents(),
        actions=actions(),
        understand=Parser(config.org, extra_customers=known),
        channel_for=lambda _: "local",
    )

    def now() -> datetime:
        return datetime.now(config.timezone)

    # PostgreSQL: the inbox write is one INSERT (plus WeCom's read of pending card inputs), atomic by itself, so
    # it runs in autocommit: no BEGIN and COMMIT round trips, each of which the writer thread waited out and
    # then waited for the GIL again behind the event loop. (Not on SQLite, whose BEGIN IMMEDIATE is ours.)
    intake_factory = factory
    if engine.dialect.name == "postgresql":
        intake_factory = session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))

    def intake_uow() -> UnitOfWork:
        return SqlUnitOfWork(intake_factory, guard=gate.unit)

    # The web server's events are written on its event loop (bot/intake.py): awaited on PostgreSQL, at once on
    # SQLite; the writer thread takes those of other threads (Feishu's long connection).
    writer: InboxWriter
    if engine.dialect.name == "postgresql":
        writer = PgInboxWriter(settings.database_url)
    elif path is not None:  # with the checkpointer, so no commit of the writer checkpoints
        writer = SqliteInboxWriter(path, gate.urgent_unit, autocheckpoint=False)
    else:
        writer = UnitWriter(intake_uow, gate)
    intake = GroupIntake(intake_uow, gate, now, writer)
    deps = PlatformDeps(
        settings=settings, org=config.org, accounts=config.accounts, sink=dispatcher, uow=uow, now=now, intake=intake
    )
    platforms = [p for p in (wecom.make_platform(deps), feishu.make_platform(deps)) if p is not None]
    dispatcher.channel_for = channel_router(config.accounts, {p.name for p in platforms})
    local = LocalSender()
    senders: dict[str, Sender] = {"local": local, **{p.name: p.sender for p in platforms}}
    outbox = OutboxDispatcher(uow=uow, senders=senders)

    reader = engine if in_memory else make_engine(settings.database_url, reader=True)

    def monthly(month: str) -> MonthlySummary:
        return reports.monthly_summary(
            reader,
            month=month,
            tz=config.timezone,
            org=config.org,
            problems=config.org.problem_types,
            repeat_days=policy.repeat_window_days,
        )

    dispatcher.monthly = monthly
    scheduler = Scheduler(
        uow=uow,
        org=config.org,
        dispatcher=dispatcher,
        outbox=outbox,
        channel_for=dispatcher.channel_for,
        monthly=monthly,
    )
    return Kesu(
        settings=settings,
        config=config,
        engine=engine,
        uow=uow,
        dispatcher=dispatcher,
        outbox=outbox,
        scheduler=scheduler,
        local=local,
        intake=intake,
        senders=senders,
        platforms=platforms,
        checkpointer=checkpointer,
    )


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
