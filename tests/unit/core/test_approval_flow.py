"""core.approval_flow over the in-memory unit of work: open, vote, withdraw and delegate, each stored and audited;
refusals change nothing."""

from __future__ import annotations

from core import approval as a
from core import approval_flow
from core.errors import MissingFields, NotAllowed, NotFound, StaleCard, UnknownUser
from tests.fakes import QA1, SALES1, FakeUnitOfWork
from tests.unit.core.world import CS_MGR, GM, ORG, POLICY, T0, VP, at, last_audit, refused, run


def _open(uow: FakeUnitOfWork, kind: str = "return") -> a.Approval:
    return run(
        uow,
        lambda u: approval_flow.open_approval(
            u, policy=POLICY, kind=kind, subject="return:7", requester=SALES1, department="sales", now=T0
        ),
    )


def _vote(
    uow: FakeUnitOfWork, user: str, verdict: a.Verdict = a.Verdict.APPROVE, *, step: int = 0, comment: str | None = None
) -> tuple[a.Approval, a.Approval]:
    return run(
        uow,
        lambda u: approval_flow.vote(
            u,
            org=ORG,
            policy=POLICY,
            person_id=user,
            approval_id=1,
            step=step,
            verdict=verdict,
            comment=comment,
            now=at(1),
        ),
    )


def test_opening_an_approval_stores_the_configured_chain_at_its_first_step_and_audits_it() -> None:
    uow = FakeUnitOfWork()
    opened = _open(uow)
    stored = uow.store.approvals[1]
    assert opened == stored
    assert (stored.kind, stored.subject, stored.state, stored.step) == (
        "return",
        "return:7",
        a.ApprovalState.PENDING,
        0,
    )
    assert [s.name for s in stored.steps] == [s.name for s in POLICY.chains["return"]]
    assert stored.step_due_at is not None and stored.step_due_at > T0
    entry = last_audit(uow, "approval")
    assert (entry.entity_id, entry.action, entry.actor, entry.at) == ("1", "open", SALES1, T0)
    assert entry.before == {}
    assert entry.after == {"state": "pending", "step": 0, "kind": "return", "subject": "return:7"}


def test_an_unknown_approval_is_not_found_with_a_sentence_for_people() -> None:
    uow = FakeUnitOfWork()
    message = refused(uow, lambda u: approval_flow.load(u, 99), NotFound)
    assert message == "找不到这个审批,卡片可能已失效。"


def test_an_approve_moves_the_chain_to_its_next_step_and_audits_the_step_change_with_the_comment() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    before, after = _vote(uow, CS_MGR, comment="同意")
    assert (before.step, after.step, after.state) == (0, 1, a.ApprovalState.PENDING)
    assert uow.store.approvals[1] == after
    entry = last_audit(uow, "approval")
    assert (entry.action, entry.actor, entry.note) == ("approve", CS_MGR, "同意")
    assert (entry.before, entry.after["step"]) == ({"state": "pending", "step": 0}, 1)


def test_the_last_approve_approves_the_whole_chain() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    _vote(uow, CS_MGR)
    _, after = _vote(uow, VP, step=1)
    assert after.state is a.ApprovalState.APPROVED and after.decided_at == at(1)
    assert last_audit(uow, "approval").after["state"] == "approved"


def test_a_reject_ends_the_approval_and_its_reason_is_the_audit_note() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    _, after = _vote(uow, CS_MGR, a.Verdict.REJECT, comment="超出退货期限")
    assert after.state is a.ApprovalState.REJECTED
    entry = last_audit(uow, "approval")
    assert (entry.action, entry.note, entry.after["state"]) == ("reject", "超出退货期限", "rejected")


def test_a_reject_without_a_reason_is_refused_and_nothing_is_written() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    assert refused(uow, lambda u: _vote(u, CS_MGR, a.Verdict.REJECT), MissingFields) == "驳回需要填写原因。"


def test_someone_the_step_does_not_wait_for_cannot_vote() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    assert refused(uow, lambda u: _vote(u, QA1), NotAllowed) == "您不是这一步的审批人。"
    assert refused(uow, lambda u: _vote(u, SALES1), NotAllowed) == a.OWN_REQUEST


def test_a_vote_from_a_card_of_a_passed_step_is_stale_and_names_who_decided() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    _vote(uow, CS_MGR)
    message = refused(uow, lambda u: _vote(u, CS_MGR, step=0), StaleCard)
    assert message == "此审批卡片已失效,已被孙丽于 10:00 批准。当前:审批中。"


def test_a_person_not_in_the_org_cannot_vote() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    refused(uow, lambda u: _vote(u, "stranger"), UnknownUser)


def test_the_requester_withdraws_a_pending_approval_and_the_withdrawal_is_audited() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    _, after = run(
        uow,
        lambda u: approval_flow.withdraw(u, org=ORG, policy=POLICY, person_id=SALES1, approval_id=1, step=0, now=at(2)),
    )
    assert after.state is a.ApprovalState.WITHDRAWN and uow.store.approvals[1].state is a.ApprovalState.WITHDRAWN
    entry = last_audit(uow, "approval")
    assert (entry.action, entry.actor, entry.after["state"]) == ("withdraw", SALES1, "withdrawn")


def test_only_the_requester_may_withdraw() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    message = refused(
        uow,
        lambda u: approval_flow.withdraw(u, org=ORG, policy=POLICY, person_id=CS_MGR, approval_id=1, step=0, now=at(2)),
        NotAllowed,
    )
    assert message == "只有申请人可以撤回。"


def _delegate(uow: FakeUnitOfWork, user: str, deputy: str) -> tuple[a.Approval, a.Approval]:
    return run(
        uow,
        lambda u: approval_flow.delegate(
            u, org=ORG, policy=POLICY, person_id=user, approval_id=1, step=0, deputy=f" {deputy} ", now=at(1)
        ),
    )


def test_a_delegation_is_audited_with_the_deputy_and_the_deputys_vote_says_on_whose_behalf() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    _, handed = _delegate(uow, CS_MGR, GM)
    assert [(d.by, d.to) for d in handed.deputies] == [(CS_MGR, GM)]
    entry = last_audit(uow, "approval")
    assert (entry.action, entry.actor, entry.note) == ("delegate", CS_MGR, "转交给吴总")
    _, after = _vote(uow, GM, comment="同意")
    assert after.votes[-1].on_behalf_of == CS_MGR
    assert last_audit(uow, "approval").note == "代孙丽审批:同意"


def test_a_step_cannot_be_handed_to_the_requester_or_to_nobody() -> None:
    uow = FakeUnitOfWork()
    _open(uow)
    assert refused(uow, lambda u: _delegate(u, CS_MGR, SALES1), NotAllowed) == "不能转交给申请人。"
    assert refused(uow, lambda u: _delegate(u, CS_MGR, "nobody"), MissingFields) == "没有「nobody」这个人。"
