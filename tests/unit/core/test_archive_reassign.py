"""The archive's use cases write every customer change through the audited save: a hand-over, an import and a
provisional archive each leave one audit row naming the customer, the owner before and after, and who did it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core import archive_flow
from core.audit import AuditEntry
from core.customers import CustomerRecord
from core.errors import NotAllowed
from core.org import Org, Person, Role
from tests.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ORG = Org(
    people=(
        Person("s1", "张伟", frozenset({Role.SALES})),
        Person("s2", "李娜", frozenset({Role.SALES})),
        Person("fin", "褚红", frozenset({Role.FINANCE})),
    ),
    departments=(),
    chats=(),
)


def _customer(name: str, owner: str) -> CustomerRecord:
    return CustomerRecord(id=None, name=name, owner=owner, created_at=NOW, updated_at=NOW)


def _archive(*customers: CustomerRecord) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    with uow:
        for c in customers:
            uow.customers.add(c)
        uow.commit()
    return uow


def test_a_reassignment_moves_each_customer_with_an_audit_row_and_words_the_successors_notice() -> None:
    uow = _archive(_customer("明辉电子", "s1"), _customer("顺达电器", "s1"), _customer("华为", "s2"))
    with uow:
        done = archive_flow.reassign(uow, org=ORG, from_="s1", to="s2", actor="cs_mgr", now=NOW)
        uow.commit()
    assert [(c.name, c.owner, c.version) for c in done.moved] == [("明辉电子", "s2", 2), ("顺达电器", "s2", 2)]
    assert done.names == "明辉电子、顺达电器"
    assert done.notice == "张伟 负责的 2 个客户已交给您:明辉电子、顺达电器。请尽快联系客户,告知新的对接人。"
    assert done.key.startswith("customers-reassign:s1:s2:") and len(done.key) == len("customers-reassign:s1:s2:") + 16
    assert uow.store.audit == [
        AuditEntry("customer", name, "reassign", "cs_mgr", NOW, {"owner": "s1"}, {"owner": "s2"})
        for name in ("明辉电子", "顺达电器")
    ]
    assert [c.owner for c in uow.customers.owned_by("s2")] == ["s2"] * 3


def test_a_second_hand_over_of_the_same_customers_has_a_new_notice_key() -> None:
    uow = _archive(_customer("明辉电子", "s1"))
    with uow:
        first = archive_flow.reassign(uow, org=ORG, from_="s1", to="s2", actor="cs_mgr", now=NOW)
        back = archive_flow.reassign(uow, org=ORG, from_="s2", to="s1", actor="cs_mgr", now=NOW)
        again = archive_flow.reassign(uow, org=ORG, from_="s1", to="s2", actor="cs_mgr", now=NOW)
    assert back.key != first.key and again.key != first.key  # the versions differ: each notice is sent


def test_nothing_to_hand_over_moves_nothing_and_audits_nothing() -> None:
    uow = _archive(_customer("华为", "s2"))
    with uow:
        done = archive_flow.reassign(uow, org=ORG, from_="s1", to="s2", actor="cs_mgr", now=NOW)
        uow.commit()
    assert done.moved == () and uow.store.audit == []


def test_a_successor_outside_sales_is_refused_and_nothing_changes() -> None:
    uow = _archive(_customer("明辉电子", "s1"))
    with uow, pytest.raises(NotAllowed, match="不是业务员或客服经理"):
        archive_flow.reassign(uow, org=ORG, from_="s1", to="fin", actor="cs_mgr", now=NOW)
    assert uow.store.audit == [] and [c.owner for c in uow.customers.all()] == ["s1"]


def test_an_import_adds_and_updates_with_one_audit_row_each() -> None:
    uow = _archive(_customer("明辉电子", "s1"))
    with uow:
        added, updated = archive_flow.import_records(
            uow, [replace(_customer("明辉电子", "s2"), tax_id="91"), _customer("星河科技", "s1")], actor="cli", now=NOW
        )
        uow.commit()
    assert (added, updated) == (1, 1)
    assert [(e.entity_id, e.action, e.actor, e.before, e.after) for e in uow.store.audit] == [
        ("明辉电子", "import_update", "cli", {"owner": "s1"}, {"owner": "s2"}),
        ("星河科技", "import_add", "cli", {}, {"owner": "s1"}),
    ]


def test_a_provisional_archive_is_audited_under_its_owner() -> None:
    uow = _archive()
    with uow:
        created = archive_flow.ensure_customer(uow, name="星河科技", owner="s1", now=NOW)
        uow.commit()
    assert created is not None and created.provisional and created.id is not None
    assert [(e.entity_id, e.action, e.actor, e.before, e.after) for e in uow.store.audit] == [
        ("星河科技", "provisional", "s1", {}, {"owner": "s1"})
    ]
