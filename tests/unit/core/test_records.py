"""The one audited save (core.records.store) as the use cases use it: a new record's whole snapshot, a change's
diff only, and nothing written when the change is refused or the record changed meanwhile."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import order_flow, visit_flow
from core import orders as o
from core.errors import ConcurrentUpdate, NotAllowed, NotFound
from core.limits import DEFAULT_LIMITS
from core.records import Kind, load, stale_card, store
from tests.fakes import FakeUnitOfWork, make_org

ORG = make_org()
T0 = datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _visit(uow: FakeUnitOfWork) -> int:
    visit = visit_flow.record(
        uow,
        customer="明辉电子",
        text="拜访明辉电子,客户提出:1.交期太长 2.包装要改进",
        by="sales1",
        owner="qa_mgr",
        due=T0 + timedelta(days=7),
        limits=DEFAULT_LIMITS,
        now=T0,
    )
    assert visit.id is not None
    return visit.id


def test_a_new_record_is_audited_with_its_whole_snapshot() -> None:
    uow = FakeUnitOfWork()
    visit_id = _visit(uow)
    [entry] = uow.fake_audit.writes
    assert (entry.entity, entry.entity_id, entry.action, entry.actor, entry.at) == (
        "visit",
        str(visit_id),
        "record",
        "sales1",
        T0,
    )
    assert entry.before == {} and [q["text"] for q in entry.after["questions"]] == ["交期太长", "包装要改进"]


def test_a_change_is_audited_with_only_what_changed() -> None:
    uow = FakeUnitOfWork()
    visit_id = _visit(uow)
    qa_mgr = ORG.person("qa_mgr")
    assert qa_mgr is not None
    visit_flow.answer(uow, visit_id, index=0, actor=qa_mgr, text="交期缩短到 10 天", card_version=1, now=T0)
    entry = uow.fake_audit.writes[-1]
    assert (entry.action, entry.actor) == ("answer", "qa_mgr")
    assert list(entry.before) == ["questions"] and entry.after["questions"][0]["answer"] == "交期缩短到 10 天"
    assert entry.before["questions"][0]["answer"] is None


def test_a_refused_change_writes_neither_the_record_nor_an_audit_row() -> None:
    uow = FakeUnitOfWork()
    visit_id = _visit(uow)
    sales2 = ORG.person("sales2")
    assert sales2 is not None
    with pytest.raises(NotAllowed):
        visit_flow.answer(uow, visit_id, index=0, actor=sales2, text="x", card_version=1, now=T0)
    assert [e.action for e in uow.fake_audit.writes] == ["record"]
    stored = uow.visits.get(visit_id)
    assert stored is not None and stored.version == 1


def test_a_record_changed_meanwhile_is_not_saved_and_not_audited() -> None:
    uow = FakeUnitOfWork()
    visit_id = _visit(uow)
    stored = uow.visits.get(visit_id)
    assert stored is not None
    stale = replace(stored, version=0)
    with pytest.raises(ConcurrentUpdate):
        store(
            uow,
            uow.visits,
            stale,
            replace(stored, version=2),
            entity="visit",
            snapshot=visit_flow.snapshot,
            action="answer",
            actor="qa_mgr",
            now=T0,
        )
    assert [e.action for e in uow.fake_audit.writes] == ["record"]


def test_a_kind_stores_and_audits_its_records_under_its_entity() -> None:
    uow = FakeUnitOfWork()
    visit_id = _visit(uow)
    visits = Kind("visit", lambda u: u.visits, visit_flow.snapshot)
    stored = uow.visits.get(visit_id)
    assert stored is not None
    after = visits.store(uow, stored, replace(stored, version=2), action="touch", actor="qa_mgr", now=T0, note="n")
    entry = uow.fake_audit.writes[-1]
    assert (entry.entity, entry.entity_id, entry.action, entry.note) == ("visit", str(visit_id), "touch", "n")
    assert entry.before == {} == entry.after and after.version == 2


def test_loading_a_missing_record_says_so_in_the_words_given() -> None:
    with pytest.raises(NotFound, match="找不到这张订单"):
        load(FakeUnitOfWork().orders, 7, missing="找不到这张订单,卡片可能已失效。")


def test_a_stale_card_names_who_changed_the_record_and_when() -> None:
    order = o.Order(
        id=1,
        number="OR-202611-0001",
        requester="sales1",
        customer="美的",
        product="P40",
        quantity=1,
        created_at=T0,
        last_actor="sales1",
        last_action="变更",
        last_at=T0,
    )
    refused = stale_card(order, now_is="OR-202611-0001 当前:评审中", org=ORG, tz=T0.tzinfo or ZoneInfo("UTC"))
    assert str(refused) == "此卡片已失效,已被张伟于 15:00 变更。OR-202611-0001 当前:评审中。"
    untouched = replace(order, last_actor=None)
    assert str(stale_card(untouched, now_is="x", org=ORG, tz=ZoneInfo("UTC"))) == "此卡片已失效。x。"
    assert order_flow.ORDERS.entity == "order"
