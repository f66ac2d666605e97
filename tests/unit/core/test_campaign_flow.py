"""core.campaign_flow over the in-memory unit of work: start a campaign (the sample and its seed audited), record a
survey, close — each stored and audited; refusals change nothing."""

from __future__ import annotations

from dataclasses import replace

from core import campaign as cp
from core import campaign_flow
from core.errors import MissingFields, NotAllowed, NotFound, StaleCard
from core.records import SCHEDULER
from tests.fakes import SALES1, SALES2, FakeUnitOfWork
from tests.unit.core.world import CS_MGR, T0, at, last_audit, refused, run, who

ACTIVE = tuple((f"客户{n:02d}", SALES1 if n % 2 else SALES2) for n in range(1, 13))
ALL_GOOD = dict.fromkeys(cp.DEFAULT_ITEMS, "满意")


def _start(uow: FakeUnitOfWork) -> cp.Campaign:
    return run(
        uow,
        lambda u: campaign_flow.start(
            u,
            ACTIVE,
            name="2026 下半年",
            percent=25,
            seed=7,
            settings=cp.CampaignSettings(),
            actor=SCHEDULER,
            now=T0,
            closes_at=at(24 * 14),
        ),
    )


def _record(
    uow: FakeUnitOfWork, campaign: cp.Campaign, user: str, values: dict[str, str], index: int = 0
) -> cp.Campaign:
    return run(
        uow,
        lambda u: campaign_flow.record(
            u, campaign.id or 0, index=index, actor=who(user), values=values, version=campaign.version, now=at(3)
        ),
    )


def test_a_campaign_samples_its_share_reproducibly_and_the_audit_keeps_the_seed() -> None:
    uow = FakeUnitOfWork()
    started = _start(uow)
    chosen = cp.sample([c for c, _ in ACTIVE], 25, 7)
    assert [s.customer for s in started.surveys] == list(chosen) and len(chosen) == 3
    assert [s.owner for s in started.surveys] == [dict(ACTIVE)[c] for c in chosen]
    assert uow.store.campaigns[started.id or 0] == started
    entry = last_audit(uow, "campaign")
    assert (entry.action, entry.actor, entry.before) == ("start", SCHEDULER, {})
    assert (entry.after["seed"], entry.after["population"], entry.after["percent"]) == (7, 12, 25)


def test_the_owner_records_a_customers_answers_and_the_audit_names_the_customer() -> None:
    uow = FakeUnitOfWork()
    started = _start(uow)
    owner = started.surveys[0].owner
    after = _record(uow, started, owner, {**ALL_GOOD, "note": "交期偶有延误"})
    survey = after.surveys[0]
    assert (survey.scores, survey.note, survey.by) == (tuple(ALL_GOOD.items()), "交期偶有延误", owner)
    assert uow.store.campaigns[started.id or 0] == after
    entry = last_audit(uow, "campaign")
    assert (entry.action, entry.actor, entry.note) == ("survey", owner, survey.customer)
    assert entry.after["surveys"][survey.customer] == ALL_GOOD


def test_a_survey_is_refused_from_another_salesperson_or_with_a_level_not_on_the_scale() -> None:
    uow = FakeUnitOfWork()
    started = _start(uow)
    owner = started.surveys[0].owner
    other = SALES2 if owner == SALES1 else SALES1
    assert (
        refused(uow, lambda u: _record(u, started, other, ALL_GOOD), NotAllowed)
        == "只有该客户的负责业务员可以登记调查结果。"
    )
    message = refused(uow, lambda u: _record(u, started, owner, {**ALL_GOOD, "价格": "还行"}), MissingFields)
    assert message == "「价格」请填:非常满意、满意、一般、较差 之一。"
    _record(uow, started, CS_MGR, ALL_GOOD)  # customer service may record for the owner
    assert refused(uow, lambda u: _record(u, replace(started, id=9), owner, ALL_GOOD), NotFound) == "找不到这次调查。"


def test_closing_a_campaign_is_audited_and_its_cards_go_stale() -> None:
    uow = FakeUnitOfWork()
    started = _start(uow)
    closed = run(uow, lambda u: campaign_flow.close(u, started, actor=SCHEDULER, now=at(24 * 14)))
    assert (closed.state, closed.closed_at) == ("closed", at(24 * 14))
    entry = last_audit(uow, "campaign")
    assert (entry.action, entry.actor, entry.after) == ("close", SCHEDULER, {"state": "closed"})
    message = refused(uow, lambda u: _record(u, closed, started.surveys[0].owner, ALL_GOOD), StaleCard)
    assert message == "此卡片已过期,请看 满意度调查 2026 下半年 的最新卡片。"
