"""One long-running ``acorn run`` per configuration: a second one is refused, not started beside it.

The lock is an exclusive ``flock`` on a file in the archive folder named after the resolved
configuration file, holding the pid of its owner. The operating system drops it when the
process ends, however it ends, so a crash leaves no stale lock behind. ``acorn run --once``
takes no lock (cron jobs and parallel workers of one PostgreSQL database claim work by leases);
several long-running gateways against one PostgreSQL database each use their own config file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class AlreadyRunning(RuntimeError):
    """Another process holds the run lock of this configuration."""


def lock_path(archive_dir: Path, config: Path) -> Path:
    digest = hashlib.sha256(str(config.resolve()).encode("utf-8")).hexdigest()[:12]
    return archive_dir / f".acorn-run-{digest}.lock"


@contextmanager
def run_lock(archive_dir: Path, config: Path) -> Iterator[Path]:
    """Hold the run lock while the block runs. Raises :class:`AlreadyRunning` with the owner's pid."""
    path = lock_path(archive_dir, config)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "?"
            raise AlreadyRunning(
                f"a gateway is already running with {config} (pid {owner}; lock {path}): stop it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing the file releases the lock
