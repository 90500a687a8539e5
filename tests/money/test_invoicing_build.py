"""Building invoices (per shipment and PO) and credit notes (per RMA) from the stored documents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session

from gateway.canonical import Invoice, PurchaseOrder
from gateway.invoicing import InvoicingError, build_credit_note, build_invoices, check_invoice
from gateway.store.counters import peek
from gateway.store.documents import load_document
from tests.money.conftest import ITEMS, asn, invoice, po, rma, store

US, EU, WH, ERP = "amazon-us", "amazon-eu", "warehouse", "erp"
DAY = date(2026, 1, 16)


def built(session: Session, partners, shipment_id: str, **kw) -> list[Invoice]:
    rows = build_invoices(session, partners, shipment_id, today=DAY, **kw)
    session.commit()
    return [load_document(r) for r in rows]  # type: ignore[misc]


def test_an_invoice_per_shipment_at_the_po_cost_with_the_pos_ids(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 12, "2": 48}, ids="asin"))  # the ASN names only ASINs
    (inv,) = built(session, partners, "ASN-1")
    assert (inv.invoice_number, inv.invoice_date, inv.po_number, inv.po_date) == (
        "ACME-2026-000001",
        DAY,
        "4TQ8ZK2M",
        date(2026, 1, 12),
    )
    assert (inv.shipment_id, inv.currency, inv.vendor_code, inv.ship_to_location) == (
        "ASN-1",
        "USD",
        "ACMEV",
        "ABE8",
    )
    assert [(ln.line_no, ln.quantity, ln.uom, ln.unit_price) for ln in inv.lines] == [
        ("1", Decimal(12), "EA", Decimal("12.50")),
        ("2", Decimal(48), "EA", Decimal("4.75")),
    ]
    assert inv.lines[0].item.model_dump(exclude_none=True) == ITEMS["1"]  # the PO's ids, not the ASN's
    assert inv.total == Decimal("378.00") and inv.line_count == 2
    assert {p.role: p.id for p in inv.parties} == {
        "remit_to": "ACMEV",
        "bill_to": "AMAZON",
        "ship_to": "ABE8",
    }
    assert (inv.terms.type_code, inv.terms.net_days, inv.terms.due_date) == ("01", 60, date(2026, 3, 17))


def test_building_again_finds_the_invoice_and_takes_no_number(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 12}))
    (first,) = built(session, partners, "ASN-1")
    (again,) = built(session, partners, "ASN-1")
    assert again.invoice_number == first.invoice_number and peek(session, US, "invoice") == 1


def test_an_erp_invoice_of_the_shipment_counts_as_its_invoice(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 12}))
    store(session, ERP, invoice("INV-1", {"1": 12}))
    (inv,) = built(session, partners, "ASN-1")
    assert inv.invoice_number == "INV-1" and peek(session, US, "invoice") is None


def test_the_invoice_date_is_never_before_the_ship_date(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 12}, ship_date=date(2026, 1, 20)))
    (inv,) = built(session, partners, "ASN-1")
    assert inv.invoice_date == date(2026, 1, 20)


def test_cases_when_the_eaches_make_whole_cases(session, partners) -> None:
    order = PurchaseOrder.model_validate(
        {
            **po().model_dump(),
            "lines": [
                {
                    "line_no": "1",
                    "item": ITEMS["1"],
                    "quantity": 4,
                    "uom": "CA",
                    "case_size": 6,
                    "unit_price": "75.00",
                },
                {
                    "line_no": "2",
                    "item": ITEMS["2"],
                    "quantity": 2,
                    "uom": "CA",
                    "case_size": 12,
                    "unit_price": "57",
                },
            ],
        }
    )
    store(session, US, order)
    store(session, WH, asn("ASN-1", {"1": 24, "2": 18}))
    (inv,) = built(session, partners, "ASN-1")
    assert [(ln.quantity, ln.uom, ln.case_size, ln.unit_price) for ln in inv.lines] == [
        (Decimal(4), "CA", Decimal(6), Decimal("75.00")),
        (Decimal("1.5"), "CA", Decimal(12), Decimal("57")),  # a case and a half: never a cost per each
    ]
    assert inv.total == Decimal("385.50")


def _case_po(case_size: int | None) -> PurchaseOrder:
    line = {"line_no": "1", "item": ITEMS["1"], "quantity": 10, "uom": "CA", "unit_price": "10.00"}
    if case_size is not None:
        line["case_size"] = case_size
    return PurchaseOrder.model_validate({**po().model_dump(), "lines": [line]})


def _case_asn(quantity: int, uom: str, case_size: int | None):
    shipment = asn("ASN-1", {"1": quantity})
    shipment.orders[0].lines[0].uom = uom
    shipment.orders[0].lines[0].case_size = Decimal(case_size) if case_size else None
    return shipment


def test_a_case_price_is_never_billed_per_each(session, partners) -> None:
    """A PO costs 10.00 a case and states no case size; the ASN ships 2 CA of 12 (PO4*12).
    That is 2 CA = 20.00, not 24 EA at the case price (240.00)."""
    store(session, US, _case_po(None))
    store(session, WH, _case_asn(2, "CA", 12))
    (row,) = build_invoices(session, partners, "ASN-1", today=DAY)
    inv = load_document(row)
    assert [(ln.quantity, ln.uom, ln.case_size, ln.unit_price) for ln in inv.lines] == [
        (Decimal(2), "CA", Decimal(12), Decimal("10.00"))
    ]
    assert inv.total == Decimal("20.00")
    assert check_invoice(session, partners, row.id, today=DAY) == []


def test_eaches_of_a_case_line_with_no_case_size_anywhere_are_not_invoiced(session, partners) -> None:
    store(session, US, _case_po(None))
    store(session, WH, _case_asn(2, "CA", None))
    with pytest.raises(InvoicingError, match="no case size, on the line or the PO"):
        build_invoices(session, partners, "ASN-1", today=DAY)
    assert peek(session, US, "invoice") is None  # no number taken


def test_a_shipment_of_two_pos_gets_two_invoices(session, partners) -> None:
    store(session, US, po())
    store(session, US, po("7KQ2MX4P"))
    two = asn("ASN-1", {"1": 12})
    two.orders.append(asn("X", {"3": 6}, po_number="7KQ2MX4P").orders[0])
    store(session, WH, two)
    invoices = built(session, partners, "ASN-1")
    assert [(i.po_number, i.invoice_number) for i in invoices] == [
        ("4TQ8ZK2M", "ACME-2026-000001"),
        ("7KQ2MX4P", "ACME-2026-000002"),
    ]
    (only,) = built(session, partners, "ASN-1", po_number="7KQ2MX4P")
    assert only.invoice_number == "ACME-2026-000002"


def test_eu_vat_from_the_profile(session, partners) -> None:
    store(session, EU, po(currency="EUR"))
    store(session, WH, asn("ASN-1", {"1": 10, "2": 3}))
    (inv,) = built(session, partners, "ASN-1")
    assert inv.invoice_number == "ACME-EU-2026-000001" and inv.currency == "EUR"
    assert [(t.type, t.rate, t.amount) for t in inv.lines[0].taxes] == [
        ("VAT", Decimal(19), Decimal("23.75"))
    ]
    ((tax_type, rate, amount, base),) = [(t.type, t.rate, t.amount, t.taxable_amount) for t in inv.taxes]
    assert (tax_type, rate, amount, base) == ("VAT", Decimal(19), Decimal("26.46"), Decimal("139.25"))
    assert inv.total == Decimal("165.71")
    assert {p.role: p.tax_id for p in inv.parties} == {
        "remit_to": "DE123456789",
        "bill_to": "LU20260743",
        "ship_to": None,
    }


def test_what_cannot_be_invoiced_says_why(session, partners) -> None:
    with pytest.raises(InvoicingError, match="no shipment 'ASN-9'"):
        build_invoices(session, partners, "ASN-9")
    store(session, WH, asn("ASN-1", {"1": 12}))
    with pytest.raises(InvoicingError, match="PO 4TQ8ZK2M of shipment ASN-1 is not in the store"):
        build_invoices(session, partners, "ASN-1")
    store(session, WH, po())  # a PO from a partner we do not invoice
    with pytest.raises(InvoicingError, match="partner warehouse has no invoice settings"):
        build_invoices(session, partners, "ASN-1")
    with pytest.raises(InvoicingError, match="carries no PO NOPE"):
        build_invoices(session, partners, "ASN-1", po_number="NOPE")


def test_a_credit_note_per_return(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 24}))
    (inv_row,) = build_invoices(session, partners, "ASN-1", today=DAY)
    inv_row.status = "accepted"
    store(session, US, rma("RMA-1", {"1": 2}))
    row = build_credit_note(session, partners, "RMA-1", today=date(2026, 2, 3))
    session.commit()
    note = load_document(row)
    assert (note.kind, note.invoice_number, note.original_invoice_number) == (
        "credit_note",
        "ACME-2026-000002",
        "ACME-2026-000001",
    )
    assert (note.return_authorization, note.return_date, note.invoice_date) == (
        "RMA-1",
        date(2026, 2, 1),
        date(2026, 2, 3),
    )
    assert [(ln.quantity, ln.unit_price, ln.item.asin) for ln in note.lines] == [
        (Decimal(2), Decimal("12.50"), "B0C4LMP7Q2")
    ]
    assert note.total == Decimal("25.00") and note.po_number == "4TQ8ZK2M"
    assert check_invoice(session, partners, row.id, today=date(2026, 2, 3)) == []
    assert build_credit_note(session, partners, "RMA-1").id == row.id  # found, not built twice


def test_a_return_without_po_is_credited_against_the_invoice_that_billed_the_item(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"2": 48}))
    store(session, ERP, invoice("INV-1", {"2": 48}))
    store(session, US, rma("RMA-1", {"2": 5}, po_number=None))
    note = load_document(build_credit_note(session, partners, "RMA-1", today=date(2026, 2, 3)))
    assert (note.original_invoice_number, note.total) == ("INV-1", Decimal("23.75"))


def test_a_return_of_what_was_never_invoiced(session, partners) -> None:
    store(session, US, po())
    store(session, US, rma("RMA-1", {"1": 1}))
    with pytest.raises(InvoicingError, match="no sent invoice billed B0C4LMP7Q2"):
        build_credit_note(session, partners, "RMA-1")
    with pytest.raises(InvoicingError, match="no return authorization 'RMA-2'"):
        build_credit_note(session, partners, "RMA-2")


def test_the_vendor_code_is_the_one_the_po_was_issued_to(session, partners) -> None:
    """Amazon pays under the vendor code of the order (REF*IA): the PO's, else the profile's."""
    store(session, US, po(vendor_code="ACMEV01"))
    store(session, US, po("7KQ2MX4P"))
    two = asn("ASN-1", {"1": 12})
    two.orders.append(asn("X", {"3": 6}, po_number="7KQ2MX4P").orders[0])
    store(session, WH, two)
    rows = build_invoices(session, partners, "ASN-1", today=DAY)
    invoices = [load_document(r) for r in rows]
    codes = [(i.vendor_code, i.maybe_party("remit_to").id) for i in invoices]  # type: ignore[union-attr]
    assert codes == [("ACMEV01", "ACMEV01"), ("ACMEV", "ACMEV")]
    assert [check_invoice(session, partners, r.id, today=DAY) for r in rows] == [[], []]
    wrong = Invoice.model_validate(
        {**invoices[0].model_dump(), "invoice_number": "V1", "vendor_code": "ACMEV"}
    )
    row = store(session, US, wrong, status="draft")
    reasons = check_invoice(session, partners, row.id, today=DAY)
    assert [r.code for r in reasons] == ["vendor_code"]
    assert reasons[0].message.startswith("vendor code ACMEV is not ACMEV01")


def _accepted_case_invoice(session, partners) -> None:
    """Invoice ACME-2026-000001: 2 CA of 12 lamps at 24.00 a case (2.00 each), accepted."""
    store(session, US, _case_po(12))
    store(session, WH, _case_asn(24, "EA", None))
    (row,) = build_invoices(session, partners, "ASN-1", today=DAY)
    assert [(ln.quantity, ln.uom) for ln in load_document(row).lines] == [(Decimal(2), "CA")]
    row.status = "accepted"


def test_a_case_returned_is_credited_in_cases(session, partners) -> None:
    """Issue 17: a whole case returned of a case-billed line is credited in cases at the case cost
    (never in eaches at a derived cost per each)."""
    _accepted_case_invoice(session, partners)
    returned = rma("RMA-1", {"1": 1})
    returned.lines[0].uom = "CA"
    store(session, US, returned)
    note = load_document(build_credit_note(session, partners, "RMA-1", today=date(2026, 2, 3)))
    assert [(ln.quantity, ln.uom, ln.case_size, ln.unit_price) for ln in note.lines] == [
        (Decimal(1), "CA", 12, Decimal("10"))
    ]
    assert note.total == Decimal("10.00")  # one case at the PO's 10.00, not one each at 0.83


def test_returns_never_credit_more_than_the_invoice_billed(session, partners) -> None:
    _accepted_case_invoice(session, partners)  # 24 lamps billed
    store(session, US, rma("RMA-1", {"1": 20}))
    first = build_credit_note(session, partners, "RMA-1", today=date(2026, 2, 3))
    assert check_invoice(session, partners, first.id, today=date(2026, 2, 3)) == []
    first.status = "sent"  # a draft credits nothing yet; every check runs again before a send
    store(session, US, rma("RMA-2", {"1": 10}))
    second = build_credit_note(session, partners, "RMA-2", today=date(2026, 2, 3))
    reasons = check_invoice(session, partners, second.id, today=date(2026, 2, 3))
    assert [(r.code, r.message) for r in reasons] == [
        ("credited_past_billed", "B0C4LMP7Q2: 30 EA credited in all, 24 EA billed on ACME-2026-000001")
    ]


def test_a_return_billed_on_two_invoices_gets_no_credit_note_naming_one(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 24}))
    store(session, WH, asn("ASN-2", {"2": 48}))
    for shipment in ("ASN-1", "ASN-2"):
        (row,) = build_invoices(session, partners, shipment, today=DAY)
        row.status = "accepted"
    store(session, US, rma("RMA-1", {"1": 1, "2": 1}))
    with pytest.raises(InvoicingError, match="billed on invoices ACME-2026-000001 and ACME-2026-000002"):
        build_credit_note(session, partners, "RMA-1", today=date(2026, 2, 3))
