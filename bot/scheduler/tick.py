"""One scheduler pass at ``now``: recover pending inbox events, flag overdue clocks, deliver the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.dispatch.inbound import ChannelFor, Dispatcher
from bot.dispatch.outbound import OutboxDispatcher
from bot.protocol import message_payload
from core.clocks import CLOCK_LABELS
from core.due import overdue
from core.messages import Delivery, OutboundMessage, Recipient
from core.org import Org
from core.ports import UnitOfWork
from core.routing import route


@dataclass
class Scheduler:
    """Runs whatever is due. Each overdue clock is announced once (the outbox key makes it idempotent)."""

    uow: Callable[[], UnitOfWork]
    org: Org
    dispatcher: Dispatcher
    outbox: OutboxDispatcher
    channel_for: ChannelFor

    def tick(self, *, now: datetime) -> list[Delivery]:
        """One pass; returns the messages delivered."""
        self.dispatcher.process_pending(now=now)
        self.flag_overdue(now=now)
        return self.outbox.drain(now=now)

    def flag_overdue(self, *, now: datetime) -> int:
        """Tell the current actors and the owner once per overdue clock. Returns how many were flagged."""
        with self.uow() as uow:
            count = 0
            tz = self.dispatcher.policy.tz
            for form, clock in overdue(uow.complaints.open_forms(), now):
                routing = route(form, self.org)
                owner = Recipient.user(form.owner)
                people = [r for r in routing.actors if r.kind.value == "user"]
                if owner not in people:
                    people.append(owner)
                text = (
                    f"⏰ {form.label} 已超期:{CLOCK_LABELS[clock.name]}截止 "
                    f"{clock.due_at.astimezone(tz):%m-%d %H:%M}。请尽快处理。"
                )
                for to in people:
                    key = f"overdue:{form.id}:{clock.name.value}:{to.id}"
                    msg = OutboundMessage(to, message_payload(text=text), key)
                    count += uow.outbox.add(msg, channel=self.channel_for(to), now=now)
            uow.commit()
        return count
