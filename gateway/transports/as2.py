"""The AS2 mailbox (RFC 4130): sending to a partner over HTTP(S) and checking its MDN.

AS2 is push in both directions, so this mailbox only *sends*: inbound messages arrive at the
HTTP endpoint of :mod:`gateway.transports.as2_http`, which hands them to the pipeline directly.
:meth:`As2Mailbox.list_ready` is therefore always empty.

Sending (:meth:`As2Mailbox.send`): the message is compressed, signed and encrypted as the
profile says (:mod:`~gateway.transports.as2_message`) and POSTed with the AS2 headers
(``AS2-Version``, ``AS2-From``, ``AS2-To``, ``Message-ID``, ``Disposition-Notification-To`` and
``-Options``, ``Receipt-Delivery-Option`` for async). Then, by ``mdn_mode``:

* ``sync``: the MDN comes back in the HTTP response. Its signature and ``Received-content-MIC``
  are verified (:func:`~gateway.transports.as2_mdn.verify_mdn`); only then is the receipt
  ``delivered=True``. A negative MDN, a bad signature or a MIC mismatch raise a non-retryable
  :class:`TransportError` with the reason.
* ``async``: the receipt says ``delivered=False``. Record the :class:`SentMessage` (Message-ID and
  MIC) that :attr:`As2Mailbox.on_sent` receives *before* the POST (an async MDN can arrive before
  :meth:`~As2Mailbox.send` returns; :attr:`~As2Mailbox.last_sent` holds it too) and check the MDN
  when it arrives with :func:`verify_async_mdn`.
* ``none``: an HTTP 2xx is all there is; ``delivered=True``.

**Message-IDs and retries.** No MDN within ``mdn_timeout_seconds`` (or no answer at all) raises a
*retryable* :class:`TransportError`. The retry must repeat the Message-ID so the partner sees a
duplicate rather than a second order: :meth:`~As2Mailbox.send` derives the Message-ID from the
partner, mailbox, file name and the bytes (so sending the same file again gives the same id),
unless :attr:`~As2Mailbox.next_message_id` is set; :meth:`~As2Mailbox.send_with_id` takes it
explicitly (e.g. the one stored with the message row). A deliberate re-send of the same file as a
*new* message needs a new id passed to :meth:`~As2Mailbox.send_with_id`.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from gateway.config.partners import As2Mailbox as As2Config
from gateway.transports.as2_certs import CertificateError
from gateway.transports.as2_mdn import MdnResult, SentMessage, original_message_id, verify_mdn
from gateway.transports.as2_message import build_message
from gateway.transports.as2_profile import As2Profile, message_domain
from gateway.transports.base import Mailbox, RemoteFile, SendReceipt, TransportError

log = logging.getLogger(__name__)

_RETRYABLE_HTTP = {408, 425, 429, 500, 502, 503, 504}

__all__ = ["As2Mailbox", "MdnResult", "SentMessage", "verify_async_mdn"]


class As2Mailbox(Mailbox):
    """A partner's AS2 endpoint. ``env`` overrides ``os.environ`` for the key password reference."""

    def __init__(self, partner: str, config: As2Config, *, env: Mapping[str, str] | None = None) -> None:
        super().__init__(partner, config.name)
        self.config = config
        self.next_message_id: str | None = None
        self.last_sent: SentMessage | None = None
        self.on_sent: Callable[[SentMessage], None] | None = None
        self._env = env

    def profile(self) -> As2Profile:
        """Keys and certificates, read now (so a renewed certificate is picked up).

        Raises a non-retryable :class:`TransportError` naming the file at fault."""
        try:
            return As2Profile.load(self.partner, self.config, self._env)
        except (CertificateError, LookupError) as exc:
            raise TransportError(f"{self.label}: {exc}", retryable=False) from None

    # AS2 is push: inbound messages reach as2_http, never a poll.
    def list_ready(self) -> list[RemoteFile]:
        return []

    def fetch(self, item: RemoteFile, destination: Path) -> None:
        raise TransportError(f"{self.label}: AS2 messages arrive over HTTP, not by polling", retryable=False)

    def acknowledge(self, item: RemoteFile) -> None:
        """Nothing to remove: the MDN already told the partner."""

    def message_id_for(self, filename: str, data: bytes) -> str:
        """The deterministic Message-ID of ``filename`` with ``data`` (same file, same id)."""
        digest = hashlib.sha256()
        for part in (self.partner, self.name, self.config.partner_as2_id, filename):
            digest.update(part.encode() + b"\0")
        digest.update(data)
        return f"acorn-{digest.hexdigest()[:40]}@{message_domain(self.config.as2_id)}"

    def plan(self, filename: str, data: bytes) -> str:
        """The Message-ID the message goes out with: a resend after a crash repeats it, so the
        partner sees a duplicate of the same message (and answers its MDN), not a second one."""
        return f"<{self.next_message_id or self.message_id_for(filename, data)}>"

    def send(self, filename: str, data: bytes, ref: str | None = None) -> SendReceipt:
        """Send with ``ref`` (the planned Message-ID), :attr:`next_message_id` or the deterministic
        id. See :meth:`send_with_id`."""
        message_id = ref.strip("<>") if ref else self.next_message_id or self.message_id_for(filename, data)
        return self.send_with_id(filename, data, message_id)

    def send_with_id(self, filename: str, data: bytes, message_id: str) -> SendReceipt:
        """Build, POST and (sync) verify the MDN. ``ref`` of the receipt is the Message-ID.

        Raises :class:`TransportError`: retryable when the partner could not be reached, answered
        5xx or no MDN came in time (retry with the same ``message_id``); not retryable when the
        set-up is wrong or the partner's MDN rejects the message or fails verification.
        """
        profile = self.profile()
        cfg = self.config
        try:
            built = build_message(profile, filename, data, message_id)
        except Exception as exc:  # pyas2lib reports bad keys/certs with assorted exception types
            raise TransportError(
                f"{self.label}: cannot build the AS2 message: {exc}", retryable=False
            ) from None
        self.last_sent = SentMessage(
            self.partner, self.name, built.message_id, built.mic, built.mic_algorithm
        )
        if self.on_sent is not None:
            self.on_sent(self.last_sent)  # recorded before the POST: an async MDN may beat our return
        timeout = cfg.mdn_timeout_seconds if cfg.mdn_mode == "sync" else cfg.timeout_seconds
        headers, body = self._post(built.headers, built.body, built.message_id, timeout)
        ref = f"<{built.message_id}>"
        if cfg.mdn_mode == "none":
            log.info("%s: sent %s as %s (no MDN requested)", self.label, filename, ref)
            return SendReceipt(ref=ref, delivered=True, detail="accepted over HTTP; no MDN requested")
        if cfg.mdn_mode == "async":
            log.info("%s: sent %s as %s; MDN to come at %s", self.label, filename, ref, cfg.async_mdn_url)
            return SendReceipt(
                ref=ref, delivered=False, detail=f"awaiting asynchronous MDN at {cfg.async_mdn_url}"
            )
        result = verify_mdn(profile, headers, body, self.last_sent)
        if not result.delivered:
            raise TransportError(
                f"{self.label}: message {ref} not delivered: {result.reason}", retryable=False
            )
        log.info("%s: sent %s as %s; MDN %s", self.label, filename, ref, result.reason)
        return SendReceipt(ref=ref, delivered=True, detail=f"MDN {result.reason}")

    def _post(
        self, headers: Mapping[str, str], body: bytes, message_id: str, timeout: float
    ) -> tuple[dict[str, str], bytes]:
        url = self.config.url
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        waiting = "MDN" if self.config.mdn_mode == "sync" else "answer"
        retry_note = f"; a retry sends the same Message-ID <{message_id}>"
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read(300).decode("utf-8", "replace").strip().splitlines()
            detail = f"{exc.code} {exc.reason}" + (f": {text[0][:200]}" if text else "")
            raise TransportError(
                f"{self.label}: {url} answered HTTP {detail}", retryable=exc.code in _RETRYABLE_HTTP
            ) from None
        except TimeoutError:
            raise TransportError(
                f"{self.label}: no {waiting} from {url} within {timeout:g}s{retry_note}"
            ) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise TransportError(
                    f"{self.label}: no {waiting} from {url} within {timeout:g}s{retry_note}"
                ) from None
            why = getattr(reason, "strerror", None) or str(reason)
            raise TransportError(f"{self.label}: cannot reach {url}: {why}{retry_note}") from None
        except OSError as exc:  # connection reset mid-answer and the like
            raise TransportError(f"{self.label}: connection to {url} failed: {exc}{retry_note}") from None


SentLookup = Callable[[str], "tuple[SentMessage, As2Config] | None"]


def verify_async_mdn(headers: Mapping[str, str], body: bytes, find_sent: SentLookup) -> MdnResult:
    """Check an asynchronous MDN posted to us. ``find_sent(original_message_id)`` returns the
    :class:`SentMessage` recorded when sending (see :attr:`As2Mailbox.last_sent`) with the partner's
    mailbox settings, or ``None`` when we never sent that Message-ID. Never raises for bad input."""
    original = original_message_id(headers, body)
    if original is None:
        return MdnResult(None, "failed/Failure", "mdn-not-found", False, None, None, False, "not an MDN")
    found = find_sent(original)
    if found is None:
        return MdnResult(
            original,
            "failed/Failure",
            "original-message-not-found",
            False,
            None,
            None,
            False,
            f"no message <{original}> was sent by us",
        )
    sent, config = found
    try:
        profile = As2Profile.load(sent.partner, config)
    except (CertificateError, LookupError) as exc:
        return MdnResult(original, "failed/Failure", "configuration", False, None, None, False, str(exc))
    return verify_mdn(profile, headers, body, sent)
