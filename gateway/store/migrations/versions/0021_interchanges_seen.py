"""Each inbound interchange's identity and digest, for duplicates per interchange (issue 15, item 5).

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
