"""The archive in the database, for workers on several hosts: content-addressed, in chunks.

With ``archive_backend: database`` every payload lives in two tables of the gateway's own
database (PostgreSQL when workers run on several hosts): ``archive_blobs`` (sha256, size,
when stored and last touched) and ``archive_chunks`` (the bytes, 1 MiB a row). A payload is
deduplicated by its sha256: storing the same bytes again only refreshes ``touched_at``.

:class:`DatabaseArchive` is an :class:`~gateway.store.archive.Archive` whose folder is a
local cache, so every caller keeps working on a path:

- :meth:`store`, :meth:`store_file` and :meth:`store_staged` write the local copy as the folder
  archive does, then stream it into the database chunk by chunk and commit, all before they
  return. The commit
  is what makes the payload durable for every host: the caller commits the message row and
  lets the mailbox delete its copy only after that.
- :meth:`path_for` of a payload this host has not seen fetches it from the database into the
  cache (chunk by chunk, fsynced, renamed into place) and verifies its hash on the way, so a
  message received on one host is parsed, replayed or sent from another. The cache has the
  folder archive's layout: a payload is fetched to ``ab/<sha256>``, and one a cache of the
  two-level layout holds at ``ab/cd/<sha256>`` is used where it is.
- :meth:`prune` deletes from the database what retention lets go and empties the cache of it.

A large payload is never held whole: it is written, hashed, copied and read in chunks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from gateway.store.archive import (
    CHUNK_SIZE,
    Archive,
    ArchiveCorrupted,
    ArchivedPayload,
    PruneReport,
    write_into_place,
)
from gateway.store.models import ArchivedBlob, ArchivedChunk

log = logging.getLogger(__name__)

BLOBS = ArchivedBlob.__table__  # type: ignore[attr-defined]
CHUNKS = ArchivedChunk.__table__  # type: ignore[attr-defined]


class DatabaseArchive(Archive):
    """Payloads in the database; ``root`` is this host's cache of them (see the module's text)."""

    def __init__(self, root: Path, engine: Engine, chunk_size: int = CHUNK_SIZE) -> None:
        super().__init__(root)
        self.engine = engine
        self.chunk_size = chunk_size

    # -- writing ------------------------------------------------------------------------------
    def store(self, data: bytes) -> ArchivedPayload:
        payload = super().store(data)
        self._put(payload)
        return payload

    def store_file(self, source: Path) -> ArchivedPayload:
        payload = super().store_file(source)
        self._put(payload)
        return payload

    def store_staged(self, staged: Path) -> ArchivedPayload:
        payload = super().store_staged(staged)
        self._put(payload)
        return payload

    def _put(self, payload: ArchivedPayload) -> None:
        """Copy the cached file of ``payload`` into the database unless it is there; commit."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            known = conn.execute(select(BLOBS.c.size).where(BLOBS.c.sha256 == payload.sha256)).first()
            if known is not None and known.size == payload.size:
                conn.execute(update(BLOBS).where(BLOBS.c.sha256 == payload.sha256).values(touched_at=now))
                return
            if known is not None:  # a half-written or wrong blob (never committed so): write it again
                log.warning("archived blob %s has the wrong size; writing it again", payload.sha256)
                conn.execute(delete(CHUNKS).where(CHUNKS.c.sha256 == payload.sha256))
                conn.execute(delete(BLOBS).where(BLOBS.c.sha256 == payload.sha256))
            conn.execute(
                insert(BLOBS).values(
                    sha256=payload.sha256, size=payload.size, chunks=0, stored_at=now, touched_at=now
                )
            )
            seq = 0
            with payload.path.open("rb") as src:
                for chunk in iter(lambda: src.read(self.chunk_size), b""):
                    conn.execute(insert(CHUNKS).values(sha256=payload.sha256, seq=seq, data=chunk))
                    seq += 1
            conn.execute(update(BLOBS).where(BLOBS.c.sha256 == payload.sha256).values(chunks=seq))
        log.debug("archived %s in the database (%d bytes, %d chunks)", payload.sha256, payload.size, seq)

    # -- reading ------------------------------------------------------------------------------
    def exists(self, sha256: str) -> bool:
        self.key_for(sha256)  # a ValueError for anything but a digest
        with self.engine.connect() as conn:
            return conn.execute(select(BLOBS.c.sha256).where(BLOBS.c.sha256 == sha256)).first() is not None

    def path_for(self, sha256: str) -> Path:
        """The cached file of ``sha256``, fetched from the database first when this host lacks it.

        A payload the database does not hold gives the path of a file that does not exist (as
        the folder archive does); one whose chunks do not hash to its name raises
        :class:`ArchiveCorrupted`.
        """
        cached = super().path_for(sha256)
        if cached.is_file():
            return cached
        self._fetch(sha256, cached)
        return cached

    def _fetch(self, sha256: str, final: Path) -> None:
        with self.engine.connect() as conn:
            blob = conn.execute(select(BLOBS).where(BLOBS.c.sha256 == sha256)).first()
            if blob is None:
                return
            self._mkdirs(final.parent)
            chunks = (  # one chunk in memory at a time, verified against the name before the rename
                conn.execute(
                    select(CHUNKS.c.data).where(CHUNKS.c.sha256 == sha256, CHUNKS.c.seq == seq)
                ).scalar_one()
                for seq in range(blob.chunks)
            )
            write_into_place(final, chunks, sha256)
        log.debug("fetched %s from the database archive into %s", sha256, final)

    def read(self, sha256: str, verify: bool = True) -> bytes:
        self.path_for(sha256)  # into the cache when needed
        return super().read(sha256, verify)

    def __iter__(self) -> Iterator[str]:
        with self.engine.connect() as conn:
            yield from conn.execute(select(BLOBS.c.sha256).order_by(BLOBS.c.sha256)).scalars()

    def count(self) -> tuple[int, int]:
        """How many payloads the database holds, and their bytes."""
        with self.engine.connect() as conn:
            row = conn.execute(select(func.count(), func.coalesce(func.sum(BLOBS.c.size), 0))).one()
        return int(row[0]), int(row[1])

    # -- retention ----------------------------------------------------------------------------
    def prune(self, older_than: datetime | timedelta, keep: Iterable[str]) -> PruneReport:
        """Delete payloads not touched since ``older_than`` unless in ``keep``, and their cached copies."""
        cutoff = datetime.now(UTC) - older_than if isinstance(older_than, timedelta) else older_than
        keep_set = set(keep)
        report = PruneReport()
        with self.engine.begin() as conn:
            rows = conn.execute(select(BLOBS.c.sha256, BLOBS.c.size, BLOBS.c.touched_at)).all()
            for sha256, size, touched in rows:
                if touched.tzinfo is None:  # SQLite gives naive UTC
                    touched = touched.replace(tzinfo=UTC)
                if sha256 in keep_set or touched >= cutoff:
                    report.kept += 1
                    continue
                conn.execute(delete(CHUNKS).where(CHUNKS.c.sha256 == sha256))
                conn.execute(delete(BLOBS).where(BLOBS.c.sha256 == sha256))
                for key in (self.key_for(sha256), self.legacy_key_for(sha256)):  # either layout
                    (self.root / key).unlink(missing_ok=True)
                report.removed += 1
                report.removed_bytes += size
        local = super().prune(older_than, keep_set)  # the cache: leftovers and temp files
        report.temp_removed = local.temp_removed
        log.info(
            "database archive prune: %d removed (%d bytes), %d kept",
            report.removed,
            report.removed_bytes,
            report.kept,
        )
        return report


def open_archive(backend: str, root: Path, engine: Engine) -> Archive:
    """The archive ``config.yaml`` chose: ``folder`` (the embedded default) or ``database``."""
    if backend == "database":
        return DatabaseArchive(root, engine)
    return Archive(root)


@dataclass(slots=True)
class MigrationReport:
    """What ``acorn archive migrate`` did."""

    copied: int = 0
    copied_bytes: int = 0
    already: int = 0  # the target held them already
    missing: list[str] = field(default_factory=list)  # listed by the source but not readable there


def migrate_archive(
    to: str, root: Path, engine: Engine, progress: Callable[[int, int], None] | None = None
) -> MigrationReport:
    """Copy every payload of the other archive into the ``to`` one (``database`` or ``folder``).

    Both sides share ``root``: the folder archive is the folder, and the database archive uses
    it as its cache. Idempotent: a payload the target holds is left alone, so a migration
    stopped half-way is run again. Every copy is verified by its hash on the way.
    ``progress(done, total)`` is called after each payload.
    """
    folder = Archive(root)
    database = DatabaseArchive(root, engine)
    source, target = (folder, database) if to == "database" else (database, folder)
    names = list(source)
    report = MigrationReport()
    for done, sha256 in enumerate(names, start=1):
        if target.exists(sha256):
            report.already += 1
        else:
            path = source.path_for(sha256)  # database -> folder: this fetch is the copy
            if not path.is_file():
                report.missing.append(sha256)
            else:
                if to == "database":
                    stored = database.store_file(path)
                    if stored.sha256 != sha256:
                        raise ArchiveCorrupted(f"archived payload {sha256} does not match its hash")
                report.copied += 1
                report.copied_bytes += path.stat().st_size
        if progress is not None:
            progress(done, len(names))
    log.info("archive migrate to %s: %d copied, %d already there", to, report.copied, report.already)
    return report
