"""core.archive over the in-memory unit of work: import (add or update), hand customers over, mark a key customer and
export — each stored and audited; refusals change nothing. (Looking a customer up, the import's row checks and the
provisional archive are in test_customers.)"""

from __future__ import annotations

from dataclasses import replace

from core import archive_flow
from core.customers import CustomerRecord
from core.errors import NotAllowed, NotFound
from tests.fakes import QA1, SALES1, SALES2, FakeUnitOfWork
from tests.unit.core.world import CS_MGR, ORG, T0, at, refused, run


def _record(name: str, owner: str = SALES1) -> CustomerRecord:
    return CustomerRecord(id=None, name=name, owner=owner, created_at=T0, updated_at=T0, credit_note="月结 60 天")


def _import(uow: FakeUnitOfWork, *records: CustomerRecord) -> tuple[int, int]:
    return run(uow, lambda u: archive_flow.import_records(u, records, actor="admin", now=T0))


def _customer_audit(uow: FakeUnitOfWork) -> list[tuple[str, str, dict[str, object], dict[str, object]]]:
    return [(e.entity_id, e.action, e.before, e.after) for e in uow.store.audit if e.entity == "customer"]


def test_an_import_adds_new_customers_and_updates_known_ones_by_name_with_an_audit_row_each() -> None:
    uow = FakeUnitOfWork()
    assert _import(uow, _record("明辉电子"), _record("顺达电器")) == (2, 0)
    assert _import(uow, _record("明辉电子", SALES2)) == (0, 1)
    updated = next(c for c in uow.store.customers.values() if c.name == "明辉电子")
    assert (updated.owner, updated.version, updated.created_at) == (SALES2, 2, T0)
    assert _customer_audit(uow) == [
        ("明辉电子", "import_add", {}, {"owner": SALES1}),
        ("顺达电器", "import_add", {}, {"owner": SALES1}),
        ("明辉电子", "import_update", {"owner": SALES1}, {"owner": SALES2}),
    ]


def _reassign(uow: FakeUnitOfWork, from_: str, to: str) -> tuple[CustomerRecord, ...]:
    return run(uow, lambda u: archive_flow.reassign(u, org=ORG, from_=from_, to=to, actor="admin", now=at(1)).moved)


def test_a_leaving_salesperson_hands_every_customer_to_the_successor_each_audited() -> None:
    uow = FakeUnitOfWork()
    _import(uow, _record("明辉电子"), _record("顺达电器"), _record("新丰五金", SALES2))
    moved = _reassign(uow, SALES1, CS_MGR)
    assert sorted(c.name for c in moved) == ["明辉电子", "顺达电器"]
    assert {c.name: c.owner for c in uow.store.customers.values()} == {
        "明辉电子": CS_MGR,
        "顺达电器": CS_MGR,
        "新丰五金": SALES2,
    }
    rows = [r for r in _customer_audit(uow) if r[1] == "reassign"]
    assert sorted(rows) == [
        ("明辉电子", "reassign", {"owner": SALES1}, {"owner": CS_MGR}),
        ("顺达电器", "reassign", {"owner": SALES1}, {"owner": CS_MGR}),
    ]


def test_a_handover_is_refused_to_nobody_to_someone_outside_sales_to_oneself_or_from_nobody() -> None:
    uow = FakeUnitOfWork()
    _import(uow, _record("明辉电子"))
    assert refused(uow, lambda u: _reassign(u, SALES1, "ghost"), NotFound) == "没有人员“ghost”,未做任何更改。"
    message = refused(uow, lambda u: _reassign(u, SALES1, QA1), NotAllowed)
    assert message == "王芳(qa1)不是业务员或客服经理,不能接手客户,未做任何更改。"
    assert refused(uow, lambda u: _reassign(u, SALES1, SALES1), NotAllowed) == "交接双方不能是同一个人,未做任何更改。"
    message = refused(uow, lambda u: _reassign(u, "ghost", SALES2), NotFound)
    assert message == "没有人员“ghost”,档案里也没有其负责的客户,未做任何更改。"


def test_marking_a_key_customer_is_stored_and_audited_under_its_name() -> None:
    uow = FakeUnitOfWork()
    _import(uow, _record("明辉电子"))
    marked = run(uow, lambda u: archive_flow.mark_key(u, 1, actor="gm", now=at(2)))
    assert marked is not None and marked.key and uow.store.customers[1].key
    assert _customer_audit(uow)[-1] == ("明辉电子", "key", {"key": False}, {"key": True})
    assert run(uow, lambda u: archive_flow.mark_key(u, 99, actor="gm", now=at(2))) is None


def test_an_export_logs_a_confidential_look_at_every_customer_and_one_audit_row() -> None:
    uow = FakeUnitOfWork()
    _import(uow, _record("明辉电子"), _record("顺达电器"))
    exported = run(uow, lambda u: archive_flow.export(u, actor="admin", to="customers.xlsx", now=at(3)))
    assert [c.credit_note for c in exported] == ["月结 60 天", "月结 60 天"]  # contacts and credit included
    views = uow.store.customer_views
    assert [(v.viewer, v.confidential, v.allowed) for v in views] == [("admin", True, True)] * 2
    assert _customer_audit(uow)[-1] == ("*", "export", {}, {"customers": 2, "to": "customers.xlsx"})


def test_an_export_of_an_empty_archive_is_still_audited() -> None:
    uow = FakeUnitOfWork()
    assert run(uow, lambda u: archive_flow.export(u, actor="admin", to="x.csv", now=T0)) == []
    assert _customer_audit(uow) == [("*", "export", {}, {"customers": 0, "to": "x.csv"})]


def test_an_imported_customer_keeps_its_first_creation_time() -> None:
    uow = FakeUnitOfWork()
    _import(uow, _record("明辉电子"))
    _import(uow, replace(_record("明辉电子"), created_at=at(5)))
    assert uow.store.customers[1].created_at == T0
