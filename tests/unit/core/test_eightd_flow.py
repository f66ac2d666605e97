"""core.eightd_flow over the in-memory unit of work: open an 8D for a repeat complaint once, write the disciplines,
approve or send back the closure — each stored and audited; refusals change nothing."""

from __future__ import annotations

from dataclasses import replace

from core import eightd as e8
from core import eightd_flow
from core.errors import MissingFields, NotAllowed, NotFound, StaleCard
from tests.fakes import QA1, QA_MGR, SALES1, FakeUnitOfWork
from tests.unit.core.world import at, last_audit, refused, run, submitted_complaint, who

REPEATS = ("KS-202609-0002", "KS-202610-0005")


def _opened(uow: FakeUnitOfWork) -> e8.EightD:
    form = replace(submitted_complaint(uow), repeat_of=REPEATS)
    opened = run(uow, lambda u: eightd_flow.open_for_repeat(u, form, owner=QA1, actor=QA_MGR, now=at(1)))
    assert opened is not None
    return opened


def _act(
    uow: FakeUnitOfWork, report: e8.EightD, user: str, action: str, values: dict[str, str], hours: float = 2
) -> e8.EightD:
    return run(
        uow,
        lambda u: eightd_flow.act(
            u, report.id or 0, actor=who(user), action=action, values=values, card_step=report.step, now=at(hours)
        ),
    )[1]


def _closing(uow: FakeUnitOfWork) -> e8.EightD:
    report = _opened(uow)
    for n, _ in enumerate(e8.DISCIPLINES):
        report = _act(uow, report, QA1, "write", {"text": f"第 {n + 1} 步"}, 2 + n)
    assert report.state is e8.EightDState.CLOSING
    return report


def test_a_repeat_complaint_opens_one_8d_led_by_qa_with_the_repeats_in_the_audit() -> None:
    uow = FakeUnitOfWork()
    opened = _opened(uow)
    assert (opened.label, opened.owner, opened.repeats, opened.state) == (
        "8D-KS-202611-0001",
        QA1,
        REPEATS,
        e8.EightDState.OPEN,
    )
    assert uow.store.eightds[opened.id or 0] == opened
    entry = last_audit(uow, "eightd")
    assert (entry.action, entry.actor, entry.note) == ("open", QA_MGR, "重复:KS-202609-0002、KS-202610-0005")
    assert entry.after == {"state": "open", "owner": QA1}


def test_a_complaint_that_repeats_nothing_or_already_has_its_8d_opens_none() -> None:
    uow = FakeUnitOfWork()
    form = submitted_complaint(uow)
    assert run(uow, lambda u: eightd_flow.open_for_repeat(u, form, owner=QA1, actor=QA_MGR, now=at(1))) is None
    again = replace(form, repeat_of=REPEATS)
    assert run(uow, lambda u: eightd_flow.open_for_repeat(u, again, owner=QA1, actor=QA_MGR, now=at(2))) is not None
    rows = len(uow.store.audit)
    assert run(uow, lambda u: eightd_flow.open_for_repeat(u, again, owner=QA1, actor=QA_MGR, now=at(3))) is None
    assert len(uow.store.eightds) == 1 and len(uow.store.audit) == rows


def test_qa_writes_the_next_discipline_and_the_audit_holds_its_text() -> None:
    uow = FakeUnitOfWork()
    report = _opened(uow)
    after = _act(uow, report, QA1, "write", {"text": "  王芳、陈静  "})
    assert [(x.key, x.text) for x in after.entries] == [("d1", "王芳、陈静")]
    assert uow.store.eightds[report.id or 0].step == 1
    entry = last_audit(uow, "eightd")
    assert (entry.action, entry.actor, entry.before, entry.after) == ("write", QA1, {"d1": None}, {"d1": "王芳、陈静"})


def test_only_qa_writes_an_8d_and_only_from_the_current_card() -> None:
    uow = FakeUnitOfWork()
    report = _opened(uow)
    assert (
        refused(uow, lambda u: _act(u, report, SALES1, "write", {"text": "x"}), NotAllowed) == "只有品质部可以填写 8D。"
    )
    assert (
        refused(uow, lambda u: _act(u, report, QA1, "write", {"text": " "}), MissingFields) == "请填写「D1 成立小组」。"
    )
    _act(uow, report, QA1, "write", {"text": "小组"})
    message = refused(uow, lambda u: _act(u, report, QA1, "write", {"text": "again"}), StaleCard)
    assert message == "此 8D 卡片已过期,8D-KS-202611-0001 当前:待填写 D2 问题描述。"


def test_the_qa_manager_approves_the_closure_after_d8() -> None:
    uow = FakeUnitOfWork()
    closing = _closing(uow)
    closed = _act(uow, closing, QA_MGR, "approve", {}, 20)
    assert (closed.state, closed.closed_at) == (e8.EightDState.CLOSED, at(20))
    entry = last_audit(uow, "eightd")
    assert (entry.action, entry.actor, entry.after) == ("approve", QA_MGR, {"state": "closed"})


def test_a_closure_sent_back_reopens_d8_with_the_reason_in_the_audit() -> None:
    uow = FakeUnitOfWork()
    closing = _closing(uow)
    assert refused(uow, lambda u: _act(u, closing, QA_MGR, "reject", {}), MissingFields) == "退回时请写明原因。"
    assert refused(uow, lambda u: _act(u, closing, QA1, "approve", {}), NotAllowed) == "8D 结案需要品质经理批准。"
    reopened = _act(uow, closing, QA_MGR, "reject", {"reason": "D8 缺少效果数据"}, 20)
    assert reopened.state is e8.EightDState.OPEN and reopened.current == e8.DISCIPLINES[-1]
    entry = last_audit(uow, "eightd")
    assert (entry.action, entry.note, entry.after["state"]) == ("reject", "D8 缺少效果数据", "open")


def test_an_unknown_action_or_8d_is_refused() -> None:
    uow = FakeUnitOfWork()
    report = _opened(uow)
    assert refused(uow, lambda u: _act(u, report, QA1, "erase", {}), NotAllowed) == "没有「erase」这个操作。"
    ghost = replace(report, id=99)
    assert refused(uow, lambda u: _act(u, ghost, QA1, "write", {"text": "x"}), NotFound) == "找不到这份 8D。"
