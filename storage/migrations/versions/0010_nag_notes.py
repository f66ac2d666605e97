"""The reminder pass's notes (core/nag.py): on each form and record, under which rules its next look was
planned (``nag_rules``) and when (``nag_at``), so a pass loads only what can have a reminder due. Every open
form and every record not in a final state starts unplanned (""): the first pass looks at each once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN_FORMS = ("submitted", "assigned", "responded", "verified", "reported", "invalid")
FINAL = {  # per record kind, the states in which nothing runs (storage/records.py at this revision)
    "approval": ("approved", "rejected", "withdrawn"),
    "return": ("closed", "rejected", "withdrawn"),
    "order": ("released", "returned", "withdrawn"),
    "8d": ("closed",),
    "ra": ("done",),
    "visit": ("answered",),
    "campaign": ("closed",),
}


def upgrade() -> None:  # plain ALTER TABLE on both databases: SQLite adds (and drops) columns in place
    for table, index in (("complaint", ["nag_rules", "nag_at"]), ("record", ["kind", "nag_rules", "nag_at"])):
        op.add_column(table, sa.Column("nag_rules", sa.String(length=16), nullable=True))
        op.add_column(table, sa.Column("nag_at", sa.DateTime(), nullable=True))
        op.create_index(f"ix_{table}_nag", table, index)
    complaint = sa.table("complaint", sa.column("state", sa.String()), sa.column("nag_rules", sa.String()))
    op.execute(sa.update(complaint).where(complaint.c.state.in_(OPEN_FORMS)).values(nag_rules=""))
    record = sa.table(
        "record", sa.column("kind", sa.String()), sa.column("state", sa.String()), sa.column("nag_rules", sa.String())
    )
    op.execute(sa.update(record).values(nag_rules=""))
    for kind, final in FINAL.items():
        op.execute(sa.update(record).where(record.c.kind == kind, record.c.state.in_(final)).values(nag_rules=None))


def downgrade() -> None:  # not batch mode: rebuilding ``complaint`` on SQLite would break its foreign keys
    for table in ("record", "complaint"):
        op.drop_index(f"ix_{table}_nag", table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN nag_at")
        op.execute(f"ALTER TABLE {table} DROP COLUMN nag_rules")
