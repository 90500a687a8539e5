"""Names that are not UTF-8 and inbox entries ACORN does not read (issue 15, item 4).

``messages.name_bytes`` keeps a file name's own bytes when they are not UTF-8 (``filename``
holds the readable escaped form); ``mailbox_status.unread_entries`` lists the dot-files,
symlinks and folders the last poll saw and left alone, with why.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_bytes", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("mailbox_status", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unread_entries", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailbox_status", schema=None) as batch_op:
        batch_op.drop_column("unread_entries")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("name_bytes")
