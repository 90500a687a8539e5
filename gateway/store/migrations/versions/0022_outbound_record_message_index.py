"""Indexes on ``ship_notices.message_id`` and ``inventory_feeds.message_id``: every outbound
message looks up the records it carries at send (issue 17 follow-up).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ship_notices_message_id", "ship_notices", ["message_id"])
    op.create_index("ix_inventory_feeds_message_id", "inventory_feeds", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_inventory_feeds_message_id", table_name="inventory_feeds")
    op.drop_index("ix_ship_notices_message_id", table_name="ship_notices")
