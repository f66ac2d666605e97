"""Complaint clocks as rows (``complaint_clock``), so the monthly report can aggregate deadlines in SQL;
backfilled from the clocks each form keeps in its JSON (``complaint.data["clocks"]``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _utc(value: str | None) -> datetime | None:
    """An ISO time from the JSON (aware) as the naive UTC the DateTime columns store."""
    if not value:
        return None
    at = datetime.fromisoformat(value)
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def upgrade() -> None:
    op.create_table(
        "complaint_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("met_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_complaint_clock_complaint_id", "complaint_clock", ["complaint_id"])
    op.create_index("ix_complaint_clock_due_at", "complaint_clock", ["due_at"])

    # Backfill: every clock of every existing form (JSON is text on SQLite, json/jsonb on PostgreSQL).
    found = op.get_bind().execute(
        sa.text("SELECT id, created_at, data FROM complaint ORDER BY id").columns(
            sa.column("id", sa.Integer()), sa.column("created_at", sa.DateTime()), sa.column("data")
        )
    )
    rows: list[dict[str, Any]] = []
    for form_id, created_at, data in found:
        doc = json.loads(data) if isinstance(data, str | bytes) else data
        for clock in (doc or {}).get("clocks") or ():
            rows.append(
                {
                    "complaint_id": form_id,
                    "name": clock["name"],
                    "started_at": created_at,
                    "due_at": _utc(clock["due_at"]),
                    "met_at": _utc(clock.get("met_at")),
                }
            )
    if rows:
        table = sa.table(
            "complaint_clock",
            sa.column("complaint_id", sa.Integer()),
            sa.column("name", sa.String()),
            sa.column("started_at", sa.DateTime()),
            sa.column("due_at", sa.DateTime()),
            sa.column("met_at", sa.DateTime()),
        )
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_index("ix_complaint_clock_due_at", table_name="complaint_clock")
    op.drop_index("ix_complaint_clock_complaint_id", table_name="complaint_clock")
    op.drop_table("complaint_clock")
