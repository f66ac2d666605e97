"""Reminders and escalation (PROCEDURE §1.3, §2.4, §7): what to tell whom about a running clock at ``now``.

A *watch* is one running clock with the people who owe its step. Its schedule, per clock policy:
reminders to the owners before the due time (default at half-time and one working day before), a notice at
the due time, then escalation level by level (default: department head → qa_manager → gm), one level every
``repeat_hours`` working hours, repeating at the top level, until someone concerned taps 收到/处理中
(acknowledged) or the step is done. Non-urgent pushes that fall in quiet hours or on a non-working day are
held until the next working morning. Each stage has a stable key: stored as the outbox key, it makes every
stage go out once, however many scheduler passes or workers compute it. A pass sends only the latest stage
that has come due, so a scheduler that was down does not flood people with stale reminders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.analysis import AnalysisState, ReturnAnalysis
from core.approval import CHAIN_LABELS, Approval, ApprovalState, waiting_for
from core.campaign import Campaign
from core.clocks import CLOCK_LABELS, Calendar, ClockName
from core.complaint import OPEN_STATES, Complaint
from core.eightd import EightD, EightDState
from core.limits import record_number
from core.messages import RecipientKind
from core.org import Org, Role
from core.ports import NagPlan, Records, UnitOfWork
from core.returns import ReturnRequest, ReturnState
from core.routing import department_people, route
from core.visits import Visit

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


# --- the watches of each kind of record --------------------------------------------------------------


def complaint_watches(form: Complaint, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """The running clocks of an open form: first response (the sales owner), handling (whoever acts next),
    an improvement report (the responsible department)."""
    if form.state not in OPEN_STATES or form.id is None:
        return []
    actors = tuple(r.id for r in route(form, org).actors if r.kind is RecipientKind.USER) or (form.owner,)
    out = []
    for clock in form.clocks:
        if clock.met_at is not None:
            continue
        if clock.name is ClockName.FIRST_RESPONSE:
            owners: tuple[str, ...] = (form.owner,)
        elif clock.name is ClockName.IMPROVEMENT_REPORT:
            owners = tuple(r.id for r in department_people(form, org)) or actors
        else:
            owners = actors
        key = f"f{form.id}:{clock.name.value}"
        out.append(
            Watch(
                key=key,
                title=f"{form.label} {CLOCK_LABELS[clock.name]}",
                started_at=form.submitted_at or form.created_at,
                due_at=clock.due_at,
                owners=owners,
                clock=clock.name.value,
                urgent=clock.name is ClockName.URGENT,
                acknowledged=key in acknowledged,
            )
        )
    return out


def approval_watches(approval: Approval, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """The current step of a pending approval: whoever may still decide it."""
    step = approval.current
    if approval.state is not ApprovalState.PENDING or step is None or approval.step_due_at is None:
        return []
    owners = tuple(sorted(set().union(*waiting_for(approval, org).values())))
    key = f"a{approval.id}:s{approval.step}"
    kind = CHAIN_LABELS.get(approval.kind, approval.kind)
    return [
        Watch(
            key=key,
            title=f"审批:{kind}「{step.name}」",
            started_at=approval.last_at or approval.created_at,
            due_at=approval.step_due_at,
            owners=owners,
            clock="approval",
            acknowledged=key in acknowledged,
        )
    ]


def return_watches(ret: ReturnRequest, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """A received return's processing result, owed by QA (PROCEDURE §2.4: 5 days)."""
    if ret.state is not ReturnState.RECEIVED or ret.processing_due_at is None or ret.id is None:
        return []
    key = f"r{ret.id}:processing"
    return [
        Watch(
            key=key,
            title=f"{ret.label} {CLOCK_LABELS[ClockName.RETURN_PROCESSING]}",
            started_at=ret.received_at or ret.created_at,
            due_at=ret.processing_due_at,
            owners=tuple(p.id for p in org.with_role(Role.QA)),
            clock=ClockName.RETURN_PROCESSING.value,
            acknowledged=key in acknowledged,
        )
    ]


def eightd_watches(e: EightD, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """The next discipline of an open 8D (its owner), or the closure waiting for the qa_manager (2 days)."""
    if e.id is None:
        return []
    step = e.current
    if e.state is EightDState.OPEN and step is not None:
        key = f"e{e.id}:{step.key}"
        owners: tuple[str, ...] = (e.owner,)
        title, due = f"{e.label} {step.label}", e.due_at(step)
    elif e.state is EightDState.CLOSING:
        key = f"e{e.id}:close"
        owners = tuple(p.id for p in org.with_role(Role.QA_MANAGER)) or (e.owner,)
        title, due = f"{e.label} 批准结案", (e.last_at or e.opened_at) + timedelta(days=2)
    else:
        return []
    return [Watch(key, title, e.last_at or e.opened_at, due, owners, "8d", acknowledged=key in acknowledged)]


def analysis_watches(a: ReturnAnalysis, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """An open return analysis report, owed by its QA owner (3 days by default)."""
    if a.id is None or a.state is not AnalysisState.OPEN:
        return []
    key = f"ra{a.id}:report"
    clock = ClockName.IMPROVEMENT_REPORT.value
    return [
        Watch(
            key,
            f"{a.label} 退货分析改善报告",
            a.opened_at,
            a.due_at,
            (a.owner,),
            clock,
            acknowledged=key in acknowledged,
        )
    ]


def visit_watches(v: Visit, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """Each unanswered question of a visit, owed by its owner within 5 working days (PROCEDURE §7)."""
    if v.id is None:
        return []
    out = []
    for i, q in enumerate(v.questions):
        if q.answer:
            continue
        key = f"v{v.id}:q{i + 1}"
        title = f"{v.label} 客户问题 {i + 1}「{q.text[:20]}」的答复"
        out.append(Watch(key, title, v.visited_at, q.due_at, (q.owner,), "visit", acknowledged=key in acknowledged))
    return out


def campaign_watches(c: Campaign, org: Org, acknowledged: frozenset[str] = frozenset()) -> list[Watch]:
    """Each sampled customer not yet surveyed, owed by its owner before the campaign closes."""
    if c.id is None or c.state != "open":
        return []
    out = []
    for i, s in enumerate(c.surveys):
        if s.scores:
            continue
        key = f"sv{c.id}:c{i}"
        title = f"{c.label}:{s.customer} 的调查"
        out.append(
            Watch(key, title, c.started_at, c.closes_at, (s.owner,), "campaign", acknowledged=key in acknowledged)
        )
    return out


# --- every kind of record in one place: the scheduler's pass and the acknowledge button share it --------------

WatchBuilder = Callable[[Any, Org, frozenset[str]], list[Watch]]


def _sources(uow: UnitOfWork) -> dict[str, tuple[Records[Any], WatchBuilder]]:
    """Key prefix → (the records, how their watches are built); complaints (``f``) are apart."""
    return {
        "a": (uow.approvals, approval_watches),
        "r": (uow.returns, return_watches),
        "e": (uow.eightds, eightd_watches),
        "ra": (uow.analyses, analysis_watches),
        "v": (uow.visits, visit_watches),
        "sv": (uow.campaigns, campaign_watches),
    }


def running(uow: UnitOfWork, org: Org) -> list[Watch]:
    """Every running clock, with its acknowledgement (a reminder pass needs only ``due_looks``)."""
    acknowledged = uow.nags.acknowledged()
    out = [w for form in uow.complaints.open_forms() for w in complaint_watches(form, org, acknowledged)]
    for records, build in _sources(uow).values():
        out += [w for item in records.open() for w in build(item, org, acknowledged)]
    return out


def find(uow: UnitOfWork, org: Org, key: str) -> Watch | None:
    """The running clock ``key`` names (``f12:normal``, ``a3:s1``, ``ra1:report``, …), if it still runs."""
    m = re.match(r"^([a-z]+)(\d+):", key)
    number = record_number(m.group(2)) if m else None
    if m is None or number is None:
        return None
    kind = m.group(1)
    found: list[Watch] = []
    if kind == "f":
        form = uow.complaints.get(number)
        found = complaint_watches(form, org) if form else []
    elif kind in (sources := _sources(uow)):
        records, build = sources[kind]
        item = records.get(number)
        found = build(item, org, frozenset()) if item else []
    return next((w for w in found if w.key == key), None)


# --- a reminder pass looks only at what can have a stage due -------------------------------------------------
#
# Between two stages of a clock (``next_push``) every pass computes the same latest stage, whose message is
# already queued (its outbox key). So a pass notes, on each form or record it looked at, when its next stage
# comes; the next passes skip it until then. Writing a form or record clears the note (it may have new clocks,
# owners or times), and a note made under other rules (reminder settings, calendar, timezone, org) does not
# count: each pass still sends exactly what a pass over every open record would.


@dataclass(frozen=True)
class Look:
    """A form (``kind`` "f") or record (a key prefix of ``_sources``) a pass looks at, with its running clocks."""

    kind: str
    id: int
    version: int
    watches: tuple[Watch, ...]


def _canonical(value: Any) -> Any:
    """``value`` as nested tuples whose repr is the same in every process (sets sorted, objects by their fields)."""
    if value is None or isinstance(value, str | int | float | datetime | date | time | timedelta):
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, _canonical(getattr(value, f.name))) for f in fields(value) if f.compare),
        )
    if isinstance(value, set | frozenset):
        return ("set", tuple(sorted((_canonical(v) for v in value), key=repr)))
    if isinstance(value, dict):
        return ("dict", tuple(sorted(((_canonical(k), _canonical(v)) for k, v in value.items()), key=repr)))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    if hasattr(value, "__dict__"):  # a plain object such as a calendar: its holidays and make-up workdays
        return (type(value).__name__, _canonical(vars(value)))
    return value


def plan_rules(reminders: Reminders, calendar: Calendar, tz: ZoneInfo, org: Org) -> str:
    """A short fingerprint of everything a pass's messages depend on besides the records and ``now``: notes made
    under another fingerprint are not trusted."""
    text = repr(_canonical((reminders, calendar, tz.key, org)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def due_looks(uow: UnitOfWork, org: Org, *, rules: str, now: datetime) -> list[Look]:
    """The forms and records that can have a stage due at ``now`` — written since their last look, or whose
    noted next stage has come — with their running clocks and acknowledgements."""
    found: list[tuple[str, Any, list[Watch]]] = [
        ("f", form, complaint_watches(form, org)) for form in uow.complaints.nag_due(rules=rules, now=now)
    ]
    for kind, (records, build) in _sources(uow).items():
        found += [(kind, item, build(item, org, frozenset())) for item in records.nag_due(rules=rules, now=now)]
    acknowledged = uow.nags.acknowledged([w.key for _, _, watches in found for w in watches])
    return [
        Look(kind, int(item.id), item.version, tuple(replace(w, acknowledged=w.key in acknowledged) for w in watches))
        for kind, item, watches in found
    ]


def next_look(
    look: Look, reminders: Reminders, *, calendar: Calendar, tz: ZoneInfo, after: datetime
) -> datetime | None:
    """When the first stage of any of the look's clocks after ``after`` comes due (None: none is left)."""
    times = [
        at
        for w in look.watches
        if (at := next_push(w, reminders.policy(w.clock), calendar=calendar, tz=tz, work=reminders.work, after=after))
        is not None
    ]
    return min(times, default=None)


def plan_looks(uow: UnitOfWork, plans: Iterable[tuple[Look, datetime | None]], *, rules: str) -> None:
    """Note on each form or record looked at when to look again (None: not until it is written again)."""
    by_kind: dict[str, list[NagPlan]] = {}
    for look, at in plans:
        by_kind.setdefault(look.kind, []).append(NagPlan(look.id, look.version, at))
    if "f" in by_kind:
        uow.complaints.plan_nags(by_kind["f"], rules=rules)
    for kind, (records, _) in _sources(uow).items():
        if kind in by_kind:
            records.plan_nags(by_kind[kind], rules=rules)
