"""Settlement: claims and their events, ERP events, reminders (issue 18).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_MONEY = sa.Numeric(18, 4)


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", _MONEY, nullable=False),
        sa.Column("recovered", _MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("invoice_number", sa.String(length=64), nullable=True),
        sa.Column("po_number", sa.String(length=64), nullable=True),
        sa.Column("shipment_id", sa.String(length=64), nullable=True),
        sa.Column("rma_number", sa.String(length=64), nullable=True),
        sa.Column("remittance_document_id", sa.Integer(), nullable=True),
        sa.Column("trace_number", sa.String(length=128), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("predicted", sa.Boolean(), nullable=True),
        sa.Column("predicted_amount", _MONEY, nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("reversed_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["remittance_document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner", "reference", name="uq_claims_partner_reference"),
    )
    for column in ("partner", "status", "invoice_number", "po_number", "deadline"):
        op.create_index(f"ix_claims_{column}", "claims", [column], unique=False)
    op.create_table(
        "claim_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_claim_events_claim_id", "claim_events", ["claim_id"], unique=False)
    op.create_table(
        "erp_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sa.String(length=128), nullable=False),
        sa.Column("marketplace", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_erp_events_partner", "erp_events", ["partner"], unique=False)
    op.create_index("ix_erp_events_state", "erp_events", ["state"], unique=False)
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("done_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_reminders_partner", "reminders", ["partner"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reminders_partner", table_name="reminders")
    op.drop_table("reminders")
    op.drop_index("ix_erp_events_state", table_name="erp_events")
    op.drop_index("ix_erp_events_partner", table_name="erp_events")
    op.drop_table("erp_events")
    op.drop_index("ix_claim_events_claim_id", table_name="claim_events")
    op.drop_table("claim_events")
    for column in ("deadline", "po_number", "invoice_number", "status", "partner"):
        op.drop_index(f"ix_claims_{column}", table_name="claims")
    op.drop_table("claims")
