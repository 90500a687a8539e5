"""Inventory and cost feeds we send (846), one per partner and schedule slot (issue 17, item 5).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("feed_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner", "slot", name="uq_inventory_feeds_partner_slot"),
    )
    with op.batch_alter_table("inventory_feeds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_feeds_partner"), ["partner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inventory_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_feeds_partner"))
    op.drop_table("inventory_feeds")
