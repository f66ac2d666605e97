"""The complaint's use cases: each runs inside the caller's unit of work, checks the rules and keeps the audit trail."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core import archive_flow
from core import complaint as c
from core import problems as pt
from core.audit import AuditEntry, diff
from core.clocks import ClockName, due_at
from core.errors import MissingFields, NotAllowed, NotFound
from core.limits import DEFAULT_LIMITS, Limits
from core.org import Org, Role
from core.policy import Policy, person
from core.ports import UnitOfWork
from core.records import Kind
from core.records import load as load_record

LOGGING_ROLES = (Role.SALES, Role.CS_MANAGER)
AUDIT_ENTITY = "complaint"
COMPLAINTS: Kind[c.Complaint] = Kind(AUDIT_ENTITY, lambda uow: uow.complaints, c.snapshot)


def _audit(uow: UnitOfWork, before: c.Complaint | None, after: c.Complaint) -> None:
    assert after.id is not None
    old = c.snapshot(before) if before else {}
    for event in after.events[len(before.events) if before else 0 :]:
        b, a = diff(old, c.snapshot(after))
        uow.audit.append(
            AuditEntry(
                entity=AUDIT_ENTITY,
                entity_id=str(after.id),
                action=event.action.value,
                actor=event.actor,
                at=event.at,
                before=b,
                after=a,
                note=event.note,
            )
        )


def _store(uow: UnitOfWork, before: c.Complaint, after: c.Complaint) -> c.Complaint:
    uow.complaints.save(after, expected_version=before.version)
    _audit(uow, before, after)
    return after


def log_complaint(uow: UnitOfWork, *, org: Org, person_id: str, details: c.Details, now: datetime) -> c.Complaint:
    """Sales logs a complaint: it becomes a draft for them to confirm."""
    actor = person(org, person_id)
    if not actor.has_any(*LOGGING_ROLES):
        raise NotAllowed("只有业务员(销售)可以登记客诉。")
    draft = c.ask_next(c.new_draft(owner=actor, details=details, now=now))
    return COMPLAINTS.store(uow, None, draft, action="draft", actor=actor.id, now=now)


def load(uow: UnitOfWork, complaint_id: int) -> c.Complaint:
    """A form by id; NotFound if it does not exist."""
    return load_record(uow.complaints, complaint_id, missing="找不到这张单据,卡片可能已失效。")


def find(uow: UnitOfWork, number: str) -> c.Complaint:
    """A form by its KS number; NotFound with a readable sentence otherwise."""
    form = uow.complaints.by_number(number)
    if form is None:
        raise NotFound(f"没有找到 {number},请检查编号。")
    return form


def number_for(now: datetime, tz: ZoneInfo, seq: int) -> str:
    """KS-YYYYMM-NNNN, the month taken in the factory's timezone."""
    return f"KS-{now.astimezone(tz):%Y%m}-{seq:04d}"


def act(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    person_id: str,
    complaint_id: int,
    card_version: int,
    action: c.Action,
    values: dict[str, str],
    now: datetime,
) -> tuple[c.Complaint, c.Complaint]:
    """One tap on a form's card. Returns (before, after); raises a DomainError and changes nothing if refused."""
    actor = person(org, person_id)
    form = load(uow, complaint_id)
    c.require_open_card(form, card_version, org, policy.tz)
    if action is c.Action.CONFIRM:
        c.require_owner(form, actor, "提交这张草稿")
        filled = replace(form, details=form.details.merged(values, policy.limits))
        c.check_submit(filled, actor=actor)  # before a number is allocated: a refused submit uses none
        seq = uow.counters.next(f"KS-{now.astimezone(policy.tz):%Y%m}")
        clocks = start_clocks(filled, policy=policy)
        problem = pt.suggest(filled.details.defect, org.problem_types)
        after = c.submit(
            filled, actor=actor, number=number_for(now, policy.tz, seq), now=now, clocks=clocks, problem=problem
        )
        if after.details.customer:  # a customer not in the archive gets a provisional one, kept by the submitter
            archive_flow.ensure_customer(uow, name=after.details.customer, owner=actor.id, now=now)
    else:
        chosen = _problem(values, org) if action is c.Action.VALID else None
        after = c.decide(form, action=action, actor=actor, values=values, org=org, now=now, duties=policy.duties)
        if chosen is not None:
            after = replace(after, problem=chosen.id)
    if action in (c.Action.CONFIRM, c.Action.VALID):
        after = _with_repeats(uow, after, policy, now)
    return form, _store(uow, form, after)


def _with_repeats(uow: UnitOfWork, form: c.Complaint, policy: Policy, now: datetime) -> c.Complaint:
    """Flag a repeat complaint: the same customer, product and problem type within the repeat window."""
    d = form.details
    if form.id is None or not (d.customer and d.product and form.problem):
        return form
    since = now - timedelta(days=policy.repeat_window_days)
    earlier = tuple(
        uow.complaints.similar(
            customer=d.customer, product=d.product, problem=form.problem, since=since, exclude=form.id
        )
    )
    return replace(form, repeat_of=earlier)


def _problem(values: dict[str, str], org: Org) -> pt.ProblemType | None:
    """The problem type QA picked on the validity step (optional: the suggestion stays otherwise)."""
    key = (values.get("problem") or "").strip()
    if not key:
        return None
    found = pt.find(key, org.problem_types)
    if found is None:
        names = "、".join(t.name for t in org.problem_types)
        raise MissingFields(f"没有「{key}」这个问题类型,可选:{names}。", ("problem",))
    return found


def start_clocks(form: c.Complaint, *, policy: Policy) -> tuple[c.Clock, ...]:
    """First response (to the customer) and handling (urgent or normal), both counted from receipt:
    the moment sales logged the complaint, so a draft left lying does not buy extra days."""
    handling = ClockName.URGENT if form.details.severity is c.Severity.URGENT else ClockName.NORMAL
    received = form.created_at
    return tuple(
        c.Clock(name, due_at(received, policy.clocks[name], calendar=policy.calendar, tz=policy.tz))
        for name in (ClockName.FIRST_RESPONSE, handling)
    )


def open_draft(uow: UnitOfWork, person_id: str) -> c.Complaint | None:
    """The person's newest draft, if any."""
    drafts = uow.complaints.open_drafts(person_id, limit=1)  # on every message: not all of them
    return drafts[0] if drafts else None


def cancel_draft(uow: UnitOfWork, *, org: Org, policy: Policy, person_id: str, now: datetime) -> c.Complaint | None:
    """The sender's newest draft is cancelled (as a tap on its cancel button); None when they have none."""
    draft = open_draft(uow, person_id)
    if draft is None:
        return None
    assert draft.id is not None
    _, after = act(
        uow,
        org=org,
        policy=policy,
        person_id=person_id,
        complaint_id=draft.id,
        card_version=draft.version,
        action=c.Action.CANCEL,
        values={},
        now=now,
    )
    return after


def answer_draft(
    uow: UnitOfWork,
    *,
    org: Org,
    person_id: str,
    complaint_id: int,
    values: dict[str, str],
    now: datetime,
    limits: Limits = DEFAULT_LIMITS,
) -> c.Complaint:
    """The owner's answer to the draft's question (or any fields they add) is stored on the draft."""
    actor = person(org, person_id)
    form = load(uow, complaint_id)
    return _store(uow, form, c.update_draft(form, actor=actor, values=values, now=now, limits=limits))


PHOTO_WINDOW = timedelta(minutes=10)


def attach_photo(
    uow: UnitOfWork, *, org: Org, person_id: str, media_id: str, now: datetime, window: timedelta = PHOTO_WINDOW
) -> c.Complaint | None:
    """A photo goes to the sender's open draft, or to the form they submitted within ``window``; else None."""
    actor = person(org, person_id)
    form = open_draft(uow, actor.id) or uow.complaints.latest_submitted(actor.id, since=now - window)
    if form is None or form.id is None:
        return None
    uow.complaints.add_photo(form.id, media_id, by=actor.id, at=now)
    uow.audit.append(
        AuditEntry(
            entity=AUDIT_ENTITY,
            entity_id=str(form.id),
            action=c.Action.PHOTO.value,
            actor=actor.id,
            at=now,
            before={"photos": len(form.photos)},
            after={"photos": len(form.photos) + 1},
            note=media_id,
        )
    )
    return replace(form, photos=(*form.photos, media_id))
