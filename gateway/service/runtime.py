"""The running gateway's shared parts: settings, partner profiles, database, archive and mappings.

:class:`Runtime` is built once per process from ``config.yaml`` (:meth:`Runtime.open`) and
handed to the pipeline, the scheduler and the console. Partner profiles and mapping files are
read once and kept: :meth:`Runtime.refresh` (called at the start of each poll, message and
replay) checks the files with one cheap ``stat`` of each and re-reads only what changed, so a
fixed mapping or profile applies to the next message and to every replay without a restart.
Between refreshes :attr:`Runtime.partners` and :attr:`Runtime.mappings` hand out what was read
(an access looks at the files again only when the last look is ``REFRESH_SECONDS`` old, so a
console that polls nothing still sees an edit). A profile that no longer validates keeps the
last good directory and logs the problem.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from gateway.config import ConfigError, PartnerDirectory, Settings, load_partners, load_settings
from gateway.mapping.registry import MappingRegistry, mapping_files
from gateway.store import Archive, make_engine, upgrade_database
from gateway.store.archive_db import open_archive
from gateway.store.leases import holder

log = logging.getLogger(__name__)

#: an access to partners or mappings looks at the files again when the last look is this old
REFRESH_SECONDS = 2.0


def _fingerprint(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    stamp = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        stamp.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(stamp)


@dataclass
class Runtime:
    """Everything a worker needs; safe to share between threads."""

    settings: Settings
    engine: Engine
    archive: Archive
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    _partners: PartnerDirectory | None = None
    _partners_stamp: tuple[tuple[str, int, int], ...] = ()
    _registry: MappingRegistry | None = None
    _registry_stamp: tuple[tuple[str, int, int], ...] = ()
    _partners_checked: float = 0.0
    _registry_checked: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(
        cls, config: Path | None = None, *, upgrade: bool = True, settings: Settings | None = None
    ) -> Runtime:
        """Load settings (unless given), upgrade the database, check partners. Raises ConfigError."""
        settings = settings if settings is not None else load_settings(config)
        if not settings.mappings_dir.is_dir():  # every message would fail NO_MAPPING: say so now
            raise ConfigError.one(
                str(config or "config.yaml"),
                None,
                "mappings_dir",
                f"{settings.mappings_dir} is not a folder (the mapping files the gateway translates with)",
            )
        engine = make_engine(settings.database_url)
        if upgrade:
            upgrade_database(settings.database_url, engine)
        archive = open_archive(settings.archive_backend, settings.archive_dir, engine)
        runtime = cls(settings=settings, engine=engine, archive=archive)
        runtime.partners  # noqa: B018 - validate the profiles at start: a bad one stops start-up
        return runtime

    def close(self) -> None:
        self.engine.dispose()

    def lease_holder(self, job: str | None = None) -> str:
        """The lease owner for this worker and the calling thread (or a named ``job``)."""
        return holder(self.worker_id, job)

    def refresh(self) -> None:
        """Re-read partner profiles and mapping files that changed since the last look.

        Raises :class:`ConfigError` only when no good partner directory was ever read."""
        with self._lock:
            self._refresh_partners()
            if self._registry is not None:  # never read: it is read on first use
                self._refresh_mappings()

    def _stale(self, checked: float) -> bool:
        return time.monotonic() - checked > REFRESH_SECONDS

    # -- partner profiles -------------------------------------------------------------------
    def _partner_files(self) -> list[Path]:
        folder = self.settings.partners_dir
        if not folder.is_dir():
            return []
        return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])

    def _refresh_partners(self) -> None:
        self._partners_checked = time.monotonic()
        stamp = _fingerprint(self._partner_files())
        if self._partners is not None and stamp == self._partners_stamp:
            return
        try:
            fresh = load_partners(self.settings.partners_dir)
        except ConfigError as exc:
            if self._partners is None:
                raise
            # one line naming file, line and key; no traceback (the gateway keeps running)
            problems = " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            log.error("partner profiles changed but do not validate; keeping the previous ones: %s", problems)
        else:
            self._partners = fresh
        self._partners_stamp = stamp

    @property
    def partners(self) -> PartnerDirectory:
        """The partner profiles as last read (see :meth:`refresh`)."""
        with self._lock:
            if self._partners is None or self._stale(self._partners_checked):
                self._refresh_partners()
            assert self._partners is not None
            return self._partners

    # -- mappings ---------------------------------------------------------------------------
    def _refresh_mappings(self) -> None:
        self._registry_checked = time.monotonic()
        root = self.settings.mappings_dir
        stamp = _fingerprint(sorted(root.rglob("*.yaml")) if root.is_dir() else [])
        if self._registry is None or stamp != self._registry_stamp:
            self._registry = MappingRegistry(root)
            self._registry_stamp = stamp
            log.debug("mappings loaded from %s (%d files)", root, len(mapping_files(root)))

    @property
    def mappings(self) -> MappingRegistry:
        """The mapping registry as last read (see :meth:`refresh`)."""
        with self._lock:
            if self._registry is None or self._stale(self._registry_checked):
                self._refresh_mappings()
            assert self._registry is not None
            return self._registry
