"""Segregation of duties on a form (ISO 9001): the assigned department responds for itself — QA only where
kesu.toml's ``[duties]`` lets it, and then it is recorded as 品质代填 — and whoever responded never verifies.
(Approvals: core/approval.py ``waiting_for``; returns: core/returns.py ``may_request``.)"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import NotAllowed
from core.org import Org, Person, Role

BY_QA = "品质代填"
QA_ROLES = (Role.QA, Role.QA_MANAGER)


@dataclass(frozen=True)
class Duties:
    """Where QA may submit the department's response (department ids; ``qa_for_all``: every department).
    The default is none: a member of the department must respond."""

    qa_may_respond: frozenset[str] = frozenset()
    qa_for_all: bool = False

    def qa_for(self, department: str | None) -> bool:
        """True when QA may respond for ``department``."""
        return self.qa_for_all or (department is not None and department in self.qa_may_respond)


STRICT = Duties()


def department_name(department: str | None, org: Org) -> str:
    """The department's name as people know it (its id when it is not configured)."""
    dept = org.department(department or "")
    return dept.name if dept else (department or "")


def responds_as_qa(department: str | None, actor: Person, org: Org, duties: Duties) -> bool:
    """A member (or the head) of the assigned department responds; QA only where ``duties`` lets it act for the
    department. True when QA acts for the department (to be recorded); NotAllowed for anyone else."""
    dept = org.department(department or "")
    if actor.department == department or (dept is not None and dept.head == actor.id):
        return False
    if actor.has_any(*QA_ROLES) and duties.qa_for(department):
        return True
    raise NotAllowed(f"此单指派给{department_name(department, org)},只有该部门的人可以提交对策。")


def check_verifier(responder: str | None, actor: Person) -> None:
    """Whoever submitted the response does not verify it (effective or not): another QA person does."""
    if responder == actor.id:
        raise NotAllowed("对策是您提交的,不能由您验证,请另一位品质人员验证。")
