"""Delivering ERP events, exactly once each, over the channel the partner's ``settlement.erp`` names.

One path for every channel: :func:`deliver_pending` takes the pending events in order, counts the
attempt, asks the partner's channel to deliver the event and records the outcome, committing after
each event. A failure leaves the event ``pending`` for the next run, ``failed`` after the channel's
``max_attempts``; its error is kept on the event (never a secret) and logged.

The channels (:func:`channel_for`):

- ``folder`` and ``sftp`` are **file channels**: an event is one file, ``<key>.xml`` (``<erpEvent>``)
  or ``<key>.csv`` (:func:`render`), written through the mailbox transports of
  :mod:`gateway.transports` (the local folder, or the SFTP mailbox of the profile the channel names,
  with its pinned host key and credentials) by their exactly-once protocol: ``plan`` reserves the
  final name, which is recorded on the event (``delivery_ref``) and committed before anything is
  written; ``send`` writes under a temporary name and renames into place. A retry of an event with
  a reservation first asks ``find_delivered``, so a crash between the rename and the commit never
  writes the file twice.
- ``webhook``: a JSON POST with ``X-Acorn-Event`` (the key, for the receiver's own idempotency) and
  ``X-Acorn-Signature: sha256=<HMAC-SHA256 of the body>`` keyed by the secret the profile names. A
  crash after the receiver answered re-sends at most the one event in flight, with the same key.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from xml.sax.saxutils import escape

from sqlmodel import Session, select

from gateway.config import PartnerDirectory
from gateway.config.partners import SftpMailbox as SftpConfig
from gateway.config.partners import read_secret
from gateway.config.settlement import FolderChannel, SftpChannel, WebhookChannel
from gateway.settlement.payments import profile_of
from gateway.store.models import utcnow
from gateway.store.settlement import ErpEvent
from gateway.transports import Mailbox, TransportError
from gateway.transports.local import LocalMailbox

log = logging.getLogger(__name__)

#: what a delivery may raise; anything else is a bug and is not swallowed
DELIVERY_ERRORS = (OSError, urllib.error.URLError, TransportError, LookupError, ValueError)


def event_body(event: ErpEvent) -> dict[str, Any]:
    """What every channel sends of ``event``."""
    return {
        "id": event.key,
        "kind": event.kind,
        "source": event.source,
        "reference": event.source_ref,
        "marketplace": event.marketplace,
        **event.payload,
    }


def render(event: ErpEvent, fmt: str) -> tuple[str, bytes]:
    """The file name and bytes of ``event`` as canonical XML (``<erpEvent>``) or a one-row CSV."""
    body = event_body(event)
    flat = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in body.items()}
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(flat))
        writer.writeheader()
        writer.writerow(flat)
        text = out.getvalue()
    else:
        fields = "".join(f"  <{k}>{escape(str(v))}</{k}>\n" for k, v in flat.items() if v is not None)
        text = f'<?xml version="1.0" encoding="UTF-8"?>\n<erpEvent>\n{fields}</erpEvent>\n'
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in event.key)
    return f"{safe}.{fmt}", text.encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``: what the webhook sends in ``X-Acorn-Signature``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Channel(Protocol):
    max_attempts: int

    def deliver(self, session: Session, event: ErpEvent) -> None:
        """Deliver ``event`` or raise one of :data:`DELIVERY_ERRORS`."""

    def close(self) -> None: ...


class FileChannel:
    """A folder or an SFTP outbox, through its mailbox transport (see the module docstring)."""

    def __init__(self, mailbox: Mailbox, fmt: str, max_attempts: int) -> None:
        self.mailbox, self.fmt, self.max_attempts = mailbox, fmt, max_attempts

    def deliver(self, session: Session, event: ErpEvent) -> None:
        name, data = render(event, self.fmt)
        if event.delivery_ref is None:
            event.delivery_ref = self.mailbox.plan(name, data)
            session.add(event)
            session.commit()  # the reservation is known before anything is written
        elif self.mailbox.find_delivered(event.delivery_ref, len(data), hashlib.sha256(data).hexdigest()):
            log.info("ERP event %s was already delivered as %s", event.key, event.delivery_ref)
            return
        self.mailbox.send(name, data, event.delivery_ref)

    def close(self) -> None:
        self.mailbox.close()


class WebhookSender:
    """A signed JSON POST per event (see the module docstring)."""

    def __init__(self, config: WebhookChannel, env: Mapping[str, str] | None) -> None:
        self.config, self.env, self.max_attempts = config, env, config.max_attempts

    def deliver(self, session: Session, event: ErpEvent) -> None:
        body = json.dumps(event_body(event), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "acorn", "X-Acorn-Event": event.key}
        secret = read_secret(self.config.secret_env, self.config.secret_file, self.env)
        if secret is not None:
            headers["X-Acorn-Signature"] = signature(secret.get_secret_value(), body)
        request = urllib.request.Request(self.config.url, data=body, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=self.config.timeout_seconds):
            pass

    def close(self) -> None:
        pass


def channel_for(
    partners: PartnerDirectory, partner: str, env: Mapping[str, str] | None = None
) -> Channel | None:
    """The channel of ``partner``'s ``settlement.erp`` (``None``: the profile names none).

    Raises ``LookupError`` or :class:`TransportError` when it cannot be opened."""
    profile = profile_of(partners, partner)
    config = profile.settlement.erp if profile is not None else None
    if config is None:
        return None
    if isinstance(config, WebhookChannel):
        return WebhookSender(config, env)
    if isinstance(config, FolderChannel):
        box = LocalMailbox(partner, "erp", config.path, config.path, config.path, 0)
        return FileChannel(box, config.format, config.max_attempts)
    assert isinstance(config, SftpChannel)
    mailbox = partners.get(config.partner).mailbox(config.mailbox)
    if not isinstance(mailbox, SftpConfig):
        raise LookupError(f"mailbox {config.mailbox!r} of {config.partner} is not an SFTP mailbox")
    from gateway.transports.sftp import SftpMailbox

    return FileChannel(SftpMailbox(config.partner, mailbox), config.format, config.max_attempts)


@dataclass
class DeliveryCounts:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def _why(exc: BaseException) -> str:
    """One line for the event's ``last_error``: the HTTP status, the transport's message..."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"


def deliver_pending(
    session: Session, partners: PartnerDirectory, *, env: Mapping[str, str] | None = None
) -> DeliveryCounts:
    """Try every pending event once on its partner's channel, committing after each one.

    A channel that cannot be opened (its SFTP profile gone) leaves its events pending, the error
    on each, without counting an attempt: that is the profile's fault, not the event's."""
    counts = DeliveryCounts()
    channels: dict[str, Channel | None] = {}
    broken: dict[str, str] = {}
    pending = session.exec(select(ErpEvent).where(ErpEvent.state == "pending").order_by(ErpEvent.id)).all()  # type: ignore[arg-type]
    try:
        for event in pending:
            if event.partner not in channels and event.partner not in broken:
                try:
                    channels[event.partner] = channel_for(partners, event.partner, env)
                except DELIVERY_ERRORS as exc:
                    broken[event.partner] = _why(exc)
                    log.warning("ERP channel of %s cannot open: %s", event.partner, broken[event.partner])
            if event.partner in broken:
                event.last_error = broken[event.partner]
                counts.retrying += 1
            elif (channel := channels[event.partner]) is None:
                continue  # kept in the ledger until the profile names a channel
            else:
                _attempt(session, channel, event, counts)
            session.add(event)
            session.commit()
    finally:
        for open_channel in channels.values():
            if open_channel is not None:
                open_channel.close()
    return counts


def _attempt(session: Session, channel: Channel, event: ErpEvent, counts: DeliveryCounts) -> None:
    event.attempts += 1
    try:
        channel.deliver(session, event)
    except DELIVERY_ERRORS as exc:
        event.last_error = _why(exc)
        event.state = "failed" if event.attempts >= channel.max_attempts else "pending"
        counts.failed += event.state == "failed"
        counts.retrying += event.state == "pending"
        log.warning("ERP event %s attempt %d failed: %s", event.key, event.attempts, event.last_error)
    else:
        event.state, event.delivered_at, event.last_error = "delivered", utcnow(), None
        counts.delivered += 1
