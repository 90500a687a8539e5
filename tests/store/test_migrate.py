"""Alembic migrations: from empty to head on each backend, idempotent, in step with the models, and a
database at head recognised without importing Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import gateway.store.models  # noqa: F401
from gateway.store import current_revision, head_revision, make_engine, upgrade_database
from gateway.store.migrate import alembic_config, shipped_head


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


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    """``shipped_head`` (no Alembic) names the revision Alembic's script directory calls the head."""
    assert shipped_head() == head_revision()


def test_a_database_one_revision_behind_is_upgraded(db_url: str) -> None:
    """The check at head does not skip a database that is behind: it goes on to Alembic."""
    engine = make_engine(db_url)
    heads = ScriptDirectory.from_config(alembic_config(db_url)).get_revision(head_revision())
    previous = heads.down_revision
    assert isinstance(previous, str)
    config = alembic_config(db_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, previous)
    assert current_revision(engine) == previous
    assert upgrade_database(db_url, engine) == head_revision() == current_revision(engine)
    engine.dispose()


def test_a_database_at_head_is_opened_without_importing_alembic(tmp_path: Path) -> None:
    """Start-up on a current database costs one ``SELECT``, not Alembic (Mako, Pygments: ~11 MiB)."""
    url = f"sqlite:///{tmp_path / 'acorn.sqlite3'}"
    upgrade_database(url)
    probe = (
        "import sys\nfrom gateway.store import upgrade_database\n"
        f"print(upgrade_database({url!r}), sorted({{m.split('.')[0] for m in sys.modules}} & {{'alembic', 'mako'}}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [head_revision(), "[]"]
