"""The shipped mapping files (mappings/*.yaml) on the sample messages of mappings/tests/.

These run the real files through the engine with models shaped after the issue's JSON
contract and a test-only splitter, so they do not depend on the readers or the canonical
package; the golden tests (test_golden.py) run the same files end to end.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.mapping import MappingRegistry, default_root

SAMPLES = default_root() / "tests"


@pytest.fixture
def registry(contract_models) -> MappingRegistry:
    return MappingRegistry(default_root(), models=contract_models)


def translate(registry: MappingRegistry, split, name: str) -> list:
    return [registry.translate(tx) for tx in split((SAMPLES / name).read_text())]


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


def test_x12_850(registry, split) -> None:
    (po,) = translate(registry, split, "x12-850-amazon.edi")
    assert (po.po_number, po.order_date, po.order_type, po.currency) == (
        "T3XB8ZQ4",
        date(2024, 1, 15),
        "new",
        "USD",
    )
    assert (po.deliver_not_before, po.deliver_not_after) == (date(2024, 1, 20), date(2024, 1, 27))
    assert (po.ship_to.code, po.ship_to.city, po.bill_to.code) == ("ABE2", "Breinigsville", "AMZN")
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


def test_x12_856_4010_with_tare(registry, split) -> None:
    (shipment,) = translate(registry, split, "x12-856-4010-sotpi.edi")
    assert (shipment.shipment_id, shipment.ship_date, shipment.delivery_date) == (
        "ASN20240201A",
        date(2024, 2, 1),
        date(2024, 2, 5),
    )
    assert (shipment.carrier_scac, shipment.bol, shipment.pro) == ("UPSN", "BOL778899", "1Z999AA10123456784")
    (order,) = shipment.orders
    assert order.po_number == "T3XB8ZQ4"
    assert [(line.item.asin, line.quantity) for line in order.lines] == [
        ("B07XJ8C8F5", 12),
        ("B07XJ8C8F5", 12),
        ("B08L5WHFT9", 6),
    ]
    packages = {p.sscc: (p.kind, [c.quantity for c in p.contents]) for p in shipment.packages}
    assert packages == {
        "00008400066470000017": ("pallet", [12, 12]),
        "00008400066470000024": ("carton", [12]),
        "00008400066470000031": ("carton", [12]),
        "00008400066470000048": ("carton", [6]),
    }
    assert {c.po_number for p in shipment.packages for c in p.contents} == {"T3XB8ZQ4"}


def test_x12_856_5010_items_under_order_and_pack(registry, split) -> None:
    (shipment,) = translate(registry, split, "x12-856-5010-sopi.edi")
    assert registry.select("x12", "005010", "856").name == "x12-005010-856-in"
    assert [line.item.asin for line in shipment.orders[0].lines] == ["B07XJ8C8F5", "B08L5WHFT9"]
    assert [p.sscc for p in shipment.packages] == ["00008400066470000055"]
    assert [c.item.asin for c in shipment.packages[0].contents] == ["B07XJ8C8F5"]


def test_x12_810(registry, split) -> None:
    (invoice,) = translate(registry, split, "x12-810-erp.edi")
    assert (invoice.invoice_number, invoice.kind, invoice.po_number, invoice.total) == (
        "INV-24-0042",
        "invoice",
        "T3XB8ZQ4",
        Decimal("630.00"),
    )
    assert (invoice.terms.net_days, invoice.terms.discount_percent) == (30, Decimal(2))
    assert [(a.kind, a.amount, a.description) for a in invoice.allowances_charges] == [
        ("allowance", Decimal("10.00"), "Co-op allowance")
    ]
    assert [line.quantity * line.unit_price for line in invoice.lines] == [Decimal(300), Decimal(360)]


def test_x12_180(registry, split) -> None:
    (rma,) = translate(registry, split, "x12-180-returns.edi")
    assert (rma.rma_number, rma.po_number, rma.return_date) == ("RMA-7781", "T3XB8ZQ4", date(2024, 3, 1))
    assert [
        (line.line_no, line.item.asin, line.item.vendor_sku, line.quantity, line.reason, line.disposition)
        for line in rma.lines
    ] == [
        ("1", "B07XJ8C8F5", None, 3, "damaged", "RTV"),
        ("2", None, "ACM-200", 1, "wrong_item", "DESTROY"),
    ]


def test_edifact_orders(registry, split) -> None:
    (po,) = translate(registry, split, "edifact-orders-amazon.edi")
    assert (po.po_number, po.order_date, po.currency, po.order_type) == (
        "8XK2PLM4",
        date(2024, 1, 15),
        "EUR",
        "new",
    )
    assert (po.ship_to.code, po.ship_to.name, po.ship_to.postal_code) == (
        "5450534001076",
        "Amazon FRA3",
        "36251",
    )
    assert [
        (line.item.ean, line.item.asin, line.item.vendor_sku, line.quantity, line.uom, line.unit_price)
        for line in po.lines
    ] == [
        ("4012345678901", "B07XJ8C8F5", None, 24, "EA", Decimal("11.20")),
        ("4012345678918", None, "ACM-200", 6, "CT", Decimal(54)),
    ]
    assert po.lines[0].description == "Acorn Tischlampe"


def test_edifact_desadv(registry, split) -> None:
    (shipment,) = translate(registry, split, "edifact-desadv-3pl.edi")
    assert (shipment.shipment_id, shipment.ship_date, shipment.carrier_scac) == (
        "DESADV-24-17",
        date(2024, 2, 1),
        "DHLX",
    )
    assert [o.po_number for o in shipment.orders] == ["8XK2PLM4"]
    assert [line.quantity for line in shipment.orders[0].lines] == [24, 6]
    assert {p.sscc: (p.kind, [c.item.ean for c in p.contents]) for p in shipment.packages} == {
        "340123450000000013": ("pallet", []),
        "340123450000000020": ("carton", ["4012345678901"]),
        "340123450000000037": ("carton", ["4012345678918"]),
    }


def test_edifact_invoic_credit_note(registry, split) -> None:
    (credit,) = translate(registry, split, "edifact-invoic-credit.edi")
    assert (credit.kind, credit.invoice_number, credit.original_invoice, credit.return_authorization) == (
        "credit_note",
        "CN-24-0007",
        "INV-24-0040",
        "RMA-EU-553",
    )
    assert (credit.total, credit.currency, credit.remit_to.tax_id, credit.bill_to.tax_id) == (
        Decimal("26.66"),
        "EUR",
        "DE123456789",
        "LU20944528",
    )
    assert [(t.type, t.rate, t.amount) for t in credit.taxes] == [("vat", Decimal(19), Decimal("4.26"))]
    assert [(line.tax_rate, line.tax_amount) for line in credit.lines] == [(Decimal(19), Decimal("4.26"))]


def test_edifact_retann(registry, split) -> None:
    (rma,) = translate(registry, split, "edifact-retann-returns.edi")
    assert (rma.rma_number, rma.po_number) == ("RMA-EU-553", "8XK2PLM4")
    assert [
        (line.item.asin, line.quantity, line.reason, line.disposition, line.unit_credit) for line in rma.lines
    ] == [("B07XJ8C8F5", 2, "damaged", "RTV", Decimal("11.20"))]


# --- outbound -> inbound round trips (segments level; test_golden.py adds the writers) ------------

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
text = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)


@st.composite
def invoices(draw, edifact: bool) -> dict:
    kind = draw(st.sampled_from(["invoice", "credit_note"]))
    lines = []
    for n in range(1, draw(st.integers(1, 4)) + 1):
        lines.append(
            {
                "line_no": str(n),
                "quantity": Decimal(draw(st.integers(1, 500))),
                "uom": draw(st.sampled_from(["EA", "CA"])),
                "unit_price": draw(money),
                "tax_rate": draw(st.sampled_from([None, Decimal(19), Decimal(7)])) if edifact else None,
                "item": {
                    "asin": draw(st.none() | text),
                    "ean": draw(st.none() | st.from_regex(r"\d{13}", fullmatch=True)),
                    "vendor_sku": draw(st.none() | text),
                },
            }
        )
    total = sum((line["quantity"] * line["unit_price"] for line in lines), Decimal(0))
    return {
        "invoice_number": draw(text),
        "invoice_date": draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))),
        "kind": kind,
        "po_number": draw(text),
        "shipment_id": draw(st.none() | text),
        "original_invoice": draw(text) if kind == "credit_note" else None,
        "currency": draw(st.sampled_from(["USD", "EUR", "GBP"])),
        "remit_to": {"code": draw(text), "name": draw(st.none() | text)},
        "lines": lines,
        "total": total,
    }


@pytest.mark.parametrize(
    ("standard", "version", "document", "head", "tail"),
    [
        ("x12", "004010", "810", ["ST", "810", "0001"], ["SE", "0", "0001"]),
        ("edifact", "D96A", "INVOIC", ["UNH", "1", ["INVOIC", "D", "96A", "UN"]], ["UNT", "0", "1"]),
    ],
)
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_invoices_round_trip(
    registry, contract_models, tx, standard, version, document, head, tail, data
) -> None:
    doc = contract_models["invoice"].model_validate(data.draw(invoices(standard == "edifact")))
    out = registry.render(doc, standard, version, document)
    back = registry.translate(tx([head, *out.segments, tail], standard, version))
    assert back == doc
