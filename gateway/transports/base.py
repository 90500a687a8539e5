"""The mailbox interface every transport implements (local folder, SFTP, AS2).

A mailbox is where a partner's files arrive for us (the *inbox*) and where we put files for the
partner (the *outbox*). The pipeline drives every transport the same way, in an order that
never loses a file and never takes one twice:

1. :meth:`Mailbox.list_ready` names the files that are complete and ready to take;
2. :meth:`Mailbox.fetch` copies one to a local scratch file (written, then renamed; the archive
   fsyncs its own copy in step 3, and the remote file stays until step 4);
3. the pipeline archives the bytes and records a message row (committed);
4. only then :meth:`Mailbox.acknowledge` deletes the remote file or moves it to the partner's
   processed folder. A crash between 2 and 4 leaves the file in place: the next poll fetches it
   again and the pipeline recognises it (same mailbox, name and sha256) instead of ingesting it twice.

Sending is :meth:`Mailbox.send`: write under a temporary name, then rename into place (or the
protocol's equivalent). Transport problems raise :class:`TransportError`; the scheduler backs off
that mailbox and the others go on.
"""

from __future__ import annotations

import abc
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self


class TransportError(Exception):
    """A mailbox could not be reached or a transfer failed; ``retryable`` says whether to try again."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A file waiting in a mailbox: its name, the transport's reference to it, and its size."""

    name: str
    ref: str
    size: int


@dataclass(frozen=True, slots=True)
class UnreadEntry:
    """An inbox entry ACORN leaves alone (a dot-file, a symlink, a folder) and why: reported on the
    mailbox's status, never skipped in silence."""

    name: str
    why: str


def why_unread(name: str, *, regular: bool, symlink: bool = False, folder: bool = False) -> str | None:
    """Why an inbox entry is not taken (``None``: it is a file to take). One rule for every transport."""
    if symlink:
        return "symbolic link (never followed)"
    if folder:
        return "folder (only files are taken)"
    if not regular:
        return "not a regular file"
    if is_temporary_name(name):
        return "hidden or temporary name (a transfer in progress is never read)"
    return None


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """What a transport says after sending: its reference (remote path, AS2 Message-ID) and whether
    delivery is already confirmed (a verified synchronous MDN, a rename that succeeded)."""

    ref: str
    delivered: bool = True
    detail: str | None = None


def is_temporary_name(name: str) -> bool:
    """Dot-files and names that look like a transfer in progress are never picked up."""
    lowered = name.lower()
    return (
        name.startswith(".")
        or name.startswith("~")
        or lowered.endswith((".tmp", ".part", ".partial", ".filepart", ".inprogress", ".swp"))
    )


def file_sha256(path: Path) -> str:
    """The sha256 hex digest of a local file, read 1 MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary name in the same folder, fsynced, then renamed.

    The temporary name is unique to the writing thread (not only to the process): two threads
    writing the same file at once never write, rename or remove each other's temporary file.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_native_id()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a new name, a rename) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Mailbox(abc.ABC):
    """One configured mailbox of one partner. Instances are cheap; :meth:`close` releases connections."""

    def __init__(self, partner: str, name: str) -> None:
        self.partner = partner
        self.name = name
        #: what the last :meth:`list_ready` saw and left alone (see :func:`why_unread`)
        self.unread: list[UnreadEntry] = []

    @property
    def label(self) -> str:
        """``partner/mailbox``, for logs and the console."""
        return f"{self.partner}/{self.name}"

    @abc.abstractmethod
    def list_ready(self) -> list[RemoteFile]:
        """The complete files waiting in the inbox, oldest first (never temporary or partial ones).

        Entries it will not read (dot-files, symlinks, folders) are kept in :attr:`unread`."""

    @abc.abstractmethod
    def fetch(self, item: RemoteFile, destination: Path) -> None:
        """Copy ``item`` to the local file ``destination``; the remote file stays until acknowledged."""

    def local_path(self, item: RemoteFile) -> Path | None:
        """The file of ``item`` on this machine, when the archive may read it where it is instead
        of a fetched copy (the local folder); ``None``, the default: :meth:`fetch` it."""
        return None

    @abc.abstractmethod
    def acknowledge(self, item: RemoteFile) -> None:
        """Remove ``item`` from the inbox (delete, or move to processed). Missing already is fine."""

    def plan(self, filename: str, data: bytes) -> str:
        """Where ``data`` will be delivered (a path, a remote name, an AS2 Message-ID).

        Chosen before the transport is touched and recorded with the message, so that after a
        crash :meth:`find_delivered` knows where to look and a resend goes to the same place.
        """
        return filename

    def find_delivered(self, ref: str, size: int, sha256: str) -> bool:
        """Whether an earlier try already delivered these bytes (``size``, ``sha256``) at ``ref``.

        Asked before sending again a message a crash left ``sending``. The default cannot tell
        (``False``): the message is sent again to the same ``ref``.
        """
        return False

    @abc.abstractmethod
    def send(self, filename: str, data: bytes, ref: str | None = None) -> SendReceipt:
        """Deliver ``data`` under ``filename`` (temporary name first, then into place), at ``ref``
        when :meth:`plan` chose it."""

    def close(self) -> None:  # noqa: B027 - optional for transports without connections
        """Release connections; the default has none."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
