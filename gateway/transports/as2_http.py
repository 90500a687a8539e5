"""The inbound AS2 endpoint: a Flask blueprint (for the console app) or an app of its own.

``POST <prefix>`` takes an AS2 message, finds the partner by ``AS2-To``/``AS2-From``
(``lookup_profile``), verifies, decrypts and decompresses it (:func:`parse_message`), hands the
payload to ``deliver(partner, mailbox, filename, payload, message_id) -> Outcome`` and answers
with an MDN: in the HTTP response (sync) or POSTed to the sender's ``Receipt-Delivery-Option``
URL (async). Dispositions:

=========================  ==================================================================
what happened               MDN disposition
=========================  ==================================================================
accepted                    ``processed`` (with ``Received-content-MIC``)
same Message-ID again       ``processed/Warning: duplicate-document`` (the pipeline keeps the
                            record; nothing is processed twice)
pipeline refused it         ``processed/Error: unexpected-processing-error``
bad signature, wrong cert   ``processed/Error: authentication-failed``
cannot decrypt              ``processed/Error: decryption-failed``
unknown AS2-From/AS2-To     ``processed/Error: unknown-trading-partner`` (unsigned: no key)
not signed/encrypted when   ``processed/Error: insufficient-message-security``
the profile demands it
=========================  ==================================================================

Rejected messages reach ``on_rejected(Rejection)`` (for the message log) and never ``deliver``.
MDNs partners post to us (answers to what we sent with ``mdn_mode: async``) are recognised on
the same URL and passed to ``on_mdn(headers, body)``; check them with
:func:`gateway.transports.as2.verify_async_mdn`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from flask import Blueprint, Flask, Response, request

from gateway.transports.as2_mdn import BuiltMdn, build_mdn, is_mdn
from gateway.transports.as2_message import InboundMessage, parse_message
from gateway.transports.as2_profile import As2Profile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What the pipeline did with a delivered payload."""

    status: Literal["accepted", "duplicate", "failed"]
    reason: str | None = None

    @classmethod
    def accepted(cls) -> Outcome:
        return cls("accepted")

    @classmethod
    def duplicate(cls, reason: str | None = None) -> Outcome:
        return cls("duplicate", reason)

    @classmethod
    def failed(cls, reason: str) -> Outcome:
        return cls("failed", reason)


@dataclass(frozen=True)
class Rejection:
    """An inbound AS2 message refused before delivery, with the MDN disposition it got."""

    partner: str | None
    mailbox: str | None
    message_id: str | None
    as2_from: str
    as2_to: str
    status: str
    detail: str | None
    reason: str


Deliver = Callable[[str, str, str, bytes, str], Outcome]
Lookup = Callable[[str, str], As2Profile | None]
MdnPoster = Callable[[str, BuiltMdn, threading.Event], None]
ANSWER_GRACE_SECONDS = 5.0


def post_mdn(url: str, mdn: BuiltMdn, timeout: float = 60, attempts: int = 3) -> bool:
    """POST an asynchronous MDN; True when the partner answered 2xx. Failures are logged."""
    for attempt in range(1, attempts + 1):
        req = urllib.request.Request(url, data=mdn.body, headers=mdn.headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                response.read()
            log.info("async MDN posted to %s", url)
            return True
        except (urllib.error.URLError, OSError) as exc:
            log.warning("async MDN to %s failed (attempt %d of %d): %s", url, attempt, attempts, exc)
            threading.Event().wait(min(30, 2**attempt) if attempt < attempts else 0)
    return False


def post_mdn_in_background(url: str, mdn: BuiltMdn, answered: threading.Event) -> None:
    """The default :data:`MdnPoster`: a daemon thread that waits until our HTTP answer to the
    message is out (``answered``; at most :data:`ANSWER_GRACE_SECONDS`), then posts the MDN."""

    def run() -> None:
        answered.wait(ANSWER_GRACE_SECONDS)
        post_mdn(url, mdn)

    threading.Thread(target=run, name="as2-async-mdn", daemon=True).start()


def _default_filename(message_id: str | None) -> str:
    token = re.sub(r"[^A-Za-z0-9._-]+", "_", message_id or "")[:80].strip("._") or "message"
    return f"as2-{token}-{hashlib.sha256((message_id or '').encode()).hexdigest()[:8]}.edi"


def _reject(inbound: InboundMessage, on_rejected: Callable[[Rejection], None] | None) -> None:
    """Log a message we refuse and tell ``on_rejected``."""
    profile = inbound.profile
    log.warning(
        "AS2 message <%s> from %r to %r rejected: %s (%s)",
        inbound.message_id, inbound.as2_from, inbound.as2_to, inbound.reason, inbound.detail,
    )  # fmt: skip
    if on_rejected is not None:
        on_rejected(
            Rejection(
                profile.partner if profile else None,
                profile.mailbox if profile else None,
                inbound.message_id,
                inbound.as2_from,
                inbound.as2_to,
                inbound.status,
                inbound.detail,
                inbound.reason or inbound.status,
            )
        )


def _hand_over(inbound: InboundMessage, deliver: Deliver) -> tuple[str, str | None]:
    """Give a verified payload to ``deliver``; the MDN status and detail of its outcome."""
    assert inbound.profile is not None and inbound.payload is not None
    filename = inbound.filename or _default_filename(inbound.message_id)
    try:
        outcome = deliver(
            inbound.profile.partner,
            inbound.profile.mailbox,
            filename,
            inbound.payload,
            inbound.message_id or "",
        )
    except Exception:
        log.exception("AS2 message <%s>: the pipeline failed to take it", inbound.message_id)
        outcome = Outcome.failed("internal error while storing the message")
    if outcome.status == "accepted":
        return "processed", None
    if outcome.status == "duplicate":
        log.info("AS2 message <%s> is a duplicate: %s", inbound.message_id, outcome.reason or "")
        return "processed/Warning", "duplicate-document"
    log.warning("AS2 message <%s> not taken: %s", inbound.message_id, outcome.reason)
    return "processed/Error", "unexpected-processing-error"


def make_as2_blueprint(
    lookup_profile: Lookup,
    deliver: Deliver,
    *,
    on_rejected: Callable[[Rejection], None] | None = None,
    on_mdn: Callable[[Mapping[str, str], bytes], None] | None = None,
    send_async_mdn: MdnPoster = post_mdn_in_background,
    url_prefix: str = "/as2",
    max_bytes: int = 200 * 1024 * 1024,
    name: str = "as2",
) -> Blueprint:
    """The AS2 receiving endpoint at ``POST url_prefix`` (see the module docstring)."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)

    @bp.post("")
    def receive() -> Response:
        if request.content_length is not None and request.content_length > max_bytes:
            return Response(f"message larger than {max_bytes} bytes\n", 413, mimetype="text/plain")
        body = request.get_data(cache=False)
        headers = dict(request.headers.items())
        if on_mdn is not None and is_mdn(headers, body):
            on_mdn(headers, body)
            return Response("MDN received\n", 200, mimetype="text/plain")
        missing = [h for h in ("AS2-From", "AS2-To", "Message-ID") if not request.headers.get(h)]
        if missing:
            return Response(
                f"not an AS2 message: no {', '.join(missing)} header\n", 400, mimetype="text/plain"
            )
        inbound = parse_message(headers, body, lookup_profile)
        if inbound.ok:
            status, detail = _hand_over(inbound, deliver)
        else:
            _reject(inbound, on_rejected)
            status, detail = inbound.status, inbound.detail
        if not inbound.wants_mdn:
            code = 200 if status.lower() in ("processed", "processed/warning") else 400
            return Response(f"{status}{': ' + detail if detail else ''}\n", code, mimetype="text/plain")
        mdn = build_mdn(inbound, status, detail)
        if inbound.async_mdn_url:
            url = inbound.async_mdn_url
            answer = Response(
                "AS2 message received; the MDN follows asynchronously\n", 200, mimetype="text/plain"
            )
            answered = threading.Event()
            answer.call_on_close(answered.set)  # servers call this once the answer is sent
            send_async_mdn(url, mdn, answered)
            return answer
        return Response(mdn.body, 200, headers=mdn.headers)

    return bp


def make_as2_app(lookup_profile: Lookup, deliver: Deliver, **options: object) -> Flask:
    """A Flask app with only the AS2 endpoint, to run on its own port (e.g. with
    ``werkzeug.serving.make_server(host, port, app)``). ``options`` go to :func:`make_as2_blueprint`."""
    app = Flask(__name__)
    app.register_blueprint(make_as2_blueprint(lookup_profile, deliver, **options))  # type: ignore[arg-type]
    return app
