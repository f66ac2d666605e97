"""The validated configuration (KesuConfig) and the error raised for an invalid kesu.toml."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from bot.accounts import Accounts
from bot.calendar import ChinaCalendar
from core.approval import DEFAULT_CHAINS, Step
from core.campaign import CampaignSettings
from core.clocks import ClockName, ClockPolicy
from core.duties import Duties
from core.limits import DEFAULT_LIMITS, Limits
from core.nag import Reminders
from core.org import Org, Role


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
    accounts: Accounts  # who is who on WeCom and Feishu
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
