"""AS2 messages (RFC 4130) in both directions, built and parsed with pyas2lib plus four fixes.

Outbound, :func:`build_message` lets pyas2lib compress (RFC 3274) and sign (multipart/signed,
CMS detached, SHA-256 by default), then encrypts itself with pyas2lib's CMS helper. Inbound,
:func:`parse_message` lets pyas2lib decrypt, decompress and verify. What we do on top, and why:

1. **RSA-OAEP is honoured.** ``Message.build`` never passes the partner's ``key_enc_alg`` to the
   encryption step, so OAEP silently became PKCS#1 v1.5. We build unencrypted and call
   ``cms.encrypt_message(..., key_enc_alg=...)`` ourselves on the exact MIME entity pyas2lib would
   have encrypted (same bytes, same headers), then add the RSAES-OAEP parameters it leaves out
   (without them ``openssl cms -decrypt`` fails). OAEP here is the CMS default, SHA-1/MGF1-SHA-1.
2. **Unsigned messages get their MIC.** pyas2lib computes the MIC only for signed messages, so an
   MDN for an encrypted-but-unsigned or plain message carried none. RFC 4130 section 7.3.1: for
   encrypted, unsigned messages the MIC is over the decrypted MIME entity (headers and content);
   for unsigned, unencrypted ones over the content alone. :func:`unsigned_mic` does that on both
   sides, so the sender can check the MDN of every kind of message.
3. **Bytes arrive exactly.** For any content type other than ``application/octet-stream`` pyas2lib
   picks a 7bit/8bit transfer encoding and the MIME writer turns every bare LF or CR into CRLF,
   so ``ISA...~\\n`` arrived as ``ISA...~\\r\\n`` and the partner's archive no longer matched
   ours. Such a payload is sent as ``application/octet-stream`` (binary) instead, with a warning;
   payloads without bare line ends keep the configured type.
4. **Message-IDs are ours to choose**, so a retry after a lost MDN repeats the same Message-ID
   and the partner can recognise the duplicate.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email import message as email_message
from email import message_from_bytes
from email.utils import unquote
from pathlib import PurePosixPath

from asn1crypto import algos  # type: ignore[import-untyped]
from asn1crypto import cms as asn1_cms

from gateway.transports.as2_lib import as2, asymmetric, cms, exceptions, utils
from gateway.transports.as2_profile import As2Profile

log = logging.getLogger(__name__)

OCTET_STREAM = "application/octet-stream"
_AS2_HEADERS = (
    "as2-version", "ediint-features", "message-id", "as2-from", "as2-to", "subject", "date",
    "disposition-notification-to", "disposition-notification-options", "receipt-delivery-option",
)  # fmt: skip
_BARE_LINE_END = re.compile(rb"\r(?!\n)|(?<!\r)\n")
_DIGESTS = {"sha1", "sha224", "sha256", "sha384", "sha512", "md5"}


def normalize_digest(name: str | None) -> str | None:
    """``SHA-256`` / ``sha256`` -> ``sha256`` (None when unknown)."""
    if not name:
        return None
    value = name.strip().lower().replace("-", "")
    return value if value in _DIGESTS else None


def digest_b64(data: bytes, algorithm: str) -> str:
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")


@dataclass(frozen=True)
class OutboundMessage:
    """A built AS2 message: HTTP headers and body, and the MIC the MDN must return."""

    message_id: str
    headers: dict[str, str]
    body: bytes
    mic: str | None
    mic_algorithm: str | None


def _encrypt(msg: as2.Message, profile: As2Profile) -> bytes:
    """Encrypt pyas2lib's built (unencrypted) payload in place; return the entity that was encrypted."""
    cfg = profile.config
    payload = msg.payload
    moved = [(key, value) for key, value in payload.items() if key.lower() in _AS2_HEADERS]
    for key, _ in moved:
        del payload[key]
    del payload["MIME-Version"]
    entity = utils.mime_to_bytes(payload)
    cert = asymmetric.load_certificate(profile.partner_encryption_certificate)
    envelope = cms.encrypt_message(entity, cfg.encrypt_algorithm, cert, key_enc_alg=cfg.key_encryption)
    if cfg.key_encryption == "rsaes_oaep":
        envelope = _with_oaep_parameters(envelope)
    outer = email_message.Message()
    outer.set_type("application/pkcs7-mime")
    outer.set_param("name", "smime.p7m")
    outer.set_param("smime-type", "enveloped-data")
    outer.add_header("Content-Disposition", "attachment", filename="smime.p7m")
    outer.add_header("Content-Transfer-Encoding", "binary")
    outer.set_payload(envelope)
    for key, value in moved:
        outer.add_header(key, value)
    msg.payload = outer
    msg.encrypted, msg.enc_alg = True, cfg.encrypt_algorithm
    return entity


def _with_oaep_parameters(envelope: bytes) -> bytes:
    """Write the RSAES-OAEP parameters pyas2lib leaves out. RFC 4055 wants them present; OpenSSL
    cannot unwrap the key without them. Empty parameters mean the defaults (SHA-1, MGF1-SHA-1),
    which is what oscrypto's OAEP uses."""
    info = asn1_cms.ContentInfo.load(envelope)
    for recipient in info["content"]["recipient_infos"]:
        transport = recipient.chosen
        if transport["key_encryption_algorithm"]["algorithm"].native == "rsaes_oaep":
            transport["key_encryption_algorithm"] = asn1_cms.KeyEncryptionAlgorithm(
                {"algorithm": "rsaes_oaep", "parameters": algos.RSAESOAEPParams.load(b"\x30\x00")}
            )
    return info.dump(force=True)


def safe_content_type(content_type: str, data: bytes) -> str:
    """The configured content type, or octet-stream when the MIME writer would change line ends."""
    if content_type.lower().startswith(OCTET_STREAM) or not _BARE_LINE_END.search(data):
        return content_type
    log.warning(
        "payload has bare LF/CR line ends that %s would turn into CRLF; sending it as %s to keep the bytes",
        content_type,
        OCTET_STREAM,
    )
    return OCTET_STREAM


def build_message(profile: As2Profile, filename: str, data: bytes, message_id: str) -> OutboundMessage:
    """Compress, sign and encrypt ``data`` as the profile says, with the given Message-ID
    (``local@domain``, angle brackets optional). Raises pyas2lib's ``AS2Exception`` on bad keys."""
    cfg = profile.config
    local, _, domain = message_id.strip().strip("<>").partition("@")
    msg = as2.Message(profile.organization(domain or None), profile.outbound_partner())
    msg.build(
        data,
        filename=PurePosixPath(filename).name,
        subject=cfg.subject,
        content_type=safe_content_type(cfg.content_type, data),
        disposition_notification_to=cfg.as2_id,
        message_id=local,
    )
    mic, algorithm = (msg.mic.decode("ascii"), cfg.sign_algorithm) if msg.mic else (None, None)
    if cfg.encrypt:
        entity = _encrypt(msg, profile)
        if mic is None:
            mic, algorithm = digest_b64(entity, cfg.sign_algorithm), cfg.sign_algorithm
    elif mic is None:
        mic, algorithm = digest_b64(msg.content, cfg.sign_algorithm), cfg.sign_algorithm
    headers = {key: value for key, value in msg.headers.items() if key.lower() != "mime-version"}
    headers["MIME-Version"] = "1.0"
    return OutboundMessage(msg.message_id, headers, bytes(msg.content), mic, algorithm)


# -- inbound -------------------------------------------------------------------------------------


@dataclass
class InboundMessage:
    """What :func:`parse_message` found. ``status`` is ``processed`` or an MDN disposition such as
    ``processed/Error`` with ``detail`` (``authentication-failed``...) and a readable ``reason``."""

    message_id: str | None
    as2_from: str
    as2_to: str
    profile: As2Profile | None
    status: str = "processed"
    detail: str | None = None
    reason: str | None = None
    payload: bytes | None = None
    filename: str | None = None
    signed: bool = False
    encrypted: bool = False
    compressed: bool = False
    message: as2.Message | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "processed"

    @property
    def wants_mdn(self) -> bool:
        return bool(self._header("disposition-notification-to"))

    @property
    def async_mdn_url(self) -> str | None:
        return self._header("receipt-delivery-option") or None

    def _header(self, name: str) -> str:
        if self.message is None or self.message.payload is None:
            return ""
        return str(self.message.payload.get(name, "") or "")


def raw_mime(headers: Mapping[str, str], body: bytes) -> bytes:
    """HTTP headers and body as one MIME message, the form pyas2lib parses."""
    lines = "".join(f"{key}: {value}\r\n" for key, value in headers.items())
    return lines.encode("utf-8", "surrogateescape") + b"\r\n" + body


def _filename(msg: as2.Message) -> str | None:
    name = msg.payload.get_filename() if msg.payload is not None else None
    if not name:
        return None
    name = PurePosixPath(name.replace("\\", "/")).name
    return name if name not in ("", ".", "..") else None


def unsigned_mic(msg: as2.Message, outer_content: bytes, decrypt_key: object, algorithm: str) -> str:
    """RFC 4130 7.3.1 MIC for an unsigned message: over the decrypted MIME entity when it was
    encrypted, else over the (transfer-decoded) content as received."""
    if msg.encrypted:
        _cipher, entity = cms.decrypt_message(outer_content, decrypt_key)
        return digest_b64(entity, algorithm)
    return digest_b64(outer_content, algorithm)


def requested_mic_algorithm(headers: Mapping[str, str]) -> str:
    """The first MIC algorithm the sender asked for that we know (sha256 when none), from
    ``Disposition-Notification-Options: ...; signed-receipt-micalg=optional, sha256, sha1``."""
    options = next((v for k, v in headers.items() if k.lower() == "disposition-notification-options"), "")
    for part in options.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "signed-receipt-micalg":
            for name in value.split(",")[1:]:
                found = normalize_digest(name)
                if found:
                    return found
    return "sha256"


def _failed_step(msg: as2.Message) -> str:
    """The disposition modifier for an error pyas2lib did not classify (e.g. garbage CMS)."""
    kind = (msg.payload.get_param("smime-type") or "") if msg.payload is not None else ""
    return {"enveloped-data": "decryption-failed", "compressed-data": "decompression-failed"}.get(
        str(kind).lower(), "unexpected-processing-error"
    )


def parse_message(
    headers: Mapping[str, str], body: bytes, lookup: Callable[[str, str], As2Profile | None]
) -> InboundMessage:
    """Verify, decrypt and decompress an AS2 POST. Never raises for bad input: problems come back
    as a non-``processed`` status with a reason. ``lookup(our_id, partner_id)`` finds the profile
    (it may raise ``CertificateError``/``LookupError`` for broken key files)."""
    by_name = {key.lower(): value for key, value in headers.items()}
    as2_from = unquote(by_name.get("as2-from", "").strip())
    as2_to = unquote(by_name.get("as2-to", "").strip())
    result = InboundMessage(by_name.get("message-id", "").strip().strip("<>") or None, as2_from, as2_to, None)

    def find(org_id: str, partner_id: str) -> tuple[as2.Organization | None, as2.Partner | None]:
        try:
            profile = lookup(org_id, partner_id)
        except (ValueError, LookupError) as exc:
            raise exceptions.AS2Exception(f"our AS2 set-up for {partner_id} is broken: {exc}") from None
        if profile is None:
            return None, None
        result.profile = profile
        return profile.organization(), profile.inbound_partner()

    msg = as2.Message()
    raw = raw_mime(headers, body)
    try:
        status, (error, _trace), _mdn = msg.parse(raw, find_org_partner_cb=find)
    except Exception as exc:  # pyas2lib's own MDN step can fail on odd input; report, never crash
        status, error = "processed/Error", exceptions.AS2Exception(f"cannot process the message: {exc}")
    result.message = msg
    result.message_id = msg.message_id or result.message_id
    result.signed, result.encrypted, result.compressed = msg.signed, msg.encrypted, msg.compressed
    if status == "processed" and error is None and msg.payload.is_multipart():
        error = exceptions.AS2Exception("the payload is a multipart MIME entity, not one file")
    if status != "processed" or error is not None:
        result.status = (
            status if status != "processed" and status.startswith("processed") else "processed/Error"
        )
        result.detail = getattr(error, "disposition_modifier", None) or _failed_step(msg)
        result.reason = str(error) if error else result.detail
        if isinstance(error, exceptions.PartnerNotFound):
            result.reason = f"no AS2 relationship from {as2_from!r} to {as2_to!r}"
        return result
    result.payload = msg.payload.get_payload(decode=True) or b""
    result.filename = _filename(msg)
    if not msg.mic and result.profile is not None:
        algorithm = requested_mic_algorithm(headers)
        decoded = message_from_bytes(raw).get_payload(decode=True)
        outer = decoded if isinstance(decoded, bytes) else b""
        msg.mic = unsigned_mic(msg, outer, msg.receiver.decrypt_key, algorithm).encode("ascii")
        msg.digest_alg = algorithm
    return result
