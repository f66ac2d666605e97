"""Visit use cases: record a visit and its questions, answer a question — each audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import visits as v
from core.errors import NotFound
from core.limits import Limits
from core.org import Person
from core.ports import UnitOfWork
from core.records import store

AUDIT_ENTITY = "visit"


def snapshot(visit: v.Visit) -> dict[str, Any]:
    """Audit view of a visit: the customer, the visitor and each question with its owner and answer."""
    questions = [{"text": q.text, "owner": q.owner, "answer": q.answer} for q in visit.questions]
    return {"customer": visit.customer, "by": visit.by, "questions": questions}


def record(
    uow: UnitOfWork,
    *,
    customer: str,
    text: str,
    by: str,
    owner: str,
    due: datetime,
    limits: Limits,
    now: datetime,
) -> v.Visit:
    """Store a visit to ``customer`` with the questions raised in ``text``, each owned by ``owner`` until ``due``."""
    limits.text(customer, field="customer")
    questions = tuple(
        v.Question(limits.text(q, field="question", label="客户问题"), owner, due) for q in v.questions_in(text)
    )
    draft = v.Visit(None, customer, by, now, questions)
    return store(
        uow, uow.visits, None, draft, entity=AUDIT_ENTITY, snapshot=snapshot, action="record", actor=by, now=now
    )


def answer(
    uow: UnitOfWork, visit_id: int, *, index: int, actor: Person, text: str, card_version: int, now: datetime
) -> v.Visit:
    """The question's owner (or a qa_manager / gm) answers question ``index`` of a stored visit."""
    visit = uow.visits.get(visit_id)
    if visit is None:
        raise NotFound("找不到这次拜访记录。")
    after = v.answer(visit, index=index, actor=actor, text=text, card_version=card_version, now=now)
    return store(
        uow, uow.visits, visit, after, entity=AUDIT_ENTITY, snapshot=snapshot, action="answer", actor=actor.id, now=now
    )
