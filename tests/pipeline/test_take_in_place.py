"""A local inbox file is archived where it is: one copy, one new inode a file (issue 16).

The poll of a local mailbox hands the inbox file itself to the archive, which copies it once
(hashing on the way) into ``.incoming`` and renames that copy into place; no staged ``.fetch-``
file is made. A mailbox without a local file (SFTP, or one that says so) downloads to a staged
file, which the archive takes as it is (hard-linked, no second copy); its scratch name is removed
after. Real gateway, real files: the test only watches which inodes are created.
"""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
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
    """Every path ``os.open`` (``O_CREAT``) or ``open`` (a writing mode) created, in order."""
    made: list[Path] = []
    real_open, real_io_open = os.open, io.open

    def opened(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        new = bool(flags & os.O_CREAT) and not os.path.lexists(path)
        fd = real_open(path, flags, *args, **kw)
        if new:
            made.append(Path(os.fsdecode(path)).resolve())
        return fd

    def io_opened(file: Any, mode: str = "r", *args: Any, **kw: Any) -> Any:
        new = not isinstance(file, int) and bool(set("wax") & set(mode)) and not os.path.lexists(file)
        handle = real_io_open(file, mode, *args, **kw)
        if new:
            made.append(Path(os.fsdecode(file)).resolve())
        return handle

    monkeypatch.setattr(os, "open", opened)
    monkeypatch.setattr(io, "open", io_opened)
    monkeypatch.setattr(builtins, "open", io_opened)
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


def test_a_mailbox_without_a_local_file_is_staged_once_and_taken_as_it_is(
    runtime: Runtime, home: Path, created: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LocalMailbox, "local_path", lambda _self, _item: None)  # as SFTP says
    inbox, files = _fill_inbox(home)
    incoming = (runtime.archive.root / ".incoming").resolve()
    summary = mailboxes.poll_mailbox(runtime, "amazon-us", "local")
    assert summary.taken == FILES and summary.errors == []
    made_incoming = [p for p in created if p.parent == incoming]
    assert len(made_incoming) == FILES  # the download, and no second copy of it
    assert all(p.name.startswith(".fetch-") for p in made_incoming)
    assert list(incoming.iterdir()) == []  # the scratch names removed
    assert _archived(runtime) == files
    with session_scope(runtime.engine) as session:
        for message in session.exec(select(Message).where(Message.direction == "in")).all():
            assert runtime.archive.path_for(message.sha256).stat().st_nlink == 1  # its only name
    assert list(inbox.iterdir()) == []


def test_a_staged_download_is_durable_in_the_archive_before_its_row_is_committed(
    runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file fsynced before it is linked into place, the folder that gained the link fsynced
    before the commit of the rows: the safety rule, with no copy in between."""
    monkeypatch.setattr(LocalMailbox, "local_path", lambda _self, _item: None)
    _fill_inbox(home)
    incoming = runtime.archive.staging_folder().resolve()
    log: list[tuple[str, Path]] = []
    real_link, real_fsync = os.link, os.fsync

    def link(src: Any, dst: Any, *args: Any, **kw: Any) -> None:
        log.append(("link", Path(os.fsdecode(dst)).resolve()))
        real_link(src, dst, *args, **kw)

    def fsync(fd: int) -> None:
        real_fsync(fd)
        log.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}")).resolve()))

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(os, "fsync", fsync)
    commits: list[int] = []
    listener = lambda *_a: commits.append(len(log))  # noqa: E731
    event.listen(runtime.engine, "commit", listener)
    try:
        assert mailboxes.poll_mailbox(runtime, "amazon-us", "local").taken == FILES
    finally:
        event.remove(runtime.engine, "commit", listener)
    links = [i for i, (what, _path) in enumerate(log) if what == "link"]
    assert len(links) == FILES
    first_commit_after = min(c for c in commits if c > links[-1])
    for i in links:
        final = log[i][1]
        what, synced = log[i - 1]  # the staged file itself, just before its link
        assert what == "fsync" and synced.parent == incoming and synced.name.startswith(".fetch-")
        assert ("fsync", final.parent) in log[i + 1 : first_commit_after]  # its folder, before the commit
