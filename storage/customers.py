"""The customer archive in ``customer`` and its append-only view log ``customer_view`` (implements
``core.ports.Customers``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from core.customers import Contact, CustomerRecord, CustomerView
from core.errors import ConcurrentUpdate
from storage.tables import CustomerRow, CustomerViewRow


def _data(c: CustomerRecord) -> dict[str, Any]:
    return {
        "aliases": list(c.aliases),
        "legal_name": c.legal_name,
        "tax_id": c.tax_id,
        "address": c.address,
        "contacts": [{"name": x.name, "phone": x.phone, "email": x.email, "title": x.title} for x in c.contacts],
        "credit_note": c.credit_note,
    }


def _values(c: CustomerRecord) -> dict[str, Any]:
    return {
        "name": c.name,
        "owner": c.owner,
        "key": c.key,
        "provisional": c.provisional,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "version": c.version,
        "data": _data(c),
    }


def _record(row: CustomerRow) -> CustomerRecord:
    d = row.data or {}
    return CustomerRecord(
        id=row.id,
        name=row.name,
        owner=row.owner,
        created_at=row.created_at,
        updated_at=row.updated_at,
        aliases=tuple(d.get("aliases") or ()),
        legal_name=d.get("legal_name") or "",
        tax_id=d.get("tax_id") or "",
        address=d.get("address") or "",
        contacts=tuple(Contact(**x) for x in d.get("contacts") or ()),
        credit_note=d.get("credit_note") or "",
        key=row.key,
        provisional=row.provisional,
        version=row.version,
    )


class SqlCustomers:
    """Customer archives with an optimistic version check, and the log of who looked at them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, customer: CustomerRecord) -> CustomerRecord:
        row = CustomerRow(**_values(customer))
        self.session.add(row)
        self.session.flush()
        return replace(customer, id=row.id)

    def get(self, customer_id: int) -> CustomerRecord | None:
        row = self.session.get(CustomerRow, customer_id, populate_existing=True)
        return _record(row) if row else None

    def by_name(self, name: str) -> CustomerRecord | None:
        wanted = name.strip()
        if not wanted:
            return None
        self.session.flush()
        row = self.session.exec(
            select(CustomerRow)
            .where(func.lower(CustomerRow.name) == wanted.lower())
            .execution_options(populate_existing=True)
        ).first()
        if row is not None:
            return _record(row)
        return next((c for c in self.all() if c.named(wanted)), None)  # an alias (the archive is small)

    def save(self, customer: CustomerRecord, *, expected_version: int) -> None:
        assert customer.id is not None
        result = self.session.execute(
            sa.update(CustomerRow)
            .where(col(CustomerRow.id) == customer.id, col(CustomerRow.version) == expected_version)
            .values(**_values(customer))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(f"customer {customer.id} changed since version {expected_version}")

    def all(self) -> Sequence[CustomerRecord]:
        self.session.flush()
        rows = self.session.exec(
            select(CustomerRow).order_by(col(CustomerRow.name)).execution_options(populate_existing=True)
        ).all()
        return [_record(r) for r in rows]

    def owned_by(self, person: str) -> Sequence[CustomerRecord]:
        self.session.flush()
        rows = self.session.exec(
            select(CustomerRow)
            .where(CustomerRow.owner == person)
            .order_by(col(CustomerRow.name))
            .execution_options(populate_existing=True)
        ).all()
        return [_record(r) for r in rows]

    def record_view(self, view: CustomerView) -> None:
        self.session.add(
            CustomerViewRow(
                customer_id=view.customer_id,
                viewer=view.viewer,
                at=view.at,
                confidential=view.confidential,
                allowed=view.allowed,
            )
        )
        self.session.flush()

    def views(self, customer_id: int) -> Sequence[CustomerView]:
        self.session.flush()
        rows = self.session.exec(
            select(CustomerViewRow).where(CustomerViewRow.customer_id == customer_id).order_by(col(CustomerViewRow.id))
        ).all()
        return [CustomerView(r.customer_id, r.viewer, r.at, r.confidential, r.allowed) for r in rows]
