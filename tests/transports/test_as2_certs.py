"""AS2 keys and certificates: PEM and PKCS#12, clear errors, expiry warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pydantic import ValidationError

from gateway.config.partners import As2Mailbox as As2Config
from gateway.transports.as2 import As2Mailbox
from gateway.transports.as2_certs import CertificateError, expiring_certificates, load_key_pair
from gateway.transports.as2_http import make_as2_app
from gateway.transports.as2_profile import profile_lookup

from .conftest import make_certificate
from .test_as2 import X12, Endpoint, acme_config, amazon_config


def make_p12(key_path, cert_path, target, password: bytes | None):
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    target.write_bytes(pkcs12.serialize_key_and_certificates(b"acme", key, cert, None, encryption))
    return target


def test_pkcs12_key_with_password_end_to_end(pki, http_server, tmp_path, monkeypatch):
    p12 = make_p12(*pki.acme, tmp_path / "acme.p12", b"p12-secret")
    monkeypatch.setenv("ACME_P12_PASSWORD", "p12-secret")
    endpoint = Endpoint()
    app = make_as2_app(profile_lookup([("acme", amazon_config(pki))]), endpoint.deliver)
    url = http_server(app).url + "/as2"
    config = acme_config(
        pki, url, our_private_key=str(p12), our_certificate=None, private_key_password_env="ACME_P12_PASSWORD"
    )
    receipt = As2Mailbox("amazon-us", config).send("INV.edi", X12)
    assert receipt.delivered and endpoint.delivered[0][3] == X12


def test_wrong_pkcs12_password_is_named_without_the_secret(pki, tmp_path):
    p12 = make_p12(*pki.acme, tmp_path / "acme.pfx", b"right-one")
    with pytest.raises(CertificateError, match="wrong or missing password") as info:
        load_key_pair(p12, None, "wrong-one")
    assert "wrong-one" not in str(info.value) and "right-one" not in str(info.value)


def test_encrypted_pem_key(tmp_path):
    key, cert = make_certificate(tmp_path, "locked", password="pem-pass")
    assert load_key_pair(key, cert, "pem-pass").certificate.subject.rfc4514_string() == "CN=locked"
    with pytest.raises(CertificateError, match="password"):
        load_key_pair(key, cert, None)


def test_key_that_does_not_match_the_certificate(pki):
    with pytest.raises(CertificateError, match="does not belong to certificate"):
        load_key_pair(pki.acme[0], pki.amazon[1], None)


def test_missing_files_are_named(pki, tmp_path):
    with pytest.raises(CertificateError, match=r"cannot read private key .*nowhere\.key"):
        load_key_pair(tmp_path / "nowhere.key", pki.acme[1], None)
    junk = tmp_path / "junk.crt"
    junk.write_bytes(b"\x00junk")
    with pytest.raises(CertificateError, match="no certificate in PEM or DER"):
        load_key_pair(pki.acme[0], junk, None)


def test_config_needs_a_certificate_unless_pkcs12(pki):
    with pytest.raises(ValidationError, match="our_certificate"):
        acme_config(pki, "http://x/", our_certificate=None)
    assert (
        acme_config(pki, "http://x/", our_certificate=None, our_private_key="k.p12").our_certificate is None
    )


def test_expiring_certificates(tmp_path, pki):
    soon = make_certificate(tmp_path, "soon", days=10)
    gone = make_certificate(tmp_path, "gone", days=-3)
    fresh = acme_config(pki, "http://x/")
    ending = As2Config.model_validate(
        {**acme_config(pki, "http://x/").model_dump(), "name": "as2b", "our_private_key": str(soon[0]),
         "our_certificate": str(soon[1]), "partner_certificate": str(gone[1])}
    )  # fmt: skip
    found = expiring_certificates([("amazon-us", fresh), ("amazon-eu", ending)])
    assert [(f.partner, f.mailbox, f.role, f.subject) for f in found] == [
        ("amazon-eu", "as2b", "partner", "CN=gone"),
        ("amazon-eu", "as2b", "ours", "CN=soon"),
    ]
    assert found[0].expired and "expired" in str(found[0])
    assert not found[1].expired and 8 <= found[1].days_left <= 10 and "expires in" in str(found[1])
    # A wider window catches the year-long ones too; a fixed clock makes the count exact.
    later = datetime.now(UTC) + timedelta(days=400)
    assert len(expiring_certificates([("amazon-us", fresh)], within_days=0, now=later)) == 2


def test_unreadable_certificate_is_skipped_and_logged(pki, tmp_path, caplog):
    config = acme_config(pki, "http://x/", partner_certificate=str(tmp_path / "missing.crt"))
    assert expiring_certificates([("amazon-us", config)], within_days=10_000)[0].role == "ours"
    assert "cannot check partner certificate" in caplog.text
