"""The raw-message archive: every payload received or sent, written once, content-addressed.

Strategy. A payload is stored under ``<root>/ab/<sha256>`` (the first byte of its hash as the
folder, as git keeps its objects: 256 folders, made once, so a gateway that has run a while makes
no folder for a new payload, and each folder holds a 256th of the payloads). Archives written
before used two levels, ``<root>/ab/cd/<sha256>``: a payload found there is read, kept, refreshed,
verified, pruned and migrated where it is (:meth:`Archive.path_for` looks at the one-level name
first, then at the two-level one), and never copied to the new name. Writing follows the
classic crash-safe recipe, so that a file under its final name is always complete:

1. write the bytes to a temporary name (``.tmp-*``) in the *same* folder,
2. ``fsync`` the file,
3. ``rename`` it to its final name (atomic on POSIX),
4. ``fsync`` the folder, so the rename itself survives a power cut (and every folder
   created on the way, so the path does).

Only after :meth:`Archive.store` returns may the caller commit the message row and then
let the mailbox delete its copy.

Batches (:meth:`Archive.deferred_sync`). Inside the block each file is still written and
fsynced (its data must be durable), but a folder's fsync (step 4, and the parent of a new
shard folder) is recorded and done once, for every folder touched, when the block ends; the
caller commits only after it. A shard folder that already existed is never fsynced for a new
folder (only a new entry needs its parent flushed). The deferral is per thread, so another
thread storing outside a batch keeps the one-file recipe.

Storing the same bytes again finds the file, keeps it (one copy) and refreshes its
modification time, which is what retention counts from.

A file already on this machine (the local mailbox's inbox file) is archived by
:meth:`Archive.store_file`: copied once, hashed on the way, into ``<root>/.incoming/.tmp-*``,
then renamed into place. A download a transport staged in ``<root>/.incoming`` is not copied
again: :meth:`Archive.store_staged` fsyncs it and hard-links it into place. One new inode a
payload either way: its own.

Retention: :meth:`Archive.prune` removes payloads not touched for a given time, except
those whose sha256 is in ``keep``. The archive does not know why a payload matters: the
caller builds ``keep`` from the store (messages on legal hold, messages behind an open
discrepancy or an unacknowledged outbound message, anything not yet ``done``), so the
rule lives with the data that justifies it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import stat as stat_mode
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK_SIZE = 1 << 20
_STALE_TEMP_SECONDS = 3600
#: names of scratch files: the archive's own, and downloads staged in ``.incoming``
_SCRATCH = (".tmp-", ".fetch-", "..fetch-")


@dataclass(frozen=True, slots=True)
class ArchivedPayload:
    """Where a payload went: ``path`` (absolute), ``key`` (relative: ``ab/<sha256>``, or
    ``ab/cd/<sha256>`` for a payload of the two-level layout), hash, size."""

    path: Path
    key: str
    sha256: str
    size: int


@dataclass(slots=True)
class PruneReport:
    """What a retention sweep did."""

    removed: int = 0
    removed_bytes: int = 0
    kept: int = 0
    temp_removed: int = 0


class ArchiveCorrupted(Exception):
    """An archived file no longer has the hash it is named after."""


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_into_place(
    final: Path,
    chunks: Iterable[bytes],
    sha256: str | None = None,
    sync_dir: Callable[[Path], None] = fsync_dir,
) -> None:
    """Write ``chunks`` to a temporary name beside ``final``, fsync, rename into place, fsync the
    folder (the recipe of this module's text; ``sync_dir`` may defer that last step to a batch).
    With ``sha256``, the bytes must hash to it, else :class:`ArchiveCorrupted` is raised and
    nothing is left behind."""
    fd, temp = tempfile.mkstemp(dir=final.parent, prefix=".tmp-")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if sha256 is not None and digest.hexdigest() != sha256:
            raise ArchiveCorrupted(f"archived payload {sha256} does not match its hash")
        os.chmod(temp, 0o444)
        os.replace(temp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    sync_dir(final.parent)


class Archive:
    """A content-addressed, write-once archive under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._local = threading.local()  # .pending: folders to fsync at the end of this thread's batch

    def _sync_dir(self, folder: Path) -> None:
        """fsync ``folder`` now, or at the end of this thread's :meth:`deferred_sync` block."""
        pending: set[Path] | None = getattr(self._local, "pending", None)
        if pending is None:
            fsync_dir(folder)
        else:
            pending.add(folder)

    @contextlib.contextmanager
    def deferred_sync(self) -> Iterator[None]:
        """Share folder fsyncs across the stores of this block (see the module notes): every folder
        a store touched is fsynced once when the block ends, also when it raises (a caller may
        fall back to storing again, which finds the files and must not commit before their
        folders are durable). Commit what depends on the files only after the block. Nested
        blocks join the outermost."""
        if getattr(self._local, "pending", None) is not None:
            yield
            return
        self._local.pending = set()
        try:
            yield
        finally:
            pending, self._local.pending = self._local.pending, None
            for folder in sorted(pending, key=lambda p: (-len(p.parts), str(p))):  # leaves first
                fsync_dir(folder)

    def key_for(self, sha256: str) -> str:
        """Where a new payload goes, relative: ``ab/<sha256>``. Raises :class:`ValueError` for
        anything but a sha256 hex digest."""
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return f"{sha256[:2]}/{sha256}"

    def legacy_key_for(self, sha256: str) -> str:
        """Where the two-level layout put it: ``ab/cd/<sha256>`` (see the module notes)."""
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path_for(self, sha256: str) -> Path:
        """The archived file of ``sha256``: its one-level name, or its two-level one when only
        that exists; the one-level name (not a file) when the archive does not hold it."""
        return self.root / self._key_held(sha256)

    def _key_held(self, sha256: str) -> str:
        key = self.key_for(sha256)
        if (self.root / key).is_file():
            return key
        legacy = self.legacy_key_for(sha256)
        return legacy if (self.root / legacy).is_file() else key

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def _mkdirs(self, folder: Path) -> None:
        """Create ``folder`` and its parents, fsyncing each parent that gained an entry."""
        missing = []
        walk = folder
        while not walk.exists():
            missing.append(walk)
            walk = walk.parent
        for created in reversed(missing):
            with contextlib.suppress(FileExistsError):
                created.mkdir()
            self._sync_dir(created.parent)

    def store(self, data: bytes) -> ArchivedPayload:
        """Archive ``data`` durably (see the module notes) and say where. Raises :class:`OSError`."""
        sha256 = hashlib.sha256(data).hexdigest()
        if (held := self._keep_existing(sha256, len(data))) is not None:
            return held
        key = self.key_for(sha256)
        final = self.root / key
        self._mkdirs(final.parent)
        write_into_place(final, [data], sync_dir=self._sync_dir)
        log.debug("archived %s (%d bytes)", sha256, len(data))
        return ArchivedPayload(final, key, sha256, len(data))

    def store_file(self, source: Path) -> ArchivedPayload:
        """Archive the file at ``source`` streaming it in chunks (memory stays flat for any size).

        The copy is written under ``<root>/.incoming`` (same file system) while it is
        hashed, then fsynced and renamed into place. Raises :class:`OSError`.
        """
        return self._copy_in(source)

    def staging_folder(self) -> Path:
        """``<root>/.incoming``, made if needed: where a transport stages a download for
        :meth:`store_staged` (the archive's file system)."""
        incoming = self.root / ".incoming"
        self._mkdirs(incoming)
        return incoming

    def store_staged(self, staged: Path) -> ArchivedPayload:
        """Archive a scratch file the caller made in :meth:`staging_folder` without copying it:
        read once to hash it, fsynced, made read-only and hard-linked into place (no new inode).
        The caller removes the scratch name afterwards and never writes the file again (until
        then it is a second name of the archived file; :meth:`prune` sweeps one a crash left).
        A file elsewhere, or a file system without hard links, is copied as by :meth:`store_file`.
        Raises :class:`OSError`."""
        if staged.parent.resolve() != self.staging_folder().resolve():
            return self._copy_in(staged)
        digest = hashlib.sha256()
        size = 0
        with staged.open("rb") as src:
            for chunk in iter(lambda: src.read(CHUNK_SIZE), b""):
                digest.update(chunk)
                size += len(chunk)
            sha256 = digest.hexdigest()
            if (held := self._keep_existing(sha256, size)) is not None:
                return held
            os.fsync(src.fileno())  # the data durable before a name in the archive points to it
        key = self.key_for(sha256)
        final = self.root / key
        self._mkdirs(final.parent)
        os.chmod(staged, 0o444)
        try:
            os.link(staged, final)
        except OSError:  # there meanwhile (found, or replaced if wrong), or no hard links here
            return self._copy_in(staged)
        self._sync_dir(final.parent)
        return ArchivedPayload(final, key, sha256, size)

    def _copy_in(self, source: Path) -> ArchivedPayload:
        """:meth:`store_file`'s copy (for subclasses that add to the public methods)."""
        incoming = self.root / ".incoming"
        self._mkdirs(incoming)
        digest = hashlib.sha256()
        size = 0
        fd, temp = tempfile.mkstemp(dir=incoming, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                for chunk in iter(lambda: src.read(CHUNK_SIZE), b""):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            if (held := self._keep_existing(sha256, size)) is not None:
                os.unlink(temp)
                return held
            key = self.key_for(sha256)
            final = self.root / key
            self._mkdirs(final.parent)
            os.chmod(temp, 0o444)
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        self._sync_dir(final.parent)
        self._sync_dir(incoming)
        return ArchivedPayload(final, key, sha256, size)

    def _keep_existing(self, sha256: str, size: int) -> ArchivedPayload | None:
        """The payload when the archive holds it already (under either layout's name), its mtime
        refreshed for retention; ``None`` when it must be written (a file of the wrong size is
        written again, under the one-level name)."""
        for key in (self.key_for(sha256), self.legacy_key_for(sha256)):
            final = self.root / key
            try:
                if final.stat().st_size != size:
                    log.warning("archived file %s has the wrong size; writing it again", final)
                    return None
            except FileNotFoundError:
                continue
            os.utime(final)
            return ArchivedPayload(final, key, sha256, size)
        return None

    def read(self, sha256: str, verify: bool = True) -> bytes:
        """The archived bytes. Raises :class:`FileNotFoundError` when absent, :class:`ArchiveCorrupted`
        when ``verify`` and the content no longer matches its name."""
        data = self.path_for(sha256).read_bytes()
        if verify and hashlib.sha256(data).hexdigest() != sha256:
            raise ArchiveCorrupted(f"archived payload {sha256} does not match its hash")
        return data

    def __iter__(self) -> Iterator[str]:
        """Every archived sha256 (once, whichever layout holds it)."""
        for path in self.root.glob("??/*"):
            if _SHA256.match(path.name) and path.is_file():
                yield path.name
        for path in self.root.glob("??/??/*"):
            if _SHA256.match(path.name) and not (path.parent.parent / path.name).is_file():
                yield path.name

    def prune(self, older_than: datetime | timedelta, keep: Iterable[str]) -> PruneReport:
        """Delete payloads last stored before ``older_than`` (a moment, or an age) unless in ``keep``.

        ``keep`` is the set of sha256 the caller still needs (legal holds, open
        discrepancies, unfinished messages); they are never deleted whatever their age.
        Leftover temporary files older than an hour are removed too.
        """
        if isinstance(older_than, timedelta):
            cutoff = time.time() - older_than.total_seconds()
        else:
            cutoff = older_than.timestamp()
        keep_set = set(keep)
        report = PruneReport()
        for path in self._files_and_temps():
            name = path.name
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if name.startswith(_SCRATCH):  # a crash left it (never a payload's only name)
                if stat.st_mtime < time.time() - _STALE_TEMP_SECONDS:
                    path.unlink(missing_ok=True)
                    report.temp_removed += 1
                continue
            if not _SHA256.match(name) or not stat_mode.S_ISREG(stat.st_mode):
                continue
            if name in keep_set or stat.st_mtime >= cutoff:
                report.kept += 1
                continue
            path.unlink(missing_ok=True)
            report.removed += 1
            report.removed_bytes += stat.st_size
        log.info(
            "archive prune: %d removed (%d bytes), %d kept", report.removed, report.removed_bytes, report.kept
        )
        return report

    def _files_and_temps(self) -> Iterator[Path]:
        """What a sweep looks at: the payloads of both layouts and the temporary files a crash may
        have left (in ``.incoming`` and in the payload folders)."""
        yield from self.root.glob("??/*")
        yield from self.root.glob("??/??/*")
        yield from self.root.glob(".incoming/.tmp-*")
        yield from self.root.glob(".incoming/.fetch-*")
        yield from self.root.glob(".incoming/..fetch-*")  # a download cut short (SFTP's ``.part``)
