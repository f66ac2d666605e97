"""Drafts answered in chat, and photos: which form a photo goes to."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import complaint_flow
from core.complaint import Action, Details, State
from core.errors import NotAllowed, StaleCard
from tests.fakes import SALES1, SALES2, FakeUnitOfWork, make_org, policy

ORG = make_org()
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _draft(uow: FakeUnitOfWork, details: Details) -> int:
    with uow:
        form = complaint_flow.log_complaint(uow, org=ORG, person_id=SALES1, details=details, now=T0)
        uow.commit()
    assert form.id is not None
    return form.id


def test_a_new_draft_asks_for_its_first_missing_field_in_order() -> None:
    uow = FakeUnitOfWork()
    complaint_id = _draft(uow, Details(customer="明辉电子", defect="划伤"))
    with uow:
        assert complaint_flow.load(uow, complaint_id).asking == "product"


def test_answers_fill_the_draft_and_move_the_question_on_until_nothing_is_missing() -> None:
    uow = FakeUnitOfWork()
    complaint_id = _draft(uow, Details(customer="明辉电子", defect="划伤"))
    with uow:
        form = complaint_flow.answer_draft(
            uow, org=ORG, person_id=SALES1, complaint_id=complaint_id, values={"product": "X200"}, now=T0
        )
        assert form.asking == "quantity"
        form = complaint_flow.answer_draft(
            uow,
            org=ORG,
            person_id=SALES1,
            complaint_id=complaint_id,
            values={"quantity": "200", "severity": "urgent"},
            now=T0,
        )
        uow.commit()
    assert form.asking is None and form.details.quantity == 200 and form.state is State.DRAFT
    with uow:
        actions = [e.action for e in uow.audit.history("complaint", str(complaint_id))]
    assert actions == ["draft", "edit", "edit"]


def test_only_the_owner_may_answer_for_a_draft() -> None:
    uow = FakeUnitOfWork()
    complaint_id = _draft(uow, Details(customer="明辉电子", defect="划伤"))
    with uow, pytest.raises(NotAllowed):
        complaint_flow.answer_draft(
            uow, org=ORG, person_id=SALES2, complaint_id=complaint_id, values={"product": "X200"}, now=T0
        )


def test_an_older_draft_card_still_submits_but_a_submitted_forms_old_card_is_stale() -> None:
    uow = FakeUnitOfWork()
    complaint_id = _draft(uow, Details(customer="明辉电子", defect="划伤", product="X200"))
    with uow:
        complaint_flow.answer_draft(
            uow, org=ORG, person_id=SALES1, complaint_id=complaint_id, values={"quantity": "5"}, now=T0
        )
        uow.commit()
    args = {"org": ORG, "policy": policy(), "person_id": SALES1, "complaint_id": complaint_id, "values": {}, "now": T0}
    with uow:
        _, after = complaint_flow.act(uow, card_version=1, action=Action.CONFIRM, **args)  # type: ignore[arg-type]
        uow.commit()
    assert after.state is State.SUBMITTED and after.details.quantity == 5
    with uow, pytest.raises(StaleCard):
        complaint_flow.act(uow, card_version=1, action=Action.CANCEL, **args)  # type: ignore[arg-type]


def test_a_photo_goes_to_the_open_draft_then_to_a_form_submitted_in_the_last_ten_minutes() -> None:
    uow = FakeUnitOfWork()
    complaint_id = _draft(uow, Details(customer="明辉电子", defect="划伤", product="X200", quantity=5))
    with uow:
        first = complaint_flow.attach_photo(uow, org=ORG, person_id=SALES1, media_id="m1", now=T0)
        complaint_flow.act(
            uow,
            org=ORG,
            policy=policy(),
            person_id=SALES1,
            complaint_id=complaint_id,
            card_version=1,
            action=Action.CONFIRM,
            values={},
            now=T0,
        )
        uow.commit()
    assert first is not None and first.photos == ("m1",)
    with uow:
        later = complaint_flow.attach_photo(
            uow, org=ORG, person_id=SALES1, media_id="m2", now=T0 + timedelta(minutes=10)
        )
        too_late = complaint_flow.attach_photo(
            uow, org=ORG, person_id=SALES1, media_id="m3", now=T0 + timedelta(minutes=11)
        )
        other = complaint_flow.attach_photo(uow, org=ORG, person_id=SALES2, media_id="m4", now=T0)
    assert later is not None and later.photos == ("m1", "m2") and later.version == 2  # photos never bump the version
    assert too_late is None and other is None
