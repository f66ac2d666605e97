"""The customer archive (PROCEDURE §6): one record per customer, a named keeper (owner), and confidential
fields — contacts and credit — that only the owner, the owner's manager, gm and granted roles may see."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from core.errors import NotAllowed
from core.org import Org, Person, Role

REFUSED = "您无权查看该客户的联系人信息。"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Contact:
    """A person at the customer (confidential)."""

    name: str
    phone: str = ""
    email: str = ""
    title: str = ""


@dataclass(frozen=True)
class CustomerRecord:
    """A customer's archive. ``contacts`` and ``credit_note`` are confidential; ``owner`` is its keeper."""

    id: int | None
    name: str
    owner: str
    created_at: datetime
    updated_at: datetime
    aliases: tuple[str, ...] = ()
    legal_name: str = ""
    tax_id: str = ""
    address: str = ""
    contacts: tuple[Contact, ...] = ()
    credit_note: str = ""
    key: bool = False
    provisional: bool = False
    version: int = 1

    def named(self, name: str) -> bool:
        """True when ``name`` is this customer's name or one of its aliases (case-insensitive)."""
        wanted = name.strip().casefold()
        return any(wanted == n.casefold() for n in (self.name, *self.aliases))


@dataclass(frozen=True)
class CustomerView:
    """One look at an archive (append-only log): who, when, whether confidential fields were asked for and
    whether they were shown."""

    customer_id: int
    viewer: str
    at: datetime
    confidential: bool
    allowed: bool


def can_see_confidential(
    customer: CustomerRecord, person: Person, org: Org, granted_roles: Iterable[Role | str] = ()
) -> bool:
    """The owner, the owner's manager, anyone with role gm, and the roles granted in config."""
    if person.id == customer.owner or person.has_any(Role.GM):
        return True
    owner = org.person(customer.owner)
    if owner is not None and owner.manager == person.id:
        return True
    granted = {str(r) for r in granted_roles}
    return any(r.value in granted for r in person.roles)


def require_confidential(
    customer: CustomerRecord, person: Person, org: Org, granted_roles: Iterable[Role | str] = ()
) -> None:
    """NotAllowed unless ``person`` may see the customer's contacts and credit note."""
    if not can_see_confidential(customer, person, org, granted_roles):
        raise NotAllowed(REFUSED)


def public_view(customer: CustomerRecord) -> CustomerRecord:
    """The record without its confidential fields (contacts, credit note)."""
    return replace(customer, contacts=(), credit_note="")


def provisional(name: str, *, owner: str, now: datetime) -> CustomerRecord:
    """A temporary archive for a customer first named on a complaint; its owner completes it."""
    return CustomerRecord(id=None, name=name.strip(), owner=owner, created_at=now, updated_at=now, provisional=True)


def reassigned(customer: CustomerRecord, *, to: str, now: datetime) -> CustomerRecord:
    """The same customer kept by ``to`` (a salesperson leaves: PROCEDURE §6)."""
    return replace(customer, owner=to, updated_at=now, version=customer.version + 1)
