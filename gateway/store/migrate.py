"""Schema migrations with Alembic, configured in code (no alembic.ini needed at run time).

The scripts live in ``gateway/store/migrations`` (shipped inside the package). :func:`upgrade_database`
brings any database to the newest revision; it runs at start-up and as ``acorn db upgrade``,
and is safe to run again (it does nothing when the schema is current).

To add a migration while developing::

    python -c "from gateway.store.migrate import revision; revision('sqlite:///dev.sqlite3', 'add x')"

then review the generated file under ``gateway/store/migrations/versions`` (name the index and
constraint, keep ``String`` lengths, use ``batch_alter_table`` for SQLite).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from gateway.store.engine import make_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` pointing at the shipped migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_database(url: str, engine: Engine | None = None) -> str:
    """Upgrade the database at ``url`` to the newest revision and return it.

    Passing ``engine`` reuses its connection settings (e.g. a PostgreSQL ``search_path``).
    """
    own = engine is None
    engine = make_engine(url) if engine is None else engine
    try:
        before = current_revision(engine)
        config = alembic_config(url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        after = current_revision(engine)
    finally:
        if own:
            engine.dispose()
    if before != after:
        log.info("database upgraded from %s to %s", before or "empty", after)
    return after or ""


def revision(url: str, message: str) -> None:  # pragma: no cover - a developer tool
    """Autogenerate a new migration by comparing the models with the database at ``url``."""
    import gateway.store.models  # noqa: F401  (register the tables)

    command.revision(alembic_config(url), message=message, autogenerate=True)
