"""The problem type (问题类型) of each form, for QA's classification and the monthly statistics.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("problem", sa.String(length=32), nullable=True))
        batch.create_index("ix_complaint_problem", ["problem"])


def downgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.drop_index("ix_complaint_problem")
        batch.drop_column("problem")
