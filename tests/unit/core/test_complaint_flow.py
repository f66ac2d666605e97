"""core.services over the in-memory unit of work: the procedure end to end, numbers, clocks, refusals, audit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core import complaint_flow
from core.audit import AuditEntry
from core.clocks import ClockName, ClockPolicy, ClockUnit, WeekdayCalendar
from core.complaint import Action, Complaint, Details, Resolution, Severity, State
from core.errors import ConcurrentUpdate, DomainError, MissingFields, NotAllowed, NotFound, StaleCard, UnknownUser
from core.policy import Policy
from core.ports import UnitOfWork
from tests.fakes import (
    PROD1,
    QA1,
    QA_MGR,
    RD1,
    SALES1,
    SALES2,
    FakeStore,
    FakeUnitOfWork,
    make_org,
    policy,
)

SH = ZoneInfo("Asia/Shanghai")
ORG = make_org()
POLICY = policy()
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # a Monday morning
FULL = Details(customer="明辉电子", product="X200 外壳", defect="外壳划伤", quantity=120)
RESPONSE = {
    "containment": "隔离库存 300 件",
    "root_cause": "模具磨损",
    "corrective": "更换模具并加检",
    "preventive": "同类模具每月点检",
}


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def log(uow: FakeUnitOfWork, details: Details = FULL, *, user: str = SALES1, at: datetime = T0) -> int:
    """Sales logs a draft (committed)."""
    with uow:
        form = complaint_flow.log_complaint(uow, org=ORG, person_id=user, details=details, now=at)
        uow.commit()
    assert form.id is not None
    return form.id


def tap(
    uow: FakeUnitOfWork,
    complaint_id: int,
    user: str,
    action: Action,
    values: dict[str, str] | None = None,
    *,
    at: datetime,
    card_version: int | None = None,
    pol: Policy = POLICY,
) -> Complaint:
    """One tap on the form's card (at its current version unless given), committed."""
    with uow:
        version = complaint_flow.load(uow, complaint_id).version if card_version is None else card_version
        _, after = complaint_flow.act(
            uow,
            org=ORG,
            policy=pol,
            person_id=user,
            complaint_id=complaint_id,
            card_version=version,
            action=action,
            values=values or {},
            now=at,
        )
        uow.commit()
    return after


def stored(uow: FakeUnitOfWork, complaint_id: int) -> Complaint:
    return uow.store.complaints[complaint_id]


def audit_of(uow: FakeUnitOfWork, complaint_id: int) -> list[AuditEntry]:
    return [e for e in uow.store.audit if (e.entity, e.entity_id) == ("complaint", str(complaint_id))]


def drive(uow: FakeUnitOfWork, until: State, *, details: Details = FULL, department: str = "rd") -> int:
    """A form logged by sales1 and taken along the happy path to ``until`` (one hour per step)."""
    complaint_id = log(uow, details)
    responder = RD1 if department == "rd" else PROD1
    path: list[tuple[State, str, Action, dict[str, str]]] = [
        (State.SUBMITTED, SALES1, Action.CONFIRM, {}),
        (State.ASSIGNED, QA1, Action.VALID, {"department": department}),
        (State.RESPONDED, responder, Action.RESPOND, RESPONSE),
        (State.VERIFIED, QA1, Action.EFFECTIVE, {}),
        (State.REPORTED, SALES1, Action.REPORTED, {}),
        (State.CLOSED, SALES1, Action.ACCEPTED, {}),
    ]
    for i, (state, user, action, values) in enumerate(path, start=1):
        if stored(uow, complaint_id).state is until:
            break
        assert tap(uow, complaint_id, user, action, values, at=hours(i)).state is state
    assert stored(uow, complaint_id).state is until
    return complaint_id


@dataclass(frozen=True)
class Committed:
    """Everything a refused step must leave as it was."""

    form: Complaint
    version: int
    state: State
    audit: int
    counters: dict[str, int]


def committed(uow: FakeUnitOfWork, complaint_id: int) -> Committed:
    form = stored(uow, complaint_id)
    return Committed(form, form.version, form.state, len(uow.store.audit), dict(uow.store.counters))


def refused(
    uow: FakeUnitOfWork,
    complaint_id: int,
    user: str,
    action: Action,
    values: dict[str, str] | None = None,
    *,
    at: datetime = T0 + timedelta(days=1),
    card_version: int | None = None,
) -> DomainError:
    """Taps and expects a refusal that wrote nothing, not even inside the transaction."""
    before = committed(uow, complaint_id)
    with uow:
        version = before.version if card_version is None else card_version
        with pytest.raises(DomainError) as caught:
            complaint_flow.act(
                uow,
                org=ORG,
                policy=POLICY,
                person_id=user,
                complaint_id=complaint_id,
                card_version=version,
                action=action,
                values=values or {},
                now=at,
            )
        assert uow.fake_complaints.writes == {}
        assert uow.fake_audit.writes == []
        assert uow.fake_counters.writes == {}
    assert committed(uow, complaint_id) == before
    return caught.value


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


# --- the fake unit of work -------------------------------------------------------------------------------


def test_the_fake_unit_of_work_is_a_unit_of_work() -> None:
    unit: UnitOfWork = FakeUnitOfWork()
    with unit:
        assert unit.complaints.open_forms() == []


def test_leaving_the_unit_without_commit_discards_every_write(uow: FakeUnitOfWork) -> None:
    with uow:
        complaint_flow.log_complaint(uow, org=ORG, person_id=SALES1, details=FULL, now=T0)
        assert uow.counters.next("KS-202611") == 1
        assert len(uow.complaints.open_drafts(SALES1)) == 1
    assert (uow.store.complaints, uow.store.audit, uow.store.counters, uow.commits) == ({}, [], {}, 0)
    with uow:
        assert uow.complaints.open_drafts(SALES1) == []
        assert uow.counters.next("KS-202611") == 1


def test_a_save_over_a_version_another_unit_committed_raises_concurrent_update() -> None:
    store = FakeStore()
    first, second = FakeUnitOfWork(store), FakeUnitOfWork(store)
    complaint_id = drive(first, State.SUBMITTED)
    with second:
        seen = second.complaints.get(complaint_id)
        assert seen is not None
        tap(first, complaint_id, QA1, Action.VALID, {"department": "rd"}, at=hours(5))
        with pytest.raises(ConcurrentUpdate):
            second.complaints.save(replace(seen, version=seen.version + 1), expected_version=seen.version)
    assert stored(first, complaint_id).state is State.ASSIGNED


# --- logging and looking up ------------------------------------------------------------------------------


def test_sales_logs_a_draft_with_an_audit_entry_of_the_whole_form(uow: FakeUnitOfWork) -> None:
    complaint_id = log(uow)
    form = stored(uow, complaint_id)
    assert (form.state, form.owner, form.number, form.version) == (State.DRAFT, SALES1, None, 1)
    [entry] = audit_of(uow, complaint_id)
    assert (entry.action, entry.actor, entry.at, entry.before) == ("draft", SALES1, T0, {})
    assert entry.after["state"] == "draft" and entry.after["customer"] == "明辉电子"
    assert uow.store.counters == {}  # drafts are not numbered


def test_only_sales_may_log_a_complaint(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotAllowed, match="业务员"), uow:
        complaint_flow.log_complaint(uow, org=ORG, person_id=QA1, details=FULL, now=T0)
    assert uow.store.complaints == {}


def test_an_unknown_user_cannot_log_a_complaint(uow: FakeUnitOfWork) -> None:
    with pytest.raises(UnknownUser) as caught, uow:
        complaint_flow.log_complaint(uow, org=ORG, person_id="stranger", details=FULL, now=T0)
    assert "stranger" in caught.value.message
    assert uow.store.complaints == {} and uow.store.audit == []


def test_a_form_is_found_by_its_number_and_an_unknown_number_is_reported(uow: FakeUnitOfWork) -> None:
    complaint_id = drive(uow, State.SUBMITTED)
    with uow:
        assert complaint_flow.find(uow, "KS-202611-0001").id == complaint_id
        with pytest.raises(NotFound, match="KS-202611-0099"):
            complaint_flow.find(uow, "KS-202611-0099")
        with pytest.raises(NotFound):
            complaint_flow.load(uow, 999)


# --- the whole procedure ---------------------------------------------------------------------------------


def test_the_happy_path_runs_from_draft_to_closed_with_one_audit_entry_per_step(uow: FakeUnitOfWork) -> None:
    complaint_id = log(uow)
    assert tap(uow, complaint_id, SALES1, Action.CONFIRM, at=hours(1)).state is State.SUBMITTED
    assigned = tap(uow, complaint_id, QA1, Action.VALID, {"department": "研发部"}, at=hours(2))
    assert (assigned.state, assigned.department, assigned.round) == (State.ASSIGNED, "rd", 1)
    assert tap(uow, complaint_id, RD1, Action.RESPOND, RESPONSE, at=hours(3)).state is State.RESPONDED
    assert tap(uow, complaint_id, QA1, Action.EFFECTIVE, {"comment": "复检合格"}, at=hours(4)).state is State.VERIFIED
    assert tap(uow, complaint_id, SALES1, Action.REPORTED, at=hours(5)).state is State.REPORTED
    tap(uow, complaint_id, SALES1, Action.ACCEPTED, {"note": "客户签字确认"}, at=hours(6))

    form = stored(uow, complaint_id)
    assert (form.state, form.resolution, form.round, form.closed_at, form.version) == (
        State.CLOSED,
        Resolution.RESOLVED,
        1,
        hours(6),
        7,
    )
    first, handling = form.clock(ClockName.FIRST_RESPONSE), form.clock(ClockName.NORMAL)
    assert first is not None and first.met_at == hours(3)  # the department's response
    assert handling is not None and handling.met_at == hours(4)  # QA's effective verification

    entries = audit_of(uow, complaint_id)
    assert [(e.action, e.actor, e.at) for e in entries] == [
        ("draft", SALES1, T0),
        ("confirm", SALES1, hours(1)),
        ("valid", QA1, hours(2)),
        ("respond", RD1, hours(3)),
        ("effective", QA1, hours(4)),
        ("reported", SALES1, hours(5)),
        ("accepted", SALES1, hours(6)),
    ]
    changes = [(e.before, e.after) for e in entries[1:]]
    assert changes == [
        ({"state": "draft", "number": None}, {"state": "submitted", "number": "KS-202611-0001"}),
        (
            {"state": "submitted", "department": None, "qa_owner": None, "round": 0},
            {"state": "assigned", "department": "rd", "qa_owner": QA1, "round": 1},
        ),
        (
            {"state": "assigned", "containment": None, "root_cause": None, "corrective": None, "preventive": None},
            {
                "state": "responded",
                "containment": "隔离库存 300 件",
                "root_cause": "模具磨损",
                "corrective": "更换模具并加检",
                "preventive": "同类模具每月点检",
            },
        ),
        ({"state": "responded", "qa_comment": None}, {"state": "verified", "qa_comment": "复检合格"}),
        ({"state": "verified"}, {"state": "reported"}),
        (
            {"state": "reported", "resolution": None, "customer_note": None},
            {"state": "closed", "resolution": "resolved", "customer_note": "客户签字确认"},
        ),
    ]
    assert [e.note for e in entries[1:3]] == ["KS-202611-0001", "研发部"]


def test_act_returns_the_form_before_and_after_the_step(uow: FakeUnitOfWork) -> None:
    complaint_id = drive(uow, State.SUBMITTED)
    with uow:
        before, after = complaint_flow.act(
            uow,
            org=ORG,
            policy=POLICY,
            person_id=QA1,
            complaint_id=complaint_id,
            card_version=stored(uow, complaint_id).version,
            action=Action.VALID,
            values={"department": "rd"},
            now=hours(9),
        )
    assert (before.state, after.state, after.version) == (State.SUBMITTED, State.ASSIGNED, before.version + 1)


def test_not_effective_loops_back_to_the_department_until_qa_is_satisfied(uow: FakeUnitOfWork) -> None:
    complaint_id = drive(uow, State.RESPONDED)
    back = tap(uow, complaint_id, QA1, Action.NOT_EFFECTIVE, {"comment": "仍有划伤"}, at=hours(10))
    assert (back.state, back.round, back.qa_comment) == (State.ASSIGNED, 2, "仍有划伤")
    entry = audit_of(uow, complaint_id)[-1]
    assert (entry.action, entry.note) == ("not_effective", "仍有划伤")
    assert (entry.before, entry.after) == (
        {"state": "responded", "round": 1, "qa_comment": None},
        {"state": "assigned", "round": 2, "qa_comment": "仍有划伤"},
    )
    again = tap(uow, complaint_id, RD1, Action.RESPOND, {**RESPONSE, "corrective": "改模具材料"}, at=hours(11))
    assert (again.state, again.round, again.qa_comment) == (State.RESPONDED, 2, "仍有划伤")
    first = again.clock(ClockName.FIRST_RESPONSE)
    assert first is not None and first.met_at == hours(3)  # the first round's response
    handling = again.clock(ClockName.NORMAL)
    assert handling is not None and handling.met_at is None
    verified = tap(uow, complaint_id, QA1, Action.EFFECTIVE, at=hours(12))
    handling = verified.clock(ClockName.NORMAL)
    assert handling is not None and handling.met_at == hours(12)


def test_a_customer_who_does_not_accept_sends_the_form_back_to_the_department(uow: FakeUnitOfWork) -> None:
    complaint_id = drive(uow, State.REPORTED)
    back = tap(uow, complaint_id, SALES1, Action.NOT_ACCEPTED, {"note": "客户要求全数更换"}, at=hours(10))
    assert (back.state, back.round, back.customer_note, back.department) == (
        State.ASSIGNED,
        2,
        "客户要求全数更换",
        "rd",
    )
    assert audit_of(uow, complaint_id)[-1].action == "not_accepted"


@pytest.mark.parametrize(
    ("action", "resolution"),
    [(Action.CUSTOMER_CAUSED, Resolution.CUSTOMER_CAUSED), (Action.MISDIRECTED, Resolution.MISDIRECTED)],
)
def test_a_rejected_form_is_explained_by_sales_and_closed_as_not_our_responsibility(
    uow: FakeUnitOfWork, action: Action, resolution: Resolution
) -> None:
    complaint_id = drive(uow, State.SUBMITTED)
    invalid = tap(uow, complaint_id, QA1, action, {"reason": "客户超负荷使用"}, at=hours(10))
    assert (invalid.state, invalid.invalid_reason, invalid.resolution) == (
        State.INVALID,
        "客户超负荷使用",
        resolution,
    )
    refused(uow, complaint_id, SALES2, Action.EXPLAINED)
    closed = tap(uow, complaint_id, SALES1, Action.EXPLAINED, {"note": "已电话说明"}, at=hours(11))
    assert (closed.state, closed.resolution, closed.closed_at) == (State.CLOSED, resolution, hours(11))
    entries = audit_of(uow, complaint_id)
    assert [e.action for e in entries[-2:]] == [action.value, "explained"]
    assert entries[-2].after == {
        "state": "invalid",
        "qa_owner": QA1,
        "invalid_reason": "客户超负荷使用",
        "resolution": resolution.value,
    }
    with uow:
        assert uow.complaints.open_forms() == []  # closed, still on record
        assert complaint_flow.find(uow, "KS-202611-0001").resolution is resolution


# --- refusals change nothing -----------------------------------------------------------------------------


def test_sales_cannot_take_qas_validity_step(uow: FakeUnitOfWork) -> None:
    error = refused(uow, drive(uow, State.SUBMITTED), SALES1, Action.VALID, {"department": "rd"})
    assert isinstance(error, NotAllowed)


def test_a_department_head_cannot_verify_effectiveness(uow: FakeUnitOfWork) -> None:
    error = refused(uow, drive(uow, State.RESPONDED), RD1, Action.EFFECTIVE)
    assert isinstance(error, NotAllowed)
    assert "品质部" in error.message


def test_production_cannot_respond_for_a_form_assigned_to_rd(uow: FakeUnitOfWork) -> None:
    error = refused(uow, drive(uow, State.ASSIGNED), PROD1, Action.RESPOND, RESPONSE)
    assert isinstance(error, NotAllowed)
    assert "研发部" in error.message


def test_another_sales_person_cannot_confirm_someone_elses_draft(uow: FakeUnitOfWork) -> None:
    error = refused(uow, log(uow), SALES2, Action.CONFIRM)
    assert isinstance(error, NotAllowed)


def test_a_second_tap_on_the_same_card_is_stale_and_names_who_acted(uow: FakeUnitOfWork) -> None:
    complaint_id = drive(uow, State.SUBMITTED)
    card = stored(uow, complaint_id).version
    tap(uow, complaint_id, QA1, Action.VALID, {"department": "rd"}, at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    error = refused(uow, complaint_id, QA_MGR, Action.VALID, {"department": "prod"}, card_version=card)
    assert isinstance(error, StaleCard)
    assert "已被王芳于 11-23 10:00 有效,指派部门" in error.message
    assert "待责任部门处理" in error.message
    assert stored(uow, complaint_id).department == "rd"


def test_assigning_without_a_department_is_refused(uow: FakeUnitOfWork) -> None:
    error = refused(uow, drive(uow, State.SUBMITTED), QA1, Action.VALID, {})
    assert isinstance(error, MissingFields) and error.fields == ("department",)


def test_assigning_to_an_unknown_department_is_refused(uow: FakeUnitOfWork) -> None:
    error = refused(uow, drive(uow, State.SUBMITTED), QA1, Action.VALID, {"department": "采购部"})
    assert isinstance(error, MissingFields)
    assert "采购部" in error.message


def test_not_effective_without_a_comment_is_refused(uow: FakeUnitOfWork) -> None:
    error = refused(uow, drive(uow, State.RESPONDED), QA1, Action.NOT_EFFECTIVE, {"comment": "  "})
    assert isinstance(error, MissingFields) and error.fields == ("comment",)


def test_a_response_missing_fields_is_refused(uow: FakeUnitOfWork) -> None:
    error = refused(uow, drive(uow, State.ASSIGNED), RD1, Action.RESPOND, {"root_cause": "模具磨损"})
    assert isinstance(error, MissingFields) and error.fields == ("containment", "corrective")


def test_a_draft_missing_the_quantity_is_not_submitted_and_uses_no_number(uow: FakeUnitOfWork) -> None:
    complaint_id = log(uow, replace(FULL, quantity=None))
    error = refused(uow, complaint_id, SALES1, Action.CONFIRM)
    assert isinstance(error, MissingFields) and error.fields == ("quantity",)
    assert "数量" in error.message


def test_a_quantity_that_is_not_a_number_is_refused_on_the_confirm_card(uow: FakeUnitOfWork) -> None:
    complaint_id = log(uow, replace(FULL, quantity=None))
    error = refused(uow, complaint_id, SALES1, Action.CONFIRM, {"quantity": "两百"})
    assert isinstance(error, MissingFields)
    assert "两百" in error.message


def test_an_unknown_user_is_refused(uow: FakeUnitOfWork) -> None:
    error = refused(uow, drive(uow, State.SUBMITTED), "stranger", Action.VALID, {"department": "rd"})
    assert isinstance(error, UnknownUser)


def test_a_step_on_a_closed_form_is_refused(uow: FakeUnitOfWork) -> None:
    error = refused(uow, drive(uow, State.CLOSED), SALES1, Action.ACCEPTED)
    assert isinstance(error, StaleCard)
    assert "已结案" in error.message


def test_a_tap_on_a_form_that_does_not_exist_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound), uow:
        complaint_flow.act(
            uow,
            org=ORG,
            policy=POLICY,
            person_id=SALES1,
            complaint_id=42,
            card_version=1,
            action=Action.CONFIRM,
            values={},
            now=T0,
        )


def test_confirming_a_form_that_is_no_longer_a_draft_writes_nothing(uow: FakeUnitOfWork) -> None:
    complaint_id = drive(uow, State.SUBMITTED)
    error = refused(uow, complaint_id, SALES1, Action.CONFIRM)
    assert isinstance(error, StaleCard)


# --- numbers ---------------------------------------------------------------------------------------------


def test_numbers_are_consecutive_within_a_month(uow: FakeUnitOfWork) -> None:
    numbers = [stored(uow, drive(uow, State.SUBMITTED)).number for _ in range(3)]
    assert numbers == ["KS-202611-0001", "KS-202611-0002", "KS-202611-0003"]
    assert uow.store.counters == {"KS-202611": 3}


def test_the_month_of_the_number_is_taken_in_shanghai_time(uow: FakeUnitOfWork) -> None:
    late_utc = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 2026-12-01 01:00 in Shanghai
    form = tap(uow, log(uow), SALES1, Action.CONFIRM, at=late_utc)
    assert form.number == "KS-202612-0001"
    earlier = tap(uow, log(uow), SALES1, Action.CONFIRM, at=datetime(2026, 11, 30, 15, 59, tzinfo=UTC))
    assert earlier.number == "KS-202611-0001"


def test_a_refused_submit_uses_no_number(uow: FakeUnitOfWork) -> None:
    incomplete = log(uow, replace(FULL, quantity=None))
    refused(uow, incomplete, SALES1, Action.CONFIRM)
    refused(uow, incomplete, SALES1, Action.CONFIRM, {"quantity": "0"})
    refused(uow, log(uow), SALES2, Action.CONFIRM)
    assert tap(uow, incomplete, SALES1, Action.CONFIRM, {"quantity": "5"}, at=hours(1)).number == "KS-202611-0001"


def test_the_number_formatter_pads_to_four_digits() -> None:
    assert complaint_flow.number_for(datetime(2027, 1, 1, 0, 30, tzinfo=SH), SH, 12) == "KS-202701-0012"


# --- clocks ----------------------------------------------------------------------------------------------


def due_times(form: Complaint) -> dict[ClockName, datetime]:
    return {c.name: c.due_at for c in form.clocks}


def test_a_normal_complaint_runs_the_first_response_and_normal_clocks(uow: FakeUnitOfWork) -> None:
    form = tap(uow, log(uow), SALES1, Action.CONFIRM, at=T0)
    assert due_times(form) == {
        ClockName.FIRST_RESPONSE: T0 + timedelta(days=3),
        ClockName.NORMAL: T0 + timedelta(days=7),
    }
    assert all(c.met_at is None for c in form.clocks)


def test_an_urgent_complaint_runs_the_urgent_clock(uow: FakeUnitOfWork) -> None:
    form = tap(uow, log(uow, replace(FULL, severity=Severity.URGENT)), SALES1, Action.CONFIRM, at=T0)
    assert due_times(form) == {
        ClockName.FIRST_RESPONSE: T0 + timedelta(days=3),
        ClockName.URGENT: T0 + timedelta(days=2),
    }


def test_severity_chosen_on_the_confirm_card_decides_the_clock(uow: FakeUnitOfWork) -> None:
    form = tap(uow, log(uow), SALES1, Action.CONFIRM, {"severity": "急件"}, at=T0)
    assert form.details.severity is Severity.URGENT
    assert form.clock(ClockName.URGENT) is not None and form.clock(ClockName.NORMAL) is None


def test_due_times_follow_the_configured_policy_and_calendar(uow: FakeUnitOfWork) -> None:
    strict = Policy(
        clocks={
            ClockName.FIRST_RESPONSE: ClockPolicy(24, ClockUnit.HOURS),
            ClockName.NORMAL: ClockPolicy(5, ClockUnit.WORKING_DAYS),
            ClockName.URGENT: ClockPolicy(1, ClockUnit.WORKING_DAYS),
        },
        calendar=WeekdayCalendar(holidays=frozenset({date(2026, 11, 25)})),
        tz=SH,
    )
    form = tap(uow, log(uow), SALES1, Action.CONFIRM, at=T0, pol=strict)  # Monday 09:00
    assert due_times(form) == {
        ClockName.FIRST_RESPONSE: T0 + timedelta(hours=24),
        ClockName.NORMAL: datetime(2026, 12, 1, 9, 0, tzinfo=SH),  # Wednesday 25th is a holiday; weekend skipped
    }


def test_an_urgent_form_is_met_at_effective_verification(uow: FakeUnitOfWork) -> None:
    complaint_id = drive(uow, State.VERIFIED, details=replace(FULL, severity=Severity.URGENT))
    urgent = stored(uow, complaint_id).clock(ClockName.URGENT)
    assert urgent is not None and urgent.met_at == hours(4)


def test_open_forms_feed_the_overdue_check(uow: FakeUnitOfWork) -> None:
    from core.due import overdue

    responded = drive(uow, State.RESPONDED)
    waiting = drive(uow, State.SUBMITTED)
    drive(uow, State.CLOSED)
    log(uow)  # a draft has no clocks and is not open
    with uow:
        late = overdue(uow.complaints.open_forms(), T0 + timedelta(days=8))
    assert sorted((f.id, c.name) for f, c in late) == [
        (responded, ClockName.NORMAL),
        (waiting, ClockName.FIRST_RESPONSE),
        (waiting, ClockName.NORMAL),
    ]


# --- audit details ---------------------------------------------------------------------------------------


def audit_after(uow: FakeUnitOfWork, complaint_id: int, action: str) -> dict[str, Any]:
    return next(e.after for e in audit_of(uow, complaint_id) if e.action == action)


def test_details_completed_on_the_confirm_card_are_in_the_audit(uow: FakeUnitOfWork) -> None:
    complaint_id = log(uow, replace(FULL, quantity=None))
    tap(uow, complaint_id, SALES1, Action.CONFIRM, {"quantity": "80", "order_no": "SO-1234"}, at=hours(1))
    after = audit_after(uow, complaint_id, "confirm")
    assert (after["quantity"], after["order_no"], after["state"]) == (80, "SO-1234", "submitted")


def test_how_the_complaint_was_received_is_in_the_audit(uow: FakeUnitOfWork) -> None:
    complaint_id = log(uow)
    tap(uow, complaint_id, SALES1, Action.CONFIRM, {"received_via": "电话"}, at=hours(1))
    assert stored(uow, complaint_id).details.received_via == "电话"
    assert audit_after(uow, complaint_id, "confirm").get("received_via") == "电话"
