"""Mailbox transports: the local folder (embedded default), SFTP and AS2, behind one interface."""

from __future__ import annotations

from pathlib import Path

from gateway.config.partners import As2Mailbox as As2Config
from gateway.config.partners import LocalMailbox as LocalConfig
from gateway.config.partners import SftpMailbox as SftpConfig
from gateway.transports.base import Mailbox, RemoteFile, SendReceipt, TransportError

__all__ = ["Mailbox", "RemoteFile", "SendReceipt", "TransportError", "open_mailbox"]


def open_mailbox(partner: str, config: LocalConfig | SftpConfig | As2Config) -> Mailbox:
    """The :class:`Mailbox` for one mailbox entry of a partner profile (paths already resolved)."""
    if isinstance(config, LocalConfig):
        from gateway.transports.local import LocalMailbox

        return LocalMailbox(
            partner,
            config.name,
            Path(config.inbox),
            Path(config.outbox),
            Path(config.processed),
            config.stable_seconds,
        )
    if isinstance(config, SftpConfig):
        from gateway.transports.sftp import SftpMailbox

        return SftpMailbox(partner, config)
    if isinstance(config, As2Config):
        from gateway.transports.as2 import As2Mailbox

        return As2Mailbox(partner, config)
    raise TransportError(
        f"{partner}: unknown mailbox type {getattr(config, 'type', None)!r}", retryable=False
    )
