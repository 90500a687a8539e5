"""Each inbound interchange's identity and digest, for duplicates per interchange (issue 15, item 5);
message states up to 32 characters (``suspect_duplicate``).

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _state_length(32, 16)
    op.create_table(
        "interchanges_seen",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "message_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=35), nullable=False),
        sa.Column("receiver_id", sa.String(length=35), nullable=False),
        sa.Column("control", sa.String(length=35), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_interchanges_seen_message_id", "interchanges_seen", ["message_id"])
    op.create_index(
        "ix_interchanges_seen_identity", "interchanges_seen", ["sender_id", "receiver_id", "control"]
    )


def downgrade() -> None:
    op.drop_index("ix_interchanges_seen_identity", table_name="interchanges_seen")
    op.drop_index("ix_interchanges_seen_message_id", table_name="interchanges_seen")
    op.drop_table("interchanges_seen")
    _state_length(16, 32)


def _state_length(new: int, old: int) -> None:
    """Room for the state ``suspect_duplicate`` (17 characters). PostgreSQL only: SQLite does not
    enforce a VARCHAR's length, and rebuilding ``messages`` there would cascade to its children."""
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in ("messages", "message_events"):
        op.alter_column(table, "state", type_=sa.String(length=new), existing_type=sa.String(length=old))
