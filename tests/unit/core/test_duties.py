"""Segregation of duties (ISO 9001): nobody approves their own request, the department responds for itself,
the responder never verifies, and returns are requested by the form's owner or customer service."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import approval as a
from core import approval_flow, complaint_flow, return_flow
from core.clocks import WeekdayCalendar
from core.complaint import Action, Complaint, Details, State, decide, new_draft, snapshot, submit
from core.duties import Duties
from core.errors import DomainError, MissingFields, NotAllowed
from core.messages import Recipient
from core.org import Org, Person, Role
from core.returns import RMA_ISSUED, ReturnState
from core.routing import may_act, route
from tests.fakes import PROD1, QA1, QA_MGR, RD1, RD2, SALES1, SALES2, FakeUnitOfWork, make_org, policy

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
CAL = WeekdayCalendar()
BASE = make_org()
ORG = replace(
    BASE,
    people=(
        *(replace(p, manager="cs_mgr") if p.id in (SALES1, SALES2) else p for p in BASE.people),
        Person("cs_mgr", "陈经理", frozenset({Role.CS_MANAGER}), department="sales", manager="vp"),
        Person("vp", "赵总", frozenset({Role.VP}), manager="gm"),
        Person("gm", "孙总", frozenset({Role.GM})),
    ),
)
CHAIN = a.DEFAULT_CHAINS["return"]
RESPONSE = {"containment": "隔离库存", "root_cause": "模具磨损", "corrective": "更换模具"}


def who(pid: str, org: Org = ORG) -> Person:
    found = org.person(pid)
    assert found is not None
    return found


def start(requester: str, steps: tuple[a.Step, ...] = CHAIN) -> a.Approval:
    return a.start(
        kind="return",
        subject="return:1",
        requester=requester,
        department="sales",
        steps=steps,
        now=T0,
        calendar=CAL,
        tz=TZ,
    )


def vote(ap: a.Approval, pid: str, org: Org = ORG) -> a.Approval:
    return a.decide(ap, actor=pid, verdict=a.Verdict.APPROVE, comment=None, now=T0, org=org, calendar=CAL, tz=TZ)


# --- approvals -------------------------------------------------------------------------------------------


def test_a_requester_cannot_approve_a_step_of_their_own_request() -> None:
    ap = start("cs_mgr")
    with pytest.raises(NotAllowed, match=re.escape("不能审批自己提交的申请。")):
        vote(ap, "cs_mgr")


def test_the_only_approver_of_a_step_who_is_the_requester_is_replaced_by_their_manager() -> None:
    ap = start("cs_mgr")
    assert a.waiting_for(ap, ORG) == {0: {"vp"}}
    assert a.requester_only(ap, ORG) and a.stands_in(ap, "vp", ORG)
    assert vote(vote(ap, "vp"), "vp").state is a.ApprovalState.APPROVED


def test_a_requester_without_a_manager_is_replaced_by_the_general_manager_and_never_by_themselves() -> None:
    gm_chain = a.DEFAULT_CHAINS["key_customer"]
    vp_steps = (a.Step("副总批准", (a.Approver(a.ApproverKind.ROLE, "vp"),)),)
    no_manager = replace(ORG, people=tuple(replace(p, manager=None) if p.id == "vp" else p for p in ORG.people))
    assert a.waiting_for(start("vp", vp_steps), no_manager) == {0: {"gm"}}
    assert a.waiting_for(start("gm", gm_chain), ORG) == {0: set()}  # nobody left: the requester is told


def test_a_requester_who_shares_a_role_with_others_leaves_the_step_to_them() -> None:
    two_qa = replace(ORG, people=(*ORG.people, Person("qa2", "钱工", frozenset({Role.QA}), department="qa")))
    step = (a.Step("品质审核", (a.Approver(a.ApproverKind.ROLE, "qa"),)),)
    assert a.waiting_for(start(QA1, step), two_qa) == {0: {"qa2"}}


def test_an_approver_cannot_hand_a_step_to_the_requester() -> None:
    ap = start(SALES1)
    with pytest.raises(NotAllowed, match=re.escape("不能转交给申请人。")):
        a.delegate(ap, actor="cs_mgr", deputy=SALES1, now=T0, org=ORG)
    ap = vote(ap, "cs_mgr")
    with pytest.raises(NotAllowed, match=re.escape("不能转交给申请人。")):
        a.delegate(ap, actor="vp", deputy=SALES1, now=T0, org=ORG)


def test_a_deputy_recorded_as_the_requester_is_never_waited_for() -> None:
    ap = start(SALES1)
    sneaked = replace(ap, deputies=(a.Deputy(step=0, member=0, by="cs_mgr", to=SALES1, at=T0),))
    assert a.waiting_for(sneaked, ORG) == {0: {"cs_mgr"}}
    with pytest.raises(NotAllowed, match="不能审批自己"):
        vote(sneaked, SALES1)


def test_the_requester_cannot_delegate_their_own_request() -> None:
    with pytest.raises(NotAllowed, match="不能审批自己"):
        a.delegate(start("cs_mgr"), actor="cs_mgr", deputy="gm", now=T0, org=ORG)


def test_a_stand_ins_vote_is_audited_as_such() -> None:
    uow = FakeUnitOfWork()
    pol = policy()
    with uow:
        ap = approval_flow.open_approval(
            uow, policy=pol, kind="return", subject="return:1", requester="cs_mgr", department="sales", now=T0
        )
        assert ap.id is not None
        approval_flow.vote(
            uow,
            org=ORG,
            policy=pol,
            person_id="vp",
            approval_id=ap.id,
            step=0,
            verdict=a.Verdict.APPROVE,
            comment=None,
            now=T0,
        )
        uow.commit()
    last = uow.store.audit[-1]
    assert (last.action, last.actor) == ("approve", "vp")
    assert last.note == "申请人不能审批自己的申请,代「客服经理审核」审批"


# --- the department's response and its verification ------------------------------------------------------


def submitted() -> Complaint:
    draft = replace(new_draft(owner=who(SALES1), details=Details("明辉", "X200", "划伤", 15), now=T0), id=1)
    return submit(draft, actor=who(SALES1), number="KS-202611-0001", now=T0, clocks=())


STRICT = Duties()


def step(form: Complaint, action: Action, pid: str, values: dict[str, str], duties: Duties = STRICT) -> Complaint:
    return decide(
        form, action=action, actor=who(pid), values=values, org=ORG, now=T0 + timedelta(hours=1), duties=duties
    )


def assigned(dept: str = "rd") -> Complaint:
    return step(submitted(), Action.VALID, QA1, {"department": dept})


@pytest.mark.parametrize("qa", [QA1, QA_MGR])
def test_qa_cannot_respond_for_a_department_by_default(qa: str) -> None:
    with pytest.raises(NotAllowed, match=re.escape("此单指派给研发部,只有该部门的人可以提交对策。")):
        step(assigned(), Action.RESPOND, qa, RESPONSE)


def test_qa_may_respond_where_duties_allow_and_it_is_recorded_as_done_for_the_department() -> None:
    for duties in (Duties(qa_for_all=True), Duties(qa_may_respond=frozenset({"rd"}))):
        form = step(assigned(), Action.RESPOND, QA1, RESPONSE, duties)
        assert form.state is State.RESPONDED and form.response is not None
        assert (form.response.by, form.response.by_qa) == (QA1, True)
        assert form.events[-1].note == "研发部对策由品质代填"
        assert snapshot(form)["response_by_qa"] == QA1
    with pytest.raises(NotAllowed):
        step(assigned("prod"), Action.RESPOND, QA1, RESPONSE, Duties(qa_may_respond=frozenset({"rd"})))


def test_a_department_member_or_its_head_responds_as_the_department() -> None:
    form = step(assigned(), Action.RESPOND, RD2, RESPONSE, Duties(qa_for_all=True))
    assert form.response is not None and not form.response.by_qa and form.events[-1].note is None
    headed = replace(ORG, departments=tuple(replace(d, head=PROD1) if d.id == "rd" else d for d in ORG.departments))
    by_head = decide(assigned(), action=Action.RESPOND, actor=who(PROD1), values=RESPONSE, org=headed, now=T0)
    assert by_head.state is State.RESPONDED


@pytest.mark.parametrize("action", [Action.EFFECTIVE, Action.NOT_EFFECTIVE])
def test_whoever_submitted_the_response_cannot_verify_it(action: Action) -> None:
    form = step(assigned("qa"), Action.RESPOND, QA1, RESPONSE)  # qa1 is a member of 品质部
    with pytest.raises(NotAllowed, match=re.escape("对策是您提交的,不能由您验证,请另一位品质人员验证。")):
        step(form, action, QA1, {"comment": "有效"})
    assert step(form, action, QA_MGR, {"comment": "复检"}).state in (State.VERIFIED, State.ASSIGNED)


def test_a_response_qa_submitted_goes_to_another_qa_person_for_verification() -> None:
    form = step(assigned(), Action.RESPOND, QA1, RESPONSE, Duties(qa_for_all=True))
    actors = route(form, ORG).actors
    assert [r.id for r in actors] == [QA_MGR]
    assert may_act(QA_MGR, ORG).admits(form)


# --- returns ----------------------------------------------------------------------------------------------


def _form(uow: FakeUnitOfWork, quantity: int = 15) -> None:
    with uow:
        draft = complaint_flow.log_complaint(
            uow, org=ORG, person_id=SALES1, details=Details("明辉", "X200", "划伤", quantity), now=T0
        )
        assert draft.id is not None
        complaint_flow.act(
            uow,
            org=ORG,
            policy=policy(),
            person_id=SALES1,
            complaint_id=draft.id,
            card_version=draft.version,
            action=Action.CONFIRM,
            values={},
            now=T0,
        )
        uow.commit()


def _request(uow: FakeUnitOfWork, user: str, quantity: int | None = None, reason: str | None = None) -> None:
    with uow:
        return_flow.request(
            uow,
            org=ORG,
            policy=policy(),
            person_id=user,
            now=T0,
            complaint_no="KS-202611-0001",
            quantity=quantity,
            reason=reason,
        )
        uow.commit()


def _refused(uow: FakeUnitOfWork, user: str, quantity: int | None = None, reason: str | None = None) -> DomainError:
    before = (dict(uow.store.returns), dict(uow.store.approvals), len(uow.store.audit))
    with pytest.raises(DomainError) as caught:
        _request(uow, user, quantity, reason)
    assert (dict(uow.store.returns), dict(uow.store.approvals), len(uow.store.audit)) == before
    return caught.value


def test_another_sales_person_cannot_request_a_return_on_someone_elses_form() -> None:
    uow = FakeUnitOfWork()
    _form(uow)
    assert str(_refused(uow, SALES2)) == "只有本单业务员(张伟)或客服经理可以为 KS-202611-0001 申请退货。"
    assert isinstance(_refused(uow, QA1), NotAllowed)
    _request(uow, "cs_mgr")
    assert [r.requester for r in uow.store.returns.values()] == ["cs_mgr"]


def test_a_return_larger_than_the_complaint_needs_a_reason() -> None:
    uow = FakeUnitOfWork()
    _form(uow)
    refused = _refused(uow, SALES1, 99999)
    assert isinstance(refused, MissingFields) and refused.fields == ("reason",)
    assert str(refused) == "退货数量 99999 超过客诉数量 15,请填写原因。"
    _request(uow, SALES1, 20, "客户整批退回")
    (ret,) = uow.store.returns.values()
    assert (ret.quantity, ret.reason) == (20, "客户整批退回")
    assert uow.store.audit[-2].note == "客户整批退回"  # the request, before its approval's "open"


def test_an_identical_open_return_request_is_refused_and_a_different_one_is_listed() -> None:
    uow = FakeUnitOfWork()
    _form(uow)
    _request(uow, SALES1, 10)
    assert str(_refused(uow, SALES1, 10)) == "本单已有相同的退货申请:退货申请 #1(退货审批中,10 个),请勿重复提交。"
    _request(uow, "cs_mgr", 5)
    with uow:
        listed = return_flow.open_on(uow, 1)
    assert [r.quantity for r in listed] == [10, 5]


def test_only_returns_with_an_rma_issued_count_as_approved() -> None:
    assert ReturnState.REVIEW not in RMA_ISSUED and ReturnState.REJECTED not in RMA_ISSUED
    assert ReturnState.WITHDRAWN not in RMA_ISSUED
    assert {ReturnState.AWAITING_GOODS, ReturnState.CLOSED} <= RMA_ISSUED


def test_rd_and_qa_people_are_unchanged_by_the_stand_in_rule() -> None:
    ap = start(SALES1, (a.Step("x", (a.Approver(a.ApproverKind.DEPARTMENT_HEAD, "rd"),)),))
    assert a.waiting_for(ap, ORG) == {0: {RD1}}
    assert not a.requester_only(ap, ORG) and not a.stands_in(ap, RD1, ORG)


@pytest.mark.parametrize("kind", sorted(a.DEFAULT_CHAINS))
def test_no_chain_lets_an_approver_of_its_first_step_approve_their_own_request(kind: str) -> None:
    steps = a.DEFAULT_CHAINS[kind]
    org = replace(ORG, departments=tuple(replace(d, head=PROD1) if d.id == "prod" else d for d in ORG.departments))
    org = replace(org, people=(*org.people, Person("buyer1", "冯敏", frozenset({Role.PURCHASING}), manager="vp")))
    approvers = set().union(*a.waiting_for(start("nobody", steps), org).values())
    assert approvers
    for requester in sorted(approvers):
        ap = start(requester, steps)
        assert all(requester not in people for people in a.waiting_for(ap, org).values())
        with pytest.raises(NotAllowed, match="不能审批自己提交的申请"):
            vote(ap, requester, org)


def test_may_act_admits_whoever_route_sends_a_response_to_verify() -> None:
    """「我的待办」 stays consistent with the cards when the QA owner wrote the response and others verify it."""
    base = step(assigned(), Action.RESPOND, QA1, RESPONSE, Duties(qa_for_all=True))
    for by in (QA1, QA_MGR, RD1):
        for qa_owner in (None, QA1, QA_MGR):
            assert base.response is not None
            form = replace(base, qa_owner=qa_owner, response=replace(base.response, by=by))
            actors = route(form, ORG).actors
            assert Recipient.user(by) not in actors
            for r in actors:
                assert r.id is not None and may_act(r.id, ORG).admits(form), (by, qa_owner, r)
