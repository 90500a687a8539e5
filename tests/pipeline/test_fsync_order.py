"""Fsyncs shared by a batch keep their order (issue 16 item 1): every commit comes after the fsync
of each file it depends on and of each folder that gained an entry for it.

A real gateway in a temporary folder takes a mailbox of files (received in one batch, processed
in one, their 997s sent as one group to the local outbox). The test wraps the calls that make
entries and make them durable (``os.open`` with ``O_CREAT``, ``os.mkdir``, ``os.replace``,
``os.fsync``) and the engine's ``commit`` event, and replays what a power cut could lose: at each
commit, no folder of the archive or the outbox may hold an entry made since its last fsync, and a
file is renamed into place only after its own fsync. Nothing of the storage is mocked: every call
goes through to the file system.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from gateway.service.pipeline import Incoming, receive_batch
from gateway.service.pipeline.receive import Origin
from gateway.service.runtime import Runtime
from gateway.service.scheduler import run_once
from gateway.store import session_scope
from gateway.store.models import Message
from tests.pipeline.conftest import numbered_po

FILES = 6


@dataclass
class Recorder:
    """What a power cut could lose, followed call by call in the archive and the outboxes."""

    archive: Path  # its whole tree
    outboxes: list[Path]  # these folders (not their parents: a mailbox's folders are made once)
    dirty: dict[Path, str] = field(default_factory=dict)  # folder -> the entry made since its fsync
    synced_files: set[Path] = field(default_factory=set)
    dir_fsyncs: dict[Path, int] = field(default_factory=dict)
    commits: int = 0
    dependent_commits: int = 0  # commits made while entries had been made under roots before
    violations: list[str] = field(default_factory=list)
    seen_entry: bool = False

    def _tracked(self, folder: Path) -> bool:
        return folder == self.archive or self.archive in folder.parents or folder in self.outboxes

    def entry(self, path: Path, how: str) -> None:
        folder = path.parent
        if self._tracked(folder):
            self.dirty[folder] = f"{how} {path.name}"
            self.seen_entry = True

    def fsync(self, fd: int) -> None:
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if path.is_dir():
            self.dirty.pop(path, None)
            self.dir_fsyncs[path] = self.dir_fsyncs.get(path, 0) + 1
        else:
            self.synced_files.add(path)

    def rename(self, src: Path, dst: Path) -> None:
        if src in self.synced_files:
            self.synced_files.add(dst)  # its data is durable under the new name too
        elif self._tracked(dst.parent) and src.stat().st_size:
            self.violations.append(f"{src} renamed to {dst} before its fsync")
        self.entry(dst, "rename to")

    def commit(self) -> None:
        self.commits += 1
        if self.seen_entry:
            self.dependent_commits += 1
        for folder, what in self.dirty.items():
            self.violations.append(f"commit {self.commits}: {folder} not fsynced after {what}")


@pytest.fixture
def recorder(runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    outbox = (home / "run" / "mailboxes" / "amazon-us" / "outbox").resolve()
    rec = Recorder(runtime.archive.root.resolve(), [outbox])
    real_open, real_mkdir, real_replace, real_fsync = os.open, os.mkdir, os.replace, os.fsync

    def opened(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        created = flags & os.O_CREAT and not os.path.exists(path)
        fd = real_open(path, flags, *args, **kw)
        if created:
            rec.entry(Path(os.fsdecode(path)).resolve(), "created")
        return fd

    def mkdir(path: Any, *args: Any, **kw: Any) -> None:
        real_mkdir(path, *args, **kw)
        rec.entry(Path(os.fsdecode(path)).resolve(), "mkdir")

    def replace(src: Any, dst: Any, *args: Any, **kw: Any) -> None:
        source, target = Path(os.fsdecode(src)).resolve(), Path(os.fsdecode(dst)).resolve()
        rec.rename(source, target)
        real_replace(src, dst, *args, **kw)

    def fsync(fd: int) -> None:
        real_fsync(fd)
        rec.fsync(fd)

    monkeypatch.setattr(os, "open", opened)
    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    listener: Callable[..., None] = lambda *_a: rec.commit()  # noqa: E731
    event.listen(runtime.engine, "commit", listener)
    yield rec
    event.remove(runtime.engine, "commit", listener)


def test_every_commit_follows_the_fsyncs_it_depends_on(
    runtime: Runtime, home: Path, recorder: Recorder
) -> None:
    inbox = home / "run" / "mailboxes" / "amazon-us" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for i in range(FILES):
        (inbox / f"po_{i}.edi").write_bytes(numbered_po(5000 + i))
    recorder.dirty.clear()  # the files dropped by the partner are not ours to make durable
    totals = run_once(runtime)
    assert totals["taken"] == FILES and totals["done"] == FILES
    assert totals["sent"] >= FILES  # a 997 a file, sent to the local outbox
    assert recorder.violations == []
    assert recorder.dependent_commits >= 3  # received, processed, sending, sent: each checked
    # shared: the scratch folder once for the whole receive batch, the outbox once before the
    # group's ``sending`` and once before its ``sent``; every file still fsynced on its own
    assert recorder.dir_fsyncs[(runtime.archive.root / ".incoming").resolve()] == 1
    outbox = (home / "run" / "mailboxes" / "amazon-us" / "outbox").resolve()
    assert recorder.dir_fsyncs[outbox] == 2
    with session_scope(runtime.engine) as session:
        rows = session.exec(select(Message)).all()
    assert len(rows) >= 2 * FILES  # the files and their 997s
    for message in rows:
        assert runtime.archive.path_for(message.sha256).resolve() in recorder.synced_files


def test_the_recorder_sees_a_commit_before_a_folder_fsync(
    runtime: Runtime, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check can fail: with the folder fsync left out, a receive's commit is caught."""
    monkeypatch.setattr("gateway.store.archive.fsync_dir", lambda _folder: None)

    origin: Origin = {"partner": "amazon-us", "mailbox": "inbox"}
    receive_batch(runtime, [Incoming(numbered_po(7001), "po_7001.edi", origin)])
    assert any("not fsynced" in v for v in recorder.violations)
