"""One scheduler pass at ``now``: recover pending inbox events, remind and escalate running clocks, send the
daily digest, deliver the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from bot.cards.nag import nudge_card
from bot.dispatch.inbound import ChannelFor, Dispatcher
from bot.dispatch.outbound import OutboxDispatcher
from bot.protocol import message_payload
from bot.reports import monthly as monthly_report
from core.complaint import State
from core.messages import Delivery, OutboundMessage, Recipient
from core.nag import analysis_watches, approval_watches, complaint_watches, due_nudge, eightd_watches, return_watches
from core.org import ChatPurpose, Org, Role
from core.ports import UnitOfWork
from core.report import MonthlySummary

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Scheduler:
    """Runs whatever is due; each message once (outbox keys, job claims), however many workers run it."""

    uow: Callable[[], UnitOfWork]
    org: Org
    dispatcher: Dispatcher
    outbox: OutboxDispatcher
    channel_for: ChannelFor
    monthly: Callable[[str], MonthlySummary] | None = None  # the month's statistics (SQL aggregates)

    def tick(self, *, now: datetime) -> list[Delivery]:
        """One pass; returns the messages delivered."""
        self.dispatcher.process_pending(now=now)
        self.nag(now=now)
        self.monthly_report(now=now)
        self.digest(now=now)
        return self.outbox.drain(now=now)

    def nag(self, *, now: datetime) -> int:
        """For every running clock, the latest reminder or escalation that has come due (core/nag.py), to the
        people concerned only. The outbox key (stage + person) makes each go out once, whatever the number
        of passes or workers. Returns how many messages were queued."""
        policy = self.dispatcher.policy
        reminders = policy.reminders
        count = 0
        with self.uow() as uow:
            acknowledged = uow.nags.acknowledged()
            watches = [
                w for form in uow.complaints.open_forms() for w in complaint_watches(form, self.org, acknowledged)
            ]
            watches += [w for a in uow.approvals.open() for w in approval_watches(a, self.org, acknowledged)]
            watches += [w for r in uow.returns.open() for w in return_watches(r, self.org, acknowledged)]
            watches += [w for e in uow.eightds.open() for w in eightd_watches(e, self.org, acknowledged)]
            watches += [w for a in uow.analyses.open() for w in analysis_watches(a, self.org, acknowledged)]
            for watch in watches:
                nudge = due_nudge(
                    watch,
                    reminders.policy(watch.clock),
                    self.org,
                    calendar=policy.calendar,
                    tz=policy.tz,
                    work=reminders.work,
                    now=now,
                )
                if nudge is None:
                    continue
                card = nudge_card(watch, nudge, self.org, policy.tz)
                for pid in nudge.to:
                    to = Recipient.user(pid)
                    msg = OutboundMessage(to, message_payload(card=card), f"{nudge.key}:{pid}")
                    count += uow.outbox.add(msg, channel=self.channel_for(to), now=now)
            uow.commit()
        return count

    def monthly_report(self, *, now: datetime) -> str | None:
        """From the configured day and time of each month (default the 1st, 09:00): the previous month's report
        to the ``mgmt`` group (or, without one, the gm) — the summary text, the Pareto chart and the Excel
        workbook. Claimed in the database: once a month, whatever the number of workers. Returns the month."""
        if self.monthly is None:
            return None
        policy = self.dispatcher.policy
        reminders = policy.reminders
        local = now.astimezone(policy.tz)
        if (local.day, local.time()) < (reminders.report_day, reminders.report_at):
            return None
        first = local.date().replace(day=1)
        month = f"{(first - timedelta(days=1)):%Y-%m}"
        with self.uow() as uow:
            if not uow.nags.claim(f"monthly:{month}", at=now):
                return None
            summary = self.monthly(month)
            png = uow.media.put(monthly_report.pareto_png(summary), content_type="image/png", now=now)
            xlsx = uow.media.put(monthly_report.workbook_xlsx(summary), content_type=XLSX, now=now)
            chat = self.org.chat_for(ChatPurpose.MGMT)
            targets = [Recipient.chat(chat.id)] if chat else [Recipient.user(p.id) for p in self.org.with_role(Role.GM)]
            parts: list[tuple[str, dict[str, Any]]] = [
                ("text", message_payload(text=monthly_report.text(summary))),
                ("chart", {"text": None, "card": None, "image": png}),
                ("xlsx", {"text": None, "card": None, "file": xlsx, "file_name": f"客诉月报-{month}.xlsx"}),
            ]
            for to in targets:
                for part, payload in parts:
                    msg = OutboundMessage(to, payload, f"monthly:{month}:{part}:{to.id}")
                    uow.outbox.add(msg, channel=self.channel_for(to), now=now)
            uow.commit()
        return month

    def digest(self, *, now: datetime) -> bool:
        """On working days at the configured time, the day's digest to the QA group: new forms, due today,
        overdue, awaiting verification. Claimed in the database, so it goes out once a day."""
        policy = self.dispatcher.policy
        local = now.astimezone(policy.tz)
        if not policy.calendar.is_workday(local.date()) or local.time() < policy.reminders.digest_at:
            return False
        with self.uow() as uow:
            if not uow.nags.claim(f"digest:{local.date().isoformat()}", at=now):
                return False
            forms = [f for f in uow.complaints.open_forms() if f.state is not State.DRAFT]
            since = now - timedelta(days=1)
            new = [f for f in forms if f.submitted_at and f.submitted_at >= since]
            end_of_day = datetime.combine(local.date(), time.max, tzinfo=policy.tz)
            running = [(f, c) for f in forms for c in f.clocks if c.met_at is None]
            today = sorted({f.label for f, c in running if now < c.due_at <= end_of_day})
            late = sorted({f.label for f, c in running if c.due_at <= now})
            verify = sorted(f.label for f in forms if f.state is State.RESPONDED)
            lines = [f"📋 {local:%m-%d} 客诉日报"]
            for label, items in (
                ("新增", sorted(f.label for f in new)),
                ("今日到期", today),
                ("已超期", late),
                ("待验证", verify),
            ):
                shown = "、".join(items[:8]) + (f" 等 {len(items)} 单" if len(items) > 8 else "")
                lines.append(f"{label} {len(items)}" + (f":{shown}" if items else ""))
            chat = self.org.chat_for(ChatPurpose.QA)
            targets = [Recipient.chat(chat.id)] if chat else [Recipient.user(p.id) for p in self.org.with_role(Role.QA)]
            for to in targets:
                msg = OutboundMessage(to, message_payload(text="\n".join(lines)), f"digest:{local.date()}:{to.id}")
                uow.outbox.add(msg, channel=self.channel_for(to), now=now)
            uow.commit()
        return True
