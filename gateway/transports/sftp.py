"""The SFTP mailbox (paramiko): a partner's SFTP account, or ours that the partner logs into.

Safety rules, in the order a poll meets them:

* **Who is on the other end.** The server's host key must already be in the ``known_hosts`` file
  named by the profile; an unknown or changed key is refused (paramiko ``RejectPolicy``, never
  auto-add). The SSH agent and ``~/.ssh`` keys are never consulted (``allow_agent`` and
  ``look_for_keys`` off): only the key file or password the profile names is offered.
* **Timeouts everywhere.** Connecting, the banner, authentication, opening the channel and every
  SFTP read use ``timeout_seconds``; a keepalive every ``keepalive_seconds`` keeps NAT boxes from
  silently dropping an idle session.
* **Only complete files.** Dot-files and temporary names are skipped. Unless the partner renames
  files into place (``assume_complete``), a file is taken only when its size and mtime are the same
  across two looks at least ``stable_seconds`` apart: a look remembered from an earlier poll
  counts, otherwise :meth:`SftpMailbox.list_ready` looks twice itself.
* **Never lose, never take twice.** :meth:`~SftpMailbox.fetch` writes a temporary local file
  and renames it into place (a scratch copy: the archive fsyncs its own); the remote file is
  removed (or moved to ``processed``) only by :meth:`~SftpMailbox.acknowledge`, which the pipeline
  calls after the archive write is fsynced and the message row committed.
* **Uploads appear whole.** :meth:`~SftpMailbox.send` writes under ``upload_temp_name``, checks
  the size the server reports, then renames into place with ``posix-rename@openssh.com`` (plain
  SFTP rename where the server lacks it), never over an existing file.

Every failure is a :class:`TransportError` whose message names the mailbox, host and what went
wrong, never a password or key.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import paramiko

from gateway.config.partners import SftpMailbox as SftpConfig
from gateway.transports.base import (
    Mailbox,
    RemoteFile,
    SendReceipt,
    TransportError,
    UnreadEntry,
    why_unread,
)

log = logging.getLogger(__name__)

_CHUNK = 1 << 16
#: what a failing SFTP session raises: paramiko raises EOFError (not an OSError) when the server
#: went away under a live session
_SESSION_ERRORS = (OSError, EOFError, paramiko.SSHException)
_Look = tuple[int, int]  # (size, mtime) of one remote file


class SftpMailbox(Mailbox):
    """One SFTP mailbox of a partner. The connection opens on first use and is reused until
    :meth:`close` or a failure (the next call then reconnects).

    ``sleep`` and ``clock`` are injectable so tests can act between the two looks of
    :meth:`list_ready` without waiting.
    """

    def __init__(
        self,
        partner: str,
        config: SftpConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(partner, config.name)
        self.config = config
        self._sleep = sleep
        self._clock = clock
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._seen: dict[str, tuple[_Look, float]] = {}

    # -- connection -------------------------------------------------------------------------

    @property
    def _where(self) -> str:
        return f"{self.config.username}@{self.config.host}:{self.config.port}"

    def _connect(self) -> paramiko.SFTPClient:
        if self._sftp is not None and self._client is not None:
            transport = self._client.get_transport()
            if transport is not None and transport.is_active():
                return self._sftp
            self.close()
        cfg = self.config
        client = paramiko.SSHClient()
        try:
            client.load_host_keys(str(cfg.known_hosts))
        except OSError as exc:
            raise TransportError(
                f"{self.label}: cannot read known_hosts file {cfg.known_hosts}: {exc.strerror}",
                retryable=False,
            ) from None
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            password, pkey = self._credentials()
            client.connect(
                cfg.host,
                port=cfg.port,
                username=cfg.username,
                password=password,
                pkey=pkey,
                timeout=cfg.timeout_seconds,
                banner_timeout=cfg.timeout_seconds,
                auth_timeout=cfg.timeout_seconds,
                channel_timeout=cfg.timeout_seconds,
                allow_agent=False,
                look_for_keys=False,
            )
            transport = client.get_transport()
            if transport is not None and cfg.keepalive_seconds:
                transport.set_keepalive(int(max(1, cfg.keepalive_seconds)))
            sftp = client.open_sftp()
            sftp.get_channel().settimeout(cfg.timeout_seconds)  # type: ignore[union-attr]
        except TransportError:
            client.close()
            raise
        except Exception as exc:  # paramiko raises a wide family; each becomes a clear message
            client.close()
            raise self._connect_error(exc) from None
        self._client, self._sftp = client, sftp
        log.info("%s: connected to %s", self.label, self._where)
        return sftp

    def _credentials(self) -> tuple[str | None, paramiko.PKey | None]:
        cfg = self.config
        try:
            secret = cfg.password()
            passphrase = cfg.key_passphrase()
        except LookupError as exc:
            raise TransportError(f"{self.label}: {exc}", retryable=False) from None
        pkey = None
        if cfg.key_file is not None:
            try:
                pkey = paramiko.PKey.from_path(
                    cfg.key_file,
                    passphrase.get_secret_value().encode() if passphrase else None,  # type: ignore[arg-type]
                )
            except OSError as exc:
                raise TransportError(
                    f"{self.label}: cannot read key file {cfg.key_file}: {exc.strerror}", retryable=False
                ) from None
            except (paramiko.SSHException, ValueError) as exc:
                raise TransportError(
                    f"{self.label}: key file {cfg.key_file} cannot be used ({type(exc).__name__}:"
                    " wrong passphrase or unsupported key format)",
                    retryable=False,
                ) from None
        return (secret.get_secret_value() if secret else None), pkey

    def _connect_error(self, exc: Exception) -> TransportError:
        where = self._where
        if isinstance(exc, paramiko.BadHostKeyException):
            return TransportError(
                f"{self.label}: the host key of {where} does not match {self.config.known_hosts}"
                f" (got {exc.key.get_name()} {exc.key.fingerprint}); refusing to connect",
                retryable=False,
            )
        if isinstance(exc, paramiko.AuthenticationException):
            return TransportError(f"{self.label}: {where} refused our credentials", retryable=False)
        if isinstance(exc, paramiko.SSHException) and "not found in known_hosts" in str(exc):
            return TransportError(
                f"{self.label}: the host key of {where} is not in {self.config.known_hosts};"
                " add the partner's key (checked out of band) to pin it",
                retryable=False,
            )
        if isinstance(exc, paramiko.ssh_exception.IncompatiblePeer):
            return TransportError(
                f"{self.label}: {where} offers no algorithm we accept ({exc}); see README on SHA-1",
                retryable=False,
            )
        if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
            reasons = sorted({getattr(e, "strerror", None) or str(e) for e in exc.errors.values()})
            return TransportError(f"{self.label}: cannot connect to {where}: {'; '.join(reasons)}")
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return TransportError(
                f"{self.label}: {where} did not answer within {self.config.timeout_seconds}s"
            )
        if isinstance(exc, OSError):
            return TransportError(f"{self.label}: cannot connect to {where}: {exc.strerror or exc}")
        return TransportError(f"{self.label}: SSH session with {where} failed: {exc}")

    def _failed(self, doing: str, exc: Exception) -> TransportError:
        """Turn an error during an SFTP operation into a TransportError and drop the connection."""
        self.close()
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return TransportError(f"{self.label}: {doing}: no answer within {self.config.timeout_seconds}s")
        if isinstance(exc, EOFError):
            return TransportError(f"{self.label}: {doing} on {self._where}: the server closed the session")
        detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return TransportError(f"{self.label}: {doing} on {self._where}: {detail}")

    def close(self) -> None:
        if self._sftp is not None:
            try:
                self._sftp.close()
            except Exception:  # closing a dead session must never raise
                log.debug("%s: error closing SFTP channel", self.label, exc_info=True)
        if self._client is not None:
            self._client.close()
        self._sftp = self._client = None

    # -- pickup -----------------------------------------------------------------------------

    def _path(self, folder: str, name: str) -> str:
        return str(PurePosixPath(folder) / name)

    def _look(self, sftp: paramiko.SFTPClient) -> dict[str, _Look]:
        entries = sftp.listdir_attr(self.config.inbox)
        found: dict[str, _Look] = {}
        unread = []
        for entry in entries:
            mode = entry.st_mode or 0
            why = why_unread(
                entry.filename,
                regular=stat.S_ISREG(mode),
                symlink=stat.S_ISLNK(mode),
                folder=stat.S_ISDIR(mode),
            )
            if why is not None:
                unread.append(UnreadEntry(entry.filename, why))
                continue
            found[entry.filename] = (entry.st_size or 0, entry.st_mtime or 0)
        self.unread = unread
        return found

    def list_ready(self) -> list[RemoteFile]:
        """Complete files in the inbox, oldest first. Raises :class:`TransportError`."""
        sftp = self._connect()
        doing = f"cannot list {self.config.inbox}"
        try:
            first = self._look(sftp)
            now = self._clock()
            stable = self.config.stable_seconds
            if self.config.assume_complete or stable == 0:
                ready = dict(first)
            else:
                ready = {}
                for name, look in first.items():
                    seen = self._seen.get(name)
                    if seen is not None and seen[0] == look and now - seen[1] >= stable:
                        ready[name] = look
                waiting = set(first) - set(ready)
                if waiting:
                    self._sleep(stable)
                    second = self._look(sftp)
                    for name in waiting:
                        if second.get(name) == first[name]:
                            ready[name] = first[name]
                        else:
                            log.debug(
                                "%s: %s is still being written; left for a later poll", self.label, name
                            )
        except _SESSION_ERRORS as exc:
            raise self._failed(doing, exc) from None
        remembered: dict[str, tuple[_Look, float]] = {}
        for name, look in first.items():
            previous = self._seen.get(name)
            remembered[name] = (look, previous[1] if previous and previous[0] == look else now)
        self._seen = remembered
        ordered = sorted(ready.items(), key=lambda kv: (kv[1][1], kv[0]))
        return [RemoteFile(name, self._path(self.config.inbox, name), look[0]) for name, look in ordered]

    def fetch(self, item: RemoteFile, destination: Path) -> None:
        """Download ``item`` to ``destination`` via a temporary file; the remote file stays.

        A scratch copy, not fsynced: the archive fsyncs its own copy, and the remote file is only
        acknowledged after that (a crash before it fetches the file again).

        Raises :class:`TransportError` (the local temporary file is removed).
        """
        sftp = self._connect()
        destination = Path(destination)
        tmp = destination.with_name(f".{destination.name}.{os.getpid()}.{threading.get_native_id()}.part")
        received = 0
        try:
            with sftp.open(item.ref, "rb") as remote, open(tmp, "wb") as local:
                remote.prefetch()
                while chunk := remote.read(_CHUNK):
                    local.write(chunk)
                    received += len(chunk)
            if received != item.size:
                raise TransportError(
                    f"{self.label}: {item.name} changed while we read it ({item.size} bytes listed,"
                    f" {received} read); will fetch it again"
                )
            os.replace(tmp, destination)
        except TransportError:
            tmp.unlink(missing_ok=True)
            raise
        except _SESSION_ERRORS as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError) and exc.filename == str(tmp):
                raise TransportError(f"{self.label}: cannot write {tmp}: {exc.strerror}") from None
            raise self._failed(f"cannot read {item.ref}", exc) from None
        log.debug("%s: fetched %s (%d bytes)", self.label, item.name, received)

    def acknowledge(self, item: RemoteFile) -> None:
        """Delete ``item`` from the inbox, or move it to ``processed`` (under a free name).

        A file that is already gone is fine. Raises :class:`TransportError`.
        """
        sftp = self._connect()
        try:
            if self.config.processed is None:
                sftp.remove(item.ref)
                log.debug("%s: deleted %s", self.label, item.ref)
                return
            target = self._free_name(sftp, self.config.processed, item.name)
            sftp.rename(item.ref, target)
            log.debug("%s: moved %s to %s", self.label, item.ref, target)
        except FileNotFoundError:
            log.info("%s: %s was already gone when acknowledged", self.label, item.ref)
        except _SESSION_ERRORS as exc:
            raise self._failed(f"cannot remove {item.ref}", exc) from None

    # -- upload -----------------------------------------------------------------------------

    def _exists(self, sftp: paramiko.SFTPClient, path: str) -> bool:
        try:
            sftp.stat(path)
        except FileNotFoundError:
            return False
        return True

    def _free_name(self, sftp: paramiko.SFTPClient, folder: str, name: str) -> str:
        """``folder/name``, or ``folder/stem.N.suffix`` for the first N that is not taken."""
        path = PurePosixPath(name)
        candidate, counter = self._path(folder, name), 1
        while self._exists(sftp, candidate):
            candidate = self._path(folder, f"{path.stem}.{counter}{path.suffix}")
            counter += 1
        return candidate

    def remote_name(self, filename: str) -> str:
        """The name ``filename`` gets in the partner's folder, by the profile's ``upload_name`` rule."""
        path = PurePosixPath(filename)
        timestamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        name = self.config.upload_name.format(
            name=filename, stem=path.stem, suffix=path.suffix, timestamp=timestamp
        )
        if not name or "/" in name or name in (".", ".."):
            raise TransportError(
                f"{self.label}: upload name rule gives an unusable name {name!r}", retryable=False
            )
        return name

    # -- sending, exactly once -------------------------------------------------------------
    # plan() picks the final remote path (free of clashes) and reserves it: an empty file under
    # the upload's temporary name, made before the message is marked ``sending``. send() fills
    # that temporary file and renames it into place; only the rename removes it, and a failed
    # upload leaves it. So after a crash or a failed try: the reservation still there means
    # not delivered; gone means delivered (whether or not the partner has taken the file since).

    def _temp_for(self, name: str) -> str:
        path = PurePosixPath(name)
        temp = self.config.upload_temp_name.format(
            name=name, stem=path.stem, suffix=path.suffix, timestamp=""
        )
        return self._path(self.config.outbox, temp)

    def plan(self, filename: str, data: bytes) -> str:
        sftp = self._connect()
        try:
            final = self._free_name(sftp, self.config.outbox, self.remote_name(filename))
            with sftp.open(self._temp_for(PurePosixPath(final).name), "wb"):
                pass
        except _SESSION_ERRORS as exc:
            raise self._failed(f"cannot write in {self.config.outbox}", exc) from None
        return final

    def find_delivered(self, ref: str, size: int, sha256: str) -> bool:
        """Not while the reservation is on the server; delivered once it is gone (see above)."""
        sftp = self._connect()
        try:
            if self._exists(sftp, self._temp_for(PurePosixPath(ref).name)):
                return False
            if not self._exists(sftp, ref):
                log.info("%s: %s was delivered and the partner has taken it", self.label, ref)
            elif sftp.stat(ref).st_size != size or self._remote_sha256(sftp, ref, size) != sha256:
                log.warning("%s: %s was replaced after we delivered it", self.label, ref)
        except _SESSION_ERRORS as exc:
            raise self._failed(f"cannot look for {ref}", exc) from None
        return True

    def _remote_sha256(self, sftp: paramiko.SFTPClient, path: str, size: int) -> str:
        digest = hashlib.sha256()
        with sftp.open(path, "rb") as remote:
            remote.prefetch(size)
            for chunk in iter(lambda: remote.read(_CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def send(self, filename: str, data: bytes, ref: str | None = None) -> SendReceipt:
        """Upload under the temporary name, check the size, rename into place (never over a file).

        ``ref`` is the remote path :meth:`plan` chose and reserved; when something else took
        that name meanwhile, the next free name is used. Returns the final remote path. Raises
        :class:`TransportError`. Without ``ref``, a half-written temporary file is removed when
        the connection still allows it; with one it stays, as the proof nothing was delivered.
        """
        sftp = self._connect()
        name = PurePosixPath(ref).name if ref else self.remote_name(filename)
        tmp = self._temp_for(name)
        try:
            with sftp.open(tmp, "wb") as remote:
                remote.set_pipelined(True)
                for start in range(0, len(data), _CHUNK):
                    remote.write(data[start : start + _CHUNK])
            size = sftp.stat(tmp).st_size
            if size != len(data):
                if ref is None:
                    self._remove_quietly(sftp, tmp)
                raise TransportError(f"{self.label}: upload of {name} arrived as {size} of {len(data)} bytes")
            if ref and not self._exists(sftp, ref):
                target = ref
            else:
                target = self._free_name(sftp, self.config.outbox, name)
            self._rename(sftp, tmp, target)
        except TransportError:
            raise
        except _SESSION_ERRORS as exc:
            if self._sftp is not None and ref is None:
                self._remove_quietly(sftp, tmp)
            raise self._failed(f"cannot upload {name} to {self.config.outbox}", exc) from None
        log.info("%s: sent %s (%d bytes)", self.label, target, len(data))
        return SendReceipt(ref=target, delivered=True, detail=f"uploaded to {self._where}{target}")

    def _rename(self, sftp: paramiko.SFTPClient, source: str, target: str) -> None:
        try:
            sftp.posix_rename(source, target)
        except OSError as exc:
            if (
                exc.errno not in (None, errno.EOPNOTSUPP, errno.ENOSYS)
                and "unsupported" not in str(exc).lower()
            ):
                raise
            log.debug("%s: server has no posix-rename; using plain rename", self.label)
            sftp.rename(source, target)

    def _remove_quietly(self, sftp: paramiko.SFTPClient, path: str) -> None:
        try:
            sftp.remove(path)
        except _SESSION_ERRORS:
            log.debug("%s: could not remove temporary %s", self.label, path)
