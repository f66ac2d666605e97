"""The customer archive (``customer``) and the append-only log of who looked at it (``customer_view``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The view log is evidence (every access is accountable): rows are never changed or removed.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER customer_view_no_update BEFORE UPDATE ON customer_view "
    "BEGIN SELECT RAISE(ABORT, 'customer_view is append-only'); END",
    "CREATE TRIGGER customer_view_no_delete BEFORE DELETE ON customer_view "
    "BEGIN SELECT RAISE(ABORT, 'customer_view is append-only'); END",
]
APPEND_ONLY_POSTGRES = [
    "CREATE FUNCTION customer_view_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'customer_view is append-only'; END $$",
    "CREATE TRIGGER customer_view_append_only BEFORE UPDATE OR DELETE ON customer_view "
    "FOR EACH ROW EXECUTE FUNCTION customer_view_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("key", sa.Boolean(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_customer_owner", "customer", ["owner"])
    op.create_table(
        "customer_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("viewer", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_customer_view_customer_id", "customer_view", ["customer_id"])
    dialect = op.get_bind().dialect.name
    for statement in APPEND_ONLY_POSTGRES if dialect == "postgresql" else APPEND_ONLY_SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER customer_view_append_only ON customer_view")
        op.execute("DROP FUNCTION customer_view_append_only()")
    op.drop_index("ix_customer_view_customer_id", table_name="customer_view")
    op.drop_table("customer_view")
    op.drop_index("ix_customer_owner", table_name="customer")
    op.drop_table("customer")
