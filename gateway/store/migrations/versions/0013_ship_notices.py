"""Ship notices we send (856 / DESADV) and the SSCCs they carried.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ship_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("shipment_id", sa.String(length=64), nullable=False),
        sa.Column("source_shipment_id", sa.String(length=64), nullable=False),
        sa.Column("po_numbers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("labels_key", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner", "shipment_id", name="uq_ship_notices_partner_shipment"),
    )
    with op.batch_alter_table("ship_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ship_notices_partner"), ["partner"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ship_notices_source_shipment_id"), ["source_shipment_id"], unique=False
        )
    op.create_table(
        "sscc_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("sscc", sa.String(length=20), nullable=False),
        sa.Column("shipment_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sscc_uses", schema=None) as batch_op:
        batch_op.create_index("ix_sscc_uses_partner_sscc", ["partner", "sscc"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sscc_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_sscc_uses_partner_sscc")
    op.drop_table("sscc_uses")
    with op.batch_alter_table("ship_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ship_notices_source_shipment_id"))
        batch_op.drop_index(batch_op.f("ix_ship_notices_partner"))
    op.drop_table("ship_notices")
