"""core.complaint: the form's details, its transitions and who may take them; core.due.overdue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.clocks import ClockName
from core.complaint import (
    Action,
    Clock,
    Complaint,
    Details,
    Resolution,
    Severity,
    State,
    allowed_actions,
    decide,
    new_draft,
    parse_severity,
    require_open_card,
    snapshot,
    submit,
)
from core.due import overdue
from core.errors import MissingFields, NotAllowed, StaleCard
from core.org import Person
from tests.fakes import PROD1, QA1, QA_MGR, RD1, RD2, SALES1, SALES2, make_org

SH = ZoneInfo("Asia/Shanghai")
ORG = make_org()
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # a Monday morning
FULL = Details(customer="明辉电子", product="X200 外壳", defect="外壳划伤", quantity=120)
RESPONSE = {"containment": "隔离库存 300 件", "root_cause": "模具磨损", "corrective": "更换模具并加检"}


def who(person_id: str) -> Person:
    found = ORG.person(person_id)
    assert found is not None
    return found


def hours(n: int) -> datetime:
    return T0 + timedelta(hours=n)


def draft(details: Details = FULL) -> Complaint:
    return replace(new_draft(owner=who(SALES1), details=details, now=T0), id=1)


def submitted(details: Details = FULL) -> Complaint:
    clocks = (Clock(ClockName.FIRST_RESPONSE, T0 + timedelta(days=3)), Clock(ClockName.NORMAL, T0 + timedelta(days=7)))
    return submit(draft(details), actor=who(SALES1), number="KS-202611-0001", now=T0, clocks=clocks)


def step(
    form: Complaint, action: Action, person_id: str, values: dict[str, str] | None = None, *, at: datetime
) -> Complaint:
    return decide(form, action=action, actor=who(person_id), values=values or {}, org=ORG, now=at)


def assigned(department: str = "rd") -> Complaint:
    return step(submitted(), Action.VALID, QA1, {"department": department}, at=hours(1))


def responded() -> Complaint:
    return step(assigned(), Action.RESPOND, RD1, RESPONSE, at=hours(2))


# --- details ---------------------------------------------------------------------------------------------


def test_a_draft_lists_its_missing_required_fields_in_asking_order() -> None:
    assert Details(product="X200").missing() == ("customer", "defect", "quantity")
    assert FULL.missing() == ()


def test_an_empty_string_counts_as_missing() -> None:
    assert Details(customer="", product="X200", defect="划伤", quantity=1).missing() == ("customer",)


def test_merged_details_parse_the_quantity_and_severity_typed_in_a_card() -> None:
    merged = Details().merged({"customer": " 顺达电器 ", "quantity": " 40 ", "severity": "急件", "unknown": "x"})
    assert (merged.customer, merged.quantity, merged.severity) == ("顺达电器", 40, Severity.URGENT)


def test_blank_card_inputs_keep_what_was_already_written() -> None:
    assert FULL.merged({"customer": "  ", "quantity": ""}) == FULL


@pytest.mark.parametrize("text", ["abc", "1.5", "十"])
def test_quantity_that_is_not_a_whole_number_is_refused(text: str) -> None:
    with pytest.raises(MissingFields) as caught:
        Details().merged({"quantity": text})
    assert caught.value.fields == ("quantity",)
    assert text in caught.value.message


@pytest.mark.parametrize("text", ["0", "-3"])
def test_quantity_must_be_greater_than_zero(text: str) -> None:
    with pytest.raises(MissingFields, match="大于 0"):
        Details().merged({"quantity": text})


@pytest.mark.parametrize(
    ("text", "severity"),
    [("急件", Severity.URGENT), ("URGENT", Severity.URGENT), ("紧急", Severity.URGENT), ("普通件", Severity.NORMAL)],
)
def test_severity_accepts_chinese_and_english_words(text: str, severity: Severity) -> None:
    assert parse_severity(text) is severity


def test_an_unknown_severity_is_refused_with_the_choices() -> None:
    with pytest.raises(MissingFields, match="急件") as caught:
        parse_severity("很急吗")
    assert caught.value.fields == ("severity",)


# --- submit ----------------------------------------------------------------------------------------------


def test_submitting_numbers_the_form_starts_its_clocks_and_waits_for_qa() -> None:
    form = submitted()
    assert form.state is State.SUBMITTED
    assert (form.number, form.label, form.submitted_at) == ("KS-202611-0001", "KS-202611-0001", T0)
    assert [c.name for c in form.clocks] == [ClockName.FIRST_RESPONSE, ClockName.NORMAL]
    assert form.version == 2
    assert [(e.action, e.actor, e.before, e.after) for e in form.events] == [
        (Action.CONFIRM, SALES1, State.DRAFT, State.SUBMITTED)
    ]


def test_a_draft_missing_the_quantity_cannot_be_submitted() -> None:
    with pytest.raises(MissingFields, match="数量") as caught:
        submit(draft(replace(FULL, quantity=None)), actor=who(SALES1), number="KS-1", now=T0, clocks=())
    assert caught.value.fields == ("quantity",)


def test_only_the_owner_may_submit_their_draft() -> None:
    with pytest.raises(NotAllowed, match="只有本单业务员"):
        submit(draft(), actor=who(SALES2), number="KS-1", now=T0, clocks=())


def test_a_form_cannot_be_submitted_twice() -> None:
    with pytest.raises(StaleCard, match="待品质确认"):
        submit(submitted(), actor=who(SALES1), number="KS-2", now=T0, clocks=())


def test_the_owner_may_cancel_a_draft_but_nobody_else() -> None:
    with pytest.raises(NotAllowed):
        step(draft(), Action.CANCEL, SALES2, at=hours(1))
    cancelled = step(draft(), Action.CANCEL, SALES1, at=hours(1))
    assert (cancelled.state, cancelled.closed_at) == (State.CANCELLED, hours(1))


# --- QA validity check -----------------------------------------------------------------------------------


def test_qa_assigns_a_valid_form_to_a_department_typed_by_name() -> None:
    form = step(submitted(), Action.VALID, QA1, {"department": "研发部"}, at=hours(1))
    assert (form.state, form.department, form.qa_owner, form.round) == (State.ASSIGNED, "rd", QA1, 1)
    assert form.events[-1].note == "研发部"


def test_the_qa_manager_may_do_the_validity_check_too() -> None:
    form = step(submitted(), Action.VALID, QA_MGR, {"department": "prod"}, at=hours(1))
    assert (form.department, form.qa_owner) == ("prod", QA_MGR)


def test_assigning_without_a_department_is_refused() -> None:
    with pytest.raises(MissingFields, match="责任部门") as caught:
        step(submitted(), Action.VALID, QA1, {"department": " "}, at=hours(1))
    assert caught.value.fields == ("department",)


def test_an_unknown_department_name_is_refused_with_the_choices() -> None:
    with pytest.raises(MissingFields, match="没有「采购部」这个部门") as caught:
        step(submitted(), Action.VALID, QA1, {"department": "采购部"}, at=hours(1))
    assert "研发部" in caught.value.message and "生产部" in caught.value.message


def test_sales_cannot_take_qas_validity_step() -> None:
    with pytest.raises(NotAllowed, match="品质部"):
        step(submitted(), Action.VALID, SALES1, {"department": "rd"}, at=hours(1))


@pytest.mark.parametrize(
    ("action", "resolution"),
    [(Action.CUSTOMER_CAUSED, Resolution.CUSTOMER_CAUSED), (Action.MISDIRECTED, Resolution.MISDIRECTED)],
)
def test_a_rejected_form_records_the_reason_and_stops_the_handling_clock(
    action: Action, resolution: Resolution
) -> None:
    form = step(submitted(), action, QA1, {"reason": "客户超负荷使用"}, at=hours(1))
    assert (form.state, form.resolution, form.invalid_reason, form.qa_owner) == (
        State.INVALID,
        resolution,
        "客户超负荷使用",
        QA1,
    )
    first = form.clock(ClockName.FIRST_RESPONSE)
    handling = form.clock(ClockName.NORMAL)
    assert first is not None and first.met_at is None  # sales still has to explain to the customer
    assert handling is not None and handling.met_at == hours(1)
    explained = step(form, Action.EXPLAINED, SALES1, {}, at=hours(2))
    first = explained.clock(ClockName.FIRST_RESPONSE)
    assert first is not None and first.met_at == hours(2)


def test_rejecting_without_a_reason_is_refused() -> None:
    with pytest.raises(MissingFields, match="原因"):
        step(submitted(), Action.CUSTOMER_CAUSED, QA1, {}, at=hours(1))


def test_sales_explains_a_rejected_form_to_the_customer_and_it_closes_with_the_same_resolution() -> None:
    invalid = step(submitted(), Action.MISDIRECTED, QA1, {"reason": "应投给供应商"}, at=hours(1))
    with pytest.raises(NotAllowed):
        step(invalid, Action.EXPLAINED, SALES2, at=hours(2))
    closed = step(invalid, Action.EXPLAINED, SALES1, {"note": "已电话说明"}, at=hours(2))
    assert (closed.state, closed.resolution, closed.closed_at) == (State.CLOSED, Resolution.MISDIRECTED, hours(2))


# --- department response ---------------------------------------------------------------------------------


def test_the_department_response_is_recorded_and_meets_the_first_response_clock() -> None:
    form = step(assigned(), Action.RESPOND, RD1, {**RESPONSE, "preventive": "  "}, at=hours(2))
    assert form.state is State.RESPONDED
    assert form.response is not None
    assert (form.response.root_cause, form.response.preventive, form.response.by) == ("模具磨损", None, RD1)
    first = form.clock(ClockName.FIRST_RESPONSE)
    handling = form.clock(ClockName.NORMAL)
    assert first is not None and first.met_at == hours(2)
    assert handling is not None and handling.met_at is None


def test_any_member_of_the_assigned_department_may_respond() -> None:
    assert step(assigned(), Action.RESPOND, RD2, RESPONSE, at=hours(2)).state is State.RESPONDED


def test_someone_from_another_department_cannot_respond() -> None:
    with pytest.raises(NotAllowed, match="此单指派给研发部"):
        step(assigned("rd"), Action.RESPOND, PROD1, RESPONSE, at=hours(2))


def test_a_response_missing_the_root_cause_and_corrective_action_is_refused() -> None:
    with pytest.raises(MissingFields, match="根本原因、纠正措施") as caught:
        step(assigned(), Action.RESPOND, RD1, {"containment": "隔离"}, at=hours(2))
    assert caught.value.fields == ("root_cause", "corrective")


# --- verification ----------------------------------------------------------------------------------------


def test_an_effective_verification_meets_the_handling_clock() -> None:
    form = step(responded(), Action.EFFECTIVE, QA1, {"comment": "复检合格"}, at=hours(3))
    assert (form.state, form.qa_comment) == (State.VERIFIED, "复检合格")
    handling = form.clock(ClockName.NORMAL)
    assert handling is not None and handling.met_at == hours(3)


def test_the_department_cannot_verify_its_own_response() -> None:
    with pytest.raises(NotAllowed, match="验证对策效果"):
        step(responded(), Action.EFFECTIVE, RD1, at=hours(3))


def test_not_effective_needs_qas_comment() -> None:
    with pytest.raises(MissingFields, match="意见"):
        step(responded(), Action.NOT_EFFECTIVE, QA1, {"comment": ""}, at=hours(3))


def test_not_effective_sends_the_form_back_to_the_department_for_another_round() -> None:
    back = step(responded(), Action.NOT_EFFECTIVE, QA1, {"comment": "仍有划伤"}, at=hours(3))
    assert (back.state, back.round, back.qa_comment, back.department) == (State.ASSIGNED, 2, "仍有划伤", "rd")
    again = step(back, Action.RESPOND, RD1, {**RESPONSE, "corrective": "改模具材料"}, at=hours(4))
    assert (again.state, again.round, again.qa_comment) == (State.RESPONDED, 2, "仍有划伤")
    assert again.response is not None and again.response.corrective == "改模具材料"
    first = again.clock(ClockName.FIRST_RESPONSE)
    assert first is not None and first.met_at == hours(2)  # met once, by the first response


# --- customer --------------------------------------------------------------------------------------------


def verified() -> Complaint:
    return step(responded(), Action.EFFECTIVE, QA1, at=hours(3))


def test_only_the_owner_reports_the_result_to_the_customer() -> None:
    with pytest.raises(NotAllowed, match="只有本单业务员"):
        step(verified(), Action.REPORTED, SALES2, at=hours(4))
    assert step(verified(), Action.REPORTED, SALES1, at=hours(4)).state is State.REPORTED


def test_the_customers_acceptance_closes_the_form_as_resolved() -> None:
    reported = step(verified(), Action.REPORTED, SALES1, at=hours(4))
    closed = step(reported, Action.ACCEPTED, SALES1, {"note": "客户签字确认"}, at=hours(5))
    assert (closed.state, closed.resolution, closed.customer_note, closed.closed_at) == (
        State.CLOSED,
        Resolution.RESOLVED,
        "客户签字确认",
        hours(5),
    )
    assert allowed_actions(closed) == ()


def test_a_customer_who_does_not_accept_sends_the_form_back_to_the_department() -> None:
    reported = step(verified(), Action.REPORTED, SALES1, at=hours(4))
    with pytest.raises(MissingFields):
        step(reported, Action.NOT_ACCEPTED, SALES1, at=hours(5))
    back = step(reported, Action.NOT_ACCEPTED, SALES1, {"note": "客户要求全数更换"}, at=hours(5))
    assert (back.state, back.round, back.customer_note, back.resolution) == (
        State.ASSIGNED,
        2,
        "客户要求全数更换",
        None,
    )


# --- state and card checks -------------------------------------------------------------------------------


def test_a_step_from_the_wrong_state_is_refused_as_stale() -> None:
    with pytest.raises(StaleCard, match="待责任部门处理"):
        step(assigned(), Action.EFFECTIVE, QA1, at=hours(3))


def test_every_transition_bumps_the_version_and_records_the_last_actor() -> None:
    form = responded()
    assert (form.version, form.last_action, form.last_actor, form.last_at) == (4, Action.RESPOND, RD1, hours(2))
    assert [e.after for e in form.events] == [State.SUBMITTED, State.ASSIGNED, State.RESPONDED]


def test_a_stale_card_names_who_acted_and_when_in_local_time() -> None:
    form = step(submitted(), Action.VALID, QA1, {"department": "rd"}, at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    with pytest.raises(StaleCard) as caught:
        require_open_card(form, form.version - 1, ORG, SH)
    assert caught.value.message == (
        "此卡片已失效,已被王芳于 11-23 10:00 有效,指派部门。KS-202611-0001 当前状态:待责任部门处理。"
    )


def test_a_card_at_the_current_version_is_open() -> None:
    form = assigned()
    require_open_card(form, form.version, ORG, SH)  # does not raise


def test_allowed_actions_are_the_buttons_for_the_next_actor() -> None:
    assert allowed_actions(draft()) == (Action.CONFIRM, Action.CANCEL)
    assert allowed_actions(submitted()) == (Action.VALID, Action.CUSTOMER_CAUSED, Action.MISDIRECTED)
    assert allowed_actions(responded()) == (Action.EFFECTIVE, Action.NOT_EFFECTIVE)


def test_the_snapshot_includes_the_response_once_there_is_one() -> None:
    assert "root_cause" not in snapshot(assigned())
    snap = snapshot(responded())
    assert (snap["state"], snap["root_cause"], snap["department"]) == ("responded", "模具磨损", "rd")


# --- overdue ---------------------------------------------------------------------------------------------


def with_clocks(form: Complaint, *clocks: Clock, state: State | None = None) -> Complaint:
    return replace(form, clocks=clocks, state=state or form.state)


def test_overdue_lists_only_open_forms_with_unmet_clocks_past_due() -> None:
    now = T0 + timedelta(days=10)
    past = T0 + timedelta(days=3)
    late = with_clocks(submitted(), Clock(ClockName.FIRST_RESPONSE, past), Clock(ClockName.NORMAL, now + timedelta(1)))
    met = with_clocks(submitted(), Clock(ClockName.FIRST_RESPONSE, past, met_at=past - timedelta(hours=1)))
    closed = with_clocks(submitted(), Clock(ClockName.NORMAL, past), state=State.CLOSED)
    a_draft = with_clocks(draft(), Clock(ClockName.NORMAL, past))
    cancelled = with_clocks(draft(), Clock(ClockName.NORMAL, past), state=State.CANCELLED)
    invalid = with_clocks(submitted(), Clock(ClockName.NORMAL, past), state=State.INVALID)
    found = overdue([late, met, closed, a_draft, cancelled, invalid], now)
    assert [(f.state, c.name) for f, c in found] == [
        (State.SUBMITTED, ClockName.FIRST_RESPONSE),
        (State.INVALID, ClockName.NORMAL),
    ]
    assert found[0][0] is late


def test_nothing_is_overdue_before_its_due_time() -> None:
    form = submitted()
    first = form.clock(ClockName.FIRST_RESPONSE)
    assert first is not None
    assert overdue([form], first.due_at - timedelta(minutes=1)) == []
    assert [c.name for _, c in overdue([form], first.due_at + timedelta(minutes=1))] == [ClockName.FIRST_RESPONSE]
