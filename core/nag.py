"""Reminders and escalation (PROCEDURE §1.3, §2.4, §7): what to tell whom about a running clock at ``now``.

A *watch* is one running clock with the people who owe its step. Its schedule, per clock policy:
reminders to the owners before the due time (default at half-time and one working day before), a notice at
the due time, then escalation level by level (default: department head → qa_manager → gm), one level every
``repeat_hours`` working hours, repeating at the top level, until someone concerned taps 收到/处理中
(acknowledged) or the step is done. Non-urgent pushes that fall in quiet hours or on a non-working day are
held until the next working morning. Each stage has a stable key: stored as the outbox key, it makes every
stage go out once, however many scheduler passes or workers compute it. A pass sends only the latest stage
that has come due, so a scheduler that was down does not flood people with stale reminders.

This module is the schedule of one watch; the watches of each kind of record are ``core.watches``, and the
notes that let a pass skip records with nothing due are ``core.nag_notes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.clocks import Calendar
from core.org import Org, Role

DEPT_HEAD = "dept_head"  # escalation level: the owners' department heads (or managers)


@dataclass(frozen=True)
class NagPolicy:
    """How one clock nags. ``fractions``: reminders at these fractions of the clock's span; ``days_before``:
    a reminder this many working days before the due time (0: none); ``repeat_hours``: working hours
    between escalation levels (and repeats at the top); ``levels``: escalation after the owners
    (``dept_head`` or a role); ``urgent``: pushes are never held."""

    fractions: tuple[float, ...] = (0.5,)
    days_before: int = 1
    repeat_hours: float = 4.0
    levels: tuple[str, ...] = (DEPT_HEAD, Role.QA_MANAGER.value, Role.GM.value)
    urgent: bool = False


@dataclass(frozen=True)
class WorkTime:
    """Quiet hours (pushes held, ``quiet_start`` to ``quiet_end``, the next working morning) and the working
    day over which escalation hours are counted."""

    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    day_start: time = time(8, 0)
    day_end: time = time(18, 0)


@dataclass(frozen=True)
class Reminders:
    """The reminder settings: working time, a policy per clock (``default`` for the others), the daily
    digest's time."""

    work: WorkTime = WorkTime()
    default: NagPolicy = NagPolicy()
    clocks: tuple[tuple[str, NagPolicy], ...] = (("urgent", NagPolicy(urgent=True)),)
    digest_at: time = time(8, 30)
    report_day: int = 1  # the monthly report goes out from this day of the month …
    report_at: time = time(9, 0)  # … at this time, for the month before

    def policy(self, clock: str) -> NagPolicy:
        """The policy of ``clock`` (a ClockName value or ``approval``)."""
        return dict(self.clocks).get(clock, self.default)


@dataclass(frozen=True)
class Watch:
    """A running clock: ``key`` names it (``f12:normal``, ``a3:s1``, ``r5:processing``)."""

    key: str
    title: str  # what is due, for people: "KS-202611-0001 处理完成(普通件)"
    started_at: datetime
    due_at: datetime
    owners: tuple[str, ...]  # person ids who owe the step
    clock: str  # the policy's name (a ClockName value, "approval", …)
    urgent: bool = False
    acknowledged: bool = False


@dataclass(frozen=True)
class Nudge:
    """One message about a watch: its outbox key stem, who, what, and whether it can be acknowledged."""

    key: str
    stage: str  # remind1…, due, esc1…
    to: tuple[str, ...]
    text: str
    at: datetime
    level: int  # 0: reminders and the due notice; n: the n-th escalation


def _on_workday(moment: datetime, calendar: Calendar, tz: ZoneInfo) -> bool:
    return calendar.is_workday(moment.astimezone(tz).date())


def hold(moment: datetime, work: WorkTime, calendar: Calendar, tz: ZoneInfo) -> datetime:
    """``moment``, or the next working morning when it falls in quiet hours or on a non-working day."""
    local = moment.astimezone(tz)
    t = local.timetz().replace(tzinfo=None)
    quiet = (
        (t >= work.quiet_start or t < work.quiet_end)
        if work.quiet_start > work.quiet_end
        else (work.quiet_start <= t < work.quiet_end)
    )
    if not quiet and calendar.is_workday(local.date()):
        return moment
    day = local.date()
    if t >= work.quiet_end and (quiet or not calendar.is_workday(day)):
        day += timedelta(days=1)  # evening (or a day off): from tomorrow
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return datetime.combine(day, work.quiet_end, tzinfo=tz).astimezone(moment.tzinfo)


def add_working_hours(start: datetime, hours: float, work: WorkTime, calendar: Calendar, tz: ZoneInfo) -> datetime:
    """``start`` plus ``hours`` counted only inside working days' ``day_start``–``day_end``."""
    left = timedelta(hours=hours)
    local = start.astimezone(tz)
    day = local.date()
    cursor = local
    for _ in range(3660):  # ten years of days: a calendar with no working day must not loop forever
        opens = datetime.combine(day, work.day_start, tzinfo=tz)
        closes = datetime.combine(day, work.day_end, tzinfo=tz)
        if calendar.is_workday(day) and cursor < closes:
            begin = max(cursor, opens)
            if begin + left <= closes:
                return (begin + left).astimezone(start.tzinfo)
            left -= closes - begin
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0), tzinfo=tz)
    raise ValueError("no working hours in the calendar")


def _before(due: datetime, days: int, calendar: Calendar, tz: ZoneInfo) -> datetime:
    """The same time of day ``days`` working days before ``due``."""
    local = due.astimezone(tz)
    day = local.date()
    while days > 0:
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            days -= 1
    return datetime.combine(day, local.timetz()).astimezone(due.tzinfo)


def escalation_people(level: str, owners: Iterable[str], org: Org) -> tuple[str, ...]:
    """Who an escalation level reaches: department heads (or managers) of the owners, or a role's holders."""
    owners = tuple(owners)
    found: list[str] = []
    if level == DEPT_HEAD:
        for pid in owners:
            person = org.person(pid)
            dept = org.department(person.department) if person and person.department else None
            head = dept.head if dept and dept.head and dept.head != pid else (person.manager if person else None)
            if head and org.person(head):
                found.append(head)
    elif level in {r.value for r in Role}:
        found = [p.id for p in org.with_role(Role(level))]
    return tuple(p for p in dict.fromkeys(found) if p not in owners)


def _fmt(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%m-%d %H:%M}"


def _overdue(watch: Watch, now: datetime) -> str:
    hours = int((now - watch.due_at).total_seconds() // 3600)
    return f"{hours // 24} 天 {hours % 24} 小时" if hours >= 24 else f"{max(hours, 0)} 小时"


def _stages(
    watch: Watch, policy: NagPolicy, *, calendar: Calendar, tz: ZoneInfo, work: WorkTime
) -> Iterator[tuple[str, datetime, datetime, int]]:
    """Every stage of ``watch`` in order — the reminders, the due notice, then (unless acknowledged) the
    escalations, lazily — as (stage, moment, when it is pushed: held unless urgent, escalation level)."""
    urgent = watch.urgent or policy.urgent

    def pushed(at: datetime) -> datetime:
        return at if urgent else hold(at, work, calendar, tz)

    span = watch.due_at - watch.started_at
    moments = [watch.started_at + span * f for f in policy.fractions if 0 < f < 1]
    if policy.days_before > 0:
        moments.append(_before(watch.due_at, policy.days_before, calendar, tz))
    moments = sorted(m for m in set(moments) if watch.started_at < m < watch.due_at)
    for i, at in enumerate(moments, 1):
        held = pushed(at)
        if held < watch.due_at:  # a reminder held past the due time is stale: the due notice replaces it
            yield f"remind{i}", at, held, 0
    yield "due", watch.due_at, pushed(watch.due_at), 0
    if watch.acknowledged or not policy.levels:
        return
    at = watch.due_at
    for n in range(1, 1000):
        at = add_working_hours(at, policy.repeat_hours, work, calendar, tz)
        yield f"esc{n}", at, pushed(at), n


def schedule(
    watch: Watch, policy: NagPolicy, org: Org, *, calendar: Calendar, tz: ZoneInfo, work: WorkTime, until: datetime
) -> list[Nudge]:
    """Every stage of ``watch`` due by ``until`` (held ones at their held time), in time order."""
    owners = watch.owners
    due = _fmt(watch.due_at, tz)
    names: str | None = None
    stages: list[Nudge] = []
    for stage, at, held, level in _stages(watch, policy, calendar=calendar, tz=tz, work=work):
        if held > until:
            if level:
                break  # escalations come one after the other: the first not due ends them
            continue
        key = f"nag:{watch.key}:{stage}"
        if stage == "due":
            text = f"⏰ {watch.title} 已到期(截止 {due}),请尽快处理。"
            stages.append(Nudge(key, stage, owners, text, held, 0))
        elif not level:
            text = f"⏰ 提醒:{watch.title} 将于 {due} 到期,请及时处理。"
            stages.append(Nudge(key, stage, owners, text, held, 0))
        else:
            names = names if names is not None else "、".join(org.name_of(p) for p in owners) or "无"
            people = escalation_people(policy.levels[min(level, len(policy.levels)) - 1], owners, org)
            text = f"🔺 升级提醒:{watch.title} 已超期 {_overdue(watch, at)}(截止 {due}),负责人:{names}。"
            stages.append(Nudge(key, stage, tuple(dict.fromkeys((*people, *owners))), text, held, level))
    return sorted(stages, key=lambda n: n.at)


def next_push(
    watch: Watch, policy: NagPolicy, *, calendar: Calendar, tz: ZoneInfo, work: WorkTime, after: datetime
) -> datetime | None:
    """When the first stage of ``watch`` later than ``after`` comes due (None: no stage is left). Until then every
    pass finds the same latest stage as a pass at ``after`` (``schedule`` gains a stage only at these times)."""
    soonest: datetime | None = None
    for _, _, held, level in _stages(watch, policy, calendar=calendar, tz=tz, work=work):
        if held > after:
            soonest = held if soonest is None else min(soonest, held)
            if level:
                break  # the escalations after it are not reached before it (see ``schedule``)
    return soonest


def due_nudge(
    watch: Watch, policy: NagPolicy, org: Org, *, calendar: Calendar, tz: ZoneInfo, work: WorkTime, now: datetime
) -> Nudge | None:
    """The latest stage that has come due at ``now`` (None if none yet): what a scheduler pass sends."""
    stages = schedule(watch, policy, org, calendar=calendar, tz=tz, work=work, until=now)
    return stages[-1] if stages else None
