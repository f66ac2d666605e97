"""One scheduler pass at ``now``: recover pending inbox events, flag overdue clocks, deliver the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.dispatch.inbound import ChannelFor, Dispatcher
from bot.dispatch.outbound import OutboxDispatcher
from bot.protocol import message_payload
from core.approval import CHAIN_LABELS, waiting_for
from core.approval import overdue as overdue_step
from core.clocks import CLOCK_LABELS
from core.due import overdue
from core.messages import Delivery, OutboundMessage, Recipient, RecipientKind
from core.org import Org, Role
from core.ports import UnitOfWork
from core.returns import ReturnState
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
        """Tell the people concerned once per overdue clock: complaint steps, approval steps, return processing.

        Returns how many messages were queued (the outbox key makes a repeat pass a no-op).
        """
        tz = self.dispatcher.policy.tz
        with self.uow() as uow:
            count = 0

            def tell(people: list[str], text: str, key: str) -> None:
                nonlocal count
                for pid in dict.fromkeys(people):
                    to = Recipient.user(pid)
                    msg = OutboundMessage(to, message_payload(text=text), f"overdue:{key}:{pid}")
                    count += uow.outbox.add(msg, channel=self.channel_for(to), now=now)

            for form, clock in overdue(uow.complaints.open_forms(), now):
                actors = [r.id for r in route(form, self.org).actors if r.kind is RecipientKind.USER]
                due = f"{clock.due_at.astimezone(tz):%m-%d %H:%M}"
                text = f"⏰ {form.label} 已超期:{CLOCK_LABELS[clock.name]}截止 {due}。请尽快处理。"
                tell([*actors, form.owner], text, f"{form.id}:{clock.name.value}")
            for approval in uow.approvals.open():
                if overdue_step(approval, now) and approval.step_due_at:
                    step = approval.steps[approval.step]
                    waiting = sorted(set().union(*waiting_for(approval, self.org).values()))
                    due = f"{approval.step_due_at.astimezone(tz):%m-%d %H:%M}"
                    kind = CHAIN_LABELS.get(approval.kind, approval.kind)
                    text = f"⏰ 审批已超期:{kind}「{step.name}」截止 {due}。"
                    tell([*waiting, approval.requester], text, f"approval:{approval.id}:{approval.step}")
            for ret in uow.returns.open():
                if ret.state is ReturnState.RECEIVED and ret.processing_due_at and ret.processing_due_at <= now:
                    due = f"{ret.processing_due_at.astimezone(tz):%m-%d %H:%M}"
                    qa = [p.id for p in self.org.with_role(Role.QA)]
                    tell(qa, f"⏰ {ret.label} 退货处理结果已超期(截止 {due})。", f"return:{ret.id}")
            uow.commit()
        return count
