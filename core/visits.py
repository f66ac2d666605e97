"""Key-customer visits (PROCEDURE §7): each visit is recorded with the questions the customer raised; each question
gets an owner and an answer within 5 working days; the answers make the reply letter (客户意见答复单)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from core.errors import MissingFields, NotAllowed, StaleCard
from core.org import Person, Role

QUESTION_SPLIT = re.compile(r"(?:^|[;；。\n]|\s)\s*(?:\d+[.、)）:：]|[①②③④⑤⑥⑦⑧⑨])\s*|[;；。\n]")
RAISED = re.compile(r"(?:提出|提了|反映|问题|意见|要求|希望)[:：]?")


@dataclass(frozen=True)
class Question:
    """One question the customer raised, its owner, its deadline and (once given) the answer."""

    text: str
    owner: str
    due_at: datetime
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Visit:
    """A recorded visit."""

    id: int | None
    customer: str
    by: str
    visited_at: datetime
    questions: tuple[Question, ...]
    version: int = 1

    @property
    def label(self) -> str:
        """拜访 #3 明辉电子."""
        return f"拜访 #{self.id} {self.customer}"

    @property
    def answered(self) -> bool:
        """Every question has its answer (the reply letter can go out)."""
        return all(q.answer for q in self.questions)

    @property
    def state(self) -> str:
        """open while a question waits for its answer, else answered."""
        return "answered" if self.answered else "open"


def questions_in(text: str) -> list[str]:
    """The questions in a visit note: after 提出/问题/意见…, split on numbers (1. 2、 ①) and ; 。 or new lines."""
    found = RAISED.search(text)
    body = text[found.end() :] if found else ""
    parts = [p.strip(" ,，:：") for p in QUESTION_SPLIT.split(body)]
    return [p for p in parts if len(p) >= 2]


def answer(visit: Visit, *, index: int, actor: Person, text: str, card_version: int, now: datetime) -> Visit:
    """The question's owner (or a qa_manager / gm standing in) answers question ``index``."""
    if card_version != visit.version:
        raise StaleCard(f"此卡片已过期,请看 {visit.label} 的最新卡片。")
    if not 0 <= index < len(visit.questions):
        raise MissingFields("没有这个问题。", ("question",))
    q = visit.questions[index]
    if q.answer:
        raise StaleCard(f"这个问题已由{q.answered_by}答复。")
    if actor.id != q.owner and not actor.has_any(Role.QA_MANAGER, Role.GM):
        raise NotAllowed("只有该问题的负责人可以答复。")
    if not text.strip():
        raise MissingFields("请填写答复内容。", ("answer",))
    answered = replace(q, answer=text.strip(), answered_by=actor.id, answered_at=now)
    questions = tuple(answered if i == index else x for i, x in enumerate(visit.questions))
    return replace(visit, questions=questions, version=visit.version + 1)


def reply_letter(visit: Visit, *, company: str, tz_date: str) -> str:
    """客户意见答复单: the questions and their answers, ready to send to the customer."""
    lines = [
        "客户意见答复单",
        f"致:{visit.customer}",
        f"日期:{tz_date}",
        "",
        "感谢贵司在拜访中提出的宝贵意见,答复如下:",
    ]
    for n, q in enumerate(visit.questions, 1):
        lines += [f"{n}. 问题:{q.text}", f"   答复:{q.answer or '(待答复)'}"]
    lines += ["", f"{company} 敬上"]
    return "\n".join(lines)
