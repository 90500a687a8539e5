"""A gateway in a temporary folder: its own config, partner profiles, mappings copy, SQLite file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.service.runtime import Runtime
from tests.conftest import BACKENDS, DATA_DIR, PROJECT_ROOT, copy_partners, pg_schema

MESSAGES = DATA_DIR / "messages"


def make_home(root: Path, database_url: str | None = None) -> Path:
    """A gateway home under ``root``: config.yaml, partners/ and mappings/ copied from the project."""
    copy_partners(root / "partners")
    shutil.copytree(PROJECT_ROOT / "mappings", root / "mappings")
    url = database_url or "sqlite:///acorn.sqlite3"
    (root / "config.yaml").write_text(
        f"database_url: {url}\narchive_dir: archive\npartners_dir: partners\nmappings_dir: mappings\n"
        "scheduler:\n  poll_interval_seconds: 1\n  outbox_interval_seconds: 1\n"
        "  backoff_initial_seconds: 1\n  backoff_max_seconds: 4\n",
        encoding="utf-8",
    )
    return root / "config.yaml"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return make_home(tmp_path / "gw").parent


@pytest.fixture
def runtime(home: Path) -> Iterator[Runtime]:
    rt = Runtime.open(home / "config.yaml")
    yield rt
    rt.close()


@pytest.fixture(params=BACKENDS)
def any_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    """A gateway on a real SQLite file, then on PostgreSQL (its own schema, dropped afterwards)."""
    if request.param == "sqlite":
        rt = Runtime.open(make_home(tmp_path / "gw"))
        yield rt
        rt.close()
        return
    with pg_schema("pipe") as url:
        rt = Runtime.open(make_home(tmp_path / "gw", url))
        yield rt
        rt.close()


def sample(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


def numbered_po(n: int) -> bytes:
    """The sample 850 with its own interchange/group control numbers and PO number."""
    return (
        sample("x12_4010_850_new_po.edi")
        .replace(b"4101", f"{n:04d}".encode())
        .replace(b"4TQ8ZK2M", f"P{n:07d}".encode())
    )
