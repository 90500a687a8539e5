"""Invoice compliance checks (blocked reasons, approvals) and the ledger of invoice-number uses.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_checks",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_table(
        "invoice_number_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=True),
        sa.Column("shipment_id", sa.String(length=64), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_number", "fingerprint", name="uq_invoice_number_uses"),
    )
    with op.batch_alter_table("invoice_number_uses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_number_uses_invoice_number"), ["invoice_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_number_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_number_uses_invoice_number"))
    op.drop_table("invoice_number_uses")
    op.drop_table("invoice_checks")
