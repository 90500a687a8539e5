"""A corrected file points at the failed message it replaces (``messages.corrects_id``).

The states ``resolved`` and ``ignored`` need no schema change (the state column is a string).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # no batch rebuild of messages on SQLite: it would drop the triggers of 0005
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE messages ADD COLUMN corrects_id INTEGER "
            "CONSTRAINT fk_messages_corrects_id REFERENCES messages (id)"
        )
    else:
        op.add_column("messages", sa.Column("corrects_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_messages_corrects_id", "messages", "messages", ["corrects_id"], ["id"])
    op.create_index("ix_messages_corrects_id", "messages", ["corrects_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_messages_corrects_id", table_name="messages")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("corrects_id")
