"""The local-folder mailbox: the embedded default, and how a warehouse on the same host drops files.

Inbox files are taken oldest first; files whose name looks temporary (dot-files, ``.tmp``,
``.part``...), symlinks and folders are left alone and listed in ``unread``, so a writer that
renames into place is never read half-written.
A writer that writes in place is waited for: a file some process still holds open for writing
is not taken (Linux tells, through a read lease: :func:`open_for_writing`); where that cannot be
told (a file another user owns, a file system without leases), a file is taken only once it has
not changed for ``stable_seconds``. Acknowledging moves the file to the processed folder (under a
unique name if one exists there).

The inbox file is on this machine (:meth:`LocalMailbox.local_path`): the poll archives it from
where it is, one copy (fsynced) before anything depends on it, and the inbox file stays until
then. :meth:`LocalMailbox.fetch` still copies a file to a scratch file (not fsynced) for a
caller that wants one. Sending a group
(:meth:`LocalMailbox.deferred_sync`): each file is still written and fsynced under its
temporary name and renamed, but the outbox folder is fsynced once, by
:meth:`LocalMailbox.sync_pending`, which the caller runs before the commit that depends on the
reservations (``sending``) or the renames (``sent``).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from gateway.transports.base import (
    Mailbox,
    RemoteFile,
    SendReceipt,
    TransportError,
    UnreadEntry,
    file_sha256,
    fsync_dir,
    why_unread,
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
        self._deferring = False  # inside deferred_sync: the outbox fsync waits for sync_pending
        self._outbox_dirty = False  # the outbox gained or lost an entry not yet fsynced
        for folder in (self.inbox, self.outbox, self.processed):
            folder.mkdir(parents=True, exist_ok=True)

    def list_ready(self) -> list[RemoteFile]:
        try:
            entries = list(os.scandir(self.inbox))
        except OSError as exc:
            raise TransportError(f"{self.label}: cannot list {self.inbox}: {exc.strerror}") from exc
        ready = []
        now = time.time()
        self.unread = []
        for entry in entries:
            why = why_unread(
                entry.name,
                regular=entry.is_file(follow_symlinks=False),
                symlink=entry.is_symlink(),
                folder=entry.is_dir(follow_symlinks=False),
            )
            if why is not None:
                self.unread.append(UnreadEntry(entry.name, why))
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
                shutil.copyfileobj(src, dst, 1 << 20)  # a scratch copy: the archive fsyncs its own
        except OSError as exc:
            raise TransportError(f"{self.label}: cannot read {item.name}: {exc.strerror}") from exc

    def local_path(self, item: RemoteFile) -> Path:
        return Path(item.ref)

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

    # -- sending, exactly once -------------------------------------------------------------
    # plan() reserves the delivery: an empty ``.<name>.acorn.tmp`` beside the final name, made
    # before the message is marked ``sending``. send() fills it, fsyncs it and renames it into
    # place; only that rename removes it. So after a crash: the reservation still there means
    # not delivered; gone means delivered (whether or not the partner has taken the file since).

    @contextlib.contextmanager
    def deferred_sync(self) -> Iterator[None]:
        """Within the block, the outbox folder's fsync after a reservation or a rename is left to
        :meth:`sync_pending` (once for the group); it also runs when the block ends."""
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
            self.sync_pending()

    def sync_pending(self) -> None:
        """fsync the outbox folder if a deferred reservation or rename is not yet durable."""
        if self._outbox_dirty:
            fsync_dir(self.outbox)
            self._outbox_dirty = False

    def _sync_outbox(self) -> None:
        self._outbox_dirty = True
        if not self._deferring:
            self.sync_pending()

    def reservation(self, ref: str) -> Path:
        final = self._in_outbox(ref)
        return final.with_name(f".{final.name}.acorn.tmp")

    def plan(self, filename: str, data: bytes) -> str:
        final = self.outbox / filename
        reserved = self.reservation(str(final))
        try:
            reserved.touch()
            self._sync_outbox()
        except OSError as exc:
            raise TransportError(f"{self.label}: cannot write in {self.outbox}: {exc.strerror}") from exc
        return str(final)

    def find_delivered(self, ref: str, size: int, sha256: str) -> bool:
        """Not while the reservation is there; delivered once it is gone (see above)."""
        if self.reservation(ref).exists():
            return False
        path = self._in_outbox(ref)
        try:
            if path.stat().st_size != size or file_sha256(path) != sha256:
                log.warning("%s: %s was replaced after we delivered it", self.label, path)
        except FileNotFoundError:
            log.info("%s: %s was delivered and the partner has taken it", self.label, path)
        return True

    def _in_outbox(self, ref: str) -> Path:
        path = Path(ref)
        if path.parent != self.outbox:
            raise TransportError(f"{self.label}: {ref} is not in the outbox {self.outbox}", retryable=False)
        return path

    def send(self, filename: str, data: bytes, ref: str | None = None) -> SendReceipt:
        try:
            if ref is None:
                target = self.outbox / filename
                write_atomically(target, data)
            else:
                target = self._in_outbox(ref)
                reserved = self.reservation(ref)
                try:  # the reservation is filled, never made again: gone means delivered
                    fd = os.open(reserved, os.O_WRONLY | os.O_TRUNC)
                except FileNotFoundError:
                    raise TransportError(
                        f"{self.label}: the reservation of {target.name} is gone: delivered before"
                    ) from None
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(reserved, target)
                self._sync_outbox()
        except OSError as exc:
            raise TransportError(f"{self.label}: cannot write {filename}: {exc.strerror}") from exc
        return SendReceipt(ref=str(target))
