"""The ``message_types`` index: one row per (document type, message), kept by triggers.

``messages.document_types`` is a JSON list, which no index can serve, so the console's type
filter had to walk the messages newest first and test each list: fast for a common type, but a
full scan of the table (260 ms on a million messages) for a type that is rare or absent. This
table is the index: its key (type, message id) gives one type's messages newest first.

It is derived data, so the database keeps it: a trigger on ``messages`` rewrites a message's
rows after every insert and every update of ``document_types``, whoever writes (the pipeline,
the outbox, a bulk load, a test). The existing messages are indexed here once. (On SQLite, a
later migration that rebuilds ``messages`` with ``batch_alter_table`` drops its triggers and
must create them again.)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: the longest document type kept (longer values, which no mapping produces, are not indexed)
MAX_TYPE = 35

_SQLITE_ROWS = f"""
    INSERT OR IGNORE INTO message_types (document_type, message_id)
    SELECT DISTINCT CAST(value AS TEXT), NEW.id
    FROM json_each(CASE WHEN json_valid(NEW.document_types) THEN NEW.document_types ELSE '[]' END)
    WHERE type IN ('text', 'integer') AND length(CAST(value AS TEXT)) BETWEEN 1 AND {MAX_TYPE};
"""

_SQLITE = [
    f"""CREATE TRIGGER message_types_insert AFTER INSERT ON messages
    BEGIN {_SQLITE_ROWS} END""",
    f"""CREATE TRIGGER message_types_update AFTER UPDATE OF document_types ON messages
    BEGIN DELETE FROM message_types WHERE message_id = NEW.id; {_SQLITE_ROWS} END""",
    f"""INSERT OR IGNORE INTO message_types (document_type, message_id)
    SELECT DISTINCT CAST(j.value AS TEXT), m.id FROM messages AS m, json_each(m.document_types) AS j
    WHERE json_valid(m.document_types) AND j.type IN ('text', 'integer')
      AND length(CAST(j.value AS TEXT)) BETWEEN 1 AND {MAX_TYPE}""",
]

_POSTGRESQL = [
    f"""CREATE FUNCTION acorn_message_types_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            DELETE FROM message_types WHERE message_id = NEW.id;
        END IF;
        IF json_typeof(NEW.document_types) = 'array' THEN
            INSERT INTO message_types (document_type, message_id)
            SELECT DISTINCT t, NEW.id FROM json_array_elements_text(NEW.document_types) AS t
            WHERE length(t) BETWEEN 1 AND {MAX_TYPE}
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER message_types_sync AFTER INSERT OR UPDATE OF document_types ON messages
    FOR EACH ROW EXECUTE FUNCTION acorn_message_types_sync()""",
    f"""INSERT INTO message_types (document_type, message_id)
    SELECT DISTINCT t, m.id FROM messages AS m, json_array_elements_text(m.document_types) AS t
    WHERE json_typeof(m.document_types) = 'array' AND length(t) BETWEEN 1 AND {MAX_TYPE}
    ON CONFLICT DO NOTHING""",
]


def upgrade() -> None:
    op.create_table(
        "message_types",
        sa.Column("document_type", sa.String(length=MAX_TYPE), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("document_type", "message_id"),
    )
    with op.batch_alter_table("message_types", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_types_message_id"), ["message_id"], unique=False)
    statements = _POSTGRESQL if op.get_bind().dialect.name == "postgresql" else _SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS message_types_sync ON messages")
        op.execute("DROP FUNCTION IF EXISTS acorn_message_types_sync()")
    else:
        op.execute("DROP TRIGGER IF EXISTS message_types_insert")
        op.execute("DROP TRIGGER IF EXISTS message_types_update")
    with op.batch_alter_table("message_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_types_message_id"))
    op.drop_table("message_types")
