"""Customer satisfaction campaigns (PROCEDURE §5): a random share of active customers (20–30 %, the seed kept
for auditors) is surveyed by their owners on four levels per item; when the campaign closes the results go to
management and every item below target becomes a feedback form for QA."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core.errors import MissingFields, NotAllowed, StaleCard
from core.org import Person, Role

LEVELS: dict[str, int] = {"非常满意": 100, "满意": 80, "一般": 60, "较差": 40}  # the four levels, as an index
DEFAULT_ITEMS: tuple[str, ...] = ("产品质量", "交货期", "价格", "服务")


@dataclass(frozen=True)
class Survey:
    """One sampled customer: who surveys it, and (once recorded) the answers."""

    customer: str
    owner: str
    scores: tuple[tuple[str, str], ...] = ()  # (item, level)
    note: str | None = None
    by: str | None = None
    at: datetime | None = None

    @property
    def index(self) -> float | None:
        """This customer's satisfaction index (the mean of its levels' values)."""
        return sum(LEVELS[level] for _, level in self.scores) / len(self.scores) if self.scores else None


@dataclass(frozen=True)
class Campaign:
    """A survey campaign."""

    id: int | None
    name: str
    started_at: datetime
    closes_at: datetime
    percent: int
    seed: int
    population: int  # how many active customers it was sampled from
    items: tuple[str, ...]
    target: int
    surveys: tuple[Survey, ...]
    state: str = "open"
    version: int = 1
    closed_at: datetime | None = None

    @property
    def label(self) -> str:
        """满意度调查 2026 下半年."""
        return f"满意度调查 {self.name}"

    def item_index(self, item: str) -> float | None:
        """The mean value of one item over the answered surveys."""
        values = [LEVELS[level] for s in self.surveys for i, level in s.scores if i == item]
        return sum(values) / len(values) if values else None

    @property
    def index(self) -> float | None:
        """The overall satisfaction index: the mean over every answer."""
        values = [LEVELS[level] for s in self.surveys for _, level in s.scores]
        return sum(values) / len(values) if values else None

    def below_target(self) -> list[tuple[str, float]]:
        """Items whose index is under the target."""
        return [(i, x) for i in self.items if (x := self.item_index(i)) is not None and x < self.target]


def sample(customers: Sequence[str], percent: int, seed: int) -> tuple[str, ...]:
    """``percent`` % of ``customers`` (rounded, at least one when there are any), drawn with ``seed``: the same
    seed over the same customers draws the same sample, so an auditor can repeat it."""
    pool = sorted(set(customers))
    if not pool:
        return ()
    k = max(1, round(len(pool) * percent / 100))
    return tuple(sorted(random.Random(seed).sample(pool, k)))


def record(
    campaign: Campaign, *, index: int, actor: Person, values: dict[str, str], version: int, now: datetime
) -> Campaign:
    """The owner (or a cs_manager / gm) records one customer's answers: every item on one of the four levels."""
    if campaign.state != "open" or version != campaign.version:
        raise StaleCard(f"此卡片已过期,请看 {campaign.label} 的最新卡片。")
    if not 0 <= index < len(campaign.surveys):
        raise MissingFields("没有这个客户。", ("customer",))
    survey = campaign.surveys[index]
    if actor.id != survey.owner and not actor.has_any(Role.CS_MANAGER, Role.GM):
        raise NotAllowed("只有该客户的负责业务员可以登记调查结果。")
    scores = []
    for item in campaign.items:
        level = (values.get(item) or "").strip()
        if level not in LEVELS:
            raise MissingFields(f"「{item}」请填:{'、'.join(LEVELS)} 之一。", (item,))
        scores.append((item, level))
    done = replace(survey, scores=tuple(scores), note=(values.get("note") or "").strip() or None, by=actor.id, at=now)
    surveys = tuple(done if i == index else s for i, s in enumerate(campaign.surveys))
    return replace(campaign, surveys=surveys, version=campaign.version + 1)


def close(campaign: Campaign, *, now: datetime) -> Campaign:
    """The campaign ends: results are final (unanswered surveys count as not surveyed)."""
    return replace(campaign, state="closed", closed_at=now, version=campaign.version + 1)


def results_text(campaign: Campaign, previous: Campaign | None) -> str:
    """The results for management: per item, the index and its change from the last campaign."""

    def pct(x: float | None) -> str:
        return "—" if x is None else f"{x:.0f}"

    answered = sum(1 for s in campaign.surveys if s.scores)
    lines = [
        f"📋 {campaign.label} 结果",
        f"抽样 {len(campaign.surveys)}/{campaign.population} 家({campaign.percent}%,种子 {campaign.seed}),"
        f"已调查 {answered} 家",
        f"满意度指数:{pct(campaign.index)}" + (f"(上次 {pct(previous.index)})" if previous else ""),
    ]
    for item in campaign.items:
        now_x = campaign.item_index(item)
        before = previous.item_index(item) if previous else None
        flag = " ⚠️ 低于目标" if now_x is not None and now_x < campaign.target else ""
        lines.append(f"· {item}:{pct(now_x)}" + (f"(上次 {pct(before)})" if previous else "") + flag)
    answered_surveys = [s for s in campaign.surveys if s.scores]
    if answered_surveys:
        lines.append("各客户:" + "、".join(f"{s.customer} {pct(s.index)}" for s in answered_surveys))
    missing = [s.customer for s in campaign.surveys if not s.scores]
    if missing:
        lines.append("未调查:" + "、".join(missing))
    return "\n".join(lines)


def start(
    active: Sequence[tuple[str, str]],
    *,
    name: str,
    percent: int,
    seed: int,
    items: tuple[str, ...],
    target: int,
    now: datetime,
    closes_at: datetime,
) -> Campaign:
    """A new campaign over ``active`` (customer, owner) pairs: the sample, each with its owner."""
    owners = dict(active)
    chosen = sample(list(owners), percent, seed)
    surveys = tuple(Survey(c, owners[c]) for c in chosen)
    return Campaign(None, name, now, closes_at, percent, seed, len(owners), items, target, surveys)


@dataclass(frozen=True)
class CampaignSettings:
    """``[campaigns]``: share sampled, items asked, the target index, when campaigns start and how long they run."""

    percent: int = 25
    items: tuple[str, ...] = DEFAULT_ITEMS
    target: int = 80
    months: tuple[int, ...] = (1, 7)  # twice a year (PROCEDURE §5) …
    day: int = 15  # … on this day of those months, at 09:00
    days_open: int = 14
