"""The archive in the database (``archive_backend: database``): blobs by sha256 and their 1 MiB chunks.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archive_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    with op.batch_alter_table("archive_blobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archive_blobs_touched_at"), ["touched_at"], unique=False)
    op.create_table(
        "archive_chunks",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["archive_blobs.sha256"]),
        sa.PrimaryKeyConstraint("sha256", "seq"),
    )


def downgrade() -> None:
    op.drop_table("archive_chunks")
    with op.batch_alter_table("archive_blobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_blobs_touched_at"))
    op.drop_table("archive_blobs")
