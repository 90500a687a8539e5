"""A local inbox file is archived where it is: one copy, one new inode a file (issue 16).

The poll of a local mailbox hands the inbox file itself to the archive, which copies it once
(hashing on the way) into ``.incoming`` and renames that copy into place; no staged ``.fetch-``
file is made. A mailbox without a local file (SFTP, or one that says so) still fetches to a staged
copy, removed after. Real gateway, real files: the test only watches which inodes are created.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from gateway.service import mailboxes
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Message
from gateway.transports.local import LocalMailbox
from tests.pipeline.conftest import numbered_po

FILES = 5


@pytest.fixture
def created(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Every path ``os.open`` created (``O_CREAT`` of a name that was not there), in order."""
    made: list[Path] = []
    real_open = os.open

    def opened(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        new = bool(flags & os.O_CREAT) and not os.path.lexists(path)
        fd = real_open(path, flags, *args, **kw)
        if new:
            made.append(Path(os.fsdecode(path)).resolve())
        return fd

    monkeypatch.setattr(os, "open", opened)
    yield made


def _fill_inbox(home: Path) -> tuple[Path, dict[str, bytes]]:
    inbox = home / "run" / "mailboxes" / "amazon-us" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    files = {f"po_{i}.edi": numbered_po(8100 + i) for i in range(FILES)}
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    return inbox, files


def _archived(runtime: Runtime) -> dict[str, bytes]:
    with session_scope(runtime.engine) as session:
        rows = session.exec(select(Message).where(Message.direction == "in")).all()
        return {str(m.filename): runtime.archive.read(m.sha256) for m in rows}


def test_a_local_inbox_file_is_archived_from_the_inbox_in_one_copy(
    runtime: Runtime, home: Path, created: list[Path]
) -> None:
    inbox, files = _fill_inbox(home)
    incoming = (runtime.archive.root / ".incoming").resolve()
    summary = mailboxes.poll_mailbox(runtime, "amazon-us", "local")
    assert summary.taken == FILES and summary.errors == []
    made_incoming = [p for p in created if p.parent == incoming]
    assert len(made_incoming) == FILES  # the archive's own copy of each file, and nothing else
    assert all(p.name.startswith(".tmp-") for p in made_incoming)
    assert not any(p.name.startswith(".fetch-") for p in created)
    assert list(incoming.iterdir()) == []  # each copy renamed into place
    assert _archived(runtime) == files  # the bytes, whole
    assert list(inbox.iterdir()) == []  # let go of only after the commit: moved to processed
    assert sorted(p.name for p in (inbox.parent / "processed").iterdir()) == sorted(files)


def test_a_mailbox_without_a_local_file_is_fetched_to_a_staged_copy_removed_after(
    runtime: Runtime, home: Path, created: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LocalMailbox, "local_path", lambda _self, _item: None)  # as SFTP says
    inbox, files = _fill_inbox(home)
    incoming = (runtime.archive.root / ".incoming").resolve()
    summary = mailboxes.poll_mailbox(runtime, "amazon-us", "local")
    assert summary.taken == FILES and summary.errors == []
    assert sum(p.name.startswith(".fetch-") for p in created) == FILES
    assert list(incoming.iterdir()) == []  # the staged copies removed
    assert _archived(runtime) == files
    assert list(inbox.iterdir()) == []
