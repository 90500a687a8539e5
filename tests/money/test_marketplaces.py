"""Issue 17 item 2: one account, many marketplaces. An invoice takes the marketplace of its PO's ship-to
FC: its currency, Amazon bill-to, tax registrations and VAT rate per product tax category.

Measured before: a GBP order's invoice was blocked ("currency GBP differs from EUR"), and every EU
invoice got the DE 19% rate and the LU bill-to whatever the ship-to country.
"""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal

import pytest

from gateway.config import ConfigError, load_partners
from gateway.config.marketplaces import Marketplace
from gateway.invoicing import build_invoices, check_invoice
from gateway.invoicing.markets import localised
from gateway.store.documents import load_document
from tests.money.conftest import ITEMS, PROFILES, asn, po, store, write_partners

EU, WH = "amazon-eu", "warehouse"
DAY = date(2026, 1, 16)

MARKETS = """\
    marketplaces:
      - code: DE
        currency: EUR
        bill_to: {id: "5450534000000", id_qualifier: "9", name: Amazon EU Sarl, country: LU,
                  tax_id: DE814584193}
        tax_registration: DE123456789
        tax: {type: VAT, rates: {standard: 19, reduced: 7}, items: {ASIN2: reduced}}
        fulfilment_centres: [FRA3, LEJ1]
      - code: FR
        currency: EUR
        bill_to: {id: "5450534000017", id_qualifier: "9", name: Amazon EU Sarl FR, country: FR,
                  tax_id: FR12487773327}
        tax_registration: FR40123456789
        tax: {type: VAT, rates: {standard: 20, reduced: 5.5}}
        fulfilment_centres: [ORY1]
      - code: UK
        currency: GBP
        bill_to: {id: "5450534000024", id_qualifier: "9", name: Amazon EU Sarl UK, country: GB,
                  tax_id: GB727255821}
        tax_registration: GB123456789
        tax: {type: VAT, rates: {standard: 20}}
        fulfilment_centres: [LTN1]
    """.replace("ASIN2", ITEMS["2"]["asin"])


@pytest.fixture
def partners(tmp_path):
    body = textwrap.dedent(PROFILES[EU]) + textwrap.dedent(MARKETS)
    return load_partners(write_partners(tmp_path / "partners", extra={EU: body}))


def _invoice(session, partners, fc: str, currency: str, lines: dict[str, int]):
    store(session, EU, po(fc=fc, currency=currency))
    store(session, WH, asn("ASN-1", lines, fc=fc))
    (row,) = build_invoices(session, partners, "ASN-1", today=DAY)
    return row, load_document(row)


def test_a_gbp_order_shipped_to_a_uk_fc_is_invoiced_in_gbp_to_the_uk_entity(session, partners) -> None:
    row, inv = _invoice(session, partners, "LTN1", "GBP", {"1": 4})
    assert check_invoice(session, partners, row.id, today=DAY) == []
    bill, remit = inv.maybe_party("bill_to"), inv.maybe_party("remit_to")
    assert (inv.currency, bill.id, bill.tax_id, remit.tax_id) == (
        "GBP",
        "5450534000024",
        "GB727255821",
        "GB123456789",
    )
    assert [(t.type, t.rate) for t in inv.lines[0].taxes] == [("VAT", Decimal(20))]


def test_a_french_fc_gets_the_french_rate_and_bill_to(session, partners) -> None:
    row, inv = _invoice(session, partners, "ORY1", "EUR", {"1": 4})
    assert check_invoice(session, partners, row.id, today=DAY) == []
    assert inv.maybe_party("bill_to").id == "5450534000017"
    assert [t.rate for t in inv.lines[0].taxes] == [Decimal(20)]
    assert inv.taxes[0].amount == Decimal("10.00")  # 4 x 12.50 at 20%, not at DE's 19%


def test_a_german_fc_taxes_each_item_by_its_category(session, partners) -> None:
    row, inv = _invoice(session, partners, "FRA3", "EUR", {"1": 4, "2": 10})
    assert check_invoice(session, partners, row.id, today=DAY) == []
    assert [ln.taxes[0].rate for ln in inv.lines] == [Decimal(19), Decimal(7)]


def test_the_pre_check_holds_an_invoice_to_its_marketplace(session, partners) -> None:
    row, _ = _invoice(session, partners, "LTN1", "EUR", {"1": 4})
    codes = {r.code for r in check_invoice(session, partners, row.id, today=DAY)}
    assert "marketplace_currency" in codes and row.status == "blocked"


def test_an_fc_of_no_marketplace_is_a_reason(session, partners) -> None:
    row, _ = _invoice(session, partners, "ZZZ9", "EUR", {"1": 4})
    assert "marketplace_unknown" in {r.code for r in check_invoice(session, partners, row.id, today=DAY)}


def test_bad_marketplaces_are_refused_with_the_file_and_key(tmp_path) -> None:
    body = textwrap.dedent(PROFILES[EU]) + textwrap.dedent(MARKETS).replace("currency: GBP", "currency: EUR")
    with pytest.raises(ConfigError, match="marketplace UK invoices in GBP, not EUR"):
        load_partners(write_partners(tmp_path / "p1", extra={EU: body}))
    body = textwrap.dedent(PROFILES[EU]) + textwrap.dedent(MARKETS).replace("[ORY1]", "[ORY1, FRA3]")
    with pytest.raises(ConfigError, match="FRA3 belong to more than one marketplace"):
        load_partners(write_partners(tmp_path / "p2", extra={EU: body}))


def test_dates_and_totals_in_the_marketplace_language(session, partners) -> None:
    jp = Marketplace.model_validate(
        {"code": "JP", "currency": "JPY", "bill_to": {"id": "X"}, "fulfilment_centres": ["NRT5"]}
    )
    _, inv = _invoice(session, partners, "ORY1", "EUR", {"1": 4})
    fr = partners.get(EU).marketplace("ORY1")
    assert localised(fr, inv)["invoice_date"] == "16 janvier 2026"
    assert localised(jp, inv.model_copy(update={"currency": "JPY", "total": Decimal(6000)}))[
        "invoice_date"
    ] == ("2026年1月16日")
