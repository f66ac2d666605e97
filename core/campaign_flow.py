"""Satisfaction campaign use cases: start, record a survey, close — each audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core import campaign as cp
from core.errors import NotFound
from core.org import Person
from core.ports import UnitOfWork
from core.records import store

AUDIT_ENTITY = "campaign"


def snapshot(c: cp.Campaign) -> dict[str, Any]:
    """Audit view of a campaign: the sample (with seed), its state and each customer's recorded answers."""
    return {
        "name": c.name,
        "state": c.state,
        "percent": c.percent,
        "seed": c.seed,
        "population": c.population,
        "surveys": {s.customer: dict(s.scores) for s in c.surveys},
    }


def start(
    uow: UnitOfWork,
    active: Sequence[tuple[str, str]],
    *,
    name: str,
    percent: int,
    seed: int,
    settings: cp.CampaignSettings,
    actor: str,
    now: datetime,
    closes_at: datetime,
) -> cp.Campaign:
    """Store a new campaign sampled from ``active`` (customer, owner) pairs."""
    draft = cp.start(
        active,
        name=name,
        percent=percent,
        seed=seed,
        items=settings.items,
        target=settings.target,
        now=now,
        closes_at=closes_at,
    )
    return store(
        uow, uow.campaigns, None, draft, entity=AUDIT_ENTITY, snapshot=snapshot, action="start", actor=actor, now=now
    )


def record(
    uow: UnitOfWork, campaign_id: int, *, index: int, actor: Person, values: dict[str, str], version: int, now: datetime
) -> cp.Campaign:
    """The owner records one sampled customer's answers."""
    campaign = uow.campaigns.get(campaign_id)
    if campaign is None:
        raise NotFound("找不到这次调查。")
    after = cp.record(campaign, index=index, actor=actor, values=values, version=version, now=now)
    note = after.surveys[index].customer
    return store(
        uow,
        uow.campaigns,
        campaign,
        after,
        entity=AUDIT_ENTITY,
        snapshot=snapshot,
        action="survey",
        actor=actor.id,
        now=now,
        note=note,
    )


def close(uow: UnitOfWork, campaign: cp.Campaign, *, actor: str, now: datetime) -> cp.Campaign:
    """The campaign ends: its results are final."""
    closed = cp.close(campaign, now=now)
    return store(
        uow,
        uow.campaigns,
        campaign,
        closed,
        entity=AUDIT_ENTITY,
        snapshot=snapshot,
        action="close",
        actor=actor,
        now=now,
    )
