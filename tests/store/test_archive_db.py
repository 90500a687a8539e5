"""The database archive: what one host stores, another host reads; chunks, dedupe, retention, migrate.

Each "host" is a :class:`DatabaseArchive` over the same database with its own cache folder
(no shared disk), on a real SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from gateway.store.archive import Archive, ArchiveCorrupted
from gateway.store.archive_db import BLOBS, CHUNKS, DatabaseArchive, migrate_archive


def host(engine: Engine, root: Path, chunk_size: int = 1 << 20) -> DatabaseArchive:
    return DatabaseArchive(root, engine, chunk_size=chunk_size)


def rows(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_what_one_host_stores_another_reads(engine: Engine, tmp_path: Path) -> None:
    a, b = host(engine, tmp_path / "a"), host(engine, tmp_path / "b")
    data = b"ISA*00*" + os.urandom(3000)
    stored = a.store(data)
    assert not (tmp_path / "b").exists()
    assert b.exists(stored.sha256)
    path = b.path_for(stored.sha256)
    assert path.is_file() and path.read_bytes() == data and path.parent.parent == tmp_path / "b"
    assert b.read(stored.sha256) == data
    assert list(b) == [stored.sha256]


def test_large_payload_goes_in_chunks_and_comes_back_whole(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "big.edi"
    data = os.urandom(10_000) + b"~" * 5_001
    source.write_bytes(data)
    a = host(engine, tmp_path / "a", chunk_size=1000)
    stored = a.store_file(source)
    assert rows(engine, CHUNKS) == 16  # 15,001 bytes in 1,000-byte pieces
    with engine.connect() as conn:
        sizes = conn.execute(select(func.length(CHUNKS.c.data)).order_by(CHUNKS.c.seq)).scalars().all()
    assert max(sizes) == 1000 and sum(sizes) == len(data)
    assert host(engine, tmp_path / "b").read(stored.sha256) == data


def test_same_bytes_twice_are_one_blob_touched_again(engine: Engine, tmp_path: Path) -> None:
    a, b = host(engine, tmp_path / "a"), host(engine, tmp_path / "b")
    first = a.store(b"same bytes")
    with engine.begin() as conn:
        conn.execute(update(BLOBS).values(touched_at=datetime.now(UTC) - timedelta(days=9)))
    again = b.store(b"same bytes")
    assert again.sha256 == first.sha256 and rows(engine, BLOBS) == 1 and rows(engine, CHUNKS) == 1
    with engine.connect() as conn:
        touched = conn.execute(select(BLOBS.c.touched_at)).scalar_one()
    assert touched.replace(tzinfo=touched.tzinfo or UTC) > datetime.now(UTC) - timedelta(minutes=5)


def test_a_damaged_chunk_is_refused_and_leaves_no_cached_file(engine: Engine, tmp_path: Path) -> None:
    stored = host(engine, tmp_path / "a").store(b"the real payload")
    with engine.begin() as conn:
        conn.execute(update(CHUNKS).values(data=b"the fake payload"))
    b = host(engine, tmp_path / "b")
    with pytest.raises(ArchiveCorrupted, match=stored.sha256):
        b.path_for(stored.sha256)
    assert not Archive(tmp_path / "b").path_for(stored.sha256).exists()
    assert list((tmp_path / "b").rglob(".tmp-*")) == []


def test_unknown_payload_is_a_missing_file_not_an_error(engine: Engine, tmp_path: Path) -> None:
    b = host(engine, tmp_path / "b")
    sha = hashlib.sha256(b"never stored").hexdigest()
    assert not b.exists(sha) and not b.path_for(sha).is_file()
    with pytest.raises(FileNotFoundError):
        b.read(sha)


def test_prune_removes_old_blobs_and_their_cached_copies_but_keeps_what_is_needed(
    engine: Engine, tmp_path: Path
) -> None:
    a = host(engine, tmp_path / "a")
    old, held, new = (a.store(data) for data in (b"old", b"held", b"new"))
    with engine.begin() as conn:
        stale = datetime.now(UTC) - timedelta(days=40)
        conn.execute(update(BLOBS).where(BLOBS.c.sha256 != new.sha256).values(touched_at=stale))
    report = a.prune(timedelta(days=30), keep={held.sha256})
    assert (report.removed, report.kept, report.removed_bytes) == (1, 2, 3)
    assert set(a) == {held.sha256, new.sha256} and rows(engine, CHUNKS) == 2
    assert not old.path.exists()


def test_migrate_folder_to_database_and_back_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    folder = Archive(tmp_path / "archive")
    names = {folder.store(f"payload {n}".encode() * (n + 1)).sha256 for n in range(7)}
    seen: list[tuple[int, int]] = []
    report = migrate_archive("database", tmp_path / "archive", engine, lambda d, t: seen.append((d, t)))
    assert (report.copied, report.already, report.missing) == (7, 0, [])
    assert seen[-1] == (7, 7)
    assert set(host(engine, tmp_path / "elsewhere")) == names
    again = migrate_archive("database", tmp_path / "archive", engine)
    assert (again.copied, again.already) == (0, 7)
    back = migrate_archive("folder", tmp_path / "fresh", engine)  # a new host's empty folder
    assert (back.copied, back.already) == (7, 0)
    assert set(Archive(tmp_path / "fresh")) == names
    for name in names:
        assert Archive(tmp_path / "fresh").read(name) == folder.read(name)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=5000), chunk=st.integers(min_value=1, max_value=700))
def test_any_bytes_any_chunk_size_round_trip(engine: Engine, tmp_path: Path, data: bytes, chunk: int) -> None:
    sha = host(engine, tmp_path / "w", chunk_size=chunk).store(data).sha256
    reader = host(engine, tmp_path / f"r{chunk}-{sha[:8]}")
    assert reader.read(sha) == data


def test_cli_migrate_copies_reports_and_says_what_to_set(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gateway.cli import cli

    config = tmp_path / "config.yaml"
    config.write_text(
        f"database_url: sqlite:///{tmp_path / 'acorn.sqlite3'}\narchive_dir: {tmp_path / 'archive'}\n"
        f"partners_dir: {tmp_path}\nmappings_dir: {tmp_path}\n",
        encoding="utf-8",
    )
    folder = Archive(tmp_path / "archive")
    for n in range(3):
        folder.store(f"payload {n}".encode())
    result = CliRunner().invoke(cli, ["--config", str(config), "archive", "migrate", "--to", "database"])
    assert result.exit_code == 0, result.output
    assert "copied 3 payload(s) (27 bytes) to the database; 0 were there already" in result.stdout
    assert "3/3 payload(s)" in result.stderr and "archive_backend: database" in result.stderr
    again = CliRunner().invoke(cli, ["--config", str(config), "archive", "migrate", "--to", "database"])
    assert "copied 0 payload(s) (0 bytes) to the database; 3 were there already" in again.stdout
