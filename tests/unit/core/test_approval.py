"""The approval engine on its own: who may decide, quorums, deputies, withdrawal."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import approval as a
from core.clocks import ClockPolicy, ClockUnit, WeekdayCalendar
from core.errors import MissingFields, NotAllowed, StaleCard
from tests.fakes import make_org

ORG = make_org()
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
CAL = WeekdayCalendar()


def person(pid: str) -> a.Approver:
    return a.Approver(a.ApproverKind.PERSON, pid)


def start(*steps: a.Step, requester: str = "sales1") -> a.Approval:
    return a.start(
        kind="return",
        subject="return:1",
        requester=requester,
        department="rd",
        steps=steps,
        now=T0,
        calendar=CAL,
        tz=TZ,
    )


def vote(ap: a.Approval, who: str, verdict: a.Verdict = a.Verdict.APPROVE, comment: str | None = None) -> a.Approval:
    return a.decide(ap, actor=who, verdict=verdict, comment=comment, now=T0, org=ORG, calendar=CAL, tz=TZ)


def test_each_kind_of_approver_resolves_to_the_right_people() -> None:
    people = tuple(replace(p, manager="qa_mgr") if p.id == "sales1" else p for p in ORG.people)
    org = replace(ORG, people=people)
    ap = start(
        a.Step(
            "x",
            (
                a.Approver(a.ApproverKind.ROLE, "qa"),
                a.Approver(a.ApproverKind.MANAGER),
                a.Approver(a.ApproverKind.DEPARTMENT_HEAD, "rd"),
                person("prod1"),
            ),
            quorum=None,
        )
    )
    assert a.waiting_for(ap, org) == {0: {"qa1"}, 1: {"qa_mgr"}, 2: {"rd1"}, 3: {"prod1"}}


def test_a_chain_advances_step_by_step_and_each_step_starts_its_own_clock() -> None:
    ap = start(a.Step("one", (person("qa1"),)), a.Step("two", (person("rd1"),), clock=ClockPolicy(4, ClockUnit.HOURS)))
    assert ap.step_due_at == T0 + timedelta(days=2)
    ap = vote(ap, "qa1")
    assert (ap.step, ap.state, ap.step_due_at) == (1, a.ApprovalState.PENDING, T0 + timedelta(hours=4))
    ap = vote(ap, "rd1")
    assert (ap.state, ap.decided_at, ap.step_due_at) == (a.ApprovalState.APPROVED, T0, None)


def test_an_all_of_group_needs_everyone_and_an_n_of_m_group_needs_n() -> None:
    all_of = start(a.Step("all", (person("qa1"), person("rd1"), person("prod1")), quorum=None))
    all_of = vote(vote(all_of, "qa1"), "rd1")
    assert all_of.state is a.ApprovalState.PENDING
    assert vote(all_of, "prod1").state is a.ApprovalState.APPROVED
    two_of_three = start(a.Step("any", (person("qa1"), person("rd1"), person("prod1")), quorum=2))
    assert vote(vote(two_of_three, "qa1"), "prod1").state is a.ApprovalState.APPROVED


def test_one_rejection_ends_the_approval_and_needs_a_reason() -> None:
    ap = start(a.Step("all", (person("qa1"), person("rd1")), quorum=None))
    with pytest.raises(MissingFields):
        vote(ap, "qa1", a.Verdict.REJECT, "  ")
    ap = vote(ap, "qa1", a.Verdict.REJECT, "价格太低")
    assert ap.state is a.ApprovalState.REJECTED and ap.votes[-1].comment == "价格太低"
    with pytest.raises(StaleCard):
        vote(ap, "rd1")


def test_only_a_waited_for_approver_may_decide_and_only_once() -> None:
    ap = start(a.Step("all", (person("qa1"), person("rd1")), quorum=None))
    with pytest.raises(NotAllowed):
        vote(ap, "sales2")
    ap = vote(ap, "qa1")
    with pytest.raises(StaleCard, match="已审批过"):
        vote(ap, "qa1")


def test_a_deputy_decides_on_behalf_of_the_approver_who_handed_the_step_over() -> None:
    ap = start(a.Step("one", (person("qa1"),)))
    with pytest.raises(NotAllowed):
        a.delegate(ap, actor="rd1", deputy="prod1", now=T0, org=ORG)
    ap = a.delegate(ap, actor="qa1", deputy="qa_mgr", now=T0, org=ORG)
    ap = vote(ap, "qa_mgr")
    assert ap.state is a.ApprovalState.APPROVED
    assert (ap.votes[0].approver, ap.votes[0].on_behalf_of) == ("qa_mgr", "qa1")


def test_only_the_requester_withdraws_and_only_while_pending() -> None:
    ap = start(a.Step("one", (person("qa1"),)))
    with pytest.raises(NotAllowed):
        a.withdraw(ap, actor="qa1", now=T0, org=ORG, tz=TZ)
    gone = a.withdraw(ap, actor="sales1", now=T0, org=ORG, tz=TZ)
    assert gone.state is a.ApprovalState.WITHDRAWN
    with pytest.raises(StaleCard):
        a.withdraw(gone, actor="sales1", now=T0, org=ORG, tz=TZ)


def test_a_stale_step_names_who_decided_and_when() -> None:
    ap = vote(start(a.Step("one", (person("qa1"),)), a.Step("two", (person("rd1"),))), "qa1")
    with pytest.raises(StaleCard, match="已被王芳于 09:00 批准"):
        a.require_step(ap, 0, ORG, TZ)
