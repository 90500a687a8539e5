"""ERP events remember the file a file channel (folder, SFTP) reserved for them, so that a retry after a
crash asks the transport whether it arrived instead of writing it again.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erp_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_ref", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("erp_events", schema=None) as batch_op:
        batch_op.drop_column("delivery_ref")
