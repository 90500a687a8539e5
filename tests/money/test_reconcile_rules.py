"""Each reconciliation rule: a case that triggers it (with its expected, actual and money at risk) and one that does not.

Amazon's PO (partner amazon-us) is shipped by the warehouse's ASNs and invoiced by our ERP
(partner erp); documents are stored as the pipeline stores them and reconciled incrementally.
"""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal

from gateway.canonical import ItemIds, PurchaseOrder
from gateway.config import load_partners
from tests.money.conftest import ITEMS, PO, asn, invoice, po, reconcile_stored, rma, write_partners

US, WH, ERP = "amazon-us", "warehouse", "erp"


def kinds(found: dict) -> set[str]:
    return set(found)


def test_a_clean_po_shipped_and_invoiced_has_no_finding(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 24, "2": 48, "3": 12})),
        (ERP, invoice("INV-1", {"1": 24, "2": 48, "3": 12})),
    )
    assert found == {}


def test_a_po_shipped_in_two_asns_and_invoiced_twice_is_clean(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 12, "2": 48})),
        (WH, asn("ASN-2", {"1": 12, "3": 12}, ship_date=date(2026, 1, 17))),
        (ERP, invoice("INV-1", {"1": 12, "2": 48}, shipment_id="ASN-1")),
        (ERP, invoice("INV-2", {"1": 12, "3": 12}, shipment_id="ASN-2", invoice_date=date(2026, 1, 18))),
    )
    assert found == {}


def test_over_shipment_sums_every_asn(session, partners) -> None:
    found = reconcile_stored(
        session, partners, (US, po()), (WH, asn("ASN-1", {"1": 12})), (WH, asn("ASN-2", {"1": 15}))
    )
    (row,) = found["over_shipment"]
    assert (row.po_number, row.line_no, row.partner) == (PO, "1", US)
    assert (row.expected, row.actual) == ("<= 24 EA ordered", "27 EA shipped")
    assert row.amount_at_risk == Decimal("37.50") and row.currency == "USD"


def test_invoiced_past_shipped_is_a_shortage_claim(session, partners) -> None:
    found = reconcile_stored(
        session, partners, (US, po()), (WH, asn("ASN-1", {"1": 20})), (ERP, invoice("INV-1", {"1": 24}))
    )
    (row,) = found["invoiced_over_shipped"]
    assert (row.expected, row.actual, row.amount_at_risk) == (
        "<= 20 EA shipped",
        "24 EA invoiced",
        Decimal("50"),
    )
    (per_asn,) = found["invoice_quantity_over_asn"]  # the same 50.00, counted once
    assert per_asn.shipment_id == "ASN-1" and per_asn.amount_at_risk is None


def test_an_invoice_billing_another_asns_quantity(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 4})),
        (WH, asn("ASN-2", {"1": 20})),
        (ERP, invoice("INV-1", {"1": 20}, shipment_id="ASN-1")),
    )
    assert "invoiced_over_shipped" not in found  # 20 of 24 shipped overall
    (row,) = found["invoice_quantity_over_asn"]
    assert (row.shipment_id, row.expected, row.actual) == ("ASN-1", "<= 4 EA in ASN ASN-1", "20 EA invoiced")


def test_price_mismatch_on_the_erp_invoice(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"2": 48})),
        (ERP, invoice("INV-1", {"2": 48}, prices={"2": "4.95"})),
    )
    (row,) = found["price_mismatch"]
    assert (row.invoice_number, row.line_no, row.expected, row.actual) == (
        "INV-1",
        "2",
        "4.75 per EA",
        "4.95 per EA",
    )
    assert row.amount_at_risk == Decimal("9.60")  # 0.20 x 48


def test_item_ids_must_be_the_pos(session, partners) -> None:
    wrong = invoice("INV-1", {"1": 24})
    wrong.lines[0].item.ean = "0840012345999"
    found = reconcile_stored(session, partners, (US, po()), (WH, asn("ASN-1", {"1": 24})), (ERP, wrong))
    (row,) = found["item_id_mismatch"]
    assert row.actual == "B0C4LMP7Q2 (gtin differs)"


def test_an_invoice_naming_only_the_asin_is_fine_by_default(session, partners) -> None:
    fine = invoice("INV-1", {"1": 24})
    fine.lines[0].item.ean = None
    fine.lines[0].item.vendor_sku = None
    found = reconcile_stored(session, partners, (US, po()), (WH, asn("ASN-1", {"1": 24})), (ERP, fine))
    assert found == {}


def test_items_not_on_the_po(session, partners) -> None:
    stray = asn("ASN-1", {"1": 24})
    stray.orders[0].lines.append(
        stray.orders[0].lines[0].model_copy(update={"item": ItemIds(asin="B0ZZZZZZZZ"), "line_no": "9"})
    )
    found = reconcile_stored(session, partners, (US, po()), (WH, stray))
    (row,) = found["item_not_on_po"]
    assert (row.shipment_id, row.actual) == ("ASN-1", "B0ZZZZZZZZ")


def test_currency_and_total(session, partners) -> None:
    off = invoice("INV-1", {"1": 24}, total="300.02", currency="CAD")
    near = invoice("INV-2", {"2": 48}, shipment_id="ASN-2", total="228.01")
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 24})),
        (WH, asn("ASN-2", {"2": 48})),
        (ERP, off),
        (ERP, near),
    )
    (currency,) = found["currency_mismatch"]
    assert (currency.expected, currency.actual) == ("USD", "CAD")
    (total,) = found["invoice_total_mismatch"]  # INV-2 is within the one-cent tolerance
    assert (total.invoice_number, total.expected, total.actual, total.amount_at_risk) == (
        "INV-1",
        "300.00",
        "300.02",
        None,  # INV-1 is refused whole (CAD): its total is at risk once, on currency_mismatch
    )
    assert currency.amount_at_risk == Decimal("300.02")


def test_invoice_dates(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 24})),
        (WH, asn("ASN-2", {"2": 48})),
        (ERP, invoice("INV-1", {"1": 24}, invoice_date=date(2026, 1, 10))),
        (ERP, invoice("INV-2", {"2": 48}, shipment_id="ASN-2", invoice_date=date(2026, 1, 14))),
    )
    (before_po,) = found["invoice_before_po"]
    assert (before_po.invoice_number, before_po.expected) == ("INV-1", ">= 2026-01-12")
    assert {r.invoice_number for r in found["invoice_before_ship"]} == {"INV-1", "INV-2"}


def test_one_invoice_per_shipment(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 24})),
        (ERP, invoice("INV-1", {"1": 12})),
        (ERP, invoice("INV-2", {"1": 12}, invoice_date=date(2026, 1, 17))),
    )
    (row,) = found["duplicate_invoice"]
    assert (row.shipment_id, row.actual, row.amount_at_risk) == ("ASN-1", "INV-1, INV-2", None)


def test_a_reused_invoice_number(session, partners) -> None:
    reconcile_stored(
        session, partners, (US, po()), (WH, asn("ASN-1", {"1": 24})), (ERP, invoice("INV-9", {"1": 24}))
    )
    other = po("7KQ2MX4P")
    found = reconcile_stored(
        session,
        partners,
        (US, other),
        (WH, asn("ASN-7", {"1": 24}, po_number="7KQ2MX4P")),
        (ERP, invoice("INV-9", {"1": 24}, po_number="7KQ2MX4P", shipment_id="ASN-7")),  # the ERP reuses INV-9
    )
    (row,) = found["invoice_number_reused"]
    assert row.invoice_number == "INV-9" and "PO 4TQ8ZK2M" in row.expected and "PO 7KQ2MX4P" in row.actual


def test_the_same_invoice_received_twice_is_not_a_reuse(session, partners) -> None:
    reconcile_stored(
        session, partners, (US, po()), (WH, asn("ASN-1", {"1": 24})), (ERP, invoice("INV-1", {"1": 24}))
    )
    found = reconcile_stored(session, partners, (ERP, invoice("INV-1", {"1": 24})))
    assert found == {}


def test_invoices_without_an_asn(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (ERP, invoice("INV-1", {"1": 24}, shipment_id="ASN-X")),
        (ERP, invoice("INV-2", {"2": 48}, shipment_id=None)),
    )
    rows = {r.invoice_number: r.actual for r in found["invoice_without_asn"]}
    assert rows == {"INV-1": "ASN ASN-X not found for this PO", "INV-2": "no ASN for this PO"}


def test_documents_naming_an_unknown_po_close_when_it_arrives(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (WH, asn("ASN-1", {"1": 24})),
        (ERP, invoice("INV-1", {"1": 24})),
        (US, rma("RMA-1", {"1": 1}, rma_date=date(2026, 1, 19))),
    )
    assert {"asn_without_po", "invoice_without_po", "return_without_po"} <= kinds(found)
    assert found["asn_without_po"][0].partner == WH
    found = reconcile_stored(session, partners, (US, po()))
    assert not {"asn_without_po", "invoice_without_po", "return_without_po"} & kinds(found)


def test_returns(session, partners) -> None:
    found = reconcile_stored(
        session, partners, (US, po()), (US, rma("RMA-1", {"1": 2}, rma_date=date(2026, 1, 19)))
    )
    (row,) = found["return_without_shipment"]
    assert row.rma_number == "RMA-1"
    found = reconcile_stored(
        session,
        partners,
        (WH, asn("ASN-1", {"1": 24})),
        (US, rma("RMA-2", {"1": 30}, rma_date=date(2026, 1, 19))),
    )
    assert "return_without_shipment" not in found
    (over,) = found["returned_over_shipped"]
    assert (over.expected, over.actual, over.amount_at_risk) == (
        "<= 24 EA shipped",
        "32 EA returned",
        Decimal("100"),
    )


def test_a_return_needs_its_credit_note_after_the_grace_days(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 24})),
        (US, rma("RMA-1", {"1": 2})),
        today=date(2026, 2, 5),
    )
    assert "credit_note_missing" not in found  # 4 days, grace is 7
    found = reconcile_stored(session, partners, (US, rma("RMA-1", {"1": 2})), today=date(2026, 2, 9))
    (row,) = found["credit_note_missing"]
    assert (row.rma_number, row.amount_at_risk) == ("RMA-1", Decimal("25"))
    note = invoice(
        "CN-1",
        {"1": 2},
        kind="credit_note",
        shipment_id=None,
        original_invoice_number="INV-1",
        return_authorization="RMA-1",
        return_date=date(2026, 2, 1),
    )
    found = reconcile_stored(session, partners, (ERP, note), today=date(2026, 2, 9))
    assert "credit_note_missing" not in found


def test_cartons_must_add_up_to_the_items(session, partners) -> None:
    def carton(sscc: str, n: str, qty: int) -> dict:
        return {"sscc": sscc, "contents": [{"item": {"asin": ITEMS[n]["asin"]}, "quantity": qty}]}

    good = asn(
        "ASN-1",
        {"1": 24},
        packages=[carton("008400123450000016", "1", 12), carton("008400123450000023", "1", 12)],
    )
    bad = asn(
        "ASN-2",
        {"2": 48},
        packages=[carton("008400123450000030", "2", 24), carton("008400123450000030", "2", 12)],
    )
    found = reconcile_stored(session, partners, (US, po()), (WH, good), (WH, bad))
    (row,) = found["carton_mismatch"]
    assert (row.shipment_id, row.expected, row.actual) == (
        "ASN-2",
        "48 in the item lines",
        "36 in the cartons",
    )
    (dup,) = found["duplicate_sscc"]
    assert dup.actual == "SSCC 008400123450000030 2 times"


def test_shipping_to_another_fc(session, partners) -> None:
    found = reconcile_stored(session, partners, (US, po()), (WH, asn("ASN-1", {"1": 24}, fc="XYZ1")))
    (row,) = found["fc_mismatch"]
    assert (row.expected, row.actual, row.severity) == ("ABE8", "XYZ1", "warning")


def test_cases_count_in_eaches(session, partners) -> None:
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
                }
            ],
        }
    )
    shipped = asn("ASN-1", {"1": 24})  # 24 eaches = 4 cases of 6
    billed = invoice("INV-1", {"1": 4}, prices={"1": "75.00"})
    billed.lines[0].uom, billed.lines[0].case_size = "CA", Decimal(6)
    found = reconcile_stored(session, partners, (US, order), (WH, shipped), (ERP, billed))
    assert found == {}
    over = asn("ASN-2", {"1": 6})
    found = reconcile_stored(session, partners, (WH, over))
    (row,) = found["over_shipment"]
    assert (row.actual, row.amount_at_risk) == ("30 EA shipped", Decimal("75"))  # 6 EA at 12.50


def test_a_case_without_a_size(session, partners) -> None:
    shipped = asn("ASN-1", {"1": 2})
    shipped.orders[0].lines[0].uom = "CA"
    found = reconcile_stored(session, partners, (US, po()), (WH, shipped))
    (row,) = found["case_size_missing"]
    assert row.actual == "2 CA"


def test_rules_are_per_partner(session, tmp_path) -> None:
    extra = {
        "amazon-us": textwrap.dedent(
            """\
            name: amazon-us
            standard: x12
            version: "004010"
            identities: {x12: {isa_qualifier: ZZ, isa_id: AMAZON}}
            our_identity: {x12: {isa_qualifier: ZZ, isa_id: ACMEVENDOR}}
            rules:
              reconcile:
                skip: [price_mismatch]
                severity: {over_shipment: warning}
                quantity_tolerance: 1
            """
        )
    }
    partners = load_partners(write_partners(tmp_path / "p", extra=extra))
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 25, "2": 50})),
        (ERP, invoice("INV-1", {"2": 48}, prices={"2": "9.99"})),
    )
    assert "price_mismatch" not in found
    (row,) = found["over_shipment"]  # line 1 is within the tolerance of one each
    assert (row.line_no, row.severity) == ("2", "warning")


def test_an_asns_own_fields(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 12}, ship_date=date(2026, 1, 21), bol="20260121")),
        (WH, asn("ASN-2", {"1": 12}, bol="ACMEBOL2601150001")),
    )
    (future,) = found["asn_ship_date_in_future"]
    assert (future.shipment_id, future.expected, future.actual) == ("ASN-1", "<= 2026-01-20", "2026-01-21")
    (bol,) = found["asn_bol_is_date"]
    assert (bol.shipment_id, bol.actual) == ("ASN-1", "20260121")
    found = reconcile_stored(
        session, partners, (WH, asn("ASN-1", {"1": 12}, bol="BOL-1")), today=date(2026, 1, 22)
    )
    assert not {"asn_ship_date_in_future", "asn_bol_is_date"} & set(found)


def test_an_sscc_with_a_bad_check_digit_is_a_finding(session, partners) -> None:
    def carton(sscc: str) -> dict:
        return {"sscc": sscc, "contents": [{"item": {"asin": ITEMS["1"]["asin"]}, "quantity": 12}]}

    bad = asn("ASN-1", {"1": 24}, packages=[carton("008400123450000016"), carton("008400123450000024")])
    found = reconcile_stored(session, partners, (US, po()), (WH, bad))
    (row,) = found["sscc_check_digit"]
    assert (row.shipment_id, row.actual) == ("ASN-1", "SSCC 008400123450000024")


def test_a_second_asn_reusing_an_sscc_is_a_finding(session, partners) -> None:
    def carton(sscc: str, qty: int) -> dict:
        return {"sscc": sscc, "contents": [{"item": {"asin": ITEMS["1"]["asin"]}, "quantity": qty}]}

    first = asn("ASN-1", {"1": 12}, packages=[carton("008400123450000016", 12)])
    second = asn("ASN-2", {"1": 12}, packages=[carton("008400123450000016", 12)], ship_date=date(2026, 1, 16))
    found = reconcile_stored(session, partners, (US, po()), (WH, first), (WH, second))
    (row,) = found["sscc_reused"]
    assert (row.shipment_id, row.actual) == ("ASN-2", "SSCC 008400123450000016 already in ASN ASN-1")
    assert "over_shipment" not in found


def test_a_shipment_after_the_do_not_deliver_after_date_is_a_finding(session, partners) -> None:
    late = asn("ASN-1", {"1": 24}, ship_date=date(2026, 1, 27))
    found = reconcile_stored(session, partners, (US, po(not_after=date(2026, 1, 26))), (WH, late))
    (row,) = found["shipped_after_window"]
    assert (row.shipment_id, row.actual) == ("ASN-1", "2026-01-27")
    other = "4TQ8ZK2N"
    on_time = reconcile_stored(
        session, partners, (US, po(other)), (WH, asn("ASN-2", {"1": 24}, po_number=other))
    )
    assert all(row.po_number != other for row in on_time.get("shipped_after_window", []))
