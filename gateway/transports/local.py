"""The local-folder mailbox: the embedded default, and how a warehouse on the same host drops files.

Inbox files are taken oldest first; files whose name looks temporary (dot-files, ``.tmp``,
``.part``...) are left alone, so a writer that renames into place is never read half-written.
A writer that writes in place is waited for: a file some process still holds open for writing
is not taken (Linux tells, through a read lease: :func:`open_for_writing`); where that cannot be
told (a file another user owns, a file system without leases), a file is taken only once it has
not changed for ``stable_seconds``. Acknowledging moves the file to the processed folder (under a
unique name if one exists there).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from pathlib import Path

from gateway.transports.base import (
    Mailbox,
    RemoteFile,
    SendReceipt,
    TransportError,
    is_temporary_name,
    write_atomically,
)

try:
    import fcntl
except ImportError:  # not a POSIX system: only the stable_seconds rule applies
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

_F_SETLEASE = getattr(fcntl, "F_SETLEASE", 1024)  # Linux; named in fcntl from Python 3.12


def open_for_writing(path: str) -> bool | None:
    """Whether some process holds ``path`` open for writing; ``None`` when that cannot be told.

    Linux grants a read lease only on a file nobody has open for writing (``EAGAIN`` otherwise).
    The lease is dropped at once: it is a question, not a lock.
    """
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        return True if exc.errno in (errno.EAGAIN, errno.EBUSY) else None  # EACCES: not our file
    else:
        fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)


class LocalMailbox(Mailbox):
    """Folders on this machine: ``inbox`` (from the partner), ``outbox`` (to it), ``processed``."""

    def __init__(
        self, partner: str, name: str, inbox: Path, outbox: Path, processed: Path, stable_seconds: float = 2
    ) -> None:
        super().__init__(partner, name)
        self.inbox = Path(inbox)
        self.outbox = Path(outbox)
        self.processed = Path(processed)
        self.stable_seconds = stable_seconds
        for folder in (self.inbox, self.outbox, self.processed):
            folder.mkdir(parents=True, exist_ok=True)

    def list_ready(self) -> list[RemoteFile]:
        try:
            entries = list(os.scandir(self.inbox))
        except OSError as exc:
            raise TransportError(f"{self.label}: cannot list {self.inbox}: {exc.strerror}") from exc
        ready = []
        now = time.time()
        for entry in entries:
            if is_temporary_name(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat()
            writing = open_for_writing(entry.path)
            if writing or (writing is None and now - stat.st_mtime < self.stable_seconds):
                log.debug("%s: %s is still being written; next poll", self.label, entry.name)
                continue
            ready.append((stat.st_mtime, entry.name, RemoteFile(entry.name, entry.path, stat.st_size)))
        return [item for _mtime, _name, item in sorted(ready)]

    def fetch(self, item: RemoteFile, destination: Path) -> None:
        try:
            with open(item.ref, "rb") as src, open(destination, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
        except OSError as exc:
            raise TransportError(f"{self.label}: cannot read {item.name}: {exc.strerror}") from exc

    def acknowledge(self, item: RemoteFile) -> None:
        source = Path(item.ref)
        if not source.exists():
            return
        target = self.processed / item.name
        counter = 1
        while target.exists():
            target = self.processed / f"{item.name}.{counter}"
            counter += 1
        os.replace(source, target)
        log.debug("%s: moved %s to %s", self.label, item.name, target)

    def send(self, filename: str, data: bytes) -> SendReceipt:
        target = self.outbox / filename
        try:
            write_atomically(target, data)
        except OSError as exc:
            raise TransportError(f"{self.label}: cannot write {filename}: {exc.strerror}") from exc
        return SendReceipt(ref=str(target))
