"""Take an event from the inbox, run its handler in one unit of work, and write its messages to the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.context import ActionRouter, Context, IntentRouter, Understood
from bot.dispatch import pending
from bot.notify.outbox import ChannelFor, enqueue
from bot.protocol import InboundEvent, Outcome
from core.errors import ConcurrentUpdate, DomainError, NotFound, UnknownUser
from core.messages import InboxEvent, OutboundMessage, Recipient
from core.org import Org
from core.policy import Policy
from core.ports import UnitOfWork
from core.report import MonthlySummary

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a crashing event is retried by later passes, then given up and reported
MAX_RACE_RETRIES = 3
Understand = Callable[[str, datetime], Understood]
Body = Callable[[Context, InboxEvent, "pending.Pending | None"], bool]

TAP_FAILED = "系统出错,这次操作没有生效,请稍后再点一次。"
IMAGE_REPLY = "收到图片。拍照登记客诉即将支持,请先用文字描述:客户、产品、问题和数量。"


class Dispatcher:
    """The one path every inbound event takes, whatever platform it came from."""

    def __init__(
        self,
        *,
        uow: Callable[[], UnitOfWork],
        org: Org,
        policy: Policy,
        intents: IntentRouter,
        actions: ActionRouter,
        understand: Understand,
        channel_for: ChannelFor,
    ) -> None:
        self.uow = uow
        self.org = org
        self.policy = policy
        self.intents = intents
        self.actions = actions
        self.understand = understand
        self.channel_for = channel_for
        self.monthly: Callable[[str], MonthlySummary] | None = None  # set by the composition root

    def ingest(self, event: InboundEvent, *, now: datetime) -> int | None:
        """Store the event durably (the acknowledgement point); None if it is a duplicate delivery."""
        with self.uow() as uow:
            event_id = uow.inbox.add(
                platform=event.platform, event_key=event.event_key, payload=event.to_dict(), now=now
            )
            uow.commit()
        return event_id

    def process(self, event_id: int, *, now: datetime) -> Outcome:
        """Handle one stored event exactly once: its effects and its 'done' mark commit together."""
        attempts = 0
        while True:
            attempts += 1
            try:
                return self._attempt(event_id, now)
            except ConcurrentUpdate as lost:
                if attempts < MAX_RACE_RETRIES:
                    continue  # someone else changed the form first: the retry sees their change
                crash: Exception = lost
            except DomainError as refused:
                return self._refuse(event_id, refused, now)
            except Exception as e:
                crash = e
            log.error("inbox event %s failed: %r", event_id, crash, exc_info=crash)
            self._fail(event_id, crash, now)
            return Outcome(processed=False, ok=False, text="系统出错,请稍后再试。")

    def process_pending(self, *, now: datetime, limit: int = 100) -> int:
        """Handle events stored but not yet processed (after a crash or a failed attempt)."""
        with self.uow() as uow:
            ids = uow.inbox.pending(limit=limit)
        return sum(1 for i in ids if self.process(i, now=now).processed)

    def _in_unit(
        self,
        event_id: int,
        now: datetime,
        body: Body,
        replies: list[dict[str, Any]] | None = None,
        *,
        answers: bool = True,
    ) -> bool:
        """Claim the event and run ``body`` in one unit of work with its messages; False if it was not ours.

        ``body`` returns whether the event is done (marked in the same transaction as its effects). With
        ``answers``, a text answering the person's refused tap is handled as that tap (bot/dispatch/pending.py).
        """
        with self.uow() as uow:
            stored = uow.inbox.claim(event_id)
            if stored is None:
                return False
            event, answered = InboundEvent.from_dict(stored.payload), None
            if answers:
                event, answered = pending.answering(uow, event, event_id)
            ctx = Context(uow=uow, org=self.org, policy=self.policy, now=now, event=event, monthly=self.monthly)
            done = body(ctx, stored, answered)
            self._write(ctx, event_id, now)
            if replies is not None:
                me = Recipient.user(ctx.event.user)
                replies.extend(payload for to, payload in ctx.outgoing if to == me)
            if done:
                uow.inbox.mark_done(event_id, now=now)
            uow.commit()
        return True

    def _attempt(self, event_id: int, now: datetime) -> Outcome:
        def handle(ctx: Context, _: InboxEvent, __: pending.Pending | None) -> bool:
            self._route(ctx)
            return True

        replies: list[dict[str, Any]] = []
        processed = self._in_unit(event_id, now, handle, replies)
        return Outcome(processed=processed, replies=tuple(replies))

    def _route(self, ctx: Context) -> None:
        event = ctx.event
        if self.org.person(event.user) is None:
            raise UnknownUser(event.user)
        if event.click is not None:
            handler = self.actions.find(event.click.card_id)
            if handler is None:
                raise NotFound("这张卡片已无法操作。")
            self.policy.limits.inputs(event.click.values)  # every typed input within its length limit, once
            handler(ctx)
        elif event.text and event.text.strip():
            understood = self.understand(event.text, ctx.now)
            if any(hook(ctx, understood, event.text) for hook in self.intents.follow_ups):
                return
            intent = self.intents.handlers.get(understood.intent) or self.intents.handlers["unknown"]
            intent(ctx, understood)
        elif event.image and "photo" in self.intents.handlers:
            self.intents.handlers["photo"](ctx, Understood("photo", {"media_id": event.image}))
        elif event.image:
            ctx.reply(IMAGE_REPLY)
        else:
            ctx.reply("暂不支持这种消息。")

    def _refuse(self, event_id: int, refused: DomainError, now: datetime) -> Outcome:
        """A rule said no: nothing of the attempt is kept; the person is told why, once, privately."""

        asks = False

        def tell(ctx: Context, _: InboxEvent, answered: pending.Pending | None) -> bool:
            nonlocal asks
            ctx.send(Recipient.user(ctx.event.user), text=refused.message)
            asks = pending.refused(ctx.uow, ctx.event, event_id, refused.message, answered, now)
            return True

        if not self._in_unit(event_id, now, tell):
            return Outcome(processed=False)
        return Outcome(
            processed=True,
            ok=False,
            text=refused.message,
            replies=({"text": refused.message, "card": None},),
            asks=asks,
        )

    def _fail(self, event_id: int, crash: Exception, now: datetime) -> None:
        """A crash: the event stays pending for a later pass, until MAX_ATTEMPTS; then the sender is told. A tap
        is answered at once, so its first failure is told too (the tapped card itself stays as it was)."""

        def record(ctx: Context, stored: InboxEvent, _: pending.Pending | None) -> bool:
            give_up = stored.attempts + 1 >= MAX_ATTEMPTS
            ctx.uow.inbox.mark_failed(event_id, error=f"{type(crash).__name__}: {crash}", give_up=give_up)
            if give_up:
                ctx.send(Recipient.user(ctx.event.user), text="抱歉,这条消息处理失败,已记录。请稍后重试或联系管理员。")
            elif ctx.event.click is not None and stored.attempts == 0:
                ctx.send(Recipient.user(ctx.event.user), text=TAP_FAILED)
            return False

        self._in_unit(event_id, now, record, answers=False)  # a pending tap waits for the retry

    def _write(self, ctx: Context, event_id: int, now: datetime) -> None:
        messages = [OutboundMessage(to, payload, f"in{event_id}:{i}") for i, (to, payload) in enumerate(ctx.outgoing)]
        enqueue(ctx.uow, messages, channel_for=self.channel_for, now=now)
