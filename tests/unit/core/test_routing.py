"""core.routing: who must act on a form next and who is only told, in every state."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.clocks import ClockName
from core.complaint import Action, Clock, Complaint, Details, State, decide, new_draft, submit
from core.messages import Recipient
from core.org import Department, Org, Person
from core.routing import department_people, may_act, route
from tests.fakes import PROD1, QA1, QA_CHAT, QA_MGR, RD1, RD2, SALES1, SALES2, make_org

SH = ZoneInfo("Asia/Shanghai")
ORG = make_org()
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
FULL = Details(customer="明辉电子", product="X200 外壳", defect="外壳划伤", quantity=120)
RESPONSE = {"containment": "隔离库存", "root_cause": "模具磨损", "corrective": "更换模具"}


def user(person_id: str) -> Recipient:
    return Recipient.user(person_id)


def who(person_id: str) -> Person:
    found = ORG.person(person_id)
    assert found is not None
    return found


def draft() -> Complaint:
    return replace(new_draft(owner=who(SALES1), details=FULL, now=T0), id=7)


def submitted() -> Complaint:
    clocks = (Clock(ClockName.FIRST_RESPONSE, T0 + timedelta(days=3)),)
    return submit(draft(), actor=who(SALES1), number="KS-202611-0007", now=T0, clocks=clocks)


def step(form: Complaint, action: Action, person_id: str, values: dict[str, str] | None = None) -> Complaint:
    at = (form.last_at or T0) + timedelta(hours=1)
    return decide(form, action=action, actor=who(person_id), values=values or {}, org=ORG, now=at)


def assigned(department: str = "rd", by: str = QA1) -> Complaint:
    return step(submitted(), Action.VALID, by, {"department": department})


def responded(by: str = QA1) -> Complaint:
    return step(assigned(by=by), Action.RESPOND, RD1, RESPONSE)


def verified() -> Complaint:
    return step(responded(), Action.EFFECTIVE, QA1)


def reported() -> Complaint:
    return step(verified(), Action.REPORTED, SALES1)


def test_the_owner_confirms_their_own_draft_and_nobody_else_is_told() -> None:
    routing = route(draft(), ORG)
    assert (routing.actors, routing.informed) == ((user(SALES1),), ())


def test_a_submitted_form_goes_to_the_qa_people_and_the_qa_chat_and_the_owner_is_told() -> None:
    routing = route(submitted(), ORG)
    assert routing.actors == (user(QA1), Recipient.chat(QA_CHAT))
    assert routing.informed == (user(SALES1),)


def test_a_submitted_form_goes_to_the_qa_people_only_when_there_is_no_qa_chat() -> None:
    org = replace(ORG, chats=())
    assert route(submitted(), org).actors == (user(QA1),)


def test_an_assigned_form_goes_to_the_head_of_the_department() -> None:
    routing = route(assigned("rd"), ORG)
    assert routing.actors == (user(RD1),)
    assert routing.informed == (user(SALES1),)


def test_a_department_without_a_head_gets_all_its_members() -> None:
    assert route(assigned("prod"), ORG).actors == (user(PROD1),)


def test_a_head_who_left_the_org_is_replaced_by_the_members() -> None:
    org = Org(
        people=tuple(p for p in ORG.people if p.id != RD1),
        departments=tuple(replace(d, head="gone") if d.id == "rd" else d for d in ORG.departments),
        chats=ORG.chats,
    )
    assert department_people(assigned("rd"), org) == (user(RD2),)


def test_a_form_whose_department_is_not_configured_reaches_nobody_in_it() -> None:
    org = replace(ORG, departments=(Department("qa", "品质部"),))
    assert department_people(assigned("rd"), org) == ()


def test_a_responded_form_goes_back_to_the_qa_person_who_assigned_it() -> None:
    routing = route(responded(by=QA_MGR), ORG)
    assert routing.actors == (user(QA_MGR),)
    assert routing.informed == (user(SALES1),)


def test_a_responded_form_goes_to_all_qa_when_its_qa_owner_left() -> None:
    form = replace(responded(), qa_owner="someone_who_left")
    assert route(form, ORG).actors == (user(QA1),)


def test_the_owner_acts_on_a_verified_form() -> None:
    routing = route(verified(), ORG)
    assert (routing.actors, routing.informed) == ((user(SALES1),), ())


def test_the_owner_acts_on_a_reported_form() -> None:
    assert route(reported(), ORG).actors == (user(SALES1),)


def test_the_owner_explains_an_invalid_form_to_the_customer() -> None:
    invalid = step(submitted(), Action.CUSTOMER_CAUSED, QA1, {"reason": "使用不当"})
    assert route(invalid, ORG).actors == (user(SALES1),)


def test_nobody_acts_on_a_closed_form_and_the_owner_and_qa_owner_are_told() -> None:
    closed = step(reported(), Action.ACCEPTED, SALES1)
    assert closed.state is State.CLOSED
    routing = route(closed, ORG)
    assert routing.actors == ()
    assert routing.informed == (user(SALES1), user(QA1))


def test_nobody_acts_on_a_cancelled_draft() -> None:
    cancelled = step(draft(), Action.CANCEL, SALES1)
    assert route(cancelled, ORG).actors == ()


def _orgs() -> list[Org]:
    """The test org, and one where 研发部's head left (its members act) and 品质部 is headed by a QA engineer."""
    moved = tuple(
        replace(d, head="gone") if d.id == "rd" else replace(d, head=QA1) if d.id == "qa" else d
        for d in ORG.departments
    )
    return [ORG, replace(ORG, departments=moved)]


def test_may_act_admits_every_form_route_names_the_person_an_actor_of() -> None:
    """``may_act`` is what 「我的待办」 asks the database for; a form it missed would drop out of the list."""
    checked = 0
    for org in _orgs():
        people = [p.id for p in org.people]
        filters = {p: may_act(p, org) for p in people}
        for state in State:
            for owner in (SALES1, RD2):
                for qa_owner in (None, QA1, SALES2, "gone"):
                    for department in (None, "rd", "研发部", "prod", "qa", "nowhere"):
                        form = replace(submitted(), state=state, owner=owner, qa_owner=qa_owner, department=department)
                        actors = route(form, org).actors
                        for p in people:
                            if user(p) in actors:
                                checked += 1
                                assert filters[p].admits(form), (p, state, owner, qa_owner, department)
    assert checked > 500


def test_may_act_leaves_out_what_the_person_never_acts_on() -> None:
    """Sales is not sent QA's or a department's forms; R&D's head is not sent 生产部's."""
    sales, rd_head = may_act(SALES1, ORG), may_act(RD1, ORG)
    assert not sales.admits(submitted())
    assert not sales.admits(replace(draft(), owner=SALES2))
    assert sales.admits(reported())
    assert rd_head.admits(assigned("rd")) and rd_head.admits(assigned("研发部"))
    assert not rd_head.admits(assigned("prod"))
    assert not rd_head.admits(submitted())
