"""AS2 receipts (MDNs, RFC 4130 section 7 / RFC 3798): building ours, checking the partner's.

:func:`build_mdn` answers an :class:`~gateway.transports.as2_message.InboundMessage` with a
disposition (``processed``, ``processed/Warning: duplicate-document``, ``processed/Error: ...``),
signed with our key when the sender asked for a signed receipt, carrying the
``Received-content-MIC`` computed over the right content (see ``as2_message``).

:func:`verify_mdn` checks a receipt we got for a message we sent: the signature (with the
partner's certificate, required when we asked for a signed receipt), the ``Original-Message-ID``,
the disposition, and that the returned MIC equals the one we computed when sending, value and
algorithm. pyas2lib only downgrades a MIC mismatch to ``processed/warning`` and accepts a missing
MIC; here either one means *not delivered*.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message

from gateway.transports.as2_lib import as2
from gateway.transports.as2_message import InboundMessage, normalize_digest, raw_mime
from gateway.transports.as2_profile import MDN_FAILED_TEXT, MDN_TEXT, As2Profile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentMessage:
    """What must be kept about a message we sent to check its MDN later (e.g. an async one)."""

    partner: str
    mailbox: str
    message_id: str
    mic: str | None
    mic_algorithm: str | None


@dataclass(frozen=True)
class BuiltMdn:
    headers: dict[str, str]
    body: bytes


def build_mdn(inbound: InboundMessage, status: str, detail: str | None = None) -> BuiltMdn:
    """The MDN for ``inbound`` with the given disposition (signed when asked and possible)."""
    msg = inbound.message if inbound.message is not None else as2.Message()
    mode = "ASYNC" if inbound.async_mdn_url else "SYNC"
    mdn = as2.Mdn(mdn_mode=mode, mdn_url=inbound.async_mdn_url)
    text = MDN_TEXT if status == "processed" else MDN_FAILED_TEXT
    if msg.receiver is not None:
        msg.receiver.mdn_confirm_text = text
    if msg.sender is not None:
        msg.sender.mdn_confirm_text = text
    if status != "processed":
        msg.mic = msg.mic if status.lower().startswith("processed/warning") else None
    mdn.build(message=msg, status=status, detailed_status=detail, confirmation_text=text, failed_text=text)
    headers = {key: value for key, value in mdn.headers.items() if key.lower() != "mime-version"}
    headers["MIME-Version"] = "1.0"
    return BuiltMdn(headers, bytes(mdn.content))


@dataclass(frozen=True)
class MdnResult:
    """A partner's receipt, checked. ``delivered`` is true only for ``processed`` with a valid
    signature (when required) and the MIC we expected."""

    original_message_id: str | None
    status: str
    detail: str | None
    signed: bool
    mic: str | None
    mic_algorithm: str | None
    delivered: bool
    reason: str


def _report_fields(raw: bytes) -> dict[str, str]:
    """The fields of the message/disposition-notification part (lower-case names)."""
    for part in message_from_bytes(raw).walk():
        if part.get_content_type() == "message/disposition-notification":
            inner = part.get_payload()
            fields = inner[0] if isinstance(inner, list) and inner else part
            if not isinstance(fields, Message):
                return {}
            return {key.lower(): str(value).strip() for key, value in fields.items()}
    return {}


def original_message_id(headers: Mapping[str, str], body: bytes) -> str | None:
    """The ``Original-Message-ID`` an MDN answers (without angle brackets), or ``None`` when the
    content is not an MDN. Use it to find the :class:`SentMessage` of an async MDN."""
    value = _report_fields(raw_mime(headers, body)).get("original-message-id", "")
    return value.strip("<> ") or None


def is_mdn(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether an AS2 POST is a receipt (multipart/report, maybe signed) rather than a message."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "").lower()
    if "multipart/report" in content_type:
        return True
    return "multipart/signed" in content_type and bool(_report_fields(raw_mime(headers, body)))


def verify_mdn(profile: As2Profile, headers: Mapping[str, str], body: bytes, sent: SentMessage) -> MdnResult:
    """Check an MDN against the message we sent. Never raises for bad input."""
    raw = raw_mime(headers, body)
    original = as2.Message(profile.organization(), profile.outbound_partner())
    original.message_id = sent.message_id.strip("<>")
    original.mic = sent.mic.encode("ascii") if sent.mic else None
    original.digest_alg = sent.mic_algorithm
    fields = _report_fields(raw)
    answered = fields.get("original-message-id", "").strip("<> ") or None
    signed = "multipart/signed" in next((v for k, v in headers.items() if k.lower() == "content-type"), "")

    def result(status: str, detail: str | None, delivered: bool, reason: str) -> MdnResult:
        mic, _, algorithm = fields.get("received-content-mic", "").partition(",")
        return MdnResult(
            answered,
            status,
            detail,
            signed,
            mic.strip() or None,
            normalize_digest(algorithm) if algorithm else None,
            delivered,
            reason,
        )

    if not fields:
        return result("failed/Failure", "mdn-not-found", False, "the answer is not an MDN")
    if answered != original.message_id:
        return result(
            "failed/Failure",
            "wrong-original-message-id",
            False,
            f"the MDN answers Message-ID <{answered}>, not <{original.message_id}>",
        )
    status, detail = as2.Mdn().parse(raw, lambda _id, _recipient: original)
    if not status or status.startswith("failed"):
        return result(status or "failed/Failure", detail, False, f"MDN not accepted: {detail}")
    disposition = fields.get("disposition", "").rpartition(";")[2].strip()
    head, _, tail = disposition.partition(":")
    kind, modifier = head.strip(), tail.strip() or None
    if kind.lower() not in ("processed", "processed/warning"):
        return result(kind or status, modifier, False, f"the partner reports {disposition or status}")
    mic, _, algorithm = fields.get("received-content-mic", "").partition(",")
    if sent.mic and (
        mic.strip() != sent.mic or normalize_digest(algorithm) != normalize_digest(sent.mic_algorithm)
    ):
        got = f"{mic.strip()}, {algorithm.strip()}" if mic.strip() else "no MIC"
        reason = f"MIC mismatch: we computed {sent.mic}, {sent.mic_algorithm}; the MDN says {got}"
        return result(kind, "mic-mismatch", False, reason)
    reason = disposition + (", MIC verified" if sent.mic else "")
    return result(kind, modifier, True, reason)
