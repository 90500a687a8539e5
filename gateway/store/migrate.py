"""Schema migrations with Alembic, configured in code (no alembic.ini needed at run time).

The scripts live in ``gateway/store/migrations`` (shipped inside the package). :func:`upgrade_database`
brings any database to the newest revision; it runs at start-up and as ``acorn db upgrade``,
and is safe to run again (it does nothing when the schema is current).

To add a migration while developing::

    python -c "from gateway.store.migrate import revision; revision('sqlite:///dev.sqlite3', 'add x')"

then review the generated file under ``gateway/store/migrations/versions`` (name the index and
constraint, keep ``String`` lengths, use ``batch_alter_table`` for SQLite).

Alembic (with Mako and Pygments, about 11 MiB and 150 modules) is imported only to upgrade: a
database already at the newest revision is recognised by one ``SELECT`` of ``alembic_version``
against the head read from the scripts' ``revision`` / ``down_revision`` lines
(:func:`shipped_head`; a test checks it against Alembic's own script directory). Anything else (an
empty database, an older or unknown revision, scripts it cannot read plainly) goes to Alembic,
as before.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from gateway.store.engine import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


#: ``revision = "0022"`` / ``down_revision = "0021"`` (optionally annotated) at a line's start
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.*?)\s*$", re.MULTILINE)
_QUOTED = re.compile(r"""^(?:"([^"]*)"|'([^']*)')$""")


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` pointing at the shipped migration scripts."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision the code knows (Alembic's script directory)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


@cache
def shipped_head() -> str | None:
    """The newest revision of the shipped scripts, read from their ``revision`` and
    ``down_revision`` lines without Alembic; ``None`` when that is not plain (a merge, a branch,
    a line it cannot read): the caller then asks Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found = {m.group(1): m.group(2) for m in _REVISION_LINE.finditer(source)}
        revision, parent = _literal(found.get("revision", "")), found.get("down_revision", "")
        if revision is None or (parent != "None" and _literal(parent) is None):
            return None
        revisions.add(revision)
        parents.update([] if parent == "None" else [_literal(parent) or ""])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def _literal(value: str) -> str | None:
    """The string of a one-string Python literal (``"0021"``), else ``None``."""
    quoted = _QUOTED.match(value)
    return None if quoted is None else quoted.group(1) or quoted.group(2)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database), by one ``SELECT``."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        if len(versions) > 1:  # several heads (never ours): Alembic's own refusal, as before
            from alembic.runtime.migration import MigrationContext

            return MigrationContext.configure(connection).get_current_revision()
    return versions[0] if versions else None


def upgrade_database(url: str, engine: Engine | None = None) -> str:
    """Upgrade the database at ``url`` to the newest revision and return it.

    Passing ``engine`` reuses its connection settings (e.g. a PostgreSQL ``search_path``).
    """
    own = engine is None
    engine = make_engine(url) if engine is None else engine
    try:
        before = current_revision(engine)
        if before is not None and before == shipped_head():
            return before  # at the newest revision already: no Alembic to import
        from alembic import command

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
    from alembic import command

    import gateway.store.models  # noqa: F401  (register the tables)

    command.revision(alembic_config(url), message=message, autogenerate=True)
