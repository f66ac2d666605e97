"""Cross-checks that span entries of kesu.toml (errors) and warnings about a valid config."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.config.model import KesuConfig
from bot.config.schema import _ChainEntry, _ConfigFile, _PersonEntry
from core.org import ChatPurpose, Role


def _unique(section: str, key: str, noun: str, values: Sequence[str], problems: list[str]) -> set[str]:
    """Report repeated ``values`` of ``section[i].key``; return the distinct values."""
    first: dict[str, int] = {}
    for i, value in enumerate(values):
        if value in first:
            problems.append(f'{section}[{i}].{key}: {noun} "{value}" 重复(与 {section}[{first[value]}] 相同)')
        else:
            first[value] = i
    return set(first)


def _cross_check(raw: _ConfigFile) -> list[str]:
    """Problems that span entries: duplicates, dangling references, impossible combinations."""
    problems: list[str] = []
    dept_ids = _unique("departments", "id", "部门 id", [d.id for d in raw.departments], problems)
    person_ids = _unique("people", "id", "人员 id", [p.id for p in raw.people], problems)
    _unique("chats", "id", "群 id", [c.id for c in raw.chats], problems)
    _unique("customers", "name", "客户名称", [c.name for c in raw.customers], problems)
    _unique("problem_types", "id", "问题类型 id", [t.id for t in raw.problem_types], problems)
    _unique("problem_types", "name", "问题类型名称", [t.name for t in raw.problem_types], problems)
    _unique("products", "code", "产品型号", [p.code for p in raw.products], problems)

    for i, d in enumerate(raw.departments):
        if d.head is not None and d.head not in person_ids:
            problems.append(f'departments[{i}].head: 未知的人员 "{d.head}"')

    for i, p in enumerate(raw.people):
        if p.department is not None and p.department not in dept_ids:
            problems.append(f'people[{i}].department: 未知的部门 "{p.department}"')
        if p.manager == p.id:
            problems.append(f"people[{i}].manager: 不能是本人")
        elif p.manager is not None and p.manager not in person_ids:
            problems.append(f'people[{i}].manager: 未知的人员 "{p.manager}"')
    problems.extend(_manager_cycles(raw.people))

    seen_purpose: dict[ChatPurpose, int] = {}
    for i, c in enumerate(raw.chats):
        if c.purpose in seen_purpose:
            problems.append(
                f'chats[{i}].purpose: 用途 "{c.purpose.value}" 已由 chats[{seen_purpose[c.purpose]}] 使用,'
                "每种用途只能配置一个群"
            )
        else:
            seen_purpose[c.purpose] = i

    holidays = set(raw.calendar.holidays)
    for i, day in enumerate(raw.calendar.workdays):
        if day in holidays:
            problems.append(
                f"calendar.workdays[{i}]: {day.isoformat()} 同时出现在 calendar.holidays 中,"
                "不能既是节假日又是调休工作日"
            )

    if isinstance(raw.duties.qa_may_respond, tuple):
        for i, dept in enumerate(raw.duties.qa_may_respond):
            if dept not in dept_ids:
                problems.append(f'duties.qa_may_respond[{i}]: 未知的部门 "{dept}"')

    for kind in ("return", "replacement", "order_review", "key_customer"):
        chain: _ChainEntry | None = getattr(raw.approvals, "return_" if kind == "return" else kind)
        for i, step in enumerate(chain.steps if chain else []):
            key = f"approvals.{kind}.steps[{i}]"
            groups = [g for g in (step.all_of, step.any_of) if g is not None]
            if step.named() + len(groups) != 1:
                problems.append(f"{key}: 每一步只能写 role、person、manager、department_head、all_of 或 any_of 之一")
                continue
            if step.quorum is not None and step.any_of is None:
                problems.append(f"{key}.quorum: 只能和 any_of 一起使用")
            if step.any_of is not None and step.quorum is not None and step.quorum > len(step.any_of):
                problems.append(f"{key}.quorum: 不能大于 any_of 的人数 {len(step.any_of)}")
            members = [(key, step)] + [
                (f"{key}.{'all_of' if step.all_of is not None else 'any_of'}[{j}]", m)
                for j, m in enumerate(groups[0] if groups else [])
            ]
            for mkey, m in members[1:] if groups else members:
                if m.named() != 1:
                    problems.append(f"{mkey}: 每个审批人只能写 role、person、manager 或 department_head 之一")
                elif m.person is not None and m.person not in person_ids:
                    problems.append(f'{mkey}.person: 未知的人员 "{m.person}"')
                elif m.department_head is not None and m.department_head not in dept_ids:
                    problems.append(f'{mkey}.department_head: 未知的部门 "{m.department_head}"')

    for role, label in ((Role.QA, "品质部"), (Role.SALES, "业务员")):
        if not any(role in p.roles for p in raw.people):
            problems.append(f"people: 至少需要一名角色为 {role.value}({label})的人员,否则流程无法运行")
    return problems


def _manager_cycles(people: Sequence[_PersonEntry]) -> list[str]:
    """Report each manager loop longer than one person once, at its first member in file order."""
    index: dict[str, int] = {}
    manager: dict[str, str | None] = {}
    for i, p in enumerate(people):
        if p.id not in index:
            index[p.id] = i
            manager[p.id] = p.manager
    problems: list[str] = []
    reported: set[str] = set()
    for person_id, i in index.items():
        chain = [person_id]
        current = manager[person_id]
        while current is not None and current in manager and current not in chain:
            chain.append(current)
            current = manager[current]
        if current == person_id and len(chain) > 1 and person_id not in reported:
            reported.update(chain)
            problems.append(f"people[{i}].manager: 上级关系形成循环:{' → '.join([*chain, person_id])}")
    return problems


_EXPECTED_ROLES: tuple[tuple[Role, str], ...] = (
    (Role.QA_MANAGER, "品质经理;升级和 8D 结案审批将无人处理"),
    (Role.CS_MANAGER, "客服经理;退货申请单和补退货通知单将无人审核"),
    (Role.VP, "副总;退货和补货将无人审批"),
    (Role.GM, "总经理;月度报告将无人接收"),
    (Role.WAREHOUSE, "仓库;退货将无人收货"),
)


def calendar_warnings(cfg: KesuConfig, *, today: date) -> list[str]:
    """One warning per year (this one and the next) whose make-up workdays are estimated, not configured.

    A year counts as configured only when chinese-calendar knows it or ``calendar.confirmed_years`` names
    it; holidays listed for the year do not silence the warning.
    """
    return [
        f"calendar: {year} 年不在 chinese-calendar 的数据范围内,节假日按法定假日估算,调休上班日尚未配置;"
        f"请按国务院放假安排在 calendar.holidays / calendar.workdays 中补全,再把 {year} 加入 calendar.confirmed_years"
        for year in cfg.calendar().estimated_years((today.year, today.year + 1))
    ]


def check_config(cfg: KesuConfig, *, today: date) -> list[str]:
    """Warnings (not errors) about a valid config, as "key path: problem" lines in Chinese.

    Warns when this year or next year is outside chinese-calendar's data and not confirmed in config
    (``calendar_warnings``), when a role the procedure needs is missing, a chat purpose has no group, a
    department has no head, or a ``dept`` person has no department.
    """
    warnings = calendar_warnings(cfg, today=today)
    for role, why in _EXPECTED_ROLES:
        if not cfg.org.with_role(role):
            warnings.append(f"people: 没有角色为 {role.value} 的人员({why})")
    for purpose in ChatPurpose:
        if cfg.org.chat_for(purpose) is None:
            warnings.append(f"chats: 没有用途为 {purpose.value} 的群,相应的群消息将无处发送")
    for i, d in enumerate(cfg.org.departments):
        if d.head is None:
            warnings.append(f"departments[{i}].head: 部门“{d.name}”未指定负责人,派给该部门的任务无人接收")
    for i, p in enumerate(cfg.org.people):
        if Role.DEPT in p.roles and p.department is None:
            warnings.append(f"people[{i}].department: {p.name} 的角色是 dept(责任部门),但未指定所属部门")
    return warnings
