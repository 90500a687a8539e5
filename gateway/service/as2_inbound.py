"""AS2 inbound wired to the pipeline: the endpoint that partners POST to.

:func:`make_blueprint` gives the AS2 blueprint of :mod:`gateway.transports.as2_http` with
a ``deliver`` that hands each verified, decrypted payload to the pipeline's front door,
:func:`gateway.service.pipeline.take` (archived and committed *before* the MDN goes out, then
processed). The AS2 Message-ID is the receipt key, so a partner repeating a Message-ID gets a
``duplicate-document`` MDN and nothing is processed twice. Partner profiles are looked up on
every request (after a cheap check of the files), so a profile change applies without a
restart. Asynchronous MDNs that partners post back for what we sent arrive at the same URL and
mark the outbound message delivered (or failed, with the MDN's reason).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping

from flask import Blueprint, Flask
from sqlmodel import select

from gateway.service import pipeline
from gateway.service.errors import StageCode
from gateway.service.runtime import Runtime
from gateway.store import messages, session_scope
from gateway.store.models import Message, MessageEvent, MessageState, utcnow
from gateway.transports.as2 import verify_async_mdn
from gateway.transports.as2_http import Outcome, make_as2_app, make_as2_blueprint
from gateway.transports.as2_mdn import SentMessage
from gateway.transports.as2_profile import As2Profile, profile_lookup

log = logging.getLogger(__name__)


def as2_receipt_key(partner: str, mailbox: str, message_id: str) -> str:
    """One AS2 Message-ID from one partner mailbox is one message, however often it is posted."""
    raw = f"as2\0{partner}\0{mailbox}\0{message_id}"
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def _lookup(runtime: Runtime):  # type: ignore[no-untyped-def]
    def lookup(our_id: str, partner_id: str) -> As2Profile | None:
        runtime.refresh()  # one look at the profile files per request
        pairs = [
            (profile.name, box)
            for profile in runtime.partners
            for box in profile.mailboxes
            if box.type == "as2" and box.enabled
        ]
        return profile_lookup(pairs)(our_id, partner_id)  # type: ignore[arg-type]

    return lookup


def _deliver(runtime: Runtime):  # type: ignore[no-untyped-def]
    def deliver(partner: str, mailbox: str, filename: str, payload: bytes, message_id: str) -> Outcome:
        receipt = pipeline.take(
            runtime, payload, filename=filename, partner=partner, mailbox=mailbox, remote_ref=message_id,
            key=as2_receipt_key(partner, mailbox, message_id),
        )  # fmt: skip
        if not receipt.processed:
            earlier = f"message {receipt.message_id}"
            return Outcome.duplicate(f"Message-ID {message_id} was received before ({earlier})")
        return Outcome.accepted()  # stored safely; a processing failure is ours to fix, not the sender's

    return deliver


def _find_sent(runtime: Runtime):  # type: ignore[no-untyped-def]
    """``find_sent(message_id)`` over the AS2 messages we posted (recorded when sending)."""

    def find(original: str) -> tuple[SentMessage, object] | None:
        with session_scope(runtime.engine) as session:
            message = session.exec(
                select(Message).where(Message.direction == "out", Message.remote_ref == original.strip("<>"))
            ).first()
            if message is None:
                return None
            event = session.exec(
                select(MessageEvent)
                .where(MessageEvent.message_id == message.id, MessageEvent.note.startswith("AS2 message"))  # type: ignore[union-attr]
                .order_by(MessageEvent.id.desc())  # type: ignore[union-attr]
            ).first()
        if event is None or not event.detail:
            return None
        d = event.detail
        sent = SentMessage(d["partner"], d["mailbox"], d["as2_message_id"], d["mic"], d["mic_algorithm"])
        try:
            config = runtime.partners.get(sent.partner).mailbox(sent.mailbox)
        except KeyError:
            return None
        return sent, config

    return find


def _on_mdn(runtime: Runtime):  # type: ignore[no-untyped-def]
    """Record an asynchronous MDN: the message it answers is delivered, or failed with the reason."""

    def on_mdn(headers: Mapping[str, str], body: bytes) -> None:
        result = verify_async_mdn(headers, body, _find_sent(runtime))
        if result.original_message_id is None:
            log.warning("async MDN ignored: %s", result.reason)
            return
        with session_scope(runtime.engine) as session:
            message = session.exec(
                select(Message).where(
                    Message.direction == "out", Message.remote_ref == result.original_message_id.strip("<>")
                )
            ).first()
            if message is None:
                log.warning("async MDN for <%s>: %s", result.original_message_id, result.reason)
                return
            if result.delivered:
                message.completed_at = utcnow()
                message.updated_at = utcnow()
                session.add(message)
                messages.note_event(session, message, f"AS2 MDN: {result.status}", actor="partner")
            else:
                text = f"AS2 MDN: {result.status} {result.detail or ''}: {result.reason}".strip()
                code = StageCode.AS2_MDN_NEGATIVE
                if messages.can_move(message.state, MessageState.FAILED):
                    messages.fail(session, message, code.stage, code.value, text, actor="partner", note=text)
                else:  # answered by a 997 already, or failed before: the MDN is on the timeline
                    messages.note_event(session, message, text, actor="partner")

    return on_mdn


def make_blueprint(runtime: Runtime, url_prefix: str = "/as2") -> Blueprint:
    """The AS2 endpoint for the console app (``POST /as2``)."""
    return make_as2_blueprint(
        _lookup(runtime), _deliver(runtime), on_mdn=_on_mdn(runtime), url_prefix=url_prefix
    )


def make_app(runtime: Runtime) -> Flask:
    """A Flask app with only the AS2 endpoint, for ``acorn as2-server``."""
    return make_as2_app(_lookup(runtime), _deliver(runtime), on_mdn=_on_mdn(runtime))
