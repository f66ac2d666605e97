"""Composition root: builds engine, unit of work, routers, dispatchers and the web app from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

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
from bot.gate import Gate
from bot.intake import GroupIntake, UnitWriter
from bot.intents import (
    cancel,
    customer_info,
    key_customer,
    log_complaint,
    monthly_summary,
    my_tasks,
    order_review,
    photo,
    query_status,
    record_visit,
    request_return,
    unknown,
)
from bot.intents import help as help_intent
from bot.intents.understand import Parser
from bot.local.client import LocalSender
from bot.notify.outbox import channel_router
from bot.protocol import InboundEvent, Platform, PlatformDeps, Sender
from bot.scheduler.tick import Scheduler
from core.messages import Delivery
from core.policy import Policy
from core.ports import InboxWriter, UnitOfWork
from core.report import MonthlySummary
from storage import reports
from storage.db import Checkpointer, make_engine, sqlite_file
from storage.inbox_writer import PgInboxWriter, SqliteInboxWriter
from storage.migrate import ensure_schema
from storage.uow import SqlUnitOfWork, session_factory


def intents() -> IntentRouter:
    """Every intent Kesu understands, registered explicitly."""
    router = IntentRouter()
    for module in (
        log_complaint,
        query_status,
        my_tasks,
        monthly_summary,
        record_visit,
        key_customer,
        photo,
        request_return,
        order_review,
        customer_info,
        help_intent,
        unknown,
        cancel,
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
        event_id = self.intake.submit(event, process=False, at=now).result(timeout=30)
        if event_id is not None:
            self.dispatcher.process(event_id, now=now)
        self.outbox.drain(now=now)
        return self.local.take()

    def store_media(self, data: bytes, *, content_type: str, now: datetime) -> str:
        """Keep a photo someone sent (before its event is stored); returns the media id."""
        return self.intake.keep_media_now(data, content_type, at=now)

    def close(self) -> None:
        """Release database connections, once the work already handed to the intake is done (or 10 s passed)."""
        self.intake.settle(timeout=10)
        if self.intake.writer is not None:
            self.intake.writer.close()
        self.engine.dispose()
        if self.checkpointer is not None:
            self.checkpointer.close()

    def now(self) -> datetime:
        """The real clock, in the factory's timezone (only the composition root reads it)."""
        return datetime.now(self.config.timezone)


@dataclass(frozen=True)
class _Database:
    """The engine and what every unit of work shares: its sessions and the write gate."""

    engine: sa.Engine
    factory: sessionmaker[Session]
    gate: Gate
    path: str | None  # the SQLite file; None in memory or on PostgreSQL
    checkpointer: Checkpointer | None

    def uow(self) -> UnitOfWork:
        """A new unit of work."""
        return SqlUnitOfWork(self.factory, guard=self.gate.unit)


def _database(settings: Settings, *, migrate: bool) -> _Database:
    """Open the database (``migrate``: bring its schema to head first)."""
    path = sqlite_file(settings.database_url)
    # A file SQLite's WAL is checkpointed by a thread of its own, never inside a commit (storage/db.py).
    checkpointer = Checkpointer(path) if path is not None else None
    engine = make_engine(settings.database_url, autocheckpoint=checkpointer is None)
    if checkpointer is not None:
        checkpointer.start()
    if migrate:
        ensure_schema(engine)
    gate = Gate(exclusive=engine.dialect.name == "sqlite")  # SQLite has one writer (see bot/intake.py)
    return _Database(engine, session_factory(engine), gate, path, checkpointer)


def _policy(config: KesuConfig) -> Policy:
    """The configured rules core applies."""
    return Policy(
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


def _dispatcher(config: KesuConfig, policy: Policy, uow: Callable[[], UnitOfWork]) -> Dispatcher:
    """The inbound dispatcher with every intent and card kind (its channels are set once platforms are known)."""
    with uow() as unit:  # customers named on earlier forms are matched like the configured ones
        known = tuple(unit.complaints.known_customers())
    return Dispatcher(
        uow=uow,
        org=config.org,
        policy=policy,
        intents=intents(),
        actions=actions(),
        understand=Parser(config.org, extra_customers=known),
        channel_for=lambda _: "local",
    )


def _intake(settings: Settings, db: _Database, now: Callable[[], datetime], sink: Dispatcher) -> GroupIntake:
    """The one way in for every platform's events, with the inbox writer that suits the database."""
    engine, factory, gate, path = db.engine, db.factory, db.gate, db.path
    # PostgreSQL: the inbox write is one INSERT, atomic by itself, so
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
    return GroupIntake(intake_uow, gate, now, writer, sink=sink)


def _monthly(settings: Settings, config: KesuConfig, policy: Policy, db: _Database) -> Callable[[str], MonthlySummary]:
    """The monthly summary, read from a reader engine (the same engine for an in-memory database)."""
    in_memory = db.engine.dialect.name == "sqlite" and db.path is None
    reader = db.engine if in_memory else make_engine(settings.database_url, reader=True)

    def monthly(month: str) -> MonthlySummary:
        return reports.monthly_summary(
            reader,
            month=month,
            tz=config.timezone,
            org=config.org,
            problems=config.org.problem_types,
            repeat_days=policy.repeat_window_days,
        )

    return monthly


def build(settings: Settings, *, migrate: bool = True) -> Kesu:
    """Build the app's parts. ``migrate`` brings the database schema to head first."""
    config = load_config(settings.config)
    db = _database(settings, migrate=migrate)
    policy = _policy(config)
    dispatcher = _dispatcher(config, policy, db.uow)

    def now() -> datetime:
        return datetime.now(config.timezone)

    intake = _intake(settings, db, now, dispatcher)
    deps = PlatformDeps(settings=settings, org=config.org, accounts=config.accounts, uow=db.uow, now=now, intake=intake)
    platforms = [p for p in (wecom.make_platform(deps), feishu.make_platform(deps)) if p is not None]
    dispatcher.channel_for = channel_router(config.accounts, {p.name for p in platforms})
    local = LocalSender()
    senders: dict[str, Sender] = {"local": local, **{p.name: p.sender for p in platforms}}
    outbox = OutboxDispatcher(uow=db.uow, senders=senders)
    dispatcher.monthly = monthly = _monthly(settings, config, policy, db)
    scheduler = Scheduler(
        uow=db.uow,
        org=config.org,
        dispatcher=dispatcher,
        outbox=outbox,
        channel_for=dispatcher.channel_for,
        monthly=monthly,
    )
    return Kesu(
        settings=settings,
        config=config,
        engine=db.engine,
        uow=db.uow,
        dispatcher=dispatcher,
        outbox=outbox,
        scheduler=scheduler,
        local=local,
        intake=intake,
        senders=senders,
        platforms=platforms,
        checkpointer=db.checkpointer,
    )
