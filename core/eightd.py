"""8D for repeat complaints (PROCEDURE §1.8): when the same customer complains about the same product and problem
again within the window (90 days by default), QA runs a systematic analysis — D1 team … D8 closure, each step a
task with its own clock (containment within 24 h), and the qa_manager approves the closure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import MissingFields, NotAllowed, StaleCard
from core.org import Person, Role


class EightDState(StrEnum):
    """Where an 8D is."""

    OPEN = "open"  # steps being filled in by QA
    CLOSING = "closing"  # D8 written: waiting for the qa_manager's approval
    CLOSED = "closed"


@dataclass(frozen=True)
class Discipline:
    """One of the eight steps, and how long after the 8D opens it is due."""

    key: str
    label: str
    due_after: timedelta


DISCIPLINES: tuple[Discipline, ...] = (
    Discipline("d1", "D1 成立小组", timedelta(hours=24)),
    Discipline("d2", "D2 问题描述", timedelta(hours=24)),
    Discipline("d3", "D3 临时围堵措施", timedelta(hours=24)),
    Discipline("d4", "D4 根本原因分析", timedelta(days=3)),
    Discipline("d5", "D5 永久纠正措施", timedelta(days=7)),
    Discipline("d6", "D6 实施与效果验证", timedelta(days=14)),
    Discipline("d7", "D7 预防再发生", timedelta(days=14)),
    Discipline("d8", "D8 总结与结案", timedelta(days=21)),
)


@dataclass(frozen=True)
class StepEntry:
    """What QA wrote for one discipline, by whom and when."""

    key: str
    text: str
    by: str
    at: datetime


@dataclass(frozen=True)
class EightD:
    """An 8D report opened by a repeat complaint."""

    id: int | None
    complaint_id: int
    complaint_no: str
    repeats: tuple[str, ...]  # the earlier forms' numbers it repeats
    owner: str  # the QA engineer leading it
    opened_at: datetime
    entries: tuple[StepEntry, ...] = ()
    state: EightDState = EightDState.OPEN
    version: int = 1
    closed_at: datetime | None = None
    last_actor: str | None = None
    last_at: datetime | None = None

    @property
    def label(self) -> str:
        """8D-KS-202611-0003."""
        return f"8D-{self.complaint_no}"

    @property
    def current(self) -> Discipline | None:
        """The next discipline to write (None once D8 is written)."""
        done = {e.key for e in self.entries}
        return next((d for d in DISCIPLINES if d.key not in done), None)

    def due_at(self, step: Discipline) -> datetime:
        """When ``step`` is due."""
        return self.opened_at + step.due_after

    @property
    def step(self) -> int:
        """How many disciplines are written (the card version)."""
        return len(self.entries)


def open_eightd(*, complaint_id: int, complaint_no: str, repeats: tuple[str, ...], owner: str, now: datetime) -> EightD:
    """A new 8D led by ``owner``."""
    return EightD(None, complaint_id, complaint_no, repeats, owner, now)


def write_step(e: EightD, *, actor: Person, text: str, card_step: int, now: datetime) -> EightD:
    """QA writes the current discipline; after D8 it waits for the qa_manager."""
    if e.state is not EightDState.OPEN or card_step != e.step:
        raise StaleCard(f"此 8D 卡片已过期,{e.label} 当前:{_where(e)}。")
    if not actor.has_any(Role.QA, Role.QA_MANAGER):
        raise NotAllowed("只有品质部可以填写 8D。")
    step = e.current
    assert step is not None
    if not text.strip():
        raise MissingFields(f"请填写「{step.label}」。", ("text",))
    entries = (*e.entries, StepEntry(step.key, text.strip(), actor.id, now))
    state = EightDState.CLOSING if len(entries) == len(DISCIPLINES) else EightDState.OPEN
    return replace(e, entries=entries, state=state, version=e.version + 1, last_actor=actor.id, last_at=now)


def decide_closure(e: EightD, *, actor: Person, approve: bool, reason: str, card_step: int, now: datetime) -> EightD:
    """The qa_manager approves the closure, or sends it back to D8 with a reason."""
    if e.state is not EightDState.CLOSING or card_step != e.step:
        raise StaleCard(f"此 8D 卡片已过期,{e.label} 当前:{_where(e)}。")
    if not actor.has_any(Role.QA_MANAGER):
        raise NotAllowed("8D 结案需要品质经理批准。")
    if approve:
        return replace(
            e, state=EightDState.CLOSED, closed_at=now, version=e.version + 1, last_actor=actor.id, last_at=now
        )
    if not reason.strip():
        raise MissingFields("退回时请写明原因。", ("reason",))
    entries = e.entries[:-1]  # D8 is written again
    return replace(e, entries=entries, state=EightDState.OPEN, version=e.version + 1, last_actor=actor.id, last_at=now)


def _where(e: EightD) -> str:
    if e.state is EightDState.CLOSED:
        return "已结案"
    if e.state is EightDState.CLOSING:
        return "待品质经理批准结案"
    step = e.current
    return f"待填写 {step.label}" if step else "待结案"
