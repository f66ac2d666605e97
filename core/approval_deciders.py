"""Who may decide an approval's step: the people each member names, never the requester (segregation of
duties), their stand-in when only the requester could decide, and deputies."""

from __future__ import annotations

from core.approval_model import Approval, Approver, ApproverKind
from core.org import Org, Role


def people_of(member: Approver, approval: Approval, org: Org) -> set[str]:
    """The people ``member`` names (the requester too, if named); the rules below leave the requester out."""
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


def deciders_of(member: Approver, approval: Approval, org: Org) -> set[str]:
    """The people who may decide ``member``, the requester left out (their stand-in when only they could)."""
    people = people_of(member, approval, org)
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
        people = deciders_of(member, approval, org)
        people |= {d.to for d in approval.deputies if d.step == approval.step and d.member == i}
        out[i] = people - {approval.requester}
    return out


def requester_only(approval: Approval, org: Org) -> bool:
    """True when a member of the current step could be decided by the requester alone (so a stand-in does)."""
    step = approval.current
    return step is not None and any(people_of(m, approval, org) == {approval.requester} for m in step.members)


def stands_in(approval: Approval, actor: str, org: Org) -> bool:
    """True when ``actor`` decides the current step only as the requester's stand-in (for the audit note)."""
    step = approval.current
    if step is None or actor == approval.requester:
        return False
    return any(
        actor in deciders_of(m, approval, org) and actor not in people_of(m, approval, org) for m in step.members
    )
