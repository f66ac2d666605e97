"""One scheduler pass at ``now``: recover pending inbox events, remind and escalate running clocks, send the
reports, campaigns and daily digest, deliver the outbox. Each job runs in its own transaction and fails alone
(``JOBS``); the outbox drain always runs, last."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.calendar import calendar_notice
from bot.cards import campaign as campaign_cards
from bot.cards.nag import nudge_card
from bot.dispatch.inbound import Dispatcher
from bot.dispatch.outbound import OutboxDispatcher
from bot.notify.outbox import ChannelFor, enqueue
from bot.protocol import message_payload
from bot.reports import monthly as monthly_report
from bot.scheduler import failures
from core import campaign as cp
from core import campaign_flow
from core.campaign import Campaign
from core.complaint import State
from core.messages import Delivery, OutboundMessage, Recipient
from core.nag import due_nudge
from core.nag_notes import due_looks, next_look, plan_looks, plan_rules
from core.org import ChatPurpose, Org, Role
from core.policy import Policy
from core.ports import UnitOfWork
from core.records import SCHEDULER
from core.report import MonthlySummary

log = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Job:
    """A job of every pass: its name (logs, the failure streak), its Chinese label (the admins' message) and what
    it runs. Each opens and commits its own transactions, so an error rolls back its work only (a claim such as
    ``monthly:2026-11`` with it: the job is tried again on the next pass)."""

    name: str
    label: str
    run: Callable[[Scheduler, datetime], object]


DRAIN = ("outbox", "消息发送")  # the name and label of the drain, which always runs, last


@dataclass(frozen=True)
class Pass:
    """What one pass did: the messages delivered, and each failed job's name with its error on one line."""

    delivered: list[Delivery]
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class Scheduler:
    """Runs whatever is due; each message once (outbox keys, job claims), however many workers run it."""

    uow: Callable[[], UnitOfWork]
    org: Org
    dispatcher: Dispatcher
    outbox: OutboxDispatcher
    channel_for: ChannelFor
    monthly: Callable[[str], MonthlySummary] | None = None  # the month's statistics (SQL aggregates)
    rules: str = ""  # the fingerprint reminder passes note their plans under (default: from org and policy)
    alert_after: int = failures.ALERT_AFTER  # failed passes in a row before the admins are told

    def __post_init__(self) -> None:
        if not self.rules:
            policy = self.dispatcher.policy
            self.rules = plan_rules(policy.reminders, policy.calendar, policy.tz, self.org)

    def tick(self, *, now: datetime) -> list[Delivery]:
        """One pass; returns the messages delivered."""
        return self.run(now=now).delivered

    def run(self, *, now: datetime) -> Pass:
        """One pass: every job of ``JOBS``, each failing alone, then the outbox drain, whatever happened before."""
        streaks = failures.failing(self.uow)
        failed: dict[str, str] = {}
        delivered: list[Delivery] = []
        drain = Job(*DRAIN, lambda s, now: delivered.extend(s.outbox.drain(now=now)))
        for job in (*JOBS, drain):
            self._isolated(job, now=now, streaks=streaks, failed=failed)
        return Pass(delivered, failed)

    def _isolated(self, job: Job, *, now: datetime, streaks: Collection[str], failed: dict[str, str]) -> None:
        """Run ``job``; an error is logged with its traceback, noted in ``failed`` and counted in the database (the
        admins told when it keeps failing); a success ends its streak."""
        try:
            job.run(self, now)
        except Exception as e:
            log.exception("scheduled job %s failed", job.name)
            failed[job.name] = failures.one_line(e)
            failures.failed(
                self.uow,
                org=self.org,
                channel_for=self.channel_for,
                job=job.name,
                label=job.label,
                error=failed[job.name],
                now=now,
                alert_after=self.alert_after,
            )
            return
        if job.name in streaks:
            failures.recovered(self.uow, job.name)

    def nag(self, *, now: datetime) -> int:
        """For every running clock, the latest reminder or escalation that has come due (core/nag.py), to the
        people concerned only. The outbox key (stage + person) makes each go out once, whatever the number
        of passes or workers. Only forms and records that can have a stage due are loaded: each one looked at
        gets a note of when its next stage comes (``core.nag_notes.due_looks``). Returns how many messages were
        queued."""
        policy = self.dispatcher.policy
        reminders = policy.reminders
        count = 0
        with self.uow() as uow:
            looks = due_looks(uow, self.org, rules=self.rules, now=now)
            for look in looks:
                for watch in look.watches:
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
                    payload = message_payload(card=nudge_card(watch, nudge, self.org, policy.tz))
                    messages = [OutboundMessage(Recipient.user(p), payload, f"{nudge.key}:{p}") for p in nudge.to]
                    count += enqueue(uow, messages, channel_for=self.channel_for, now=now)
            nexts = [
                (look, next_look(look, reminders, calendar=policy.calendar, tz=policy.tz, after=now)) for look in looks
            ]
            plan_looks(uow, nexts, rules=self.rules)
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
            messages = [
                OutboundMessage(to, payload, f"monthly:{month}:{part}:{to.id}")
                for to in targets
                for part, payload in parts
            ]
            enqueue(uow, messages, channel_for=self.channel_for, now=now)
            uow.commit()
        return month

    def campaigns(self, *, now: datetime) -> None:
        """Satisfaction campaigns: one starts on the configured days (claimed once per month), and each open
        one closes at its end with its results to management."""
        settings = self.dispatcher.policy.campaigns
        local = now.astimezone(self.dispatcher.policy.tz)
        if local.month in settings.months and (local.day, local.time()) >= (settings.day, time(9, 0)):
            with self.uow() as uow:
                if uow.nags.claim(f"campaign:{local:%Y-%m}", at=now):
                    start_campaign(uow, self.org, self.dispatcher.policy, self.channel_for, now=now)
                    uow.commit()
        with self.uow() as uow:
            for campaign in uow.campaigns.open():
                if now >= campaign.closes_at:
                    close_campaign(uow, self.org, campaign, self.channel_for, now=now)
            uow.commit()

    def key_customer_report(self, *, now: datetime) -> str | None:
        """Every half year (from 1 January and 1 July, 09:00): the key-customer report of the half before to the
        mgmt group — key customers and their complaints, new-customer development rate, and the share of
        customers with no contact at all in the half (churn risk). Claimed once. Returns the half (2026H1)."""
        if self.monthly is None:
            return None
        policy = self.dispatcher.policy
        local = now.astimezone(policy.tz)
        if local.month not in (1, 7) or (local.day, local.time()) < (1, time(9, 0)):
            return None
        year, half = (local.year - 1, 2) if local.month == 1 else (local.year, 1)
        label = f"{year}H{half}"
        first_month = 1 if half == 1 else 7
        start = datetime(year, first_month, 1, tzinfo=policy.tz)
        months = [f"{year}-{m:02d}" for m in range(first_month, first_month + 6)]
        with self.uow() as uow:
            if not uow.nags.claim(f"keyreport:{label}", at=now):
                return None
            complaints: dict[str, int] = {}
            for month in months:
                for line in self.monthly(month).by_customer:
                    complaints[line.label] = complaints.get(line.label, 0) + line.count
            customers = [c for c in uow.customers.all() if not c.provisional]
            before = [c for c in customers if c.created_at < start]
            new = [c for c in customers if c.created_at >= start]
            contacted = set(complaints)
            contacted |= {r.customer for r in uow.returns.since(start) if r.customer}
            contacted |= {v.customer for v in uow.visits.since(start)}
            contacted |= {o.customer for o in uow.orders.since(start)}
            quiet = [c.name for c in before if c.name not in contacted]
            keys = [c for c in customers if c.key]

            def rate(part: int, whole: int) -> str:
                return f"{part / whole:.0%}" if whole else "—"

            lines = [f"⭐ {year} {'上' if half == 1 else '下'}半年重点客户报告", f"重点客户 {len(keys)} 家:"]
            lines += [f"· {c.name}:客诉 {complaints.get(c.name, 0)} 件" for c in keys] or ["· (无)"]
            lines.append(f"新客户开发率:{rate(len(new), len(before))}(新增 {len(new)} 家,期初 {len(before)} 家)")
            lines.append(
                f"无往来客户率(流失风险):{rate(len(quiet), len(before))}"
                + (f":{'、'.join(quiet[:10])}" if quiet else "")
            )
            chat = self.org.chat_for(ChatPurpose.MGMT)
            targets = [Recipient.chat(chat.id)] if chat else [Recipient.user(p.id) for p in self.org.with_role(Role.GM)]
            payload = message_payload(text="\n".join(lines))
            messages = [OutboundMessage(to, payload, f"keyreport:{label}:{to.id}") for to in targets]
            enqueue(uow, messages, channel_for=self.channel_for, now=now)
            uow.commit()
        return label

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
            lines.extend(_calendar_lines(policy, local.date(), [c.due_at for _, c in running]))
            chat = self.org.chat_for(ChatPurpose.QA)
            targets = [Recipient.chat(chat.id)] if chat else [Recipient.user(p.id) for p in self.org.with_role(Role.QA)]
            payload = message_payload(text="\n".join(lines))
            messages = [OutboundMessage(to, payload, f"digest:{local.date()}:{to.id}") for to in targets]
            enqueue(uow, messages, channel_for=self.channel_for, now=now)
            uow.commit()
        return True


def _calendar_lines(policy: Policy, today: date, dues: list[datetime]) -> list[str]:
    """The digest's warning when make-up workdays are estimated for this year, the next 31 days or a running
    clock's due date (so a year that no clock reaches yet does not nag the group all year)."""
    days = [today, today + timedelta(days=31), *(d.astimezone(policy.tz).date() for d in dues)]
    notice = calendar_notice(policy.calendar, days)
    return [notice] if notice else []


JOBS: tuple[Job, ...] = (
    Job("process_pending", "收件重试", lambda s, now: s.dispatcher.process_pending(now=now)),
    Job("nag", "提醒与升级", lambda s, now: s.nag(now=now)),
    Job("monthly_report", "月报", lambda s, now: s.monthly_report(now=now)),
    Job("campaigns", "满意度调查", lambda s, now: s.campaigns(now=now)),
    Job("key_customer_report", "重点客户报告", lambda s, now: s.key_customer_report(now=now)),
    Job("digest", "日报", lambda s, now: s.digest(now=now)),
)


def _half(now: datetime, tz: ZoneInfo) -> str:
    local = now.astimezone(tz)
    return f"{local.year} {'上半年' if local.month <= 6 else '下半年'}"


def start_campaign(
    uow: UnitOfWork,
    org: Org,
    policy: Policy,
    channel_for: ChannelFor,
    *,
    now: datetime,
    percent: int | None = None,
    seed: int | None = None,
    actor: str = SCHEDULER,
) -> Campaign:
    """Sample the active (not provisional) customers of the archive and send each owner a survey card per
    customer. The seed is kept on the campaign for auditors (by default, from the start time)."""
    settings = policy.campaigns
    active = [(c.name, c.owner) for c in uow.customers.all() if not c.provisional]
    campaign = campaign_flow.start(
        uow,
        active,
        name=_half(now, policy.tz),
        percent=percent or settings.percent,
        seed=seed if seed is not None else int(now.timestamp()),
        settings=settings,
        actor=actor,
        now=now,
        closes_at=now + timedelta(days=settings.days_open),
    )
    messages = [
        OutboundMessage(
            Recipient.user(survey.owner),
            message_payload(card=campaign_cards.survey_card(campaign, i, policy.tz)),
            f"campaign:{campaign.id}:c{i}:start",
        )
        for i, survey in enumerate(campaign.surveys)
    ]
    enqueue(uow, messages, channel_for=channel_for, now=now)
    return campaign


def close_campaign(
    uow: UnitOfWork, org: Org, campaign: Campaign, channel_for: ChannelFor, *, now: datetime, actor: str = SCHEDULER
) -> Campaign:
    """Close it: results (with the change from the last campaign) to the mgmt group or the gm; every item below
    target to QA, to be handled as customer feedback."""
    closed = campaign_flow.close(uow, campaign, actor=actor, now=now)
    earlier = [c for c in uow.campaigns.since(campaign.started_at - timedelta(days=400)) if c.id != campaign.id]
    previous = max((c for c in earlier if c.state == "closed"), key=lambda c: c.started_at, default=None)
    chat = org.chat_for(ChatPurpose.MGMT)
    targets = [Recipient.chat(chat.id)] if chat else [Recipient.user(p.id) for p in org.with_role(Role.GM)]
    results = message_payload(text=cp.results_text(closed, previous))
    messages = [OutboundMessage(to, results, f"campaign:{campaign.id}:results:{to.id}") for to in targets]
    qa_chat = org.chat_for(ChatPurpose.QA)
    qa = [Recipient.chat(qa_chat.id)] if qa_chat else [Recipient.user(p.id) for p in org.with_role(Role.QA)]
    for item, value in closed.below_target():
        note = f"📋 {closed.label}:「{item}」满意度 {value:.0f},低于目标 {closed.target}。"
        note += "请作为客户反馈处理,制定纠正措施。"
        payload = message_payload(text=note)
        messages += [OutboundMessage(to, payload, f"campaign:{campaign.id}:below:{item}:{to.id}") for to in qa]
    enqueue(uow, messages, channel_for=channel_for, now=now)
    return closed
