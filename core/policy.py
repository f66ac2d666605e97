"""The configured rules core applies (numbers, not code), and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from core.approval import DEFAULT_CHAINS, Step
from core.campaign import CampaignSettings
from core.clocks import Calendar, ClockName, ClockPolicy
from core.duties import Duties
from core.errors import UnknownUser
from core.limits import DEFAULT_LIMITS, Limits
from core.nag import Reminders
from core.org import Org, Person, Role


@dataclass(frozen=True)
class Policy:
    """The configured rules that are numbers, not code: clocks, calendar and timezone."""

    clocks: dict[ClockName, ClockPolicy]
    calendar: Calendar
    tz: ZoneInfo
    chains: dict[str, tuple[Step, ...]] = field(default_factory=lambda: dict(DEFAULT_CHAINS))
    reminders: Reminders = field(default_factory=Reminders)
    repeat_window_days: int = 90  # a complaint like one in this window is a repeat (PROCEDURE §1.8)
    batch_return: int = 100  # a return of this many pieces or more is a batch return: it needs an analysis report
    campaigns: CampaignSettings = field(default_factory=CampaignSettings)  # satisfaction surveys (PROCEDURE §5)
    confidential_roles: frozenset[Role] = frozenset()  # may also see customers' contacts and credit (§6)
    duties: Duties = field(default_factory=Duties)  # segregation of duties ([duties] in kesu.toml)
    limits: Limits = DEFAULT_LIMITS  # the most a quantity may be and how long a typed text (kesu.toml [limits])


def person(org: Org, user_id: str) -> Person:
    """The configured person behind a chat user id; UnknownUser otherwise."""
    p = org.person(user_id)
    if p is None:
        raise UnknownUser(user_id)
    return p
