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


def _verifiers(form: Complaint, qa_owner: tuple[Recipient, ...], org: Org) -> tuple[Recipient, ...]:
    """The QA owner verifies, or all QA; never whoever submitted the response (QA responding for a department):
    then the other QA people and QA managers do."""
    responder = Recipient.user(form.response.by) if form.response else None
    if responder is None or responder not in (qa_owner or _qa_people(org)):
        return qa_owner or _qa_people(org)
    others = tuple(Recipient.user(p.id) for p in org.people if p.has_any(Role.QA, Role.QA_MANAGER))
    return tuple(r for r in others if r != responder)


def department_people(form: Complaint, org: Org) -> tuple[Recipient, ...]:
    """The head of the assigned department, or all its members when it has no head."""
    dept = org.department(form.department or "")
    if dept is None:
        return ()
    if dept.head and org.person(dept.head):
        return (Recipient.user(dept.head),)
    return tuple(Recipient.user(p.id) for p in org.members(dept.id))


@dataclass(frozen=True)
class MayAct:
    """The open forms a person could be asked to act on: a superset of those where ``route`` names them, which a
    repository can select by columns. Every form in ``any_state``; their own in ``own_state``; those they are QA
    owner of in ``qa_owner_state``; those of one of ``departments`` (ids or names) in ``department_state``."""

    person: str
    any_state: frozenset[State] = frozenset()
    own_state: frozenset[State] = frozenset()
    qa_owner_state: frozenset[State] = frozenset()
    departments: frozenset[str] = frozenset()
    department_state: frozenset[State] = frozenset({State.ASSIGNED})

    def admits(self, form: Complaint) -> bool:
        """True when ``form`` is in the superset (what the repository's query selects)."""
        return (
            form.state in self.any_state
            or (form.state in self.own_state and form.owner == self.person)
            or (form.state in self.qa_owner_state and form.qa_owner == self.person)
            or (form.state in self.department_state and form.department in self.departments)
        )


def may_act(person_id: str, org: Org) -> MayAct:
    """Where ``route`` can name ``person_id`` as an actor, by state (kept beside ``route``, which it mirrors)."""
    person = org.person(person_id)
    is_qa = person is not None and person.has_any(Role.QA)
    verifies = person is not None and person.has_any(Role.QA, Role.QA_MANAGER)  # see _verifiers
    departments = {d for d in org.departments if d.head == person_id}
    if person is not None and person.department:
        departments |= {d for d in org.departments if d.id == person.department}
    return MayAct(
        person=person_id,
        any_state=frozenset({State.SUBMITTED} if is_qa else ()) | frozenset({State.RESPONDED} if verifies else ()),
        own_state=frozenset({State.DRAFT, State.VERIFIED, State.REPORTED, State.INVALID}),
        qa_owner_state=frozenset({State.RESPONDED}),
        departments=frozenset(k for d in departments for k in (d.id, d.name)),
    )


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
        actors = _verifiers(form, qa_owner, org)
    elif form.state in (State.DRAFT, State.VERIFIED, State.REPORTED, State.INVALID):
        actors = (owner,)
    else:
        actors = ()
    informed: tuple[Recipient, ...] = (owner,)
    if form.state is State.CLOSED:
        informed += qa_owner
    return Routing(actors=actors, informed=tuple(r for r in informed if r not in actors))
