"""The organisation: people, roles, departments, group chats and the reference catalogue. Who is who on a
messaging platform is not the domain's business: the bot keeps those accounts (bot/accounts.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.problems import DEFAULT_PROBLEMS, ProblemType


class Role(StrEnum):
    """Roles of PROCEDURE.md; a person may hold several."""

    SALES = "sales"
    QA = "qa"
    QA_MANAGER = "qa_manager"
    DEPT = "dept"
    CS_MANAGER = "cs_manager"
    VP = "vp"
    GM = "gm"
    WAREHOUSE = "warehouse"
    PURCHASING = "purchasing"
    FINANCE = "finance"
    PMC = "pmc"
    ADMIN = "admin"


class ChatPurpose(StrEnum):
    """What a group chat is for: who reads it."""

    QA = "qa"
    MGMT = "mgmt"
    SALES = "sales"


@dataclass(frozen=True)
class Person:
    """Someone who may talk to Kesu."""

    id: str
    name: str
    roles: frozenset[Role]
    department: str | None = None
    manager: str | None = None

    def has_any(self, *roles: Role) -> bool:
        """True when the person holds at least one of ``roles``."""
        return any(r in self.roles for r in roles)


@dataclass(frozen=True)
class Department:
    """A responsible department (责任部门); its head receives its cards."""

    id: str
    name: str
    head: str | None = None


@dataclass(frozen=True)
class Chat:
    """A group chat with a purpose."""

    id: str
    name: str
    purpose: ChatPurpose


@dataclass(frozen=True)
class Customer:
    """A customer known to the archive, with the names sales use for it in chat."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Product:
    """A product (model code and name) with aliases."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Org:
    """Everything the rules need to know about who is who."""

    people: tuple[Person, ...]
    departments: tuple[Department, ...]
    chats: tuple[Chat, ...]
    customers: tuple[Customer, ...] = ()
    products: tuple[Product, ...] = ()
    problem_types: tuple[ProblemType, ...] = DEFAULT_PROBLEMS  # 问题类型, in suggestion order
    _by_id: dict[str, Person] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.people})

    def person(self, person_id: str) -> Person | None:
        """The person with this id, or None."""
        return self._by_id.get(person_id)

    def with_role(self, role: Role) -> tuple[Person, ...]:
        """Everyone holding ``role``, in config order."""
        return tuple(p for p in self.people if role in p.roles)

    def department(self, key: str) -> Department | None:
        """A department by id or by name (as people type it)."""
        key = key.strip()
        for d in self.departments:
            if key in (d.id, d.name):
                return d
        return None

    def members(self, department_id: str) -> tuple[Person, ...]:
        """People whose department is ``department_id``."""
        return tuple(p for p in self.people if p.department == department_id)

    def chat_for(self, purpose: ChatPurpose) -> Chat | None:
        """The group chat configured for ``purpose``, if any."""
        for c in self.chats:
            if c.purpose == purpose:
                return c
        return None

    def chat(self, chat_id: str) -> Chat | None:
        """A group chat by its config id."""
        return next((c for c in self.chats if c.id == chat_id), None)

    def name_of(self, person_id: str | None) -> str:
        """A display name; the raw id when the person is not (or no longer) configured."""
        if person_id is None:
            return "—"
        p = self.person(person_id)
        return p.name if p else person_id
