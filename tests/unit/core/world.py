"""A small factory for the core flow tests: people for every chain (tests.fakes' org plus customer service, the
vice president, the general manager, the warehouse, purchasing and finance), a policy, fixed times, and helpers to
run one use case in a committed unit of work or check that a refusal changed nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from core import complaint_flow
from core.audit import AuditEntry
from core.complaint import Action, Complaint, Details
from core.errors import DomainError
from core.org import Org, Person, Product, Role
from tests.fakes import SALES1, SALES2, FakeUnitOfWork, make_org, policy

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # a Monday morning
CS_MGR, VP, GM, WH, BUYER, FINANCE = "cs_mgr", "vp", "gm", "wh1", "buyer1", "fin1"

_BASE = make_org()
ORG: Org = replace(
    _BASE,
    people=(
        *(replace(p, manager=CS_MGR) if p.id in (SALES1, SALES2) else p for p in _BASE.people),
        Person(CS_MGR, "孙丽", frozenset({Role.CS_MANAGER}), department="sales", manager=VP),
        Person(VP, "周总", frozenset({Role.VP}), manager=GM),
        Person(GM, "吴总", frozenset({Role.GM})),
        Person(WH, "郑军", frozenset({Role.WAREHOUSE})),
        Person(BUYER, "冯敏", frozenset({Role.PURCHASING})),
        Person(FINANCE, "何涛", frozenset({Role.FINANCE})),
    ),
    products=(Product("P40", "P40 标准外壳"),),
)
POLICY = policy()
DETAILS = Details(customer="明辉电子", product="X200 外壳", defect="外壳划伤", quantity=120)

T = TypeVar("T")


def at(hours: float) -> datetime:
    """``hours`` after T0."""
    return T0 + timedelta(hours=hours)


def who(person_id: str) -> Person:
    """A configured person."""
    found = ORG.person(person_id)
    assert found is not None
    return found


def run(uow: FakeUnitOfWork, use_case: Callable[[FakeUnitOfWork], T]) -> T:
    """Run one use case in a unit of work and commit it."""
    with uow:
        result = use_case(uow)
        uow.commit()
    return result


def _state(uow: FakeUnitOfWork) -> tuple[Any, ...]:
    s = uow.store
    records = (s.complaints, s.approvals, s.returns, s.orders, s.eightds, s.analyses, s.visits, s.campaigns)
    return (*(dict(r) for r in records), dict(s.customers), dict(s.counters), len(s.audit), len(s.outbox))


def refused(uow: FakeUnitOfWork, use_case: Callable[[FakeUnitOfWork], object], error: type[DomainError]) -> str:
    """Run a use case that a rule must refuse; check the error's type and that nothing was stored. Returns the
    sentence the person is shown."""
    before = _state(uow)
    with pytest.raises(error) as caught:
        run(uow, use_case)
    assert _state(uow) == before
    return caught.value.message


def last_audit(uow: FakeUnitOfWork, entity: str) -> AuditEntry:
    """The newest committed audit row about ``entity``."""
    return [e for e in uow.store.audit if e.entity == entity][-1]


def submitted_complaint(uow: FakeUnitOfWork, details: Details = DETAILS, *, owner: str = SALES1) -> Complaint:
    """A complaint logged and submitted by ``owner`` at T0 (KS-202611-0001 for the first), committed."""

    def log_and_submit(u: FakeUnitOfWork) -> Complaint:
        draft = complaint_flow.log_complaint(u, org=ORG, person_id=owner, details=details, now=T0)
        assert draft.id is not None
        _, after = complaint_flow.act(
            u,
            org=ORG,
            policy=POLICY,
            person_id=owner,
            complaint_id=draft.id,
            card_version=draft.version,
            action=Action.CONFIRM,
            values={},
            now=T0,
        )
        return after

    return run(uow, log_and_submit)
