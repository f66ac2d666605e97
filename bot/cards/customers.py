"""The customer archive card: a pure function from a record (public view or full) to a neutral Card."""

from __future__ import annotations

from bot.protocol import Card, CardField
from core import kinds
from core.customers import CustomerRecord
from core.org import Org


def customer_card(
    record: CustomerRecord, org: Org, *, confidential: bool, history: tuple[tuple[str, str], ...] = ()
) -> Card:
    """Name, keeper and legal details; contacts and credit only when ``confidential`` (never in a group)."""
    fields = [CardField("名称", record.name)]
    if record.aliases:
        fields.append(CardField("别名", "、".join(record.aliases)))
    fields.append(CardField("负责业务员", org.name_of(record.owner)))
    fields.append(CardField("重点客户", "是" if record.key else "否"))
    if record.provisional:
        fields.append(CardField("档案", "临时档案,待补充资料"))
    for label, value in (("法定名称", record.legal_name), ("税号", record.tax_id), ("地址", record.address)):
        if value:
            fields.append(CardField(label, value))
    fields += [CardField(label, value) for label, value in history]
    if confidential:
        for c in record.contacts:
            parts = [p for p in (c.name, c.title, c.phone, c.email) if p]
            fields.append(CardField("联系人", " ".join(parts)))
        if not record.contacts:
            fields.append(CardField("联系人", "(未登记)"))
        fields.append(CardField("信用", record.credit_note or "(未登记)"))
    return Card(
        id=kinds.CUSTOMER.card_id(record.id, record.version), title=f"客户档案 · {record.name}", fields=tuple(fields)
    )
