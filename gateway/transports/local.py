"""The local-folder mailbox: the embedded default, and how a warehouse on the same host drops files.

Inbox files are taken oldest first; files whose name looks temporary (dot-files, ``.tmp``,
``.part``...) are left alone, so a writer that renames into place is never read half-written.
Acknowledging moves the file to the processed folder (under a unique name if one exists there).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from gateway.transports.base import (
    Mailbox,
    RemoteFile,
    SendReceipt,
    TransportError,
    is_temporary_name,
    write_atomically,
)

log = logging.getLogger(__name__)


class LocalMailbox(Mailbox):
    """Folders on this machine: ``inbox`` (from the partner), ``outbox`` (to it), ``processed``."""

    def __init__(self, partner: str, name: str, inbox: Path, outbox: Path, processed: Path) -> None:
        super().__init__(partner, name)
        self.inbox = Path(inbox)
        self.outbox = Path(outbox)
        self.processed = Path(processed)
        for folder in (self.inbox, self.outbox, self.processed):
            folder.mkdir(parents=True, exist_ok=True)

    def list_ready(self) -> list[RemoteFile]:
        try:
            entries = list(os.scandir(self.inbox))
        except OSError as exc:
            raise TransportError(f"{self.label}: cannot list {self.inbox}: {exc.strerror}") from exc
        ready = []
        for entry in entries:
            if is_temporary_name(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat()
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
