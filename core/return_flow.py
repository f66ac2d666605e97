"""Return (RMA) use cases: request, settle its approvals, receive, process, confirm — each audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from core import approval as a
from core import returns as r
from core.approval_flow import open_approval
from core.clocks import ClockName, due_at
from core.errors import NotFound, StaleCard
from core.org import Org
from core.ports import UnitOfWork
from core.records import store
from core.services import PHOTO_WINDOW, Policy, find, person

AUDIT_ENTITY = "return"


def _store(
    uow: UnitOfWork,
    before: r.ReturnRequest | None,
    after: r.ReturnRequest,
    action: str,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> r.ReturnRequest:
    return store(
        uow,
        uow.returns,
        before,
        after,
        entity=AUDIT_ENTITY,
        snapshot=r.snapshot,
        action=action,
        actor=actor,
        now=now,
        note=note,
    )


def request(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    user_id: str,
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
    actor = person(org, user_id)
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
    stored = _store(uow, None, replace(draft, reason=reason), "request", actor.id, now, reason)
    approval = open_approval(
        uow,
        policy=policy,
        kind="return",
        subject=f"return:{stored.id}",
        requester=actor.id,
        department=actor.department,
        now=now,
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
    found = uow.returns.get(return_id)
    if found is None:
        raise NotFound("找不到这个退货单,卡片可能已失效。")
    return found


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
        return _store(uow, before, r.approved(before, rma_no=rma, now=now, actor=actor), "rma_issued", actor, now, rma)
    if approval.state is a.ApprovalState.APPROVED:
        return _store(uow, before, r.replacement_approved(before, now=now, actor=actor), "replacement", actor, now)
    withdrawn = approval.state is a.ApprovalState.WITHDRAWN
    after = r.ended(before, withdrawn=withdrawn, now=now, actor=actor)
    return _store(uow, before, after, after.last_action or "end", actor, now)


def _check_card(ret: r.ReturnRequest, stage: int, org: Org, policy: Policy) -> None:
    if r.STAGES[ret.state] != stage:
        who = ""
        if ret.last_actor and ret.last_at:
            who = f",已被{org.name_of(ret.last_actor)}于 {ret.last_at.astimezone(policy.tz):%H:%M} {ret.last_action}"
        raise StaleCard(f"此卡片已失效{who}。{ret.label} 当前:{r.RETURN_STATE_LABELS[ret.state]}。")


def act(
    uow: UnitOfWork,
    *,
    org: Org,
    policy: Policy,
    user_id: str,
    return_id: int,
    card_stage: int,
    action: r.ReturnAction,
    values: dict[str, str],
    now: datetime,
) -> tuple[r.ReturnRequest, r.ReturnRequest, a.Approval | None]:
    """A tap on a return card: receive (warehouse), process (QA), customer accepted (sales)."""
    actor = person(org, user_id)
    before = load(uow, return_id)
    _check_card(before, card_stage, org, policy)
    started: a.Approval | None = None
    if action is r.ReturnAction.RECEIVE:
        due = due_at(now, policy.clocks[ClockName.RETURN_PROCESSING], calendar=policy.calendar, tz=policy.tz)
        after = r.receive(before, actor=actor, values=values, now=now, processing_due=due, limits=policy.limits)
    elif action is r.ReturnAction.PROCESS:
        after = r.process(before, actor=actor, values=values, now=now, limits=policy.limits)
        if after.state is r.ReturnState.REPLACEMENT_REVIEW:
            started = open_approval(
                uow,
                policy=policy,
                kind="replacement",
                subject=f"return:{before.id}",
                requester=before.requester,
                department=(org.person(before.requester) or actor).department,
                now=now,
            )
            after = replace(after, replacement_approval_id=started.id)
    else:
        after = r.customer_accepted(before, actor=actor, now=now)
    return before, _store(uow, before, after, action.value, actor.id, now, values.get("note")), started


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
    uow: UnitOfWork, *, org: Org, user_id: str, media_id: str, now: datetime, window: timedelta = PHOTO_WINDOW
) -> r.ReturnRequest | None:
    """A warehouse photo goes to the return that person received within ``window``; else None."""
    actor = person(org, user_id)
    recent = [
        ret
        for ret in uow.returns.open()
        if ret.received_by == actor.id and ret.received_at is not None and ret.received_at >= now - window
    ]
    if not recent:
        return None
    before = max(recent, key=lambda ret: ret.received_at or now)
    after = replace(before, photos=(*before.photos, media_id), version=before.version + 1)
    return _store(uow, before, after, "photo", actor.id, now, media_id)
