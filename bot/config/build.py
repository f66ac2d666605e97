"""Turning validated kesu.toml data into a KesuConfig (defaults filled in)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.accounts import Accounts, ChatAccounts, PersonAccounts
from bot.config.checks import _cross_check
from bot.config.messages import _describe, _key_path
from bot.config.model import ConfigError, KesuConfig
from bot.config.schema import (
    _ChainEntry,
    _ClockEntry,
    _ConfigFile,
    _DutiesSection,
    _NagEntry,
    _RemindersSection,
    _StepEntry,
)
from core.approval import DEFAULT_CHAINS, DEFAULT_STEP_CLOCK, Step
from core.campaign import DEFAULT_ITEMS, CampaignSettings
from core.clocks import DEFAULT_CLOCKS, ClockName, ClockPolicy
from core.duties import Duties
from core.limits import Limits
from core.nag import NagPolicy, Reminders
from core.org import Chat, Customer, Department, Org, Person, Product
from core.problems import DEFAULT_PROBLEMS, ProblemType


def _nag(entry: _NagEntry | _RemindersSection | None, base: NagPolicy) -> NagPolicy:
    """``base`` with the keys ``entry`` sets."""
    if entry is None:
        return base
    return replace(
        base,
        fractions=tuple(entry.fractions) if entry.fractions is not None else base.fractions,
        days_before=entry.days_before if entry.days_before is not None else base.days_before,
        repeat_hours=entry.repeat_hours if entry.repeat_hours is not None else base.repeat_hours,
        levels=tuple(entry.levels) if entry.levels is not None else base.levels,
        urgent=base.urgent if getattr(entry, "urgent", None) is None else bool(getattr(entry, "urgent", False)),
    )


def _reminders(raw: _RemindersSection) -> Reminders:
    """``[reminders]``: the defaults, then each clock's own table over them."""
    builtin = Reminders()
    default = _nag(raw, builtin.default)
    clocks = []
    for name in (*(c.value for c in ClockName), "approval"):
        entry: _NagEntry | None = getattr(raw, "urgent_clock" if name == "urgent" else name)
        base = replace(default, urgent=True) if name == "urgent" else default  # urgent pushes are never held
        clocks.append((name, _nag(entry, base)))
    work = builtin.work
    if raw.quiet_hours:
        work = replace(work, quiet_start=raw.quiet_hours[0], quiet_end=raw.quiet_hours[1])
    if raw.working_hours:
        work = replace(work, day_start=raw.working_hours[0], day_end=raw.working_hours[1])
    return Reminders(
        work=work,
        default=default,
        clocks=tuple(clocks),
        digest_at=raw.digest_at or builtin.digest_at,
        report_day=raw.monthly_report_day or builtin.report_day,
        report_at=raw.monthly_report_at or builtin.report_at,
    )


def _step(entry: _StepEntry, n: int) -> Step:
    """One configured approval step (validated by _cross_check)."""
    clock = ClockPolicy(entry.clock.amount, entry.clock.unit) if entry.clock else DEFAULT_STEP_CLOCK
    name = entry.name or f"第 {n} 步"
    single = entry.approver()
    if single is not None:
        return Step(name, (single,), quorum=1, clock=clock)
    group = entry.all_of if entry.all_of is not None else entry.any_of or []
    members = tuple(a for m in group if (a := m.approver()) is not None)
    quorum = None if entry.all_of is not None else (entry.quorum or 1)
    return Step(name, members, quorum=quorum, clock=clock)


def _duties(raw: _DutiesSection) -> Duties:
    """``[duties]``: where QA may respond for a department (none by default)."""
    qa = raw.qa_may_respond
    return Duties(qa_may_respond=frozenset(qa)) if isinstance(qa, tuple) else Duties(qa_for_all=qa)


def _accounts(raw: _ConfigFile, org: Org) -> Accounts:
    """Each person's and chat's platform ids (kesu.toml keeps them on the ``[[people]]`` and ``[[chats]]``)."""
    return Accounts(
        org=org,
        people=tuple(PersonAccounts(p.id, wecom=p.wecom, feishu=p.feishu) for p in raw.people),
        chats=tuple(
            ChatAccounts(c.id, wecom=c.wecom, wecom_webhook=c.wecom_webhook, feishu=c.feishu) for c in raw.chats
        ),
    )


def _build(data: dict[str, Any], *, source: str) -> KesuConfig:
    """Validate parsed TOML data and turn it into a KesuConfig; raise ConfigError listing every problem."""
    try:
        raw = _ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"{_key_path(e['loc'])}: {_describe(e)}" for e in exc.errors()]) from None
    problems = _cross_check(raw)
    if problems:
        raise ConfigError(problems)
    org = Org(
        people=tuple(
            Person(
                id=p.id,
                name=p.name,
                roles=frozenset(p.roles),
                department=p.department,
                manager=p.manager,
            )
            for p in raw.people
        ),
        departments=tuple(Department(id=d.id, name=d.name, head=d.head) for d in raw.departments),
        chats=tuple(Chat(id=c.id, name=c.name, purpose=c.purpose) for c in raw.chats),
        customers=tuple(Customer(name=c.name, aliases=tuple(c.aliases)) for c in raw.customers),
        products=tuple(Product(code=p.code, name=p.name, aliases=tuple(p.aliases)) for p in raw.products),
        problem_types=tuple(ProblemType(t.id, t.name, tuple(t.keywords)) for t in raw.problem_types)
        or DEFAULT_PROBLEMS,
    )
    clocks: dict[ClockName, ClockPolicy] = {}
    for name in ClockName:
        entry: _ClockEntry | None = getattr(raw.clocks, name.value)
        clocks[name] = DEFAULT_CLOCKS[name] if entry is None else ClockPolicy(entry.amount, entry.unit)
    approvals = dict(DEFAULT_CHAINS)
    for kind in DEFAULT_CHAINS:
        chain: _ChainEntry | None = getattr(raw.approvals, "return_" if kind == "return" else kind)
        if chain is not None:
            approvals[kind] = tuple(_step(s, i) for i, s in enumerate(chain.steps, 1))
    return KesuConfig(
        timezone=ZoneInfo(raw.timezone),
        org=org,
        accounts=_accounts(raw, org),
        clocks=clocks,
        approvals=approvals,
        reminders=_reminders(raw.reminders),
        holidays=frozenset(raw.calendar.holidays),
        workdays=frozenset(raw.calendar.workdays),
        confirmed_years=frozenset(raw.calendar.confirmed_years),
        source=source,
        confidential_roles=frozenset(raw.customer_archive.confidential_roles),
        duties=_duties(raw.duties),
        campaigns=CampaignSettings(
            percent=raw.campaigns.percent,
            items=tuple(raw.campaigns.items) or DEFAULT_ITEMS,
            target=raw.campaigns.target,
            months=tuple(raw.campaigns.months),
            day=raw.campaigns.day,
            days_open=raw.campaigns.days_open,
        ),
        limits=Limits(
            max_quantity=raw.limits.max_quantity, short_text=raw.limits.short_text, long_text=raw.limits.long_text
        ),
    )
