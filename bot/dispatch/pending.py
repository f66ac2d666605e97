"""Values asked for by text, for platforms whose cards cannot take typed input (WeCom's template cards).

A tap from such a platform carries the card's inputs it could not show (``Click.text_inputs``). When a rule
refuses the tap for want of one of them («请填写责任部门»), the refusal is kept here for the person, in the
same transaction: their next text message (within ``WINDOW``; ``取消`` drops it) is read as that tap with the
typed values, and decided like any tap. Values refused again (a misspelt department …) may be typed once more.
The state lives in the database (``PlatformState``), so any process may handle the next message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.protocol import Click, InboundEvent
from core.ports import UnitOfWork

STATE = "pending-input"  # the platform-state rows that keep it, one per person
KEY = "pending"
WINDOW = timedelta(minutes=10)
CANCEL = ("取消", "cancel")
ASKING_WORDS = ("填写", "没有「」")  # a refusal asking for a value whose label it does not name


@dataclass(frozen=True)
class Pending:
    """A refused tap waiting for the values the person will type; ``after`` is the inbox id of the event that
    asked, so only a message stored later answers it."""

    card_id: str
    action: str
    inputs: tuple[tuple[str, str], ...]  # (name, label)
    missing: tuple[str, ...]
    at: datetime
    after: int

    def to_json(self) -> str:
        return json.dumps(
            {
                "card": self.card_id,
                "action": self.action,
                "inputs": [list(i) for i in self.inputs],
                "missing": list(self.missing),
                "at": self.at.isoformat(),
                "after": self.after,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, ref: str) -> Pending:
        data = json.loads(ref)
        return cls(
            data["card"],
            data["action"],
            tuple((n, label) for n, label in data["inputs"]),
            tuple(data["missing"]),
            datetime.fromisoformat(data["at"]),
            int(data.get("after", 0)),
        )


def fill_values(text: str, pending: Pending) -> dict[str, str]:
    """The values in a reply: ``标签:值`` / ``name=值`` lines; a reply without labels fills the missing input."""
    values: dict[str, str] = {}
    loose: list[str] = []
    for line in re.split(r"[\n;；]", text):
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"[:：=]", line, maxsplit=1)
        head, value = (parts[0], parts[1]) if len(parts) == 2 else (line, None)
        head = head.strip()
        match = next(
            (n for n, label in pending.inputs if head in (n, label) or (head and label.startswith(head))), None
        )
        if value is not None and match:
            values[match] = value.strip()
        else:
            loose.append(line)
    if not values and loose:
        target = pending.missing[0] if pending.missing else (pending.inputs[0][0] if pending.inputs else None)
        if target:
            values[target] = "\n".join(loose)
    return values


def _load(uow: UnitOfWork, person: str) -> Pending | None:
    ref = uow.platform.copy_of(STATE, recipient=person, card_id=KEY)
    return Pending.from_json(ref) if ref else None


def _save(uow: UnitOfWork, person: str, pending: Pending | None, now: datetime) -> None:
    ref = pending.to_json() if pending is not None else ""
    uow.platform.remember_copy(STATE, recipient=person, card_id=KEY, ref=ref, now=now)


def answering(uow: UnitOfWork, event: InboundEvent, event_id: int) -> tuple[InboundEvent, Pending | None]:
    """The event to handle for stored event ``event_id``: a text answering this person's refused tap becomes
    that tap with the typed values (the pending tap is cleared, in the caller's transaction); ``取消`` clears it
    and stays an ordinary message. Also the pending tap it answered, if any."""
    if event.click is not None or event.text is None:
        return event, None
    pending = _load(uow, event.user)
    if pending is None or event_id <= pending.after or event.at - pending.at > WINDOW:
        return event, None
    _save(uow, event.user, None, event.at)
    if event.text.strip() in CANCEL:
        return event, None
    click = Click(pending.card_id, pending.action, fill_values(event.text, pending), text_inputs=pending.inputs)
    return replace(event, text=None, click=click), pending


def refused(
    uow: UnitOfWork, event: InboundEvent, event_id: int, refusal: str, answered: Pending | None, now: datetime
) -> bool:
    """After a refusal (in its transaction): whether the person is asked to type the values the tap needs, and
    if so, keep the tap for their next message. A tap refused for want of a value its card could not take asks;
    so do values typed for a pending tap that are refused again."""
    if answered is not None:
        _save(uow, event.user, replace(answered, at=now, after=event_id), now)
        return True
    click = event.click
    if click is None or not click.text_inputs:
        return False
    missing = tuple(n for n, label in click.text_inputs if label and label in refusal)
    if not (missing or any(word in refusal for word in ASKING_WORDS)):
        return False
    _save(uow, event.user, Pending(click.card_id, click.action, click.text_inputs, missing, now, event_id), now)
    return True
