"""Shared fixtures: where the sample messages and the public corpus live."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "tests" / "data"
#: a shipped profile's line only the demo keeps (its automatic 855 and 856): tests/test_demo_outbound.py
DEMO_ONLY = "# demo-only"


def copy_partners(dest: Path, *, demo: bool = False, **copy: bool) -> Path:
    """The shipped partner profiles copied to ``dest``; unless ``demo``, without the lines marked
    :data:`DEMO_ONLY`, so a test sees the documents it stores and their 997s, not the demo's 855s
    and 856s (``tests/test_demo_outbound.py`` runs the demo with them)."""
    shutil.copytree(PROJECT_ROOT / "partners", dest, **copy)
    if not demo:
        for profile in dest.glob("*.yaml"):
            lines = profile.read_text(encoding="utf-8").splitlines(keepends=True)
            profile.write_text("".join(x for x in lines if DEMO_ONLY not in x), encoding="utf-8")
    return dest


CORPUS_DIR = Path(os.environ.get("ACORN_CORPUS_DIR", PROJECT_ROOT.parent / "shared" / "corpus"))


@pytest.fixture
def data_dir() -> Path:
    """The project's own sample messages (tests/data)."""
    return DATA_DIR


@pytest.fixture
def corpus_dir() -> Path:
    """../shared/corpus; tests using it skip when the folder is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"public corpus not present at {CORPUS_DIR}")
    return CORPUS_DIR


#: PostgreSQL for the tests that use it (``.ci/run`` sets it; tests skip without it).
PG_URL = os.environ.get("ACORN_TEST_DATABASE_URL", "")
NEEDS_PG = pytest.mark.skipif(not PG_URL, reason="ACORN_TEST_DATABASE_URL not set (PostgreSQL tests)")
#: Parametrise a fixture over both backends: ``@pytest.fixture(params=BACKENDS)``.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=NEEDS_PG)]


@contextmanager
def pg_schema(prefix: str = "t") -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards; yields a URL whose ``search_path`` is it, so
    tests never see each other's rows nor another suite's tables."""
    from sqlalchemy import create_engine, text

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
