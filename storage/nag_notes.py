"""The reminder pass's notes on ``complaint`` and ``record`` rows alike: which rows to look at, when to look next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from core.ports import NagPlan
from storage.tables import UTCDateTime


def nag_due(
    table: sa.Table, *, rules: str, now: datetime, only: Sequence[sa.ColumnElement[bool]] = ()
) -> sa.ColumnElement[bool]:
    """Rows a reminder pass must look at: planned under these rules for ``now`` or earlier, written since (""),
    or planned under other rules — three ranges of the ``(…, nag_rules, nag_at)`` index (``!=`` would not use it),
    each with the ``only`` conditions on the index's leading columns (so SQLite takes each range from the index).
    Rows not open (None) match none."""
    return sa.or_(
        sa.and_(*only, table.c.nag_rules == rules, table.c.nag_at <= now),
        sa.and_(*only, table.c.nag_rules < rules),
        sa.and_(*only, table.c.nag_rules > rules),
    )


def plan_nags(session: Session, table: sa.Table, plans: Sequence[NagPlan], *, rules: str) -> None:
    """Write the next looks (one statement, executed for every plan), each only if the row is still at the version
    it was computed from; on PostgreSQL a row another transaction is writing is skipped (its write resets the
    note), so a pass never waits for, or deadlocks with, people's clicks."""
    if not plans:
        return
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"), table.c.version == sa.bindparam("b_version"))
        .values(nag_rules=sa.bindparam("b_rules"), nag_at=sa.bindparam("b_at", type_=UTCDateTime()))
    )
    if session.get_bind().dialect.name == "postgresql":
        free = sa.select(table.c.id).where(table.c.id == sa.bindparam("b_id")).with_for_update(skip_locked=True)
        stmt = stmt.where(table.c.id == free.scalar_subquery())
    ordered = sorted(plans, key=lambda p: p.id)  # one lock order for every worker
    session.execute(
        stmt.execution_options(synchronize_session=False),
        [{"b_id": p.id, "b_version": p.version, "b_rules": rules, "b_at": p.at} for p in ordered],
    )
