"""AS2 inbound wired to the pipeline: the endpoint that partners POST to.

:func:`make_blueprint` gives the AS2 blueprint of :mod:`gateway.transports.as2_http` with
a ``deliver`` that hands each verified, decrypted payload to :func:`gateway.pipeline.receive`
(archived and committed *before* the MDN goes out) and then processes it. The AS2
Message-ID is the receipt key, so a partner repeating a Message-ID gets a
``duplicate-document`` MDN and nothing is processed twice. Partner profiles are looked up on
every request, so a profile change applies without a restart.
"""

from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, Flask

from gateway import pipeline
from gateway.runtime import Runtime
from gateway.transports.as2_http import Outcome, make_as2_app, make_as2_blueprint
from gateway.transports.as2_profile import As2Profile, profile_lookup

log = logging.getLogger(__name__)


def as2_receipt_key(partner: str, mailbox: str, message_id: str) -> str:
    """One AS2 Message-ID from one partner mailbox is one message, however often it is posted."""
    raw = f"as2\0{partner}\0{mailbox}\0{message_id}"
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def _lookup(runtime: Runtime):  # type: ignore[no-untyped-def]
    def lookup(our_id: str, partner_id: str) -> As2Profile | None:
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
        receipt = pipeline.receive(
            runtime, payload, filename=filename, partner=partner, mailbox=mailbox, remote_ref=message_id,
            key=as2_receipt_key(partner, mailbox, message_id),
        )  # fmt: skip
        if not receipt.new and receipt.state not in pipeline.UNFINISHED:
            earlier = f"message {receipt.message_id}"
            return Outcome.duplicate(f"Message-ID {message_id} was received before ({earlier})")
        pipeline.process(runtime, receipt.message_id)
        return Outcome.accepted()  # stored safely; a processing failure is ours to fix, not the sender's

    return deliver


def make_blueprint(runtime: Runtime, url_prefix: str = "/as2") -> Blueprint:
    """The AS2 endpoint for the console app (``POST /as2``)."""
    return make_as2_blueprint(_lookup(runtime), _deliver(runtime), url_prefix=url_prefix)


def make_app(runtime: Runtime) -> Flask:
    """A Flask app with only the AS2 endpoint, for ``acorn as2-server``."""
    return make_as2_app(_lookup(runtime), _deliver(runtime))
