"""Indexes for the monthly report at scale (PROCEDURE §4; measured with bench/report_scale.py): the month's
forms by submission time, earlier forms with the same customer, product and problem type (repeat complaints),
and the forms still open at a month's end (not closed, or closed after it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaint_submitted_at", "complaint", ["submitted_at"])
    op.create_index("ix_complaint_repeat", "complaint", ["customer", "product", "problem", "submitted_at"])
    op.create_index("ix_complaint_closed_at", "complaint", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_complaint_closed_at", table_name="complaint")
    op.drop_index("ix_complaint_repeat", table_name="complaint")
    op.drop_index("ix_complaint_submitted_at", table_name="complaint")
