"""Loading and validating kesu.toml (organisation, clocks, calendar) and the environment settings."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.calendar import ChinaCalendar
from core.approval import DEFAULT_CHAINS, DEFAULT_STEP_CLOCK, Approver, ApproverKind, Step
from core.campaign import DEFAULT_ITEMS, CampaignSettings
from core.clocks import DEFAULT_CLOCKS, ClockName, ClockPolicy, ClockUnit
from core.duties import Duties
from core.limits import DEFAULT_LIMITS, LONG_TEXT, MAX_QUANTITY, QUANTITY_CEILING, SHORT_TEXT, Limits
from core.nag import DEPT_HEAD, NagPolicy, Reminders
from core.org import Chat, ChatPurpose, Customer, Department, Org, Person, Product, Role
from core.problems import DEFAULT_PROBLEMS, ProblemType

DEMO_SOURCE = "built-in demo org"


class Settings(BaseSettings):
    """Process settings from the environment: ``KESU_DATABASE_URL`` and ``KESU_CONFIG``.

    Nothing is read at import time; the environment is read when ``Settings()`` is constructed.
    """

    model_config = SettingsConfigDict(env_prefix="KESU_")

    database_url: str = "sqlite:///kesu.db"
    config: Path | None = None
    # WeCom self-built app: on when corp id, agent id, secret, token and AES key are all set.
    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: str | None = None
    wecom_token: str | None = None
    wecom_aes_key: str | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    # Feishu app: on when app id and app secret are set.
    feishu_app_id: str | None = None
    feishu_app_secret: str | None = None
    feishu_verification_token: str | None = None
    feishu_encrypt_key: str | None = None
    feishu_domain: str = "https://open.feishu.cn"

    @property
    def wecom_on(self) -> bool:
        """All five WeCom settings are present."""
        values = (self.wecom_corp_id, self.wecom_agent_id, self.wecom_secret, self.wecom_token, self.wecom_aes_key)
        return all(values)

    @property
    def feishu_on(self) -> bool:
        """The Feishu app id and secret are present."""
        return bool(self.feishu_app_id and self.feishu_app_secret)

    @field_validator("config", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        """``KESU_CONFIG=`` (empty) means "no config file", not the current directory."""
        if isinstance(value, str) and not value.strip():
            return None
        return value


class ConfigError(Exception):
    """kesu.toml is unreadable or invalid; ``problems`` are "key path: problem" lines in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class KesuConfig:
    """A validated configuration: who is who, the clocks and the business calendar."""

    timezone: ZoneInfo
    org: Org
    clocks: dict[ClockName, ClockPolicy] = field(hash=False)  # a dict: left out so the config stays hashable
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str
    approvals: dict[str, tuple[Step, ...]] = field(default_factory=lambda: dict(DEFAULT_CHAINS), hash=False)
    reminders: Reminders = field(default_factory=Reminders)
    confidential_roles: frozenset[Role] = frozenset()  # [customer_archive]: roles that also see contacts
    campaigns: CampaignSettings = field(default_factory=CampaignSettings)  # [campaigns]
    confirmed_years: frozenset[int] = frozenset()  # [calendar]: years whose holidays and make-up workdays are entered
    duties: Duties = field(default_factory=Duties)  # [duties]: segregation of duties
    limits: Limits = DEFAULT_LIMITS  # [limits]

    def calendar(self) -> ChinaCalendar:
        """The business calendar: chinese-calendar (or the statutory holidays) plus this config's entries."""
        return ChinaCalendar(holidays=self.holidays, workdays=self.workdays, confirmed_years=self.confirmed_years)


# --- the TOML schema -------------------------------------------------------------------------------


def _parse_day(value: object) -> date:
    """A calendar date from a TOML date literal or a "YYYY-MM-DD" string."""
    if isinstance(value, datetime):
        raise ValueError("必须是日期(不带时间),例如 2027-01-01")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f'不是有效的日期 "{value}",应写作 "2027-01-01" 的形式') from None
    raise ValueError('必须是日期,例如 "2027-01-01"')


_Id = Annotated[str, Field(min_length=1)]
_Text = Annotated[str, Field(min_length=1)]
_Day = Annotated[date, PlainValidator(_parse_day)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _DepartmentEntry(_Entry):
    id: _Id
    name: _Text
    head: _Id | None = None


class _PersonEntry(_Entry):
    id: _Id
    name: _Text
    roles: Annotated[list[Role], Field(min_length=1)]
    department: _Id | None = None
    manager: _Id | None = None
    wecom: _Id | None = None
    feishu: _Id | None = None


class _ChatEntry(_Entry):
    id: _Id
    name: _Text
    purpose: ChatPurpose
    wecom: _Id | None = None
    wecom_webhook: _Text | None = None
    feishu: _Id | None = None


class _ClockEntry(_Entry):
    amount: Annotated[int, Field(strict=True, gt=0)]
    unit: ClockUnit


class _ClocksSection(_Entry):
    first_response: _ClockEntry | None = None
    urgent: _ClockEntry | None = None
    normal: _ClockEntry | None = None
    improvement_report: _ClockEntry | None = None
    return_processing: _ClockEntry | None = None


def _parse_time(value: object) -> time:
    """A time of day from a TOML time literal or "HH:MM"."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError('必须是时间,例如 "08:30"')


def _parse_span(value: object) -> tuple[time, time]:
    """A span "HH:MM-HH:MM"."""
    if isinstance(value, str) and value.count("-") == 1:
        start, end = value.split("-")
        return _parse_time(start), _parse_time(end)
    raise ValueError('必须是时间段,例如 "22:00-08:00"')


_Time = Annotated[time, PlainValidator(_parse_time)]
_Span = Annotated[tuple[time, time], PlainValidator(_parse_span)]


class _NagEntry(_Entry):
    fractions: list[Annotated[float, Field(gt=0, lt=1)]] | None = None
    days_before: Annotated[int, Field(strict=True, ge=0)] | None = None
    repeat_hours: Annotated[float, Field(gt=0)] | None = None
    levels: list[_Id] | None = None
    urgent: bool | None = None

    @field_validator("levels")
    @classmethod
    def _known_levels(cls, value: list[str] | None) -> list[str] | None:
        allowed = [DEPT_HEAD, *(r.value for r in Role)]
        for level in value or []:
            if level not in allowed:
                raise ValueError(f'未知的升级级别 "{level}",{_one_of(allowed)}')
        return value


class _RemindersSection(_Entry):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True)

    fractions: list[Annotated[float, Field(gt=0, lt=1)]] | None = None
    days_before: Annotated[int, Field(strict=True, ge=0)] | None = None
    repeat_hours: Annotated[float, Field(gt=0)] | None = None
    levels: list[_Id] | None = None
    quiet_hours: _Span | None = None
    working_hours: _Span | None = None
    digest_at: _Time | None = None
    monthly_report_day: Annotated[int, Field(strict=True, ge=1, le=28)] | None = None
    monthly_report_at: _Time | None = None
    first_response: _NagEntry | None = None
    urgent_clock: _NagEntry | None = Field(default=None, alias="urgent")
    normal: _NagEntry | None = None
    improvement_report: _NagEntry | None = None
    return_processing: _NagEntry | None = None
    approval: _NagEntry | None = None

    _known_levels = field_validator("levels")(_NagEntry._known_levels.__func__)  # type: ignore[attr-defined]


class _ApproverEntry(_Entry):
    role: Role | None = None
    person: _Id | None = None
    manager: bool = False
    department_head: _Id | None = None

    def approver(self) -> Approver | None:
        """The one approver this entry names, or None if it names none."""
        if self.role is not None:
            return Approver(ApproverKind.ROLE, self.role.value)
        if self.person is not None:
            return Approver(ApproverKind.PERSON, self.person)
        if self.manager:
            return Approver(ApproverKind.MANAGER)
        if self.department_head is not None:
            return Approver(ApproverKind.DEPARTMENT_HEAD, self.department_head)
        return None

    def named(self) -> int:
        """How many approver keys are set (exactly one is allowed)."""
        return sum(
            x for x in (self.role is not None, self.person is not None, self.manager, self.department_head is not None)
        )


class _StepEntry(_ApproverEntry):
    name: _Text | None = None
    all_of: list[_ApproverEntry] | None = None
    any_of: list[_ApproverEntry] | None = None
    quorum: Annotated[int, Field(strict=True, gt=0)] | None = None
    clock: _ClockEntry | None = None


class _ChainEntry(_Entry):
    steps: Annotated[list[_StepEntry], Field(min_length=1)]


class _ApprovalsSection(_Entry):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True)

    return_: _ChainEntry | None = Field(default=None, alias="return")
    replacement: _ChainEntry | None = None
    order_review: _ChainEntry | None = None
    key_customer: _ChainEntry | None = None


class _CalendarSection(_Entry):
    holidays: list[_Day] = Field(default_factory=list)
    workdays: list[_Day] = Field(default_factory=list)
    confirmed_years: list[Annotated[int, Field(strict=True, ge=2000, le=2100)]] = Field(default_factory=list)


class _CustomerEntry(_Entry):
    name: _Text
    aliases: list[_Text] = Field(default_factory=list)


class _ProductEntry(_Entry):
    code: _Id
    name: _Text
    aliases: list[_Text] = Field(default_factory=list)


class _ProblemTypeEntry(_Entry):
    id: _Id
    name: _Text
    keywords: list[_Text] = Field(default_factory=list)


class _ArchiveSection(_Entry):
    confidential_roles: list[Role] = Field(default_factory=list)


class _CampaignsSection(_Entry):
    percent: Annotated[int, Field(strict=True, ge=1, le=100)] = 25
    items: list[_Text] = Field(default_factory=lambda: list(DEFAULT_ITEMS))
    target: Annotated[int, Field(strict=True, ge=40, le=100)] = 80
    months: list[Annotated[int, Field(strict=True, ge=1, le=12)]] = Field(default_factory=lambda: [1, 7])
    day: Annotated[int, Field(strict=True, ge=1, le=28)] = 15
    days_open: Annotated[int, Field(strict=True, ge=1, le=90)] = 14


def _parse_qa_may_respond(value: object) -> bool | tuple[str, ...]:
    """``[duties] qa_may_respond``: true, false or a list of department ids."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    raise ValueError('必须是 true、false 或部门 id 的数组,例如 ["rd"]')


class _DutiesSection(_Entry):
    # false: a member of the department responds (default); true: QA may respond for every department;
    # a list of department ids: for those only. QA's response is then recorded as 品质代填.
    qa_may_respond: Annotated[bool | tuple[str, ...], PlainValidator(_parse_qa_may_respond)] = False


class _LimitsSection(_Entry):
    max_quantity: Annotated[int, Field(strict=True, ge=1, le=QUANTITY_CEILING)] = MAX_QUANTITY
    short_text: Annotated[int, Field(strict=True, ge=10, le=1_000)] = SHORT_TEXT
    long_text: Annotated[int, Field(strict=True, ge=100, le=10_000)] = LONG_TEXT


class _ConfigFile(_Entry):
    timezone: str = "Asia/Shanghai"
    departments: list[_DepartmentEntry] = Field(default_factory=list)
    people: list[_PersonEntry] = Field(default_factory=list)
    chats: list[_ChatEntry] = Field(default_factory=list)
    clocks: _ClocksSection = Field(default_factory=_ClocksSection)
    calendar: _CalendarSection = Field(default_factory=_CalendarSection)
    approvals: _ApprovalsSection = Field(default_factory=_ApprovalsSection)
    reminders: _RemindersSection = Field(default_factory=_RemindersSection)
    customers: list[_CustomerEntry] = Field(default_factory=list)
    customer_archive: _ArchiveSection = Field(default_factory=_ArchiveSection)
    campaigns: _CampaignsSection = Field(default_factory=_CampaignsSection)
    duties: _DutiesSection = Field(default_factory=_DutiesSection)
    limits: _LimitsSection = Field(default_factory=_LimitsSection)
    products: list[_ProductEntry] = Field(default_factory=list)
    problem_types: list[_ProblemTypeEntry] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f'未知时区 "{value}"') from None
        return value


# Which model a table at a key path (list indexes dropped) is, for "did you mean" hints.
_TABLES: dict[tuple[str, ...], type[BaseModel]] = {
    (): _ConfigFile,
    ("departments",): _DepartmentEntry,
    ("people",): _PersonEntry,
    ("chats",): _ChatEntry,
    ("clocks",): _ClocksSection,
    ("calendar",): _CalendarSection,
    ("approvals",): _ApprovalsSection,
    ("reminders",): _RemindersSection,
    ("customers",): _CustomerEntry,
    ("customer_archive",): _ArchiveSection,
    ("campaigns",): _CampaignsSection,
    ("duties",): _DutiesSection,
    ("limits",): _LimitsSection,
    ("products",): _ProductEntry,
    ("problem_types",): _ProblemTypeEntry,
}


# --- problems in Chinese, with TOML key paths ------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key_path(loc: Sequence[int | str]) -> str:
    """A pydantic location as the user wrote it in TOML: ``people[2].manager``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        key = part if _BARE_KEY.fullmatch(part) else '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out += f".{key}" if out else key
    return out or "(整个文件)"


def _one_of(options: Sequence[str]) -> str:
    """必须是 a、b 或 c 之一."""
    if len(options) == 1:
        return f"必须是 {options[0]}"
    return f"必须是 {'、'.join(options[:-1])} 或 {options[-1]} 之一"


def _nag(entry: _NagEntry | _RemindersSection | None, base: NagPolicy) -> NagPolicy:
    """``base`` with the keys ``entry`` sets."""
    if entry is None:
        return base
    return replace(
        base,
        fractions=tuple(entry.fractions) if entry.fractions is not None else base.fractions,
        days_before=entry.days_before if entry.days_before is not None else base.days_before,
        repeat_hours=entry.repeat_hours if entry.repeat_hours is not None else base.repeat_hours,
        levels=tuple(entry.levels) if entry.levels is not None else base.levels,
        urgent=base.urgent if getattr(entry, "urgent", None) is None else bool(getattr(entry, "urgent", False)),
    )


def _reminders(raw: _RemindersSection) -> Reminders:
    """``[reminders]``: the defaults, then each clock's own table over them."""
    builtin = Reminders()
    default = _nag(raw, builtin.default)
    clocks = []
    for name in (*(c.value for c in ClockName), "approval"):
        entry: _NagEntry | None = getattr(raw, "urgent_clock" if name == "urgent" else name)
        base = replace(default, urgent=True) if name == "urgent" else default  # urgent pushes are never held
        clocks.append((name, _nag(entry, base)))
    work = builtin.work
    if raw.quiet_hours:
        work = replace(work, quiet_start=raw.quiet_hours[0], quiet_end=raw.quiet_hours[1])
    if raw.working_hours:
        work = replace(work, day_start=raw.working_hours[0], day_end=raw.working_hours[1])
    return Reminders(
        work=work,
        default=default,
        clocks=tuple(clocks),
        digest_at=raw.digest_at or builtin.digest_at,
        report_day=raw.monthly_report_day or builtin.report_day,
        report_at=raw.monthly_report_at or builtin.report_at,
    )


def _unknown_key(loc: Sequence[int | str]) -> str:
    key = str(loc[-1])
    parent = tuple(p for p in loc[:-1] if isinstance(p, str))
    if parent == ("clocks",):
        return f"未知的时钟,{_one_of([n.value for n in ClockName])}"
    model = _ClockEntry if len(parent) == 2 and parent[0] == "clocks" else _TABLES.get(parent)
    if model is not None:
        close = difflib.get_close_matches(key, list(model.model_fields), n=1)
        if close:
            return f'未知的配置项(是否应为 "{close[0]}"?)'
    return "未知的配置项"


def _describe(err: ErrorDetails) -> str:
    """One pydantic error as a Chinese sentence (no pydantic boilerplate)."""
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    loc = err["loc"]
    if kind == "missing":
        return "缺少必填项"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "enum":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        if "roles" in loc:
            return f'未知的角色 "{err["input"]}",{_one_of(options)}'
        return _one_of(options)
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_type":
        return "必须是字符串(用双引号括起来)"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "too_short":
        return "至少需要填写一项"
    if kind == "list_type":
        return "必须是数组"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "必须是表(table)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "必须是整数"
    if kind == "greater_than":
        return f"必须大于 {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}"
    return f"取值无效({err['msg']})"


_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_TOML_MESSAGES = {
    "Invalid statement": "无法识别的语句",
    "Invalid value": "无效的值(字符串需要用双引号括起来)",
    "Invalid date or datetime": "无效的日期或时间",
    "Cannot overwrite a value": "同一个键被重复赋值",
    "Expected '=' after a key in a key/value pair": '键后面缺少 "="',
    "Expected newline or end of document after a statement": "一行只能写一个键值对",
    "Unclosed array": "数组缺少结尾的 ]",
    "Unclosed inline table": "内联表缺少结尾的 }",
    "Unterminated string": "字符串缺少结尾的引号",
    "Illegal character '\\n'": "字符串缺少结尾的引号",
}


def _syntax_problem(name: str, err: tomllib.TOMLDecodeError) -> str:
    text = str(err)
    match = _TOML_POSITION.search(text)
    detail = _TOML_POSITION.sub("", text)
    detail = _TOML_MESSAGES.get(detail, detail)
    if match and match[1]:
        return f"{name} 第 {match[1]} 行: TOML 语法错误,{detail}(第 {match[2]} 列)"
    return f"{name}: TOML 语法错误,{detail}"


# --- cross checks ----------------------------------------------------------------------------------


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


# --- building ----------------------------------------------------------------------------------------


def _step(entry: _StepEntry, n: int) -> Step:
    """One configured approval step (validated by _cross_check)."""
    clock = ClockPolicy(entry.clock.amount, entry.clock.unit) if entry.clock else DEFAULT_STEP_CLOCK
    name = entry.name or f"第 {n} 步"
    single = entry.approver()
    if single is not None:
        return Step(name, (single,), quorum=1, clock=clock)
    group = entry.all_of if entry.all_of is not None else entry.any_of or []
    members = tuple(a for m in group if (a := m.approver()) is not None)
    quorum = None if entry.all_of is not None else (entry.quorum or 1)
    return Step(name, members, quorum=quorum, clock=clock)


def _duties(raw: _DutiesSection) -> Duties:
    """``[duties]``: where QA may respond for a department (none by default)."""
    qa = raw.qa_may_respond
    return Duties(qa_may_respond=frozenset(qa)) if isinstance(qa, tuple) else Duties(qa_for_all=qa)


def _build(data: dict[str, Any], *, source: str) -> KesuConfig:
    """Validate parsed TOML data and turn it into a KesuConfig; raise ConfigError listing every problem."""
    try:
        raw = _ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"{_key_path(e['loc'])}: {_describe(e)}" for e in exc.errors()]) from None
    problems = _cross_check(raw)
    if problems:
        raise ConfigError(problems)
    org = Org(
        people=tuple(
            Person(
                id=p.id,
                name=p.name,
                roles=frozenset(p.roles),
                department=p.department,
                manager=p.manager,
                wecom=p.wecom,
                feishu=p.feishu,
            )
            for p in raw.people
        ),
        departments=tuple(Department(id=d.id, name=d.name, head=d.head) for d in raw.departments),
        chats=tuple(
            Chat(id=c.id, name=c.name, purpose=c.purpose, wecom=c.wecom, wecom_webhook=c.wecom_webhook, feishu=c.feishu)
            for c in raw.chats
        ),
        customers=tuple(Customer(name=c.name, aliases=tuple(c.aliases)) for c in raw.customers),
        products=tuple(Product(code=p.code, name=p.name, aliases=tuple(p.aliases)) for p in raw.products),
        problem_types=tuple(ProblemType(t.id, t.name, tuple(t.keywords)) for t in raw.problem_types)
        or DEFAULT_PROBLEMS,
    )
    clocks: dict[ClockName, ClockPolicy] = {}
    for name in ClockName:
        entry: _ClockEntry | None = getattr(raw.clocks, name.value)
        clocks[name] = DEFAULT_CLOCKS[name] if entry is None else ClockPolicy(entry.amount, entry.unit)
    approvals = dict(DEFAULT_CHAINS)
    for kind in DEFAULT_CHAINS:
        chain: _ChainEntry | None = getattr(raw.approvals, "return_" if kind == "return" else kind)
        if chain is not None:
            approvals[kind] = tuple(_step(s, i) for i, s in enumerate(chain.steps, 1))
    return KesuConfig(
        timezone=ZoneInfo(raw.timezone),
        org=org,
        clocks=clocks,
        approvals=approvals,
        reminders=_reminders(raw.reminders),
        holidays=frozenset(raw.calendar.holidays),
        workdays=frozenset(raw.calendar.workdays),
        confirmed_years=frozenset(raw.calendar.confirmed_years),
        source=source,
        confidential_roles=frozenset(raw.customer_archive.confidential_roles),
        duties=_duties(raw.duties),
        campaigns=CampaignSettings(
            percent=raw.campaigns.percent,
            items=tuple(raw.campaigns.items) or DEFAULT_ITEMS,
            target=raw.campaigns.target,
            months=tuple(raw.campaigns.months),
            day=raw.campaigns.day,
            days_open=raw.campaigns.days_open,
        ),
        limits=Limits(
            max_quantity=raw.limits.max_quantity, short_text=raw.limits.short_text, long_text=raw.limits.long_text
        ),
    )


def load_config(path: Path | None) -> KesuConfig:
    """The configuration in ``path`` (kesu.toml), or the built-in demo org when ``path`` is None."""
    if path is None:
        return demo_config()
    name = str(path)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{name}: 配置文件不存在"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{name}: 这是一个目录,不是配置文件"]) from None
    except OSError as exc:
        raise ConfigError([f"{name}: 无法读取配置文件({exc.strerror})"]) from None
    try:
        text = content.decode("utf-8-sig")  # tolerate the BOM Windows editors add
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ConfigError([f"{name} 第 {line} 行: 文件必须是 UTF-8 编码"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(name, exc)]) from None
    return _build(data, source=name)


_DEMO: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "departments": [
        {"id": "sales", "name": "市场部", "head": "cs_mgr"},
        {"id": "qa", "name": "品质部", "head": "qa_mgr"},
        {"id": "rd", "name": "研发部", "head": "rd1"},
        {"id": "prod", "name": "生产部", "head": "prod1"},
        {"id": "wh", "name": "仓库", "head": "wh1"},
        {"id": "purchasing", "name": "采购部", "head": "buyer1"},
        {"id": "finance", "name": "财务部", "head": "fin1"},
    ],
    "people": [
        {
            "id": "sales1",
            "name": "张伟",
            "roles": ["sales"],
            "department": "sales",
            "manager": "cs_mgr",
            "feishu": "ou_sales1",
        },
        {
            "id": "sales2",
            "name": "李娜",
            "roles": ["sales"],
            "department": "sales",
            "manager": "cs_mgr",
            "feishu": "ou_sales2",
        },
        {"id": "qa1", "name": "王芳", "roles": ["qa"], "department": "qa", "manager": "qa_mgr", "feishu": "ou_qa1"},
        {
            "id": "qa_mgr",
            "name": "刘强",
            "roles": ["qa_manager"],
            "department": "qa",
            "manager": "vp",
            "feishu": "ou_qa_mgr",
        },
        {
            "id": "cs_mgr",
            "name": "陈静",
            "roles": ["cs_manager"],
            "department": "sales",
            "manager": "vp",
            "feishu": "ou_cs_mgr",
        },
        {"id": "vp", "name": "赵总", "roles": ["vp"], "manager": "gm", "feishu": "ou_vp"},
        {"id": "gm", "name": "孙总", "roles": ["gm"], "feishu": "ou_gm"},
        {"id": "rd1", "name": "周工", "roles": ["dept"], "department": "rd", "manager": "vp", "feishu": "ou_rd1"},
        {"id": "prod1", "name": "吴工", "roles": ["dept"], "department": "prod", "manager": "vp", "feishu": "ou_prod1"},
        {
            "id": "wh1",
            "name": "郑师傅",
            "roles": ["warehouse", "dept"],
            "department": "wh",
            "manager": "vp",
            "feishu": "ou_wh1",
        },
        {
            "id": "buyer1",
            "name": "冯敏",
            "roles": ["purchasing"],
            "department": "purchasing",
            "manager": "vp",
            "feishu": "ou_buyer1",
        },
        {
            "id": "fin1",
            "name": "褚红",
            "roles": ["finance"],
            "department": "finance",
            "manager": "gm",
            "feishu": "ou_fin1",
        },
    ],
    "chats": [
        {"id": "qa", "name": "品质群", "purpose": "qa", "feishu": "oc_qa"},
        {"id": "mgmt", "name": "管理层群", "purpose": "mgmt", "feishu": "oc_mgmt"},
        {"id": "sales", "name": "销售群", "purpose": "sales", "feishu": "oc_sales"},
    ],
    "customers": [
        {"name": "明辉电子", "aliases": ["明辉"]},
        {"name": "顺达电器", "aliases": ["顺达"]},
        {"name": "华为", "aliases": ["华为技术"]},
        {"name": "美的集团", "aliases": ["美的"]},
        {"name": "格力电器", "aliases": ["格力"]},
        {"name": "比亚迪", "aliases": ["BYD"]},
        {"name": "海尔智家", "aliases": ["海尔"]},
        {"name": "立讯精密", "aliases": ["立讯"]},
        {"name": "富士康", "aliases": ["鸿海", "Foxconn"]},
        {"name": "欧菲光", "aliases": ["欧菲"]},
    ],
    "products": [
        {"code": "X200", "name": "X200 外壳", "aliases": ["X200外壳"]},
        {"code": "FX-90", "name": "FX-90 风扇", "aliases": ["FX90", "FX-90风扇"]},
        {"code": "P40", "name": "P40 支架", "aliases": ["P40支架"]},
        {"code": "KS-10", "name": "KS-10 控制板", "aliases": ["KS10", "KS-10控制板"]},
        {"code": "TX-500", "name": "TX-500 变压器", "aliases": ["TX500", "TX-500变压器"]},
        {"code": "LED-30", "name": "LED-30 灯板", "aliases": ["LED30", "LED-30灯板"]},
        {"code": "PB-12", "name": "PB-12 电源板", "aliases": ["PB12", "PB-12电源板"]},
        {"code": "C-220", "name": "C-220 连接器", "aliases": ["C220", "C-220连接器"]},
        {"code": "HS-7", "name": "HS-7 散热片", "aliases": ["HS7", "HS-7散热片"]},
        {"code": "M3-8", "name": "M3-8 螺丝", "aliases": ["M3螺丝", "M3x8螺丝"]},
    ],
}


def demo_config() -> KesuConfig:
    """The built-in demo org (the same as kesu.example.toml), with the default clocks."""
    return _build(_DEMO, source=DEMO_SOURCE)


# --- warnings ----------------------------------------------------------------------------------------

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
