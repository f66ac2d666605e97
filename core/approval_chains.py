"""The default approval chains (PROCEDURE §2 and §3) and their labels; kesu.toml [approvals.*] replaces any."""

from __future__ import annotations

from core.approval_model import Approver, ApproverKind, Step


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
