"""Return (RMA) use cases: request, settle its approvals, receive, process, confirm — each audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from core import approval as a
from core import returns as r
from core.approval_flow import open_approval_on
from core.clocks import ClockName, due_at
from core.complaint_flow import PHOTO_WINDOW, find
from core.org import Org
from core.policy import Policy, person
from core.ports import UnitOfWork
from core.records import Kind, stale_card
from core.records import load as load_record

AUDIT_ENTITY = "return"


RETURNS: Kind[r.ReturnRequest] = Kind(AUDIT_ENTITY, lambda uow: uow.returns, r.snapshot)


def request(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    person_id: str,
    now: datetime,
    complaint_no: str | None = None,
    customer: str | None = None,
    product: str | None = None,
    quantity: int | None = None,
    order_no: str | None = None,
    reason: str | None = None,
) -> tuple[r.ReturnRequest, a.Approval]:
    """A 退货申请单, linked to its complaint when one is named, with its approval started. On a complaint: only
    its owner or customer service, more than its quantity only with a reason, no identical open duplicate."""
    actor = person(org, person_id)
    complaint_id = owner = complaint_quantity = None
    reason = (reason or "").strip() or None
    if complaint_no:
        form = find(uow, complaint_no)
        complaint_id, owner, complaint_quantity = form.id, form.owner, form.details.quantity
        customer = customer or form.details.customer
        product = product or form.details.product
        quantity = form.details.quantity if quantity is None else quantity  # 0 is refused, not replaced
        order_no = order_no or form.details.order_no
    if quantity is not None:
        policy.limits.quantity(quantity, label="退货数量")  # the bound before the rules about the complaint's quantity
    r.check_request(
        requester=actor,
        owner=owner,
        owner_name=org.name_of(owner),
        complaint_no=complaint_no,
        quantity=quantity,
        complaint_quantity=complaint_quantity,
        reason=reason,
        open_requests=open_on(uow, complaint_id),
    )
    draft = r.new_return(
        requester=actor,
        quantity=quantity,
        now=now,
        customer=customer,
        product=product,
        order_no=order_no,
        complaint_id=complaint_id,
        complaint_no=complaint_no,
        limits=policy.limits,
    )
    stored = RETURNS.store(
        uow, None, replace(draft, reason=reason), action="request", actor=actor.id, now=now, note=reason
    )
    approval = open_approval_on(
        uow, stored, entity=AUDIT_ENTITY, kind="return", department=actor.department, policy=policy, now=now
    )
    linked = replace(stored, approval_id=approval.id, version=stored.version + 1)
    uow.returns.save(linked, expected_version=stored.version)
    return linked, approval


def open_on(uow: UnitOfWork, complaint_id: int | None, *, besides: int | None = None) -> tuple[r.ReturnRequest, ...]:
    """The open (not ended) return requests on a complaint, oldest first, ``besides`` left out."""
    if complaint_id is None:
        return ()
    return tuple(x for x in uow.returns.open() if x.complaint_id == complaint_id and x.id != besides)


def load(uow: UnitOfWork, return_id: int) -> r.ReturnRequest:
    """A return by id; NotFound otherwise."""
    return load_record(uow.returns, return_id, missing="找不到这个退货单,卡片可能已失效。")


def subject_id(approval: a.Approval) -> int:
    """The return id an approval is about ('return:7' → 7)."""
    return int(approval.subject.split(":", 1)[1])


def settle(uow: UnitOfWork, *, policy: Policy, approval: a.Approval, now: datetime) -> r.ReturnRequest:
    """An approval of a return (or of its replacement) was decided: issue the RMA number, or end it."""
    before = load(uow, subject_id(approval))
    actor = approval.last_actor or approval.requester
    if approval.state is a.ApprovalState.APPROVED and approval.kind == "return":
        seq = uow.counters.next(f"RMA-{now.astimezone(policy.tz):%Y%m}")
        rma = f"RMA-{now.astimezone(policy.tz):%Y%m}-{seq:04d}"
        after = r.approved(before, rma_no=rma, now=now, actor=actor)
        return RETURNS.store(uow, before, after, action="rma_issued", actor=actor, now=now, note=rma)
    if approval.state is a.ApprovalState.APPROVED:
        after = r.replacement_approved(before, now=now, actor=actor)
        return RETURNS.store(uow, before, after, action="replacement", actor=actor, now=now)
    withdrawn = approval.state is a.ApprovalState.WITHDRAWN
    after = r.ended(before, withdrawn=withdrawn, now=now, actor=actor)
    return RETURNS.store(uow, before, after, action=after.last_action or "end", actor=actor, now=now)


def act(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    person_id: str,
    return_id: int,
    card_stage: int,
    action: r.ReturnAction,
    values: dict[str, str],
    now: datetime,
) -> tuple[r.ReturnRequest, r.ReturnRequest, a.Approval | None]:
    """A tap on a return card: receive (warehouse), process (QA), customer accepted (sales)."""
    actor = person(org, person_id)
    before = load(uow, return_id)
    if r.STAGES[before.state] != card_stage:
        now_is = f"{before.label} 当前:{r.RETURN_STATE_LABELS[before.state]}"
        raise stale_card(before, now_is=now_is, org=org, tz=policy.tz)
    started: a.Approval | None = None
    if action is r.ReturnAction.RECEIVE:
        due = due_at(now, policy.clocks[ClockName.RETURN_PROCESSING], calendar=policy.calendar, tz=policy.tz)
        after = r.receive(before, actor=actor, values=values, now=now, processing_due=due, limits=policy.limits)
    elif action is r.ReturnAction.PROCESS:
        after = r.process(before, actor=actor, values=values, now=now, limits=policy.limits)
        if after.state is r.ReturnState.REPLACEMENT_REVIEW:
            department = (org.person(before.requester) or actor).department
            started = open_approval_on(
                uow, before, entity=AUDIT_ENTITY, kind="replacement", department=department, policy=policy, now=now
            )
            after = replace(after, replacement_approval_id=started.id)
    else:
        after = r.customer_accepted(before, actor=actor, now=now)
    stored = RETURNS.store(uow, before, after, action=action.value, actor=actor.id, now=now, note=values.get("note"))
    return before, stored, started


def fields(ret: r.ReturnRequest) -> dict[str, Any]:
    """What a return is about, for cards and replies."""
    return {
        "complaint_no": ret.complaint_no,
        "customer": ret.customer,
        "product": ret.product,
        "quantity": ret.quantity,
        "order_no": ret.order_no,
    }


def attach_photo(
    uow: UnitOfWork, *, org: Org, person_id: str, media_id: str, now: datetime, window: timedelta = PHOTO_WINDOW
) -> r.ReturnRequest | None:
    """A warehouse photo goes to the return that person received within ``window``; else None."""
    actor = person(org, person_id)
    recent = [
        ret
        for ret in uow.returns.open()
        if ret.received_by == actor.id and ret.received_at is not None and ret.received_at >= now - window
    ]
    if not recent:
        return None
    before = max(recent, key=lambda ret: ret.received_at or now)
    after = replace(before, photos=(*before.photos, media_id), version=before.version + 1)
    return RETURNS.store(uow, before, after, action="photo", actor=actor.id, now=now, note=media_id)
