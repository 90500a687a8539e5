"""Initial schema: messages and their events, documents, lines and links, audit log, counters,
discrepancies and console users.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_log_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "counters",
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partner", "name"),
    )
    op.create_table(
        "discrepancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=True),
        sa.Column("shipment_id", sa.String(length=64), nullable=True),
        sa.Column("invoice_number", sa.String(length=64), nullable=True),
        sa.Column("rma_number", sa.String(length=64), nullable=True),
        sa.Column("line_no", sa.String(length=32), nullable=True),
        sa.Column("expected", sa.String(length=255), nullable=True),
        sa.Column("actual", sa.String(length=255), nullable=True),
        sa.Column("amount_at_risk", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("discrepancies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discrepancies_invoice_number"), ["invoice_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_discrepancies_po_number"), ["po_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_discrepancies_shipment_id"), ["shipment_id"], unique=False)
        batch_op.create_index(
            "ix_discrepancies_status_partner", ["status", "partner", "created_at"], unique=False
        )

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=True),
        sa.Column("mailbox", sa.String(length=64), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("archive_path", sa.String(length=255), nullable=False),
        sa.Column("standard", sa.String(length=16), nullable=True),
        sa.Column("interchange_control", sa.String(length=35), nullable=True),
        sa.Column("group_controls", sa.JSON(), nullable=False),
        sa.Column("transaction_controls", sa.JSON(), nullable=False),
        sa.Column("sender_qualifier", sa.String(length=4), nullable=True),
        sa.Column("sender_id", sa.String(length=35), nullable=True),
        sa.Column("receiver_qualifier", sa.String(length=4), nullable=True),
        sa.Column("receiver_id", sa.String(length=35), nullable=True),
        sa.Column("document_types", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error_stage", sa.String(length=32), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_position", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("remote_ref", sa.String(length=1024), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("replay_of_id", sa.Integer(), nullable=True),
        sa.Column("ack_message_id", sa.Integer(), nullable=True),
        sa.Column("ack_detail", sa.JSON(), nullable=True),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ack_message_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["messages.id"],
        ),
        sa.ForeignKeyConstraint(
            ["replay_of_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_filename"), ["filename"], unique=False)
        batch_op.create_index(
            "ix_messages_interchange", ["sender_id", "receiver_id", "interchange_control"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_messages_interchange_control"), ["interchange_control"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_messages_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index("ix_messages_partner_created", ["partner", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_sha256"), ["sha256"], unique=False)
        batch_op.create_index(
            "ix_messages_state_partner_created", ["state", "partner", "created_at"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("business_key", sa.String(length=128), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=True),
        sa.Column("shipment_id", sa.String(length=64), nullable=True),
        sa.Column("invoice_number", sa.String(length=64), nullable=True),
        sa.Column("rma_number", sa.String(length=64), nullable=True),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("source_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partner", "type", "business_key", name="uq_documents_partner_type_key"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_invoice_number"), ["invoice_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_po_number"), ["po_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_rma_number"), ["rma_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_shipment_id"), ["shipment_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_documents_source_message_id"), ["source_message_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_documents_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_documents_type_partner_date", ["type", "partner", "document_date"], unique=False
        )

    op.create_table(
        "message_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_events_message_id"), ["message_id"], unique=False)

    op.create_table(
        "document_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.String(length=32), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=True),
        sa.Column("asin", sa.String(length=32), nullable=True),
        sa.Column("ean", sa.String(length=32), nullable=True),
        sa.Column("upc", sa.String(length=32), nullable=True),
        sa.Column("vendor_sku", sa.String(length=64), nullable=True),
        sa.Column("buyer_sku", sa.String(length=64), nullable=True),
        sa.Column("sscc", sa.String(length=20), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("uom", sa.String(length=8), nullable=False),
        sa.Column("case_size", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("document_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_lines_document_id"), ["document_id"], unique=False)
        batch_op.create_index("ix_document_lines_po_line", ["po_number", "line_no"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_lines_vendor_sku"), ["vendor_sku"], unique=False)

    op.create_table(
        "document_messages",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("document_id", "message_id", "role"),
    )
    with op.batch_alter_table("document_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_messages_message_id"), ["message_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("document_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_messages_message_id"))

    op.drop_table("document_messages")
    with op.batch_alter_table("document_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_lines_vendor_sku"))
        batch_op.drop_index("ix_document_lines_po_line")
        batch_op.drop_index(batch_op.f("ix_document_lines_document_id"))

    op.drop_table("document_lines")
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_events_message_id"))

    op.drop_table("message_events")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_type_partner_date")
        batch_op.drop_index(batch_op.f("ix_documents_status"))
        batch_op.drop_index(batch_op.f("ix_documents_source_message_id"))
        batch_op.drop_index(batch_op.f("ix_documents_shipment_id"))
        batch_op.drop_index(batch_op.f("ix_documents_rma_number"))
        batch_op.drop_index(batch_op.f("ix_documents_po_number"))
        batch_op.drop_index(batch_op.f("ix_documents_invoice_number"))

    op.drop_table("documents")
    op.drop_table("users")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_state_partner_created")
        batch_op.drop_index(batch_op.f("ix_messages_sha256"))
        batch_op.drop_index("ix_messages_partner_created")
        batch_op.drop_index(batch_op.f("ix_messages_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_messages_interchange_control"))
        batch_op.drop_index("ix_messages_interchange")
        batch_op.drop_index(batch_op.f("ix_messages_filename"))

    op.drop_table("messages")
    with op.batch_alter_table("discrepancies", schema=None) as batch_op:
        batch_op.drop_index("ix_discrepancies_status_partner")
        batch_op.drop_index(batch_op.f("ix_discrepancies_shipment_id"))
        batch_op.drop_index(batch_op.f("ix_discrepancies_po_number"))
        batch_op.drop_index(batch_op.f("ix_discrepancies_invoice_number"))

    op.drop_table("discrepancies")
    op.drop_table("counters")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
