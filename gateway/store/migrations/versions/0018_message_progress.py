"""A large message's checkpoint and its interchanges' outcomes (issue 15, items 2 and 5).

``messages.progress`` is how far the store stage got in an unfinished run (transactions read,
documents stored, the problems found so far), so a crash resumes there; ``messages.interchanges``
is each interchange's outcome once the message ends.

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("interchanges", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("interchanges")
        batch_op.drop_column("progress")
