"""core.order_flow over the in-memory unit of work: submit (standard or reviewed), settle the review, change an
order — each stored and audited; refusals change nothing and use no number."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from core import approval as a
from core import approval_flow, order_flow
from core import orders as o
from core.errors import MissingFields, NotAllowed, StaleCard
from tests.fakes import QA1, RD1, SALES1, SALES2, FakeUnitOfWork
from tests.unit.core.world import ORG, POLICY, T0, at, last_audit, refused, run


def _submit(
    uow: FakeUnitOfWork,
    product: str = "X300 定制外壳",
    requirements: str | None = "RoHS",
    *,
    quantity: int | None = 5000,
) -> tuple[o.Order, a.Approval | None]:
    return run(
        uow,
        lambda u: order_flow.submit(
            u,
            org=ORG,
            policy=POLICY,
            person_id=SALES1,
            customer="顺达电器",
            product=product,
            quantity=quantity,
            delivery=date(2026, 12, 20),
            requirements=requirements,
            now=T0,
        ),
    )


def _order_actions(uow: FakeUnitOfWork) -> list[str]:
    return [e.action for e in uow.store.audit if e.entity == "order"]


def test_a_non_standard_order_is_numbered_stored_and_sent_to_the_joint_review() -> None:
    uow = FakeUnitOfWork()
    order, approval = _submit(uow)
    assert approval is not None
    assert (order.number, order.state, order.approval_id) == ("OR-202611-0001", o.OrderState.REVIEW, approval.id)
    assert uow.store.orders[order.id or 0] == order
    assert (approval.kind, approval.subject, approval.requester) == ("order_review", f"order:{order.id}", SALES1)
    assert _order_actions(uow) == ["submit"]
    entry = last_audit(uow, "order")
    assert (entry.entity_id, entry.actor, entry.before, entry.after["state"]) == (str(order.id), SALES1, {}, "review")


def test_a_catalogue_product_without_requirements_is_released_at_once_without_a_review() -> None:
    uow = FakeUnitOfWork()
    order, approval = _submit(uow, "P40", None)
    assert approval is None and not uow.store.approvals
    assert (order.state, order.standard, order.released_at) == (o.OrderState.RELEASED, True, T0)
    entry = last_audit(uow, "order")
    assert (entry.action, entry.note) == ("release", "标准品")


def test_an_order_missing_its_quantity_is_refused_and_uses_no_number() -> None:
    uow = FakeUnitOfWork()
    message = refused(uow, lambda u: _submit(u, quantity=None), MissingFields)
    assert message.startswith("合同评审还缺:数量。")
    order, _ = _submit(uow)
    assert order.number == "OR-202611-0001"


def test_only_sales_submit_an_order_for_review() -> None:
    uow = FakeUnitOfWork()
    message = refused(
        uow,
        lambda u: order_flow.submit(
            u,
            org=ORG,
            policy=POLICY,
            person_id=QA1,
            customer="顺达电器",
            product="X300",
            quantity=1,
            delivery=None,
            requirements=None,
            now=T0,
        ),
        NotAllowed,
    )
    assert message == "只有业务员可以提交合同评审。"


def test_an_approved_review_releases_the_order_as_the_last_approver() -> None:
    uow = FakeUnitOfWork()
    order, approval = _submit(uow)
    assert approval is not None
    decided = replace(approval, state=a.ApprovalState.APPROVED, last_actor=QA1)
    released = run(uow, lambda u: order_flow.settle(u, approval=decided, now=at(3)))
    assert released.id == order.id
    assert (released.state, released.released_at) == (o.OrderState.RELEASED, at(3))
    entry = last_audit(uow, "order")
    assert (entry.action, entry.actor, entry.after["state"]) == ("release", QA1, "released")


def test_a_rejected_review_returns_the_order_with_the_reviewers_reasons() -> None:
    uow = FakeUnitOfWork()
    _, approval = _submit(uow)
    assert approval is not None
    _, decided = run(
        uow,
        lambda u: approval_flow.vote(
            u,
            org=ORG,
            policy=POLICY,
            person_id=RD1,
            approval_id=approval.id or 0,
            step=0,
            verdict=a.Verdict.REJECT,
            comment="模具需改",
            now=at(2),
        ),
    )
    returned = run(uow, lambda u: order_flow.settle(u, approval=decided, now=at(2)))
    assert (returned.state, returned.reasons) == (o.OrderState.RETURNED, "模具需改")
    entry = last_audit(uow, "order")
    assert (entry.action, entry.actor, entry.note) == ("return", RD1, "模具需改")


def test_a_withdrawn_review_withdraws_the_order() -> None:
    uow = FakeUnitOfWork()
    _, approval = _submit(uow)
    assert approval is not None
    _, withdrawn = run(
        uow,
        lambda u: approval_flow.withdraw(
            u, org=ORG, policy=POLICY, person_id=SALES1, approval_id=approval.id or 0, step=0, now=at(1)
        ),
    )
    after = run(uow, lambda u: order_flow.settle(u, approval=withdrawn, now=at(1)))
    assert after.state is o.OrderState.WITHDRAWN
    assert last_audit(uow, "order").action == "withdraw"


def _change(uow: FakeUnitOfWork, order: o.Order, values: dict[str, str], user: str = SALES1) -> tuple[o.Order, ...]:
    def change(u: FakeUnitOfWork) -> tuple[o.Order, ...]:
        before, after, _ = order_flow.change(
            u,
            org=ORG,
            policy=POLICY,
            person_id=user,
            order_id=order.id or 0,
            card_version=order.version,
            values=values,
            now=at(5),
        )
        return before, after

    return run(uow, change)


def _returned(uow: FakeUnitOfWork) -> o.Order:
    _, approval = _submit(uow)
    assert approval is not None
    decided = replace(approval, state=a.ApprovalState.REJECTED, last_actor=RD1)
    return run(uow, lambda u: order_flow.settle(u, approval=decided, now=at(2)))


def test_changing_a_returned_order_starts_a_new_review_round_and_is_audited() -> None:
    uow = FakeUnitOfWork()
    returned = _returned(uow)
    _, after = _change(uow, returned, {"quantity": "4000"})
    assert (after.state, after.quantity, after.revision) == (o.OrderState.REVIEW, 4000, 2)
    assert after.approval_id is not None and after.approval_id != returned.approval_id
    assert uow.store.approvals[after.approval_id].subject == f"order:{after.id}"
    entry = last_audit(uow, "order")
    assert (entry.action, entry.before["quantity"], entry.after["quantity"]) == ("change", 5000, 4000)


def test_a_settle_of_a_review_the_order_has_left_behind_is_stale() -> None:
    uow = FakeUnitOfWork()
    returned = _returned(uow)
    first = uow.store.approvals[returned.approval_id or 0]
    _change(uow, returned, {"quantity": "4000"})
    old = replace(first, state=a.ApprovalState.APPROVED, last_actor=QA1)
    message = refused(uow, lambda u: order_flow.settle(u, approval=old, now=at(6)), StaleCard)
    assert message == "OR-202611-0001 已有新的评审,这次评审已失效。"


def test_a_change_from_an_old_card_is_stale_and_names_who_changed_the_order() -> None:
    uow = FakeUnitOfWork()
    returned = _returned(uow)
    _change(uow, returned, {"quantity": "4000"})
    message = refused(uow, lambda u: _change(u, returned, {"quantity": "3000"}), StaleCard)
    assert message == "此卡片已失效,已被张伟于 14:00 变更。OR-202611-0001 当前:评审中。"


def test_only_the_requester_changes_an_order_and_a_change_needs_a_new_figure() -> None:
    uow = FakeUnitOfWork()
    returned = _returned(uow)
    assert (
        refused(uow, lambda u: _change(u, returned, {"quantity": "1"}, SALES2), NotAllowed)
        == "只有提交人可以变更订单。"
    )
    message = refused(uow, lambda u: _change(u, returned, {}), MissingFields)
    assert message == "请填写要变更的数量、交期或特殊要求。"
