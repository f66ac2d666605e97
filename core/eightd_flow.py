"""8D use cases: open one for a repeat complaint, write a discipline, decide the closure — each audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import eightd as e8
from core.complaint import Complaint
from core.errors import NotAllowed, NotFound
from core.org import Person
from core.ports import UnitOfWork
from core.records import store

AUDIT_ENTITY = "eightd"


def snapshot(e: e8.EightD) -> dict[str, Any]:
    """Audit view of an 8D: its state and what each written discipline says."""
    return {"state": e.state.value, "owner": e.owner} | {x.key: x.text for x in e.entries}


def open_for_repeat(uow: UnitOfWork, form: Complaint, *, owner: str, actor: str, now: datetime) -> e8.EightD | None:
    """When ``form`` repeats earlier ones and has no 8D yet: open one led by ``owner``. Returns the new 8D."""
    if not form.repeat_of or form.id is None or not form.number:
        return None
    if uow.eightds.by_number(f"8D-{form.number}") is not None:
        return None
    draft = e8.open_eightd(complaint_id=form.id, complaint_no=form.number, repeats=form.repeat_of, owner=owner, now=now)
    note = "重复:" + "、".join(form.repeat_of)
    return store(
        uow,
        uow.eightds,
        None,
        draft,
        entity=AUDIT_ENTITY,
        snapshot=snapshot,
        action="open",
        actor=actor,
        now=now,
        note=note,
    )


def act(
    uow: UnitOfWork,
    eightd_id: int,
    *,
    actor: Person,
    action: str,
    values: dict[str, str],
    card_step: int,
    now: datetime,
) -> tuple[e8.EightD, e8.EightD]:
    """A tap on an 8D card: ``write`` the next discipline, or ``approve`` / ``reject`` the closure. Returns the 8D
    before and after."""
    report = uow.eightds.get(eightd_id)
    if report is None:
        raise NotFound("找不到这份 8D。")
    if action == "write":
        after = e8.write_step(report, actor=actor, text=values.get("text", ""), card_step=card_step, now=now)
    elif action in ("approve", "reject"):
        after = e8.decide_closure(
            report,
            actor=actor,
            approve=action == "approve",
            reason=values.get("reason", ""),
            card_step=card_step,
            now=now,
        )
    else:
        raise NotAllowed(f"没有「{action}」这个操作。")
    note = (values.get("reason") or None) if action == "reject" else None
    saved = store(
        uow,
        uow.eightds,
        report,
        after,
        entity=AUDIT_ENTITY,
        snapshot=snapshot,
        action=action,
        actor=actor.id,
        now=now,
        note=note,
    )
    return report, saved
