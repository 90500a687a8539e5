"""AS2 keys and certificates: loading (PEM or PKCS#12) and expiry warnings.

Each AS2 mailbox names our private key and certificate (PEM files, or one PKCS#12 ``.p12``/``.pfx``
file holding both) and the partner's certificate(s) (PEM or DER). They are loaded with
``cryptography`` and handed to pyas2lib as one in-memory PEM bundle, so pyas2lib's own PKCS#12
reader (oscrypto) never meets the formats it does not know. The key must belong to the
certificate; a password comes from the profile's ``private_key_password_env``/``_file`` and is
never logged.

:func:`expiring_certificates` lists every certificate that expires within N days (or already
has), for the console and the logs.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from gateway.config.partners import As2Mailbox as As2Config

log = logging.getLogger(__name__)


class CertificateError(ValueError):
    """A key or certificate file is missing, unreadable, of the wrong kind, or does not match."""


@dataclass(frozen=True)
class KeyPair:
    """Our private key with its certificate; ``bundle`` is the PEM pyas2lib loads (key + cert)."""

    certificate: x509.Certificate
    bundle: bytes

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CertificateError(f"cannot read {what} {path}: {exc.strerror}") from None


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file (a chain is fine) or the one in a DER file."""
    data = _read(path, "certificate")
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise CertificateError(f"{path} holds no certificate in PEM or DER form") from None


def certificate_pem(path: Path) -> bytes:
    """The first certificate of ``path`` as PEM (what pyas2lib takes for a partner)."""
    return load_certificates(path)[0].public_bytes(serialization.Encoding.PEM)


_loaded: dict[tuple[object, ...], KeyPair] = {}
_loaded_lock = threading.Lock()


def _stamp(path: Path | None) -> tuple[object, ...]:
    if path is None:
        return (None,)
    try:
        info = Path(path).stat()
    except OSError:
        return (str(path), None)
    return (str(path), info.st_mtime_ns, info.st_size)


def load_key_pair(key_path: Path, cert_path: Path | None, password: str | None) -> KeyPair:
    """Our key and certificate from PEM/DER files or one PKCS#12 file.

    Loading an RSA key is slow (tens of ms: the key is checked), so a pair is kept in memory
    until either file changes (path, mtime, size); the password is part of that key only as a hash.
    Raises :class:`CertificateError` (wrong password, no key, key and certificate that do not match).
    """
    secret_hash = hashlib.sha256(password.encode()).hexdigest() if password else None
    cache_key = (*_stamp(key_path), *_stamp(cert_path), secret_hash)
    with _loaded_lock:
        if cache_key in _loaded:
            return _loaded[cache_key]
    pair = _load_key_pair(key_path, cert_path, password)
    with _loaded_lock:
        if len(_loaded) > 256:
            _loaded.clear()
        _loaded[cache_key] = pair
    return pair


def _load_key_pair(key_path: Path, cert_path: Path | None, password: str | None) -> KeyPair:
    data = _read(key_path, "private key")
    secret = password.encode() if password else None
    certificate: x509.Certificate | None = None
    key: object
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, secret)
        elif Path(key_path).suffix.lower() in (".p12", ".pfx"):
            key, certificate, _extra = pkcs12.load_key_and_certificates(data, secret)
        else:
            key = serialization.load_der_private_key(data, secret)
    except (ValueError, TypeError) as exc:
        hint = (
            "wrong or missing password" if "password" in str(exc).lower() else "not a private key we can read"
        )
        raise CertificateError(f"cannot load private key {key_path}: {hint}") from None
    if key is None:
        raise CertificateError(f"{key_path} holds no private key")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError(f"{key_path}: AS2 here needs an RSA key, not {type(key).__name__}")
    if cert_path is not None:
        certificate = load_certificates(cert_path)[0]
    if certificate is None:
        raise CertificateError(f"no certificate for {key_path}: set our_certificate")
    certified = certificate.public_key()
    if (
        not isinstance(certified, rsa.RSAPublicKey)
        or certified.public_numbers() != key.public_key().public_numbers()
    ):
        raise CertificateError(
            f"private key {key_path} does not belong to certificate {cert_path or key_path}"
        )
    bundle = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + certificate.public_bytes(serialization.Encoding.PEM)
    return KeyPair(certificate=certificate, bundle=bundle)


@dataclass(frozen=True)
class CertificateExpiry:
    """One certificate that runs out soon (or already has)."""

    partner: str
    mailbox: str
    role: str  # "ours", "partner", "partner-encryption"
    path: Path
    subject: str
    not_after: datetime
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    def __str__(self) -> str:
        when = (
            f"expired {-self.days_left} day(s) ago" if self.expired else f"expires in {self.days_left} day(s)"
        )
        return (
            f"{self.partner}/{self.mailbox}: {self.role} certificate {self.subject} ({self.path}) {when},"
            f" on {self.not_after:%Y-%m-%d}"
        )


def _mailbox_certificates(config: As2Config) -> Iterable[tuple[str, Path]]:
    yield "ours", config.our_certificate or config.our_private_key
    yield "partner", config.partner_certificate
    if config.partner_encryption_certificate is not None:
        yield "partner-encryption", config.partner_encryption_certificate


def expiring_certificates(
    mailboxes: Iterable[tuple[str, As2Config]], within_days: int | None = None, now: datetime | None = None
) -> list[CertificateExpiry]:
    """Certificates of the given ``(partner, mailbox config)`` pairs that expire within
    ``within_days`` (default: each mailbox's ``certificate_warning_days``), soonest first.

    Files that cannot be read are logged and skipped (loading the mailbox reports them clearly);
    a PKCS#12 file is read without its password only when it has none.
    """
    now = now or datetime.now(UTC)
    found: list[CertificateExpiry] = []
    for partner, config in mailboxes:
        days = config.certificate_warning_days if within_days is None else within_days
        for role, path in _mailbox_certificates(config):
            try:
                if path.suffix.lower() in (".p12", ".pfx"):
                    password = config.private_key_password()
                    certs = [
                        load_key_pair(
                            path, None, password.get_secret_value() if password else None
                        ).certificate
                    ]
                else:
                    certs = load_certificates(path)[:1]
            except (CertificateError, LookupError) as exc:
                log.warning("%s/%s: cannot check %s certificate: %s", partner, config.name, role, exc)
                continue
            for cert in certs:
                not_after = cert.not_valid_after_utc
                if not_after - now <= timedelta(days=days):
                    left = (not_after - now) // timedelta(days=1)
                    found.append(
                        CertificateExpiry(
                            partner, config.name, role, path, cert.subject.rfc4514_string(), not_after, left
                        )
                    )
    return sorted(found, key=lambda item: item.not_after)
