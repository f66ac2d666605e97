"""退货分析改善报告 (PROCEDURE §1.8, 004 §6.2.9): when one defect comes back from several customers, or a batch is
returned, QA owes a return analysis and improvement report within 3 days (the improvement-report clock)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from core.errors import MissingFields, NotAllowed, StaleCard
from core.org import Person, Role
from core.returns import ReturnRequest


class AnalysisState(StrEnum):
    """Open until QA submits it."""

    OPEN = "open"
    DONE = "done"


@dataclass(frozen=True)
class ReturnAnalysis:
    """A return analysis report, opened by the return ``rma_no``."""

    id: int | None
    rma_no: str
    product: str
    why: str  # "批量退货(500 件)" or "多个客户退回同一问题:明辉电子、顺达电器"
    returns: tuple[str, ...]  # the RMA numbers it covers
    owner: str
    opened_at: datetime
    due_at: datetime
    state: AnalysisState = AnalysisState.OPEN
    version: int = 1
    analysis: str | None = None
    actions: str | None = None
    done_by: str | None = None
    done_at: datetime | None = None

    @property
    def label(self) -> str:
        """RA-RMA-202611-0001."""
        return f"RA-{self.rma_no}"


def trigger(
    ret: ReturnRequest, recent: Iterable[ReturnRequest], problem_of: dict[int, str | None], *, batch: int
) -> tuple[str, tuple[str, ...]] | None:
    """Why ``ret`` calls for a report (and the returns it covers), or None: a batch (``batch`` pieces or more), or
    the same product and problem type returned by more than one customer among ``recent`` returns."""
    if ret.quantity >= batch:
        return f"批量退货({ret.quantity} 件)", (ret.rma_no or "",)
    problem = problem_of.get(ret.complaint_id) if ret.complaint_id else None
    if not (ret.product and problem):
        return None
    same = [
        r
        for r in recent
        if r.rma_no and r.product == ret.product and r.complaint_id and problem_of.get(r.complaint_id) == problem
    ]
    customers = sorted({r.customer for r in same if r.customer} | ({ret.customer} if ret.customer else set()))
    if len(customers) < 2:
        return None
    numbers = tuple(dict.fromkeys([*(r.rma_no for r in same if r.rma_no), ret.rma_no or ""]))
    return f"多个客户退回同一问题:{'、'.join(customers)}", numbers


def submit(
    a: ReturnAnalysis, *, actor: Person, values: dict[str, str], card_version: int, now: datetime
) -> ReturnAnalysis:
    """QA submits the analysis (and the improvement actions)."""
    if a.state is not AnalysisState.OPEN or card_version != a.version:
        raise StaleCard(f"此卡片已过期,{a.label} 已提交。")
    if not actor.has_any(Role.QA, Role.QA_MANAGER):
        raise NotAllowed("退货分析改善报告由品质部填写。")
    analysis = (values.get("analysis") or "").strip()
    if not analysis:
        raise MissingFields("请填写原因分析。", ("analysis",))
    return replace(
        a,
        state=AnalysisState.DONE,
        version=a.version + 1,
        analysis=analysis,
        actions=(values.get("actions") or "").strip() or None,
        done_by=actor.id,
        done_at=now,
    )
