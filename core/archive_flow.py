"""Use cases of the customer archive: import and export rows, hand customers over, look one up (every look
logged), and open a provisional archive for a customer first named on a complaint."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import zip_longest
from typing import Any

from core.audit import AuditEntry
from core.customers import (
    EMAIL,
    Contact,
    CustomerRecord,
    CustomerView,
    can_see_confidential,
    provisional,
    public_view,
    reassigned,
)
from core.errors import NotAllowed, NotFound
from core.limits import DEFAULT_LIMITS, Limits, unprintable
from core.org import Org, Person, Role
from core.ports import UnitOfWork
from core.records import store

AUDIT_ENTITY = "customer"

# The import/export file's columns: (key, Chinese header, English header), in file order.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name", "名称", "name"),
    ("aliases", "别名", "aliases"),
    ("owner", "负责业务员", "owner"),
    ("key", "重点客户", "key"),
    ("legal_name", "法定名称", "legal_name"),
    ("tax_id", "税号", "tax_id"),
    ("address", "地址", "address"),
    ("contact", "联系人", "contact"),
    ("phone", "电话", "phone"),
    ("email", "邮箱", "email"),
    ("title", "职务", "title"),
    ("credit_note", "信用", "credit_note"),
)
HEADER_KEYS = {h.casefold(): key for key, zh, en in COLUMNS for h in (zh, en)}
LIST_SEPARATOR = re.compile(r"[、;;]")
YES, NO = ("是", "y", "yes", "true", "1"), ("否", "", "n", "no", "false", "0")


def _split(value: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATOR.split(value)]


def _row_to_record(values: Mapping[str, str], now: datetime) -> tuple[CustomerRecord | None, list[str]]:
    """One file row as a record, or its problems (Chinese)."""
    problems: list[str] = []
    v = {key: (values.get(key) or "").strip() for key, _, _ in COLUMNS}
    if not v["name"]:
        problems.append("缺少名称")
    key = v["key"].casefold()
    if key not in YES and key not in NO:
        problems.append(f"重点客户应填“是”或“否”,而不是“{v['key']}”")
    contacts: list[Contact] = []
    for name, phone, email, title in zip_longest(*(_split(v[k]) for k in ("contact", "phone", "email", "title"))):
        if email and not EMAIL.match(email):
            problems.append(f"邮箱格式不对:{email}")
        if name or phone or email or title:
            contacts.append(Contact(name or "", phone or "", email or "", title or ""))
    if problems:
        return None, problems
    record = CustomerRecord(
        id=None,
        name=v["name"],
        owner=v["owner"],
        created_at=now,
        updated_at=now,
        aliases=tuple(a for a in _split(v["aliases"]) if a),
        legal_name=v["legal_name"],
        tax_id=v["tax_id"],
        address=v["address"],
        contacts=tuple(contacts),
        credit_note=v["credit_note"],
        key=key in YES,
    )
    return record, []


LONG_COLUMNS = frozenset({"address", "credit_note"})  # descriptions; every other column is a short line


def _cell_problems(values: Mapping[str, str], limits: Limits) -> list[str]:
    """Cells with control characters (a NUL byte) or longer than their limit."""
    problems: list[str] = []
    for key, zh, _ in COLUMNS:
        value = values.get(key) or ""
        limit = limits.long_text if key in LONG_COLUMNS else limits.short_text
        if unprintable(value):
            problems.append(f"“{zh}”含有控制字符(如 NUL),请删除后重新导入")
        elif len(value) > limit:
            problems.append(f"“{zh}”最多 {limit} 字")
    return problems


def check_rows(
    rows: Sequence[tuple[int, Mapping[str, str]]], *, org: Org, now: datetime, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[CustomerRecord], list[str]]:
    """Validate every row of an import (row numbers as in the spreadsheet); records only when no row is bad,
    else the problems, one line per bad row: "第 N 行:…"."""
    records: list[CustomerRecord] = []
    report: list[str] = []
    first: dict[str, int] = {}
    for number, values in rows:
        cells = _cell_problems(values, limits)
        if cells:
            report.append(f"第 {number} 行:" + ";".join(cells))
            continue
        record, problems = _row_to_record(values, now)
        owner = (values.get("owner") or "").strip()
        if not owner:
            problems.append("缺少负责业务员")
        elif org.person(owner) is None:
            problems.append(f"负责业务员“{owner}”不在人员名单里")
        name = (values.get("name") or "").strip().casefold()
        if name and name in first:
            problems.append(f"名称与第 {first[name]} 行重复")
        elif name:
            first[name] = number
        if problems:
            report.append(f"第 {number} 行:" + ";".join(problems))
        elif record is not None:
            records.append(record)
    return ([] if report else records), report


def import_records(uow: UnitOfWork, records: Iterable[CustomerRecord], *, actor: str, now: datetime) -> tuple[int, int]:
    """Upsert by name: a new customer is added, an existing one updated (version + 1). Returns (added, updated)."""
    added = updated = 0
    for record in records:
        old = uow.customers.by_name(record.name)
        if old is not None and old.name.casefold() == record.name.casefold():
            new = replace(record, id=old.id, name=old.name, created_at=old.created_at, version=old.version + 1)
            _save(uow, old, new, action="import_update", actor=actor, now=now)
            updated += 1
        else:
            _save(uow, None, record, action="import_add", actor=actor, now=now)
            added += 1
    return added, updated


SUCCESSOR_ROLES = (Role.SALES, Role.CS_MANAGER)
EXPORT_ID = "*"  # the audit trail's entity id of an event about the whole archive (an export)


@dataclass(frozen=True)
class Reassignment:
    """Customers handed over from one person to another, and the successor's notice (once per hand-over: its
    key names the customers and their versions)."""

    from_: str
    to: str
    moved: tuple[CustomerRecord, ...]
    notice: str
    key: str

    @property
    def names(self) -> str:
        """The customers handed over, as one line."""
        return _names(self.moved)


def reassign(uow: UnitOfWork, *, org: Org, from_: str, to: str, actor: str, now: datetime) -> Reassignment:
    """Hand every customer kept by ``from_`` to ``to`` (PROCEDURE §6: a salesperson leaves), each change in the
    audit trail, and word the successor's notice (nothing moved: no notice to send). The successor must be in
    sales or the customer-service manager; ``from_`` must be a person or keep customers."""
    successor = org.person(to)
    if successor is None:
        raise NotFound(f"没有人员“{to}”,未做任何更改。")
    if not successor.has_any(*SUCCESSOR_ROLES):
        raise NotAllowed(f"{successor.name}({to})不是业务员或客服经理,不能接手客户,未做任何更改。")
    if from_ == to:
        raise NotAllowed("交接双方不能是同一个人,未做任何更改。")
    kept = uow.customers.owned_by(from_)
    if org.person(from_) is None and not kept:
        raise NotFound(f"没有人员“{from_}”,档案里也没有其负责的客户,未做任何更改。")
    moved = tuple(_save(uow, c, reassigned(c, to=to, now=now), action="reassign", actor=actor, now=now) for c in kept)
    notice = f"{org.name_of(from_)} 负责的 {len(moved)} 个客户已交给您:{_names(moved)}。请尽快联系客户,告知新的对接人。"
    digest = hashlib.sha256(",".join(f"{c.id}:{c.version}" for c in moved).encode()).hexdigest()[:16]
    return Reassignment(from_, to, moved, notice, key=f"customers-reassign:{from_}:{to}:{digest}")


def _names(customers: Iterable[CustomerRecord]) -> str:
    return "、".join(c.name for c in customers)


def mark_key(uow: UnitOfWork, customer_id: int, *, actor: str, now: datetime) -> CustomerRecord | None:
    """Mark a customer as a key customer (重点客户) once its designation is approved; None if it is gone."""
    record = uow.customers.get(customer_id)
    if record is None:
        return None
    marked = replace(record, key=True, updated_at=now, version=record.version + 1)
    return _save(uow, record, marked, action="key", actor=actor, now=now, snapshot=lambda c: {"key": c.key})


def export(uow: UnitOfWork, *, actor: str, to: str, now: datetime) -> list[CustomerRecord]:
    """Every customer, contacts included, for a file: each one's view log records the look (confidential,
    allowed) and the audit trail records who exported how many customers to where."""
    records = list(uow.customers.all())
    for customer in records:
        if customer.id is not None:
            uow.customers.record_view(CustomerView(customer.id, actor, now, confidential=True, allowed=True))
    uow.audit.append(
        AuditEntry(
            entity=AUDIT_ENTITY,
            entity_id=EXPORT_ID,
            action="export",
            actor=actor,
            at=now,
            before={},
            after={"customers": len(records), "to": to},
        )
    )
    return records


@dataclass(frozen=True)
class LookUp:
    """What a person may be shown of a customer: the record (public view unless allowed) and whether the
    confidential fields were asked for and refused."""

    record: CustomerRecord
    confidential: bool
    refused: bool


def look_up(
    uow: UnitOfWork,
    *,
    org: Org,
    viewer: Person,
    name: str,
    asked: bool,
    granted_roles: Iterable[Role | str],
    now: datetime,
) -> LookUp:
    """Find a customer and decide what ``viewer`` sees: the whole archive when allowed, else the public view —
    a refusal when the contacts were ``asked`` for. The look is logged (confidential or not, allowed or not)."""
    customer = uow.customers.by_name(name)
    if customer is None or customer.id is None:
        raise NotFound(f"客户档案里没有“{name}”。")
    may = can_see_confidential(customer, viewer, org, granted_roles)
    confidential = asked or may
    allowed = may or not asked
    uow.customers.record_view(CustomerView(customer.id, viewer.id, now, confidential, allowed))
    shown = customer if may else public_view(customer)
    return LookUp(shown, confidential, refused=not allowed)


def ensure_customer(uow: UnitOfWork, *, name: str, owner: str, now: datetime) -> CustomerRecord | None:
    """A provisional archive, kept by ``owner``, for a customer not in the archive (by name or alias);
    None when the customer is known."""
    if not name.strip() or uow.customers.by_name(name) is not None:
        return None
    return _save(uow, None, provisional(name, owner=owner, now=now), action="provisional", actor=owner, now=now)


def new_customer_text(name: str) -> str:
    """What the owner of a new provisional archive is told."""
    return f"新客户「{name}」已建临时档案,请补充资料(客户资料 {name})。"


def _owner(customer: CustomerRecord) -> dict[str, Any]:
    return {"owner": customer.owner}


def _save(
    uow: UnitOfWork,
    before: CustomerRecord | None,
    after: CustomerRecord,
    *,
    action: str,
    actor: str,
    now: datetime,
    snapshot: Callable[[CustomerRecord], dict[str, Any]] = _owner,
) -> CustomerRecord:
    """Add or save a customer through the audited save; its audit rows name it (names are unique and never
    change) and hold its owner (contacts stay out of the trail)."""
    return store(
        uow,
        uow.customers,
        before,
        after,
        entity=AUDIT_ENTITY,
        snapshot=snapshot,
        action=action,
        actor=actor,
        now=now,
        entity_id=lambda c: c.name,
    )
