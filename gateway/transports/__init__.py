"""Mailbox transports: the local folder (embedded default), SFTP and AS2, behind one interface."""

from __future__ import annotations

from pathlib import Path

from gateway.transports.base import Mailbox, RemoteFile, SendReceipt, TransportError

__all__ = ["Mailbox", "RemoteFile", "SendReceipt", "TransportError", "open_mailbox"]


def open_mailbox(partner: str, config: object) -> Mailbox:
    """The :class:`Mailbox` for one mailbox entry of a partner profile (paths already resolved)."""
    kind = getattr(config, "type", None)
    if kind == "local":
        from gateway.transports.local import LocalMailbox

        return LocalMailbox(
            partner,
            config.name,
            Path(config.inbox),
            Path(config.outbox),
            Path(config.processed),  # type: ignore[attr-defined]
            config.stable_seconds,  # type: ignore[attr-defined]
        )
    if kind == "sftp":
        from gateway.transports.sftp import SftpMailbox

        return SftpMailbox(partner, config)  # type: ignore[arg-type]
    if kind == "as2":
        from gateway.transports.as2 import As2Mailbox

        return As2Mailbox(partner, config)  # type: ignore[arg-type]
    raise TransportError(f"{partner}: unknown mailbox type {kind!r}", retryable=False)
