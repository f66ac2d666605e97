"""Who must act on a form next and who is only told (PROCEDURE §1: each step goes to its actor)."""

from __future__ import annotations

from dataclasses import dataclass

from core.complaint import Complaint, State
from core.messages import Recipient
from core.org import ChatPurpose, Org, Role


@dataclass(frozen=True)
class Routing:
    """``actors`` get the card with buttons; ``informed`` get a short notice."""

    actors: tuple[Recipient, ...]
    informed: tuple[Recipient, ...]


def _qa_people(org: Org) -> tuple[Recipient, ...]:
    return tuple(Recipient.user(p.id) for p in org.with_role(Role.QA))


def department_people(form: Complaint, org: Org) -> tuple[Recipient, ...]:
    """The head of the assigned department, or all its members when it has no head."""
    dept = org.department(form.department or "")
    if dept is None:
        return ()
    if dept.head and org.person(dept.head):
        return (Recipient.user(dept.head),)
    return tuple(Recipient.user(p.id) for p in org.members(dept.id))


def route(form: Complaint, org: Org) -> Routing:
    """The next actors for the form's state; the sales owner (and QA owner at the end) are informed."""
    owner = Recipient.user(form.owner)
    qa_owner = (Recipient.user(form.qa_owner),) if form.qa_owner and org.person(form.qa_owner) else ()
    actors: tuple[Recipient, ...]
    if form.state is State.SUBMITTED:
        chat = org.chat_for(ChatPurpose.QA)
        actors = _qa_people(org) + ((Recipient.chat(chat.id),) if chat else ())
    elif form.state is State.ASSIGNED:
        actors = department_people(form, org)
    elif form.state is State.RESPONDED:
        actors = qa_owner or _qa_people(org)
    elif form.state in (State.DRAFT, State.VERIFIED, State.REPORTED, State.INVALID):
        actors = (owner,)
    else:
        actors = ()
    informed: tuple[Recipient, ...] = (owner,)
    if form.state is State.CLOSED:
        informed += qa_owner
    return Routing(actors=actors, informed=tuple(r for r in informed if r not in actors))
