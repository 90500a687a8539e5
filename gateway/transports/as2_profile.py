"""One AS2 relationship, loaded: the partner, its mailbox settings, our key pair and its certificates.

:class:`As2Profile` turns an ``as2`` mailbox entry of a partner profile into the pyas2lib
objects each direction needs: an ``Organization`` (us: signing and decryption key) and a
``Partner`` (them: signature and encryption certificates, what we send them, what we demand from
them). Partner certificates are pinned files, like SSH known_hosts, so pyas2lib's chain check is
off; expiry is watched by :func:`gateway.transports.as2_certs.expiring_certificates`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from gateway.config.partners import As2Mailbox as As2Config
from gateway.transports.as2_certs import KeyPair, certificate_pem, load_key_pair
from gateway.transports.as2_lib import as2

MDN_TEXT = "The AS2 message has been received and processed by ACORN."
MDN_FAILED_TEXT = "The AS2 message could not be processed; the disposition notification says why."


def message_domain(as2_id: str) -> str:
    """The right-hand side of our Message-IDs, derived from our AS2 id."""
    return re.sub(r"[^a-z0-9.-]+", "-", as2_id.lower()).strip("-.") or "acorn"


@dataclass(frozen=True)
class As2Profile:
    """A partner's AS2 mailbox with its keys and certificates read from disk."""

    partner: str
    config: As2Config
    keys: KeyPair
    partner_certificate: bytes
    partner_encryption_certificate: bytes

    @property
    def mailbox(self) -> str:
        return self.config.name

    @classmethod
    def load(cls, partner: str, config: As2Config, env: Mapping[str, str] | None = None) -> As2Profile:
        """Read the key pair and certificates the mailbox names.

        Raises :class:`~gateway.transports.as2_certs.CertificateError` or :class:`LookupError`
        (password reference unset); messages name files, never secrets.
        """
        password = config.private_key_password(env)
        keys = load_key_pair(
            config.our_private_key, config.our_certificate, password.get_secret_value() if password else None
        )
        theirs = certificate_pem(config.partner_certificate)
        encryption = (
            certificate_pem(config.partner_encryption_certificate)
            if config.partner_encryption_certificate is not None
            else theirs
        )
        return cls(partner, config, keys, theirs, encryption)

    def organization(self, domain: str | None = None) -> as2.Organization:
        """Us, as pyas2lib sees us: signing/decryption key and where async MDNs come back."""
        return as2.Organization(
            as2_name=self.config.as2_id,
            sign_key=self.keys.bundle,
            decrypt_key=self.keys.bundle,
            mdn_url=self.config.async_mdn_url,
            mdn_confirm_text=MDN_TEXT,
            domain=domain or message_domain(self.config.as2_id),
        )

    def outbound_partner(self) -> as2.Partner:
        """Them, for sending: sign and compress as configured. Encryption is done by
        :mod:`gateway.transports.as2_message` itself (pyas2lib ignores ``key_enc_alg``)."""
        cfg = self.config
        mdn_mode = {"sync": "SYNC", "async": "ASYNC", "none": None}[cfg.mdn_mode]
        return as2.Partner(
            as2_name=cfg.partner_as2_id,
            verify_cert=self.partner_certificate,
            encrypt_cert=self.partner_encryption_certificate,
            validate_certs=False,
            compress=cfg.compress,
            sign=cfg.sign,
            digest_alg=cfg.sign_algorithm,
            encrypt=False,
            enc_alg=cfg.encrypt_algorithm,
            key_enc_alg=cfg.key_encryption,
            mdn_mode=mdn_mode,
            mdn_digest_alg=cfg.sign_algorithm if cfg.mdn_signed and mdn_mode else None,
        )

    def inbound_partner(self) -> as2.Partner:
        """Them, for receiving: what we demand (signed, encrypted) and the certificate we verify with."""
        cfg = self.config
        return as2.Partner(
            as2_name=cfg.partner_as2_id,
            verify_cert=self.partner_certificate,
            encrypt_cert=self.partner_encryption_certificate,
            validate_certs=False,
            sign=cfg.require_signed,
            encrypt=cfg.require_encrypted,
            mdn_confirm_text=MDN_TEXT,
        )


ProfileLookup = Callable[[str, str], "As2Profile | None"]


def profile_lookup(
    mailboxes: Iterable[tuple[str, As2Config]], env: Mapping[str, str] | None = None
) -> ProfileLookup:
    """A ``lookup(our_as2_id, partner_as2_id)`` over ``(partner name, as2 mailbox)`` pairs, for
    :func:`gateway.transports.as2_http.make_as2_blueprint`. Keys are read on each lookup, so a
    renewed certificate is used without a restart."""
    index = {(cfg.as2_id, cfg.partner_as2_id): (partner, cfg) for partner, cfg in mailboxes}

    def lookup(our_id: str, partner_id: str) -> As2Profile | None:
        found = index.get((our_id, partner_id))
        return As2Profile.load(found[0], found[1], env) if found else None

    return lookup
