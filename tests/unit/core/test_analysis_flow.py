"""core.analysis_flow over the in-memory unit of work: a batch return or a repeat across customers opens one
退货分析改善报告, QA submits it — each stored and audited; refusals change nothing."""

from __future__ import annotations

from dataclasses import replace

from core import analysis as ra
from core import analysis_flow
from core.complaint import Details
from core.errors import MissingFields, NotAllowed, NotFound, StaleCard
from core.returns import ReturnRequest, ReturnState
from tests.fakes import QA1, QA_MGR, SALES1, SALES2, FakeUnitOfWork
from tests.unit.core.world import DETAILS, ORG, POLICY, T0, at, last_audit, refused, run, submitted_complaint, who


def _approved_return(
    uow: FakeUnitOfWork, quantity: int, *, rma: str = "RMA-202611-0001", customer: str = "明辉电子", complaint: int = 1
) -> ReturnRequest:
    ret = ReturnRequest(
        id=None,
        requester=SALES1,
        created_at=T0,
        quantity=quantity,
        customer=customer,
        product="X200 外壳",
        complaint_id=complaint,
        state=ReturnState.AWAITING_GOODS,
        rma_no=rma,
    )
    return run(uow, lambda u: u.returns.add(ret))


def _open_if_due(uow: FakeUnitOfWork, ret: ReturnRequest) -> ra.ReturnAnalysis | None:
    return run(uow, lambda u: analysis_flow.open_if_due(u, ret, org=ORG, policy=POLICY, actor=QA_MGR, now=at(1)))


def _opened(uow: FakeUnitOfWork) -> ra.ReturnAnalysis:
    submitted_complaint(uow)
    report = _open_if_due(uow, _approved_return(uow, POLICY.batch_return))
    assert report is not None
    return report


def test_a_batch_return_opens_a_report_for_the_first_qa_person_and_audits_it() -> None:
    uow = FakeUnitOfWork()
    report = _opened(uow)
    assert (report.label, report.why, report.returns, report.owner) == (
        "RA-RMA-202611-0001",
        f"批量退货({POLICY.batch_return} 件)",
        ("RMA-202611-0001",),
        QA1,
    )
    assert report.due_at > at(1) and uow.store.analyses[report.id or 0] == report
    entry = last_audit(uow, "analysis")
    assert (entry.action, entry.actor, entry.before, entry.after["state"]) == ("open", QA_MGR, {}, "open")


def test_a_small_return_from_one_customer_opens_no_report() -> None:
    uow = FakeUnitOfWork()
    submitted_complaint(uow)
    assert _open_if_due(uow, _approved_return(uow, POLICY.batch_return - 1)) is None
    assert not uow.store.analyses and not [e for e in uow.store.audit if e.entity == "analysis"]


def test_a_return_without_an_rma_number_opens_no_report() -> None:
    uow = FakeUnitOfWork()
    ret = replace(_approved_return(uow, 500), rma_no=None)
    assert _open_if_due(uow, ret) is None


def test_the_same_problem_returned_by_a_second_customer_opens_a_report_covering_both_returns() -> None:
    uow = FakeUnitOfWork()
    submitted_complaint(uow)
    submitted_complaint(uow, Details("顺达电器", DETAILS.product, "外壳划伤严重", 20), owner=SALES2)
    _approved_return(uow, 10)
    second = _approved_return(uow, 5, rma="RMA-202611-0002", customer="顺达电器", complaint=2)
    report = _open_if_due(uow, second)
    assert report is not None
    assert (report.why, report.returns) == (
        "多个客户退回同一问题:明辉电子、顺达电器",
        ("RMA-202611-0001", "RMA-202611-0002"),
    )


def test_an_open_report_on_the_product_means_no_second_one() -> None:
    uow = FakeUnitOfWork()
    _opened(uow)
    assert _open_if_due(uow, _approved_return(uow, 900, rma="RMA-202611-0002")) is None
    assert len(uow.store.analyses) == 1


def _submit(uow: FakeUnitOfWork, report: ra.ReturnAnalysis, user: str, values: dict[str, str]) -> ra.ReturnAnalysis:
    return run(
        uow,
        lambda u: analysis_flow.submit(
            u, report.id or 0, actor=who(user), values=values, card_version=report.version, now=at(30)
        ),
    )


def test_qa_submits_the_analysis_and_the_audit_holds_what_was_written() -> None:
    uow = FakeUnitOfWork()
    report = _opened(uow)
    done = _submit(uow, report, QA1, {"analysis": " 模具磨损 ", "actions": "更换模具"})
    assert (done.state, done.analysis, done.actions, done.done_by) == (
        ra.AnalysisState.DONE,
        "模具磨损",
        "更换模具",
        QA1,
    )
    assert uow.store.analyses[report.id or 0] == done
    entry = last_audit(uow, "analysis")
    assert (entry.action, entry.actor) == ("submit", QA1)
    assert entry.after == {"state": "done", "analysis": "模具磨损", "actions": "更换模具"}


def test_a_report_is_written_by_qa_with_an_analysis_once() -> None:
    uow = FakeUnitOfWork()
    report = _opened(uow)
    message = refused(uow, lambda u: _submit(u, report, SALES1, {"analysis": "x"}), NotAllowed)
    assert message == "退货分析改善报告由品质部填写。"
    assert refused(uow, lambda u: _submit(u, report, QA1, {"analysis": " "}), MissingFields) == "请填写原因分析。"
    _submit(uow, report, QA1, {"analysis": "模具磨损"})
    message = refused(uow, lambda u: _submit(u, report, QA1, {"analysis": "again"}), StaleCard)
    assert message == "此卡片已过期,RA-RMA-202611-0001 已提交。"
    assert refused(uow, lambda u: _submit(u, replace(report, id=99), QA1, {}), NotFound) == "找不到这份报告。"
