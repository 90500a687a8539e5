"""The shipped mapping files (mappings/*.yaml) on the samples of mappings/tests/, with the real models.

The golden pairs (test_golden.py) pin every field; these tests state the business meaning
that matters most, so a failing golden after an edit says *what* broke: parties by role, the
FC code, the 856 hierarchy (pallet > carton, contents per package), credit-note references,
canonical return reasons and dispositions.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.canonical import Invoice, PurchaseOrder, ReturnAuthorization, Shipment
from gateway.edi import parse
from gateway.mapping import MappingRegistry, TranslationError, default_root

SAMPLES = default_root() / "tests"
MESSAGES = default_root().parent / "tests" / "data" / "messages"


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(default_root())


def translate(registry: MappingRegistry, path) -> list:
    parsed = parse(path)
    assert parsed.ok, parsed.errors
    return [registry.translate(tx) for tx in parsed.transactions]


def roles(doc) -> dict[str, str | None]:
    return {p.role: p.id for p in doc.parties}


def test_every_shipped_mapping_loads(registry) -> None:
    assert registry.check_all() == []
    names = {e.name for e in registry.entries}
    assert {
        "x12-004010-850-in",
        "x12-004010-856-in",
        "x12-005010-856-in",
        "x12-004010-810-in",
        "x12-004010-180-in",
        "edifact-d96a-orders-in",
        "edifact-d96a-desadv-in",
        "edifact-d96a-invoic-in",
        "edifact-d96a-retann-in",
        "x12-004010-810-out",
        "edifact-d96a-invoic-out",
    } <= names


def test_x12_850(registry) -> None:
    (po,) = translate(registry, SAMPLES / "x12-850-amazon.edi")
    assert isinstance(po, PurchaseOrder)
    assert (po.po_number, po.order_date, po.order_type, po.purpose, po.currency, po.vendor_code) == (
        "T3XB8ZQ4",
        date(2024, 1, 15),
        "new",
        "original",
        "USD",
        "ACME01",
    )
    assert (po.deliver_not_before, po.deliver_not_after) == (date(2024, 1, 20), date(2024, 1, 27))
    assert po.ship_to_location == "ABE2"
    assert roles(po) == {"bill_to": "AMZN", "ship_to": "ABE2"}
    assert po.maybe_party("ship_to").city == "Breinigsville"
    first, second = po.lines
    assert (first.item.asin, first.item.ean, first.item.vendor_sku) == (
        "B07XJ8C8F5",
        "0840006647121",
        "ACM-100",
    )
    assert (first.list_price, first.description) == (Decimal("24.99"), "Acorn desk lamp")
    assert (second.uom, second.unit_price, second.item.upc, second.item.vendor_sku) == (
        "CA",
        Decimal(60),
        "840006647138",
        "ACM-200",
    )
    assert po.line_count == 2


def test_x12_850_case_sizes_and_unknown_party_roles_are_skipped(registry, tmp_path) -> None:
    text = (SAMPLES / "x12-850-amazon.edi").read_text()
    text = text.replace("N1*BT*", "N1*ZZ*").replace(
        "PID*F****Acorn desk lamp~", "PO4*6~PID*F****Acorn desk lamp~"
    )
    text = text.replace("SE*17*", "SE*18*")
    path = tmp_path / "850.edi"
    path.write_text(text)
    (po,) = translate(registry, path)
    assert roles(po) == {"ship_to": "ABE2"}  # N1*ZZ is no party role we know: left out
    assert [line.case_size for line in po.lines] == [Decimal(6), None]


def test_x12_856_pallets_cartons_and_contents(registry) -> None:
    (shipment,) = translate(registry, SAMPLES / "x12-856-4010-sotpi.edi")
    assert isinstance(shipment, Shipment)
    assert (shipment.shipment_id, shipment.ship_date, shipment.expected_delivery) == (
        "ASN20240201A",
        date(2024, 2, 1),
        date(2024, 2, 5),
    )
    assert (shipment.carrier_scac, shipment.bol, shipment.pro_number) == (
        "UPSN",
        "BOL778899",
        "1Z999AA10123456784",
    )
    assert shipment.ship_to_location == "ABE2"
    assert roles(shipment) == {"ship_from": "ACMEWH", "ship_to": "ABE2"}
    (order,) = shipment.orders
    assert order.po_number == "T3XB8ZQ4"
    assert [(line.item.asin, line.quantity) for line in order.lines] == [
        ("B07XJ8C8F5", 12),
        ("B07XJ8C8F5", 12),
        ("B08L5WHFT9", 6),
    ]
    packages = {p.sscc: (p.level, p.parent_sscc, [c.quantity for c in p.contents]) for p in shipment.packages}
    assert packages == {
        "008400066470000017": ("pallet", None, []),
        "008400066470000024": ("carton", "008400066470000017", [12]),
        "008400066470000031": ("carton", "008400066470000017", [12]),
        "008400066470000048": ("carton", None, [6]),
    }
    assert {c.po_number for p in shipment.packages for c in p.contents} == {"T3XB8ZQ4"}
    packed = sum(c.quantity for p in shipment.packages for c in p.contents)
    assert packed == sum(line.quantity for line in order.lines)  # contents are never counted twice


def test_x12_856_5010_items_under_order_and_pack(registry) -> None:
    (shipment,) = translate(registry, SAMPLES / "x12-856-5010-sopi.edi")
    assert registry.select("x12", "005010", "856").name == "x12-005010-856-in"
    assert [line.item.asin for line in shipment.orders[0].lines] == ["B07XJ8C8F5", "B08L5WHFT9"]
    assert [p.sscc for p in shipment.packages] == ["008400066470000055"]
    assert [c.item.asin for c in shipment.packages[0].contents] == ["B07XJ8C8F5"]


def test_x12_810(registry) -> None:
    (invoice,) = translate(registry, SAMPLES / "x12-810-erp.edi")
    assert isinstance(invoice, Invoice)
    assert (invoice.invoice_number, invoice.kind, invoice.po_number, invoice.total) == (
        "INV-24-0042",
        "invoice",
        "T3XB8ZQ4",
        Decimal("650.00"),
    )
    assert invoice.computed_total() == invoice.total
    assert (invoice.terms.type_code, invoice.terms.net_days, invoice.terms.discount_percent) == (
        "01",
        30,
        Decimal(2),
    )
    assert [(a.indicator, a.amount, a.description) for a in invoice.allowances_charges] == [
        ("allowance", Decimal("10.00"), "Co-op allowance")
    ]
    assert roles(invoice) == {"remit_to": "ACME01", "bill_to": "AMZN", "ship_to": "ABE2"}


def test_x12_810_credit_memo_and_line_taxes(registry) -> None:
    (credit,) = translate(registry, MESSAGES / "x12_4010_810_credit_memo.edi")
    assert (credit.kind, credit.original_invoice_number, credit.return_authorization, credit.return_date) == (
        "credit_note",
        "INV-260116-001",
        "RMA-US-7Q3K81",
        date(2026, 3, 4),
    )
    (invoice,) = translate(registry, MESSAGES / "x12_4010_810_invoice.edi")
    assert [(t.type, t.amount, t.rate) for t in invoice.taxes] == [("SALES", Decimal(0), Decimal(0))]
    assert all(line.taxes == [] for line in invoice.lines)


def test_x12_180_disposition_and_reason(registry) -> None:
    (rma,) = translate(registry, SAMPLES / "x12-180-returns.edi")
    assert isinstance(rma, ReturnAuthorization)
    assert (rma.rma_number, rma.po_number, rma.rma_date) == ("RMA-7781", "T3XB8ZQ4", date(2024, 3, 1))
    assert [
        (line.line_no, line.item.asin, line.item.vendor_sku, line.quantity, line.reason, line.disposition)
        for line in rma.lines
    ] == [
        ("1", "B07XJ8C8F5", None, 3, "damaged", "return_to_vendor"),
        ("2", None, "ACM-200", 1, "wrong_item", "destroy"),
    ]


def test_edifact_orders(registry) -> None:
    (po,) = translate(registry, SAMPLES / "edifact-orders-amazon.edi")
    assert (po.po_number, po.order_date, po.currency, po.order_type) == (
        "8XK2PLM4",
        date(2024, 1, 15),
        "EUR",
        "new",
    )
    assert po.ship_to_location == "5450534001076"
    assert roles(po) == {"buyer": "5450534000000", "supplier": "4012345000009", "ship_to": "5450534001076"}
    ship_to = po.maybe_party("ship_to")
    assert (ship_to.name, ship_to.postal_code, ship_to.id_qualifier) == ("Amazon FRA3", "36251", "9")
    assert [
        (line.item.ean, line.item.asin, line.item.vendor_sku, line.quantity, line.uom, line.unit_price)
        for line in po.lines
    ] == [
        ("4012345678901", "B07XJ8C8F5", None, 24, "EA", Decimal("11.20")),
        ("4012345678918", None, "ACM-200", 6, "CT", Decimal(54)),
    ]
    assert po.lines[0].description == "Acorn Tischlampe"


def test_edifact_desadv_cps_hierarchy(registry) -> None:
    (shipment,) = translate(registry, SAMPLES / "edifact-desadv-3pl.edi")
    assert (shipment.shipment_id, shipment.ship_date, shipment.carrier_scac, shipment.bol) == (
        "DESADV-24-17",
        date(2024, 2, 1),
        "DHLX",
        "BOL-EU-4411",
    )
    assert [o.po_number for o in shipment.orders] == ["8XK2PLM4"]
    assert [line.quantity for line in shipment.orders[0].lines] == [24, 6]
    assert {
        p.sscc: (p.level, p.parent_sscc, [c.item.ean for c in p.contents]) for p in shipment.packages
    } == {
        "340123450000000013": ("pallet", None, []),
        "340123450000000020": ("carton", "340123450000000013", ["4012345678901"]),
        "340123450000000037": ("carton", "340123450000000013", ["4012345678918"]),
    }


def test_edifact_invoic_credit_note(registry) -> None:
    (credit,) = translate(registry, SAMPLES / "edifact-invoic-credit.edi")
    assert (
        credit.kind,
        credit.invoice_number,
        credit.original_invoice_number,
        credit.return_authorization,
    ) == (
        "credit_note",
        "CN-24-0007",
        "INV-24-0040",
        "RMA-EU-553",
    )
    assert (credit.total, credit.currency) == (Decimal("26.66"), "EUR")
    assert (credit.maybe_party("remit_to").tax_id, credit.maybe_party("bill_to").tax_id) == (
        "DE123456789",
        "LU20944528",
    )
    assert [(t.type, t.rate, t.amount) for t in credit.taxes] == [("VAT", Decimal(19), Decimal("4.26"))]
    assert [[(t.rate, t.amount) for t in line.taxes] for line in credit.lines] == [
        [(Decimal(19), Decimal("4.26"))]
    ]
    assert credit.computed_total() == credit.total


def test_edifact_invoic_po_date_is_the_one_of_the_po_reference(registry) -> None:
    (credit,) = translate(registry, MESSAGES / "edifact_d96a_invoic_credit_note.edi")
    assert credit.po_date is None  # its DTM+171 dates the RFF+IV before it, not the order
    (invoice,) = translate(registry, MESSAGES / "edifact_d96a_invoic_invoice.edi")
    assert invoice.po_date == date(2026, 2, 10)
    assert invoice.terms.type_code == "01" and invoice.terms.net_days == 30


def test_edifact_retann(registry) -> None:
    (rma,) = translate(registry, SAMPLES / "edifact-retann-returns.edi")
    assert (rma.rma_number, rma.po_number, rma.rma_date) == ("RMA-EU-553", "8XK2PLM4", date(2024, 3, 5))
    assert [
        (line.item.asin, line.quantity, line.reason, line.disposition, line.unit_credit) for line in rma.lines
    ] == [("B07XJ8C8F5", 2, "damaged", None, Decimal("11.20"))]


def test_bad_date_names_segment_element_and_field(registry) -> None:
    parsed = parse(MESSAGES / "bad_x12_850_bad_date.edi")
    (tx,) = parsed.transactions
    with pytest.raises(TranslationError) as err:
        registry.translate(tx)
    assert (err.value.position.tag, err.value.position.element, err.value.field) == ("BEG", 5, "order_date")
    assert "20261345" in err.value.message


@pytest.mark.parametrize(
    ("sample", "old", "new", "where", "field", "says"),
    [
        # a blank required element is named at its own segment, not at the transaction's start
        ("x12-850-amazon.edi", "BEG*00*NE*T3XB8ZQ4*", "BEG*00*NE**", ("BEG", 3), "po_number", "BEG03 is empty"),
        ("edifact-invoic-credit.edi", "BGM+381+CN-24-0007+", "BGM+381++", ("BGM", 2), "invoice_number", "empty"),
        # the document's own consistency rules are named at the segment of the field they check
        ("x12-850-amazon.edi", "CTT*2", "CTT*3", ("CTT", 1), "line_count", "line_count is 3 but the order has 2"),
        ("edifact-invoic-credit.edi", "CNT+2:1", "CNT+2:4", ("CNT", 1), "line_count", "the invoice has 1 lines"),
        # X12 has no decimal comma: 1,000 is refused, not read as 1.000
        ("x12-850-amazon.edi", "PO1*1*24*", "PO1*1*1,000*", ("PO1", 2), "lines[1].quantity", "no comma"),
        ("x12-850-amazon.edi", "PO1*1*24*", "PO1*1*1_000*", ("PO1", 2), "lines[1].quantity", "not a number"),
        ("x12-850-amazon.edi", "DTM*063*20240127", "DTM*063*20240101", ("DTM", 2), "deliver_not_after",
         "deliver_not_after (2024-01-01) is before deliver_not_before (2024-01-20): got 2024-01-01"),
    ],
)  # fmt: skip
def test_misfits_name_the_segment_and_element_that_carry_them(
    registry, tmp_path, sample, old, new, where, field, says
) -> None:
    text = (SAMPLES / sample).read_text()
    assert old in text
    (tmp_path / sample).write_text(text.replace(old, new))
    (tx,) = parse(tmp_path / sample).transactions
    with pytest.raises(TranslationError) as err:
        registry.translate(tx)
    assert ((err.value.position.tag, err.value.position.element), err.value.field) == (where, field)
    assert says in err.value.message


@pytest.mark.parametrize("small_scope", [0, 10**6])
def test_both_scan_strategies_read_the_same(registry, monkeypatch, small_scope) -> None:
    """A scope is read segment by segment when small, tag by tag when large: same documents."""
    from gateway.mapping import inbound

    files = sorted(SAMPLES.glob("*.edi")) + sorted(
        p for p in MESSAGES.glob("*.edi") if not p.name.startswith("bad_")
    )
    expected = [doc for path in files for doc in translate(registry, path)]
    monkeypatch.setattr(inbound, "SMALL_SCOPE", small_scope)
    assert [doc for path in files for doc in translate(registry, path)] == expected
