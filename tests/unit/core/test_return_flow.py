"""core.return_flow over the in-memory unit of work: request, settle the approvals, receive, process, the customer's
acceptance and the warehouse's photo — each stored and audited; refusals change nothing. (Who may request and the
duplicate rule are in test_duties.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core import approval as a
from core import return_flow
from core import returns as r
from core.errors import MissingFields, NotAllowed, NotFound, StaleCard
from tests.fakes import QA1, SALES1, FakeUnitOfWork
from tests.unit.core.world import ORG, POLICY, T0, VP, WH, at, last_audit, refused, run, submitted_complaint


def _request(uow: FakeUnitOfWork, quantity: int | None = 100) -> tuple[r.ReturnRequest, a.Approval]:
    return run(
        uow,
        lambda u: return_flow.request(
            u, org=ORG, policy=POLICY, person_id=SALES1, now=T0, complaint_no="KS-202611-0001", quantity=quantity
        ),
    )


def _settle(uow: FakeUnitOfWork, approval: a.Approval, state: a.ApprovalState, hours: float = 1) -> r.ReturnRequest:
    decided = replace(approval, state=state, last_actor=VP)
    return run(uow, lambda u: return_flow.settle(u, policy=POLICY, approval=decided, now=at(hours)))


def _act(
    uow: FakeUnitOfWork, ret: r.ReturnRequest, user: str, action: r.ReturnAction, values: dict[str, str], hours: float
) -> tuple[r.ReturnRequest, r.ReturnRequest, a.Approval | None]:
    return run(
        uow,
        lambda u: return_flow.act(
            u,
            org=ORG,
            policy=POLICY,
            person_id=user,
            return_id=ret.id or 0,
            card_stage=r.STAGES[ret.state],
            action=action,
            values=values,
            now=at(hours),
        ),
    )


def _awaiting(uow: FakeUnitOfWork) -> r.ReturnRequest:
    submitted_complaint(uow)
    _, approval = _request(uow)
    return _settle(uow, approval, a.ApprovalState.APPROVED)


def _received(uow: FakeUnitOfWork) -> r.ReturnRequest:
    ret = _awaiting(uow)
    return _act(uow, ret, WH, r.ReturnAction.RECEIVE, {"received_qty": "100"}, 24)[1]


def test_a_request_on_a_complaint_takes_its_details_opens_the_return_chain_and_is_audited() -> None:
    uow = FakeUnitOfWork()
    form = submitted_complaint(uow)
    ret, approval = _request(uow)
    assert (ret.complaint_id, ret.customer, ret.product, ret.quantity) == (form.id, "明辉电子", "X200 外壳", 100)
    assert (ret.state, ret.approval_id) == (r.ReturnState.REVIEW, approval.id)
    assert uow.store.returns[ret.id or 0] == ret
    assert (approval.kind, approval.subject) == ("return", f"return:{ret.id}")
    entry = last_audit(uow, "return")
    assert (entry.action, entry.actor, entry.before, entry.after["quantity"]) == ("request", SALES1, {}, 100)
    assert last_audit(uow, "approval").action == "open"


def test_a_request_without_a_complaint_needs_the_customer_and_product() -> None:
    uow = FakeUnitOfWork()
    message = refused(
        uow,
        lambda u: return_flow.request(u, org=ORG, policy=POLICY, person_id=SALES1, now=T0, quantity=5),
        MissingFields,
    )
    assert message == "退货申请还缺:客诉单号(或客户和产品)。例如:申请退货 KS-202611-0001 200个"


def test_an_approved_return_gets_the_months_next_rma_number_and_waits_for_the_goods() -> None:
    uow = FakeUnitOfWork()
    ret = _awaiting(uow)
    assert (ret.state, ret.rma_no, ret.last_actor) == (r.ReturnState.AWAITING_GOODS, "RMA-202611-0001", VP)
    entry = last_audit(uow, "return")
    assert (entry.action, entry.actor, entry.note) == ("rma_issued", VP, "RMA-202611-0001")
    assert (entry.before["state"], entry.after["state"]) == ("review", "awaiting_goods")


def test_a_rejected_or_withdrawn_return_ends_without_a_number() -> None:
    for state, ended in (
        (a.ApprovalState.REJECTED, r.ReturnState.REJECTED),
        (a.ApprovalState.WITHDRAWN, r.ReturnState.WITHDRAWN),
    ):
        uow = FakeUnitOfWork()
        submitted_complaint(uow)
        _, approval = _request(uow)
        after = _settle(uow, approval, state)
        assert after.state is ended and after.rma_no is None
        assert last_audit(uow, "return").action == after.last_action
        assert not uow.store.counters.get("RMA-202611")


def test_the_warehouse_receives_the_goods_and_the_processing_clock_starts() -> None:
    uow = FakeUnitOfWork()
    ret = _awaiting(uow)
    _, after, started = _act(
        uow, ret, WH, r.ReturnAction.RECEIVE, {"received_qty": "98", "anomalies": "d", "note": "外箱破损"}, 24
    )
    assert started is None
    assert (after.state, after.received_qty, after.anomalies) == (r.ReturnState.RECEIVED, 98, ("D",))
    assert after.processing_due_at is not None and after.processing_due_at > at(24)
    entry = last_audit(uow, "return")
    assert (entry.action, entry.actor, entry.note, entry.after["state"]) == ("receive", WH, "外箱破损", "received")


def test_only_the_warehouse_receives_and_a_card_of_an_earlier_stage_is_stale() -> None:
    uow = FakeUnitOfWork()
    ret = _awaiting(uow)
    message = refused(uow, lambda u: _act(u, ret, QA1, r.ReturnAction.RECEIVE, {"received_qty": "1"}, 24), NotAllowed)
    assert message == "只有仓库可以确认收货。"
    _act(uow, ret, WH, r.ReturnAction.RECEIVE, {"received_qty": "100"}, 24)
    message = refused(uow, lambda u: _act(u, ret, WH, r.ReturnAction.RECEIVE, {"received_qty": "1"}, 25), StaleCard)
    assert message.startswith("此卡片已失效,已被郑军于 09:00 确认收货。RMA-202611-0001 当前:")


def test_a_result_that_is_our_fault_opens_the_replacement_approval() -> None:
    uow = FakeUnitOfWork()
    ret = _received(uow)
    values = {"good": "60", "bad": "40", "cause": "模具磨损", "ours": "是"}
    _, after, started = _act(uow, ret, QA1, r.ReturnAction.PROCESS, values, 48)
    assert started is not None and (started.kind, started.subject) == ("replacement", f"return:{ret.id}")
    assert (after.state, after.replacement_approval_id) == (r.ReturnState.REPLACEMENT_REVIEW, started.id)
    assert uow.store.returns[ret.id or 0] == after
    entry = last_audit(uow, "return")
    assert (entry.action, entry.actor, entry.after["state"]) == ("process", QA1, "replacement_review")


def test_a_result_that_is_not_our_fault_closes_the_return_without_an_approval() -> None:
    uow = FakeUnitOfWork()
    ret = _received(uow)
    approvals = len(uow.store.approvals)
    values = {"good": "100", "bad": "0", "cause": "客户使用不当", "ours": "否"}
    _, after, started = _act(uow, ret, QA1, r.ReturnAction.PROCESS, values, 48)
    assert started is None and len(uow.store.approvals) == approvals
    assert after.state is r.ReturnState.CLOSED and after.closed_at == at(48)


def test_the_replacement_approved_then_the_customers_acceptance_closes_the_return() -> None:
    uow = FakeUnitOfWork()
    ret = _received(uow)
    _, _, started = _act(
        uow, ret, QA1, r.ReturnAction.PROCESS, {"good": "0", "bad": "100", "cause": "划伤", "ours": "是"}, 48
    )
    assert started is not None
    replacing = _settle(uow, started, a.ApprovalState.APPROVED, 50)
    assert replacing.state is r.ReturnState.REPLACING and replacing.rma_no == "RMA-202611-0001"
    assert last_audit(uow, "return").action == "replacement"
    _, closed, _ = _act(uow, replacing, SALES1, r.ReturnAction.CUSTOMER_ACCEPTED, {}, 72)
    assert closed.state is r.ReturnState.CLOSED
    assert last_audit(uow, "return").action == "customer_accepted"


def test_a_warehouse_photo_goes_to_the_return_received_in_the_last_ten_minutes_and_is_audited() -> None:
    uow = FakeUnitOfWork()
    ret = _received(uow)
    received_at = ret.received_at
    assert received_at is not None
    late = received_at + timedelta(minutes=11)
    assert run(uow, lambda u: return_flow.attach_photo(u, org=ORG, person_id=WH, media_id="m9", now=late)) is None
    soon = received_at + timedelta(minutes=5)
    after = run(uow, lambda u: return_flow.attach_photo(u, org=ORG, person_id=WH, media_id="m9", now=soon))
    assert after is not None and after.photos == ("m9",) and uow.store.returns[ret.id or 0].photos == ("m9",)
    entry = last_audit(uow, "return")
    assert (entry.action, entry.actor, entry.note) == ("photo", WH, "m9")


def test_a_tap_on_a_return_that_does_not_exist_is_not_found() -> None:
    uow = FakeUnitOfWork()
    ghost = r.ReturnRequest(id=42, requester=SALES1, created_at=T0, quantity=1, state=r.ReturnState.AWAITING_GOODS)
    message = refused(uow, lambda u: _act(u, ghost, WH, r.ReturnAction.RECEIVE, {}, 1), NotFound)
    assert message == "找不到这个退货单,卡片可能已失效。"
