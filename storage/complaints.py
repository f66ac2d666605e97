"""Complaint forms in ``complaint``, their photos and clocks (implements ``core.ports.ComplaintRepository``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.complaint import OPEN_STATES, Complaint, State
from core.errors import ConcurrentUpdate
from core.ports import NagPlan
from core.routing import MayAct
from storage.mappers import complaint_from_row, complaint_to_row
from storage.nag_notes import nag_due, plan_nags
from storage.tables import ComplaintClockRow, ComplaintPhotoRow, ComplaintRow


class SqlComplaints:
    """Complaint forms in the ``complaint`` table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, form: Complaint) -> Complaint:
        row = complaint_to_row(form)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        self._write_clocks(row.id, form)
        return replace(form, id=row.id)

    def _write_clocks(self, complaint_id: int, form: Complaint, *, replace_old: bool = False) -> None:
        """The form's clocks as ``complaint_clock`` rows (for SQL reports), in this transaction."""
        table = ComplaintClockRow.__table__  # type: ignore[attr-defined]
        if replace_old:
            self.session.execute(sa.delete(table).where(table.c.complaint_id == complaint_id))
        if form.clocks:
            self.session.execute(
                sa.insert(table),
                [
                    {
                        "complaint_id": complaint_id,
                        "name": c.name.value,
                        "started_at": form.created_at,
                        "due_at": c.due_at,
                        "met_at": c.met_at,
                    }
                    for c in form.clocks
                ],
            )

    def _forms(self, rows: Sequence[ComplaintRow]) -> list[Complaint]:
        ids = [r.id for r in rows if r.id is not None]
        photos: dict[int, list[str]] = {}
        for start in range(0, len(ids), 10_000):  # SQLite takes at most 32,766 parameters in one statement
            found = self.session.exec(
                select(ComplaintPhotoRow)
                .where(col(ComplaintPhotoRow.complaint_id).in_(ids[start : start + 10_000]))
                .order_by(col(ComplaintPhotoRow.id))
            ).all()
            for p in found:
                photos.setdefault(p.complaint_id, []).append(p.media_id)
        return [complaint_from_row(r, tuple(photos.get(r.id or 0, ()))) for r in rows]

    def get(self, complaint_id: int) -> Complaint | None:
        row = self.session.get(ComplaintRow, complaint_id, populate_existing=True)
        return self._forms([row])[0] if row else None

    def by_number(self, number: str) -> Complaint | None:
        row = self.session.exec(select(ComplaintRow).where(ComplaintRow.number == number)).first()
        return self._forms([row])[0] if row else None

    def latest_submitted(self, owner: str, *, since: datetime) -> Complaint | None:
        row = self.session.exec(
            select(ComplaintRow)
            .where(ComplaintRow.owner == owner, col(ComplaintRow.submitted_at) >= since)
            .order_by(col(ComplaintRow.submitted_at).desc(), col(ComplaintRow.id).desc())
        ).first()
        return self._forms([row])[0] if row else None

    def for_customer(self, name: str) -> Sequence[str]:
        numbers = self.session.exec(
            select(ComplaintRow.number)
            .where(
                ComplaintRow.customer == name, ComplaintRow.state != "cancelled", col(ComplaintRow.number).is_not(None)
            )
            .order_by(col(ComplaintRow.submitted_at).desc())
        ).all()
        return [n for n in numbers if n]

    def similar(self, *, customer: str, product: str, problem: str, since: datetime, exclude: int) -> Sequence[str]:
        numbers = self.session.exec(
            select(ComplaintRow.number)
            .where(
                ComplaintRow.customer == customer,
                ComplaintRow.product == product,
                ComplaintRow.problem == problem,
                col(ComplaintRow.submitted_at) >= since,
                ComplaintRow.state != "cancelled",
                ComplaintRow.id != exclude,
                col(ComplaintRow.number).is_not(None),
            )
            .order_by(col(ComplaintRow.submitted_at))
        ).all()
        return [n for n in numbers if n]

    def known_customers(self) -> Sequence[str]:
        names = self.session.exec(
            select(ComplaintRow.customer).where(col(ComplaintRow.number).is_not(None)).distinct()
        ).all()
        return sorted(n for n in names if n)

    def add_photo(self, complaint_id: int, media_id: str, *, by: str, at: datetime) -> None:
        self.session.add(ComplaintPhotoRow(complaint_id=complaint_id, media_id=media_id, added_by=by, added_at=at))
        self.session.flush()

    def save(self, form: Complaint, *, expected_version: int) -> None:
        assert form.id is not None
        values = complaint_to_row(form).model_dump(exclude={"id"})
        result = self.session.execute(
            sa.update(ComplaintRow)
            .where(col(ComplaintRow.id) == form.id, col(ComplaintRow.version) == expected_version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(f"complaint {form.id} changed since version {expected_version}")
        self._write_clocks(form.id, form, replace_old=True)

    def open_drafts(self, owner: str, *, limit: int | None = None) -> Sequence[Complaint]:
        rows = self.session.exec(
            select(ComplaintRow)
            .where(ComplaintRow.owner == owner, ComplaintRow.state == State.DRAFT.value)
            .order_by(col(ComplaintRow.id).desc())
            .limit(limit)
        ).all()
        return self._forms(rows)

    def draft_count(self, owner: str) -> int:
        return self.session.exec(
            select(sa.func.count())
            .select_from(ComplaintRow)
            .where(ComplaintRow.owner == owner, ComplaintRow.state == State.DRAFT.value)
        ).one()

    def nag_due(self, *, rules: str, now: datetime) -> Sequence[Complaint]:
        table: sa.Table = ComplaintRow.__table__  # type: ignore[attr-defined]
        rows = self.session.exec(select(ComplaintRow).where(nag_due(table, rules=rules, now=now))).all()
        open_states = {s.value for s in OPEN_STATES}  # sorted here: ORDER BY id would make SQLite scan the table
        return self._forms(sorted((r for r in rows if r.state in open_states), key=lambda r: r.id or 0))

    def plan_nags(self, plans: Sequence[NagPlan], *, rules: str) -> None:
        plan_nags(self.session, ComplaintRow.__table__, plans, rules=rules)  # type: ignore[attr-defined]

    def open_forms(self, *, may_act: MayAct | None = None, customer: str | None = None) -> Sequence[Complaint]:
        query = select(ComplaintRow).where(col(ComplaintRow.state).in_([s.value for s in OPEN_STATES]))
        if customer is not None:
            query = query.where(ComplaintRow.customer == customer)
        if may_act is not None:
            query = query.where(_may_act(may_act))
        return self._forms(self.session.exec(query.order_by(col(ComplaintRow.id))).all())


def _may_act(m: MayAct) -> sa.ColumnElement[bool]:
    """``MayAct.admits`` as SQL, so a person's tasks are read without loading every open form."""

    def states(of: frozenset[State]) -> sa.ColumnElement[bool]:
        return col(ComplaintRow.state).in_(sorted(s.value for s in of))

    clauses: list[sa.ColumnElement[bool]] = [states(m.own_state) & (col(ComplaintRow.owner) == m.person)]
    if m.any_state:
        clauses.append(states(m.any_state))
    if m.qa_owner_state:
        clauses.append(states(m.qa_owner_state) & (col(ComplaintRow.qa_owner) == m.person))
    if m.departments and m.department_state:
        clauses.append(states(m.department_state) & col(ComplaintRow.department).in_(sorted(m.departments)))
    return sa.or_(*clauses)
