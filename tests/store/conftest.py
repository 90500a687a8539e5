"""Store fixtures: a migrated database on a SQLite file, and on PostgreSQL when ACORN_TEST_DATABASE_URL is set.

Each PostgreSQL test gets a fresh schema (dropped afterwards) through the connection's
``search_path``, so tests never see each other's rows nor another suite's tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from gateway.store import make_engine, upgrade_database
from tests.conftest import BACKENDS, pg_schema


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (not migrated) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'acorn.sqlite3'}"
        return
    with pg_schema("t") as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database upgraded to the newest migration."""
    eng = make_engine(db_url)
    upgrade_database(db_url, eng)
    yield eng
    eng.dispose()
