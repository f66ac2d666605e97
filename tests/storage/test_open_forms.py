"""``open_forms`` filters in SQL exactly as ``MayAct.admits`` and the customer name do (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from itertools import product
from zoneinfo import ZoneInfo

from bot.wiring import Kesu
from core import complaint as c
from core.routing import may_act

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_open_forms_selects_in_sql_what_may_act_and_customer_admit(kesu: Kesu) -> None:
    org = kesu.config.org
    base = c.Complaint(id=None, owner="", created_at=NOW, details=c.Details(product="X200", quantity=1))
    with kesu.uow() as uow:
        for i, (state, owner, qa_owner, department, customer) in enumerate(
            product(
                c.State,
                ("sales1", "sales2"),
                (None, "qa1", "sales2"),
                (None, "rd", "研发部", "prod"),
                ("明辉电子", "顺达"),
            )
        ):
            details = replace(base.details, customer=customer)
            uow.complaints.add(
                replace(
                    base,
                    owner=owner,
                    state=state,
                    qa_owner=qa_owner,
                    department=department,
                    details=details,
                    number=f"KS-202611-{i:04d}",
                )
            )
        uow.commit()
    with kesu.uow() as uow:
        everything = uow.complaints.open_forms()
        assert {f.state for f in everything} == set(c.OPEN_STATES)
        sizes = set()
        for person in org.people:
            m = may_act(person.id, org)
            expected = [f.id for f in everything if m.admits(f)]
            assert [f.id for f in uow.complaints.open_forms(may_act=m)] == expected, person.id
            sizes.add(len(expected))
        assert len(sizes) > 2 and max(sizes) < len(everything)  # people see different, partial lists
        mine = [f.id for f in everything if f.details.customer == "顺达"]
        assert [f.id for f in uow.complaints.open_forms(customer="顺达")] == mine
        assert 0 < len(mine) < len(everything)
