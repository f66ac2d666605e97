"""The approval engine: a chain of steps, each approved by a role, a person, the requester's manager, a
department head, or a parallel group (all of / N of M). One decision per step, checked against who may
take it; reject needs a comment; the requester may withdraw; an approver may hand a step to a deputy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.clocks import Calendar, ClockPolicy, ClockUnit, due_at
from core.errors import MissingFields, NotAllowed, StaleCard
from core.org import Org, Role


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


def _people(member: Approver, approval: Approval, org: Org) -> set[str]:
    if member.kind is ApproverKind.PERSON:
        return {member.value} if member.value and org.person(member.value) else set()
    if member.kind is ApproverKind.ROLE:
        return {p.id for p in org.people if member.value in p.roles}
    if member.kind is ApproverKind.MANAGER:
        requester = org.person(approval.requester)
        return {requester.manager} if requester and requester.manager else set()
    dept = org.department(member.value or approval.department or "")
    return {dept.head} if dept and dept.head else set()


def stand_in(approval: Approval, org: Org) -> set[str]:
    """Who decides a member only the requester could decide: the requester's manager, else the general
    manager(s) — never the requester (segregation of duties, ISO 9001: nobody approves their own request)."""
    requester = org.person(approval.requester)
    manager = requester.manager if requester is not None else None
    if manager and manager != approval.requester and org.person(manager) is not None:
        return {manager}
    return {p.id for p in org.with_role(Role.GM) if p.id != approval.requester}


def _members(member: Approver, approval: Approval, org: Org) -> set[str]:
    """The people who may decide ``member``, the requester left out (their stand-in when only they could)."""
    people = _people(member, approval, org)
    if people == {approval.requester}:
        return stand_in(approval, org)
    return people - {approval.requester}


def waiting_for(approval: Approval, org: Org) -> dict[int, set[str]]:
    """For each member of the current step still to decide: the people who may decide for it (never the
    requester, who is replaced by their stand-in when they alone could decide; deputies likewise)."""
    step = approval.current
    if step is None:
        return {}
    done = {v.member for v in approval.step_votes()}
    out: dict[int, set[str]] = {}
    for i, member in enumerate(step.members):
        if i in done:
            continue
        people = _members(member, approval, org)
        people |= {d.to for d in approval.deputies if d.step == approval.step and d.member == i}
        out[i] = people - {approval.requester}
    return out


def requester_only(approval: Approval, org: Org) -> bool:
    """True when a member of the current step could be decided by the requester alone (so a stand-in does)."""
    step = approval.current
    return step is not None and any(_people(m, approval, org) == {approval.requester} for m in step.members)


def stands_in(approval: Approval, actor: str, org: Org) -> bool:
    """True when ``actor`` decides the current step only as the requester's stand-in (for the audit note)."""
    step = approval.current
    if step is None or actor == approval.requester:
        return False
    return any(actor in _members(m, approval, org) and actor not in _people(m, approval, org) for m in step.members)


def start(
    *,
    kind: str,
    subject: str,
    requester: str,
    department: str | None,
    steps: tuple[Step, ...],
    now: datetime,
    calendar: Calendar,
    tz: ZoneInfo,
) -> Approval:
    """A new approval at its first step, with that step's clock running."""
    if not steps:
        raise ValueError("an approval chain needs at least one step")
    due = due_at(now, steps[0].clock, calendar=calendar, tz=tz)
    return Approval(
        id=None,
        kind=kind,
        subject=subject,
        requester=requester,
        department=department,
        steps=steps,
        created_at=now,
        step_due_at=due,
    )


OWN_REQUEST = "不能审批自己提交的申请。"


def require_step(approval: Approval, step: int, org: Org, tz: ZoneInfo) -> None:
    """A tap on a card for ``step`` is valid only while that step is the current one."""
    if approval.state is ApprovalState.PENDING and approval.step == step:
        return
    who = ""
    if approval.last_actor and approval.last_at and approval.last_action:
        who = (
            f",已被{org.name_of(approval.last_actor)}于 {approval.last_at.astimezone(tz):%H:%M} {approval.last_action}"
        )
    raise StaleCard(f"此审批卡片已失效{who}。当前:{APPROVAL_STATE_LABELS[approval.state]}。")


def decide(
    approval: Approval,
    *,
    actor: str,
    verdict: Verdict,
    comment: str | None,
    now: datetime,
    org: Org,
    calendar: Calendar,
    tz: ZoneInfo,
) -> Approval:
    """One approver's decision on the current step. Rules: pending only; the actor must be waited for;
    a rejection needs a comment and ends the approval; enough approvals pass the step."""
    step = approval.current
    if step is None:
        require_step(approval, -1, org, tz)
        raise AssertionError("unreachable")
    comment = (comment or "").strip() or None
    if actor == approval.requester:
        raise NotAllowed(OWN_REQUEST)
    if any(v.approver == actor for v in approval.step_votes()):
        raise StaleCard("您已审批过这一步。")
    member = next((i for i, people in waiting_for(approval, org).items() if actor in people), None)
    if member is None:
        raise NotAllowed("您不是这一步的审批人。")
    if verdict is Verdict.REJECT and comment is None:
        raise MissingFields("驳回需要填写原因。", ("comment",))
    deputy_for = next(
        (d.by for d in approval.deputies if d.step == approval.step and d.member == member and d.to == actor), None
    )
    own = actor in _people(step.members[member], approval, org)
    vote = Vote(
        step=approval.step,
        member=member,
        approver=actor,
        verdict=verdict,
        at=now,
        comment=comment,
        on_behalf_of=None if own else deputy_for,
    )
    after = replace(
        approval,
        votes=(*approval.votes, vote),
        version=approval.version + 1,
        last_actor=actor,
        last_action=VERDICT_LABELS[verdict],
        last_at=now,
    )
    if verdict is Verdict.REJECT:
        return replace(after, state=ApprovalState.REJECTED, decided_at=now, step_due_at=None)
    approvals = sum(1 for v in after.step_votes() if v.verdict is Verdict.APPROVE)
    if approvals < step.needed:
        return after
    if approval.step + 1 >= len(approval.steps):
        return replace(after, state=ApprovalState.APPROVED, decided_at=now, step_due_at=None)
    nxt = approval.steps[approval.step + 1]
    return replace(after, step=approval.step + 1, step_due_at=due_at(now, nxt.clock, calendar=calendar, tz=tz))


def withdraw(approval: Approval, *, actor: str, now: datetime, org: Org, tz: ZoneInfo) -> Approval:
    """The requester takes the request back before it is decided."""
    if approval.state is not ApprovalState.PENDING:
        require_step(approval, -1, org, tz)
    if actor != approval.requester:
        raise NotAllowed("只有申请人可以撤回。")
    return replace(
        approval,
        state=ApprovalState.WITHDRAWN,
        decided_at=now,
        step_due_at=None,
        version=approval.version + 1,
        last_actor=actor,
        last_action="撤回",
        last_at=now,
    )


def delegate(approval: Approval, *, actor: str, deputy: str, now: datetime, org: Org) -> Approval:
    """An approver hands their part of the current step to a deputy (e.g. out of office)."""
    if actor == approval.requester:
        raise NotAllowed(OWN_REQUEST)
    if org.person(deputy) is None:
        raise MissingFields(f"没有「{deputy}」这个人。", ("deputy",))
    if deputy == actor:
        raise MissingFields("不能转交给自己。", ("deputy",))
    if deputy == approval.requester:
        raise NotAllowed("不能转交给申请人。")
    member = next((i for i, people in waiting_for(approval, org).items() if actor in people), None)
    if member is None:
        raise NotAllowed("您不是这一步的审批人,不能转交。")
    record = Deputy(step=approval.step, member=member, by=actor, to=deputy, at=now)
    return replace(
        approval,
        deputies=(*approval.deputies, record),
        version=approval.version + 1,
        last_actor=actor,
        last_action=f"转交{org.name_of(deputy)}",
        last_at=now,
    )


def overdue(approval: Approval, now: datetime) -> bool:
    """The current step's clock has run out."""
    return approval.state is ApprovalState.PENDING and approval.step_due_at is not None and approval.step_due_at <= now


def roles_in(steps: tuple[Step, ...]) -> set[str]:
    """Role names a chain refers to (for config checks)."""
    return {m.value for s in steps for m in s.members if m.kind is ApproverKind.ROLE and m.value}


def _role(role: str) -> Approver:
    return Approver(ApproverKind.ROLE, role)


def _head(dept: str) -> Approver:
    return Approver(ApproverKind.DEPARTMENT_HEAD, dept)


# The chains of PROCEDURE §2 and §3; kesu.toml [approvals.*] replaces any of them.
DEFAULT_CHAINS: dict[str, tuple[Step, ...]] = {
    "return": (Step("客服经理审核", (_role("cs_manager"),)), Step("副总批准", (_role("vp"),))),
    "replacement": (Step("客服经理审核", (_role("cs_manager"),)), Step("副总批准", (_role("vp"),))),
    "order_review": (
        Step(
            "联合评审",
            (_head("rd"), _role("qa"), _head("prod"), _role("purchasing"), _role("finance")),
            quorum=None,
        ),
    ),
    "key_customer": (Step("总经理批准", (_role("gm"),)),),  # PROCEDURE §7: approved by leadership
}
CHAIN_LABELS = {
    "return": "退货申请",
    "replacement": "补退货通知",
    "order_review": "合同评审",
    "key_customer": "重点客户认定",
}
