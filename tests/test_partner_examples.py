"""The shipped profiles: the examples in partners/examples (Amazon over AS2, the warehouse over SFTP)
validate, and the demo EU profile holds invoices to the EU rules."""

from __future__ import annotations

from gateway.config import load_partners
from tests.conftest import PROJECT_ROOT


def test_the_transport_examples_validate_and_use_their_transport() -> None:
    partners = load_partners(PROJECT_ROOT / "partners" / "examples")
    assert sorted(partners.names()) == ["amazon-eu", "amazon-jp", "amazon-us", "warehouse"]
    (as2,) = partners.get("amazon-us").mailboxes
    assert (as2.type, as2.sign, as2.encrypt, as2.sign_algorithm, as2.mdn_mode) == (
        "as2",
        True,
        True,
        "sha256",
        "sync",
    )
    (sftp,) = partners.get("warehouse").mailboxes
    assert (sftp.type, sftp.host, sftp.known_hosts.name) == (
        "sftp",
        "sftp.acme-3pl.example",
        "warehouse_known_hosts",
    )


def test_the_eu_profile_refuses_an_invoice_without_vat() -> None:
    """AMAZON-RULES.md: an EU INVOIC carries TAX+7+VAT on every line and both VAT numbers."""
    partners = load_partners(PROJECT_ROOT / "partners")
    rules = partners.get("amazon-eu").rules.invoice
    assert (rules.require_line_tax, rules.require_tax_registration) == (True, True)
    assert partners.get("amazon-us").rules.invoice.require_line_tax is False  # US sales tax is not per line


def test_the_examples_list_every_marketplace_with_its_currency() -> None:
    """Issue 17: US (X12 4010) with CA and MX; EU (EDIFACT D96A) DE..SE with GBP for UK; JP in yen."""
    partners = load_partners(PROJECT_ROOT / "partners" / "examples")
    found = {
        name: {m.code: m.currency for m in partners.get(name).marketplaces}
        for name in ("amazon-us", "amazon-eu", "amazon-jp")
    }
    assert found["amazon-us"] == {"US": "USD", "CA": "CAD", "MX": "MXN"}
    assert found["amazon-eu"] == {
        "DE": "EUR", "FR": "EUR", "IT": "EUR", "ES": "EUR", "UK": "GBP", "NL": "EUR", "PL": "PLN", "SE": "SEK"
    }  # fmt: skip
    assert found["amazon-jp"] == {"JP": "JPY"}
    assert (partners.get("amazon-us").standard, partners.get("amazon-us").version) == ("x12", "004010")
    assert (partners.get("amazon-eu").standard, partners.get("amazon-eu").version) == ("edifact", "D96A")
    uk = partners.get("amazon-eu").marketplace("LTN1")
    assert uk is not None and (uk.code, uk.tax.rate(None), uk.language) == ("UK", 20, "en_GB")
