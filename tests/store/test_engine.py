"""Engines and sessions: commit on success, roll back on error, SQLite set up for concurrency."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from gateway.store import Message, make_engine, session_scope


class Boom(Exception):
    pass


def test_session_scope_commits_and_rolls_back(engine) -> None:
    with session_scope(engine) as s:
        s.add(Message(direction="in", sha256="1" * 64, archive_path="x"))
    with pytest.raises(Boom), session_scope(engine) as s:
        s.add(Message(direction="in", sha256="2" * 64, archive_path="y"))
        s.flush()
        raise Boom
    with session_scope(engine) as s:
        assert [m.sha256 for m in s.exec(select(Message)).all()] == ["1" * 64]


def test_a_closed_session_keeps_nothing_in_its_info(engine) -> None:
    """What a transaction kept in ``session.info`` is let go with the session (a session is in
    reference cycles: kept, it would wait for a full garbage collection)."""
    kept = [Message(direction="in", sha256="3" * 64, archive_path="z")]
    with session_scope(engine) as s:
        s.info["kept"] = kept
    assert s.info == {}
    with pytest.raises(Boom), session_scope(engine) as s:
        s.info["kept"] = kept
        raise Boom
    assert s.info == {}


def test_sqlite_file_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'db.sqlite3'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    assert (tmp_path / "sub" / "db.sqlite3").exists()
    engine.dispose()
