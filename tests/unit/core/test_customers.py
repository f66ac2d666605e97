"""Who may see a customer's contacts and credit (PROCEDURE §6), and the import's row checks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import _DEMO, ConfigError, _build, demo_config
from core import archive_flow
from core.customers import Contact, CustomerRecord, can_see_confidential, public_view, require_confidential
from core.errors import NotAllowed
from core.org import Org, Person, Role
from tests.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ORG = Org(
    people=(
        Person("s1", "张伟", frozenset({Role.SALES}), manager="boss"),
        Person("s2", "李娜", frozenset({Role.SALES})),
        Person("boss", "陈静", frozenset({Role.CS_MANAGER})),
        Person("gm", "孙总", frozenset({Role.GM})),
        Person("fin", "褚红", frozenset({Role.FINANCE})),
    ),
    departments=(),
    chats=(),
)
MINGHUI = CustomerRecord(
    id=1,
    name="明辉电子",
    owner="s1",
    created_at=NOW,
    updated_at=NOW,
    aliases=("明辉",),
    contacts=(Contact("王经理", "13800138000", "wang@x.example", "采购"),),
    credit_note="月结60天",
)


def _p(person_id: str) -> Person:
    p = ORG.person(person_id)
    assert p is not None
    return p


def test_the_owner_the_owners_manager_and_gm_may_see_contacts_and_others_only_with_a_granted_role() -> None:
    assert [can_see_confidential(MINGHUI, _p(i), ORG) for i in ("s1", "boss", "gm", "s2", "fin")] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert can_see_confidential(MINGHUI, _p("fin"), ORG, {Role.FINANCE})
    with pytest.raises(NotAllowed, match="您无权查看该客户的联系人信息"):
        require_confidential(MINGHUI, _p("s2"), ORG)


def test_the_public_view_has_no_contacts_and_no_credit_note() -> None:
    view = public_view(MINGHUI)
    assert view.contacts == () and view.credit_note == "" and view.name == "明辉电子"


def test_a_refused_look_is_logged_and_committed_with_the_public_view() -> None:
    uow = FakeUnitOfWork()
    with uow:
        uow.customers.add(MINGHUI)
        uow.commit()
    with uow:
        found = archive_flow.look_up(uow, org=ORG, viewer=_p("s2"), name="明辉", asked=True, granted_roles=(), now=NOW)
        uow.commit()
    assert found.refused and found.record.contacts == ()
    [view] = uow.customers.views(1)
    assert (view.viewer, view.confidential, view.allowed) == ("s2", True, False)


def test_every_bad_row_is_reported_and_then_no_record_is_returned() -> None:
    rows = [
        (2, {"name": "明辉电子", "owner": "s1", "key": "是"}),
        (3, {"name": "明辉电子", "owner": "nobody", "email": "bad", "contact": "王"}),
        (4, {"name": "", "owner": "s1", "key": "maybe"}),
    ]
    records, report = archive_flow.check_rows(rows, org=ORG, now=NOW)
    assert records == []
    assert report == [
        "第 3 行:邮箱格式不对:bad;负责业务员“nobody”不在人员名单里;名称与第 2 行重复",
        "第 4 行:缺少名称;重点客户应填“是”或“否”,而不是“maybe”",
    ]


def test_a_submit_for_a_customer_not_in_the_archive_opens_one_provisional_archive_only() -> None:
    uow = FakeUnitOfWork()
    with uow:
        assert archive_flow.ensure_customer(uow, name="星河科技", owner="s1", now=NOW) is not None
        assert archive_flow.ensure_customer(uow, name="星河科技", owner="s2", now=NOW) is None
        uow.commit()
    [record] = uow.customers.all()
    assert record.provisional and record.owner == "s1"


def test_confidential_roles_are_read_from_the_customer_archive_table_and_checked() -> None:
    assert demo_config().confidential_roles == frozenset()
    cfg = _build({**_DEMO, "customer_archive": {"confidential_roles": ["finance"]}}, source="t")
    assert cfg.confidential_roles == frozenset({Role.FINANCE})
    with pytest.raises(ConfigError, match="confidential_roles"):
        _build({**_DEMO, "customer_archive": {"confidential_roles": ["boss"]}}, source="t")
