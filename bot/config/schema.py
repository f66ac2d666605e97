"""The kesu.toml schema: one pydantic model per table, each refusing unknown keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator

from core.approval import Approver, ApproverKind
from core.campaign import DEFAULT_ITEMS
from core.clocks import ClockUnit
from core.limits import LONG_TEXT, MAX_QUANTITY, QUANTITY_CEILING, SHORT_TEXT
from core.nag import DEPT_HEAD
from core.org import ChatPurpose, Role


def _one_of(options: Sequence[str]) -> str:
    """必须是 a、b 或 c 之一."""
    if len(options) == 1:
        return f"必须是 {options[0]}"
    return f"必须是 {'、'.join(options[:-1])} 或 {options[-1]} 之一"


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
