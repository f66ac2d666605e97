"""The approval's model: who a step member is, chain steps, states, verdicts, votes, deputies and the approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.clocks import ClockPolicy, ClockUnit
from core.org import Org


class ApproverKind(StrEnum):
    """Who a step member is."""

    ROLE = "role"  # anyone holding the role
    PERSON = "person"
    MANAGER = "manager"  # the requester's manager
    DEPARTMENT_HEAD = "department_head"


@dataclass(frozen=True)
class Approver:
    """One member of a step; ``value`` is the role, person id or department id."""

    kind: ApproverKind
    value: str | None = None

    def label(self, org: Org) -> str:
        """Chinese text for cards: 客服经理, 王总, 上级, 研发部负责人."""
        if self.kind is ApproverKind.ROLE:
            return ROLE_LABELS.get(self.value or "", self.value or "")
        if self.kind is ApproverKind.PERSON:
            return org.name_of(self.value)
        if self.kind is ApproverKind.MANAGER:
            return "直属上级"
        dept = org.department(self.value or "")
        return f"{dept.name if dept else self.value}负责人"


ROLE_LABELS = {
    "sales": "业务员",
    "qa": "品质部",
    "qa_manager": "品质经理",
    "dept": "责任部门",
    "cs_manager": "客服经理",
    "vp": "副总",
    "gm": "总经理",
    "warehouse": "仓库",
    "purchasing": "采购",
    "finance": "财务",
    "pmc": "生产/PMC",
    "admin": "管理员",
}


DEFAULT_STEP_CLOCK = ClockPolicy(2, ClockUnit.CALENDAR_DAYS)


@dataclass(frozen=True)
class Step:
    """A chain step: ``members`` decide in parallel; ``quorum`` approvals pass it (None: all of them)."""

    name: str
    members: tuple[Approver, ...]
    quorum: int | None = 1
    clock: ClockPolicy = DEFAULT_STEP_CLOCK

    @property
    def needed(self) -> int:
        """How many approvals pass the step."""
        return len(self.members) if self.quorum is None else min(self.quorum, len(self.members))


class ApprovalState(StrEnum):
    """Where an approval is."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


APPROVAL_STATE_LABELS = {
    ApprovalState.PENDING: "审批中",
    ApprovalState.APPROVED: "已批准",
    ApprovalState.REJECTED: "已驳回",
    ApprovalState.WITHDRAWN: "已撤回",
}


class Verdict(StrEnum):
    """An approver's answer."""

    APPROVE = "approve"
    REJECT = "reject"


VERDICT_LABELS = {Verdict.APPROVE: "批准", Verdict.REJECT: "驳回"}


@dataclass(frozen=True)
class Vote:
    """One decision by one member of one step; ``on_behalf_of`` is set when a deputy decided."""

    step: int
    member: int
    approver: str
    verdict: Verdict
    at: datetime
    comment: str | None = None
    on_behalf_of: str | None = None


@dataclass(frozen=True)
class Deputy:
    """``to`` acts for ``by`` on a member of a step."""

    step: int
    member: int
    by: str
    to: str
    at: datetime


@dataclass(frozen=True)
class Approval:
    """An approval of something (``subject``, e.g. 'return:3') by a chain of steps."""

    id: int | None
    kind: str
    subject: str
    requester: str
    department: str | None  # for department-head members with no department of their own
    steps: tuple[Step, ...]
    created_at: datetime
    step_due_at: datetime | None
    state: ApprovalState = ApprovalState.PENDING
    step: int = 0
    version: int = 1
    votes: tuple[Vote, ...] = ()
    deputies: tuple[Deputy, ...] = ()
    decided_at: datetime | None = None
    last_actor: str | None = None
    last_action: str | None = None
    last_at: datetime | None = None

    @property
    def current(self) -> Step | None:
        """The step waiting for decisions, if pending."""
        return self.steps[self.step] if self.state is ApprovalState.PENDING else None

    def step_votes(self, step: int | None = None) -> tuple[Vote, ...]:
        """Votes cast on a step (default: the current one)."""
        s = self.step if step is None else step
        return tuple(v for v in self.votes if v.step == s)
