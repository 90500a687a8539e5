"""Alembic migrations: from empty to head on each backend, idempotent, and in step with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import gateway.store.models  # noqa: F401
from gateway.store import current_revision, head_revision, make_engine, upgrade_database


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    assert upgrade_database(db_url, engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    expected = {
        t.name
        for t in SQLModel.metadata.sorted_tables
        if t.name
        in {
            "messages",
            "message_events",
            "documents",
            "document_lines",
            "document_messages",
            "audit_log",
            "counters",
            "discrepancies",
            "users",
        }
    }
    assert expected <= tables
    assert "alembic_version" in tables
    engine.dispose()


def test_upgrade_twice_is_harmless(db_url: str) -> None:
    engine = make_engine(db_url)
    first = upgrade_database(db_url, engine)
    assert upgrade_database(db_url, engine) == first == current_revision(engine)
    engine.dispose()


def test_upgrade_by_url_alone(db_url: str) -> None:
    assert upgrade_database(db_url) == head_revision()


def test_migrations_match_the_models(engine) -> None:
    mine = SQLModel.metadata
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, mine)
    ours = {t.name for t in mine.sorted_tables if t.name in inspect(engine).get_table_names()}
    relevant = [d for d in diffs if _table_of(d) in ours or _table_of(d) is None]
    assert relevant == []


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None) if not hasattr(part, "table") else part.table.name
        if isinstance(name, str):
            return name
        if isinstance(part, str):
            return part
    return None


def test_outbound_records_are_found_by_their_message_through_an_index(engine) -> None:
    """Every outbound message looks up the ship notices and inventory feeds it carries at send."""
    inspector = inspect(engine)
    for table in ("ship_notices", "inventory_feeds"):
        indexed = [i["column_names"] for i in inspector.get_indexes(table)]
        assert ["message_id"] in indexed, (table, indexed)
