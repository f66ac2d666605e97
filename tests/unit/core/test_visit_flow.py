"""core.visit_flow over the in-memory unit of work: record a visit with its questions, answer a question — each
stored and audited; refusals change nothing. (How a change is audited is in test_records.)"""

from __future__ import annotations

from dataclasses import replace

from core import visit_flow
from core.errors import MissingFields, NotAllowed, NotFound, StaleCard
from core.limits import DEFAULT_LIMITS
from core.visits import Visit
from tests.fakes import PROD1, QA_MGR, SALES1, SALES2, FakeUnitOfWork
from tests.unit.core.world import at, last_audit, refused, run, who

DUE = at(24 * 7)


def _record(uow: FakeUnitOfWork, customer: str = "明辉电子") -> Visit:
    return run(
        uow,
        lambda u: visit_flow.record(
            u,
            customer=customer,
            text="拜访明辉电子,客户提出:1.交期太长 2.包装要改进",
            by=SALES1,
            owner=PROD1,
            due=DUE,
            limits=DEFAULT_LIMITS,
            now=at(0),
        ),
    )


def _answer(uow: FakeUnitOfWork, visit: Visit, user: str, text: str = "交期缩短到 15 天", index: int = 0) -> Visit:
    return run(
        uow,
        lambda u: visit_flow.answer(
            u, visit.id or 0, index=index, actor=who(user), text=text, card_version=visit.version, now=at(5)
        ),
    )


def test_a_visit_is_stored_with_each_question_owned_until_its_due_time() -> None:
    uow = FakeUnitOfWork()
    visit = _record(uow)
    assert uow.store.visits[visit.id or 0] == visit
    assert [(q.text, q.owner, q.due_at, q.answer) for q in visit.questions] == [
        ("交期太长", PROD1, DUE, None),
        ("包装要改进", PROD1, DUE, None),
    ]
    assert (last_audit(uow, "visit").action, visit.state) == ("record", "open")


def test_a_customer_name_over_the_length_limit_is_refused() -> None:
    uow = FakeUnitOfWork()
    refused(uow, lambda u: _record(u, "客" * (DEFAULT_LIMITS.limit_for("customer") + 1)), MissingFields)


def test_the_owner_answers_a_question_and_the_visit_is_answered_once_every_question_is() -> None:
    uow = FakeUnitOfWork()
    visit = _record(uow)
    first = _answer(uow, visit, PROD1)
    assert (first.questions[0].answer, first.questions[0].answered_by, first.state) == (
        "交期缩短到 15 天",
        PROD1,
        "open",
    )
    both = _answer(uow, first, QA_MGR, "改用防静电袋", 1)  # a qa_manager may answer for the owner
    assert both.state == "answered" and uow.store.visits[visit.id or 0] == both
    entry = last_audit(uow, "visit")
    assert (entry.action, entry.actor) == ("answer", QA_MGR)


def test_answers_are_refused_from_others_when_empty_from_old_cards_and_for_unknown_visits() -> None:
    uow = FakeUnitOfWork()
    visit = _record(uow)
    assert refused(uow, lambda u: _answer(u, visit, SALES2), NotAllowed) == "只有该问题的负责人可以答复。"
    assert refused(uow, lambda u: _answer(u, visit, PROD1, "  "), MissingFields) == "请填写答复内容。"
    _answer(uow, visit, PROD1)
    assert (
        refused(uow, lambda u: _answer(u, visit, PROD1), StaleCard) == "此卡片已过期,请看 拜访 #1 明辉电子 的最新卡片。"
    )
    assert refused(uow, lambda u: _answer(u, replace(visit, id=9), PROD1), NotFound) == "找不到这次拜访记录。"
