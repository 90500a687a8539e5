"""Compliance pre-checks: each rule blocks the invoice that breaks it (and only that one), with every reason listed."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session

from gateway.canonical import Invoice, ItemIds, Party
from gateway.config import load_partners
from gateway.invoicing import build_invoices, check_invoice, list_invoices
from gateway.store.documents import load_document
from gateway.store.money import InvoiceCheck
from tests.money.conftest import PROFILES, asn, invoice, po, store, write_partners

US, EU, WH, ERP = "amazon-us", "amazon-eu", "warehouse", "erp"
DAY = date(2026, 1, 16)


@pytest.fixture
def base(session: Session, partners) -> Invoice:
    """A built invoice that passes every check: PO 4TQ8ZK2M, ASN-1 shipped 24 lamps and 48 bulbs."""
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 24, "2": 48}))
    (row,) = build_invoices(session, partners, "ASN-1", today=DAY)
    assert check_invoice(session, partners, row.id, today=DAY) == []
    return load_document(row)  # type: ignore[return-value]


def variant(base: Invoice, number: str, total: str | None = None, **update: Any) -> Invoice:
    data = base.model_dump()
    data.update(invoice_number=number, **update)
    doc = Invoice.model_validate(data)
    doc.total = Decimal(total) if total is not None else doc.computed_total().quantize(Decimal("0.01"))
    return doc


def line(base: Invoice, i: int = 0, **update: Any) -> list[dict]:
    lines = [ln.model_dump() for ln in base.lines]
    lines[i].update(update)
    return lines


def codes(session: Session, partners, doc: Invoice, partner: str = US, today: date = DAY) -> set[str]:
    row = store(session, partner, doc, status="draft")
    return {r.code for r in check_invoice(session, partners, row.id, today=today)}


def test_number_rules(session, partners, base) -> None:
    assert codes(session, partners, variant(base, "X" * 23)) == {"number_too_long"}
    store(session, ERP, invoice("DUP-1", {"3": 1}, shipment_id=None))
    assert codes(session, partners, variant(base, "DUP-1")) == {"invoice_number_reused"}


def test_po_rules(session, partners, base) -> None:
    assert codes(session, partners, variant(base, "V1", po_number="PO-0001-X")) == {
        "invoice_without_po",
        "po_number_format",
    }


def test_dates(session, partners, base) -> None:
    assert codes(session, partners, variant(base, "V1", invoice_date=date(2026, 1, 10))) == {
        "invoice_before_po",
        "invoice_before_ship",
    }
    assert codes(session, partners, variant(base, "V2", invoice_date=date(2026, 1, 14))) == {
        "invoice_before_ship"
    }
    assert codes(session, partners, variant(base, "V3", invoice_date=date(2026, 1, 20))) == {"date_in_future"}


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        ({"quantity": Decimal(0)}, {"quantity_not_positive"}),
        ({"unit_price": Decimal(0)}, {"cost_not_positive", "price_mismatch"}),
        ({"unit_price": Decimal("12.60")}, {"price_mismatch"}),
        ({"uom": "PK"}, {"uom_not_allowed", "uom_mismatch"}),
        ({"uom": "CA"}, {"case_size_missing", "uom_mismatch"}),
        ({"item": ItemIds(asin="B0ZZZZZZZZ").model_dump()}, {"item_not_on_po"}),
        ({"item": ItemIds(asin="B0C4LMP7Q2", vendor_sku="ACM-LAMP-01").model_dump()}, {"item_id_mismatch"}),
        (
            {"quantity": Decimal(30)},
            {"invoiced_over_ordered", "invoiced_over_shipped", "invoice_quantity_over_asn"},
        ),
    ],
    ids=lambda x: "-".join(sorted(x)) if isinstance(x, set) else None,
)
def test_line_rules(session, partners, base, update, expected) -> None:
    assert codes(session, partners, variant(base, "V1", lines=line(base, 0, **update))) == expected


def test_currency_and_parties(session, partners, base) -> None:
    assert codes(session, partners, variant(base, "V1", currency="EUR")) == {"currency_mismatch"}
    assert codes(session, partners, variant(base, "V2", vendor_code="ACMEX")) == {"vendor_code"}
    assert codes(session, partners, variant(base, "V3", vendor_code=None)) == {"vendor_code"}
    no_remit = [p.model_dump() for p in base.parties if p.role != "remit_to"]
    assert codes(session, partners, variant(base, "V4", parties=no_remit)) == {"remit_to_missing"}
    no_bill = [p.model_dump() for p in base.parties if p.role != "bill_to"]
    assert codes(session, partners, variant(base, "V5", parties=no_bill)) == {"bill_to_missing"}
    other_fc = [p.model_dump() for p in base.parties if p.role != "ship_to"] + [
        Party(role="ship_to", id="XYZ1").model_dump()
    ]
    assert codes(session, partners, variant(base, "V6", parties=other_fc, ship_to_location="XYZ1")) == {
        "ship_to_differs"
    }


def test_shipment_rules(session, partners, base) -> None:
    assert codes(session, partners, variant(base, "V1", shipment_id="ASN-X")) == {"invoice_without_asn"}
    assert codes(session, partners, variant(base, "V2", shipment_id=None)) == {"invoice_without_asn"}
    store(session, ERP, invoice("INV-1", {"1": 24, "2": 48}))
    assert codes(session, partners, variant(base, "V3")) == {
        "duplicate_invoice",
        "invoiced_over_ordered",
        "invoiced_over_shipped",
        "invoice_quantity_over_asn",
    }


def test_an_over_shipment_is_not_billed_past_the_ordered_quantity(session, partners) -> None:
    """PO of 10, then ASNs of 15 and 5: what shipped past the order is not invoiced unchecked."""
    store(session, US, po(lines={"1": 10}))
    store(session, WH, asn("ASN-1", {"1": 15}))
    store(session, WH, asn("ASN-2", {"1": 5}))
    (first,) = build_invoices(session, partners, "ASN-1", today=DAY)
    reasons = check_invoice(session, partners, first.id, today=DAY)
    assert [(r.code, r.message) for r in reasons] == [
        ("invoiced_over_ordered", "PO line 1: 15 EA invoiced (expected <= 10 EA ordered)")
    ]
    # the first is blocked, so it bills nothing: the second ASN's 5 fit the order
    (second,) = build_invoices(session, partners, "ASN-2", today=DAY)
    assert check_invoice(session, partners, second.id, today=DAY) == []


def test_totals(session, partners, base) -> None:
    assert codes(session, partners, variant(base, "V1", total=str(base.total + 1))) == {
        "invoice_total_mismatch"
    }
    assert codes(session, partners, variant(base, "V2", total=str(base.total + Decimal("0.01")))) == set()


def test_credit_note_references(session, partners, base) -> None:
    note = variant(base, "CN-1", kind="credit_note", shipment_id=None, original_invoice_number="NOPE")
    assert codes(session, partners, note) == {"credit_note_original_missing", "credit_note_return_missing"}
    fine = variant(
        base,
        "CN-2",
        kind="credit_note",
        shipment_id=None,
        original_invoice_number="INV-1",
        return_authorization="RMA-1",
        return_date=date(2026, 1, 16),
    )
    store(session, ERP, invoice("INV-1", {"1": 24}))
    assert codes(session, partners, fine) == set()


def test_eu_tax_registration_and_line_tax(session, partners) -> None:
    store(session, EU, po(currency="EUR"))
    store(session, WH, asn("ASN-1", {"1": 10}))
    (row,) = build_invoices(session, partners, "ASN-1", today=DAY)
    good: Invoice = load_document(row)  # type: ignore[assignment]
    assert codes(session, partners, variant(good, "E1"), partner=EU) == set()
    parties = [p.model_dump() | ({"tax_id": None} if p.role == "remit_to" else {}) for p in good.parties]
    untaxed = line(good, 0, taxes=[])
    found = codes(
        session, partners, variant(good, "E2", parties=parties, lines=untaxed, taxes=[]), partner=EU
    )
    assert found == {"tax_registration_missing", "line_tax_missing"}


def test_a_blocked_invoice_lists_every_reason_and_unblocks_when_fixed(session, partners, base) -> None:
    bad = variant(base, "V1", currency="EUR", lines=line(base, 0, unit_price=Decimal("13")))
    row = store(session, US, bad, status="draft")
    reasons = check_invoice(session, partners, row.id, today=DAY)
    assert [r.code for r in reasons] == ["currency_mismatch", "price_mismatch"]
    assert "PO line 1: 13 per EA (expected 12.50 per EA)" in str(reasons[1])
    assert row.status == "blocked"
    (view,) = [v for v in list_invoices(session, state="blocked")]
    assert view.reasons == [r.to_json() for r in reasons]
    fixed = variant(base, "V1")
    row = store(session, US, fixed)
    assert check_invoice(session, partners, row.id, today=DAY) == [] and row.status == "draft"
    assert session.get(InvoiceCheck, row.id).reasons == []


def test_checks_can_be_switched_off_per_partner(session, tmp_path, base) -> None:
    profile = PROFILES["amazon-us"].rstrip(" ") + textwrap.indent(
        "  invoice: {skip: [price_mismatch], po_number_pattern: null}\n", " " * 8
    )
    partners = load_partners(write_partners(tmp_path / "p2", extra={"amazon-us": profile}))
    doc = variant(base, "V1", lines=line(base, 0, unit_price=Decimal("13")))
    assert codes(session, partners, doc) == set()
