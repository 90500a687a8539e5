"""Fixtures of the canonical tests: one realistic dict per document type, and hypothesis strategies.

The strategies build nested dicts the way a mapping does (strings for text, Decimals, dates) and
stay inside what a valid document allows, so every drawn dict validates.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import strategies as st

from gateway.canonical.currencies import ISO_4217

# Realistic samples (Amazon-shaped)


def purchase_order_dict() -> dict[str, Any]:
    return {
        "partner": "amazon-us",
        "source_message_id": 17,
        "po_number": "4Y7B2XQZ",
        "order_date": date(2024, 1, 15),
        "order_type": "new",
        "currency": "USD",
        "vendor_code": "ACMEV",
        "deliver_not_before": date(2024, 1, 22),
        "deliver_not_after": date(2024, 1, 29),
        "ship_to_location": "ABE2",
        "parties": [
            {
                "role": "ship_to",
                "id": "ABE2",
                "id_qualifier": "92",
                "name": "Amazon.com Services LLC",
                "address1": "705 Boulder Drive",
                "city": "Breinigsville",
                "state": "PA",
                "postal_code": "18031",
                "country": "US",
            },
            {"role": "buyer", "id": "AMAZON"},
        ],
        "lines": [
            {
                "line_no": "1",
                "item": {"asin": "B07XJ8C8F5", "ean": "0840006647121"},
                "quantity": Decimal(24),
                "uom": "EA",
                "unit_price": Decimal("12.50"),
                "list_price": Decimal("19.99"),
            },
            {
                "line_no": "2",
                "item": {"vendor_sku": "ACM-200"},
                "quantity": Decimal(6),
                "uom": "CA",
                "unit_price": Decimal("60.00"),
                "case_size": Decimal(12),
                "description": "Widget case",
            },
        ],
        "line_count": 2,
    }


def shipment_dict() -> dict[str, Any]:
    return {
        "shipment_id": "ASN-000123",
        "ship_date": date(2024, 1, 20),
        "expected_delivery": date(2024, 1, 23),
        "carrier_scac": "UPSN",
        "bol": "BOL778812",
        "arn": "2738450129",
        "ship_to_location": "ABE2",
        "parties": [{"role": "ship_from", "name": "Acme Warehouse", "country": "US"}],
        "orders": [
            {
                "po_number": "4Y7B2XQZ",
                "lines": [
                    {"line_no": "1", "item": {"asin": "B07XJ8C8F5"}, "quantity": Decimal(24), "uom": "EA"},
                ],
            },
        ],
        "packages": [
            {"sscc": "008400066470000017", "level": "pallet"},
            {
                "sscc": "008400066470000024",
                "parent_sscc": "008400066470000017",
                "level": "carton",
                "contents": [
                    {
                        "po_number": "4Y7B2XQZ",
                        "line_no": "1",
                        "item": {"asin": "B07XJ8C8F5"},
                        "quantity": Decimal(24),
                        "uom": "EA",
                    }
                ],
            },
        ],
    }


def invoice_dict() -> dict[str, Any]:
    return {
        "invoice_number": "INV-2024-0042",
        "invoice_date": date(2024, 2, 3),
        "kind": "invoice",
        "po_number": "4Y7B2XQZ",
        "shipment_id": "ASN-000123",
        "currency": "USD",
        "vendor_code": "ACMEV",
        "parties": [{"role": "remit_to", "id": "ACMEV", "name": "Acme Corp", "tax_id": "US123456789"}],
        "lines": [
            {
                "line_no": "1",
                "item": {"asin": "B07XJ8C8F5"},
                "quantity": Decimal(24),
                "uom": "EA",
                "unit_price": Decimal("12.50"),
            },
            {
                "line_no": "2",
                "item": {"asin": "B08L5WHFT9", "vendor_sku": "ACM-200"},
                "quantity": Decimal(6),
                "uom": "CA",
                "unit_price": Decimal("60.00"),
                "taxes": [{"type": "VA", "rate": Decimal("10"), "amount": Decimal("36.00")}],
            },
        ],
        "allowances_charges": [
            {"indicator": "charge", "code": "D240", "description": "Freight", "amount": Decimal("15.00")},
            {"indicator": "allowance", "code": "C310", "percent": Decimal("2")},
        ],
        "terms": {"type_code": "05", "discount_percent": Decimal("2"), "discount_days": 10, "net_days": 30},
        "total": Decimal("699.00"),
        "line_count": 2,
    }


def return_authorization_dict() -> dict[str, Any]:
    return {
        "rma_number": "RMA-55120",
        "rma_date": date(2024, 3, 1),
        "po_number": "4Y7B2XQZ",
        "currency": "EUR",
        "parties": [{"role": "vendor", "id": "ACMEV"}],
        "lines": [
            {
                "line_no": "1",
                "item": {"ean": "0840006647121"},
                "quantity": Decimal(2),
                "uom": "EA",
                "reason": "damaged",
                "disposition": "destroy",
                "unit_credit": Decimal("12.50"),
            },
        ],
    }


def po_acknowledgement_dict() -> dict[str, Any]:
    return {
        "ack_number": "2LQ9Z8XA",
        "po_number": "2LQ9Z8XA",
        "ack_date": date(2024, 3, 2),
        "order_date": date(2024, 3, 1),
        "currency": "USD",
        "vendor_code": "ACMEV",
        "ship_to_location": "ABE2",
        "lines": [
            {
                "line_no": "1",
                "item": {"asin": "B000000001", "vendor_sku": "SKU-1"},
                "ordered_quantity": Decimal(10),
                "uom": "CA",
                "confirmed_quantity": Decimal(6),
                "unit_price": Decimal("57.00"),
                "status": "accept",
            },
            {
                "line_no": "1",
                "item": {"asin": "B000000001", "vendor_sku": "SKU-1"},
                "ordered_quantity": Decimal(10),
                "uom": "CA",
                "confirmed_quantity": Decimal(4),
                "unit_price": Decimal("57.00"),
                "status": "backorder",
                "reason": "temporarily_unavailable",
                "backorder_date": date(2024, 3, 12),
            },
            {
                "line_no": "2",
                "item": {"ean": "0840006647121"},
                "ordered_quantity": Decimal(3),
                "confirmed_quantity": Decimal(0),
                "unit_price": Decimal("4.75"),
                "status": "reject",
                "reason": "obsolete_product",
            },
        ],
        "line_count": 3,
    }


def receipt_dict() -> dict[str, Any]:
    return {
        "receipt_id": "RCV-ABE2-20240220-01",
        "receipt_date": date(2024, 2, 20),
        "po_number": "T3XB8ZQ4",
        "shipment_id": "ASN20240201A",
        "ship_to_location": "ABE2",
        "lines": [
            {
                "line_no": "1",
                "item": {"asin": "B07XJ8C8F5"},
                "quantity": Decimal(10),
                "sscc": "008400066471210012",
            },
            {
                "line_no": "1",
                "item": {"asin": "B07XJ8C8F5"},
                "quantity": Decimal(12),
                "damaged": Decimal(2),
                "sscc": "008400066471210029",
            },
            {"line_no": "2", "item": {"asin": "B08L5WHFT9"}, "quantity": Decimal(36), "uom": "EA"},
        ],
        "line_count": 3,
    }


def remittance_dict() -> dict[str, Any]:
    return {
        "trace_number": "PAY-20240410-0001",
        "payment_date": date(2024, 4, 10),
        "currency": "USD",
        "handling": "C",
        "credit_debit": "credit",
        "method": "ACH",
        "parties": [{"role": "payer", "name": "Amazon.com Services LLC"}, {"role": "payee", "id": "ACME01"}],
        "lines": [
            {
                "reference": "INV-24-0042",
                "reference_qualifier": "IV",
                "amount_paid": Decimal("637.00"),
                "invoice_amount": Decimal("650.00"),
                "discount": Decimal("13.00"),
            },
            {"reference": "INV-24-0042-SC", "reference_qualifier": "IV", "amount_paid": Decimal("-25.00")},
        ],
        "adjustments": [{"amount": Decimal("-5.00"), "reason": "CS", "reference": "VCBSINV0012345"}],
        "amount": Decimal("607.00"),
    }


def availability_dict() -> dict[str, Any]:
    return {
        "partner": "warehouse",
        "feed_id": "stock-20240410",
        "as_of": datetime(2024, 4, 10, 6, 0),
        "warehouse": "WH-RENO",
        "lines": [
            {
                "item": {"asin": "B07XJ8C8F5", "vendor_sku": "SKU-1"},
                "quantity_available": Decimal(120),
                "cost": Decimal("4.75"),
                "currency": "USD",
            },
            {
                "item": {"ean": "4006381333931"},
                "quantity_available": Decimal(0),
                "available_on": date(2024, 4, 20),
            },
            {"item": {"upc": "012345678905"}, "quantity_available": Decimal(0), "status": "discontinued"},
        ],
    }


SAMPLES = {
    "purchase_order": purchase_order_dict,
    "shipment": shipment_dict,
    "invoice": invoice_dict,
    "return_authorization": return_authorization_dict,
    "receipt": receipt_dict,
    "remittance": remittance_dict,
    "po_acknowledgement": po_acknowledgement_dict,
    "availability": availability_dict,
}


@pytest.fixture
def samples() -> dict[str, Any]:
    """type key -> a fresh sample dict of that document."""
    return {key: make() for key, make in SAMPLES.items()}


# Strategies

_chars = st.characters(exclude_categories=("Cc", "Cs", "Cn"), include_characters="\t\n\r")
text = st.text(_chars, min_size=1, max_size=12).map(str.strip).filter(bool)
opt_text = st.none() | text
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))
opt_dates = st.none() | dates


def _decimals(max_value: int) -> st.SearchStrategy[Decimal]:
    return st.integers(0, 4).flatmap(
        lambda places: st.decimals(
            min_value=0, max_value=max_value, places=places, allow_nan=False, allow_infinity=False
        )
    )


non_negative = _decimals(10**7)
amount = st.builds(lambda d, negative: -d if negative else d, _decimals(10**7), st.booleans())
currency = st.sampled_from(sorted(ISO_4217))
sscc = st.text("0123456789", min_size=18, max_size=18)


items = st.fixed_dictionaries(
    {}, optional={"asin": text, "ean": text, "upc": text, "vendor_sku": text, "buyer_sku": text}
).filter(bool)
parties = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(
                ["buyer", "ship_to", "bill_to", "vendor", "remit_to", "ship_from", "supplier", "invoicee"]
            )
        },
        optional={
            k: opt_text
            for k in (
                "id",
                "id_qualifier",
                "name",
                "address1",
                "address2",
                "city",
                "state",
                "postal_code",
                "country",
                "tax_id",
            )
        },
    ),
    max_size=3,
)
taxes = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "type": text,
            "rate": non_negative,
            "amount": amount,
            "taxable_amount": amount,
            "category": text,
        },
    ),
    max_size=2,
)
header = {"partner": opt_text, "source_message_id": st.none() | st.integers(0, 2**62)}


def _with_line_count(doc: dict[str, Any], counted: bool) -> dict[str, Any]:
    return {**doc, "line_count": len(doc["lines"]) if counted else None}


po_lines = st.lists(
    st.fixed_dictionaries(
        {"line_no": text, "item": items, "quantity": non_negative},
        optional={
            "uom": text,
            "unit_price": non_negative,
            "list_price": non_negative,
            "case_size": non_negative,
            "description": opt_text,
        },
    ),
    min_size=1,
    max_size=4,
)
purchase_orders = st.builds(
    _with_line_count,
    st.fixed_dictionaries(
        {
            "type": st.just("purchase_order"),
            "po_number": text,
            "order_date": dates,
            "currency": currency,
            "lines": po_lines,
        },
        optional={
            **header,
            "order_type": st.sampled_from(["new", "consigned", "new_product", "rush", "other"]),
            "purpose": text,
            "vendor_code": text,
            "ship_to_location": text,
            "parties": parties,
            "deliver_not_before": st.just(date(2024, 1, 1)),
            "deliver_not_after": opt_dates.filter(lambda d: d is None or d >= date(2024, 1, 1)),
        },
    ),
    st.booleans(),
)
ship_lines = st.lists(
    st.fixed_dictionaries(
        {"item": items, "quantity": non_negative},
        optional={"line_no": text, "uom": text, "case_size": non_negative},
    ),
    max_size=3,
)
shipments = st.fixed_dictionaries(
    {
        "type": st.just("shipment"),
        "shipment_id": text,
        "ship_date": dates,
        "orders": st.lists(
            st.fixed_dictionaries({"po_number": text}, optional={"lines": ship_lines}), min_size=1, max_size=3
        ),
    },
    optional={
        **header,
        "expected_delivery": dates,
        "purpose": text,
        "carrier_scac": text,
        "bol": text,
        "pro_number": text,
        "arn": text,
        "ship_to_location": text,
        "parties": parties,
        "packages": st.lists(
            st.fixed_dictionaries(
                {"sscc": sscc},
                optional={
                    "parent_sscc": sscc,
                    "level": st.sampled_from(["pallet", "carton"]),
                    "contents": st.lists(
                        st.fixed_dictionaries(
                            {"item": items, "quantity": non_negative},
                            optional={"po_number": text, "line_no": text, "uom": text},
                        ),
                        max_size=3,
                    ),
                },
            ),
            max_size=3,
        ),
    },
)
invoice_lines = st.lists(
    st.fixed_dictionaries(
        {"line_no": text, "item": items, "quantity": non_negative, "unit_price": non_negative},
        optional={
            "uom": text,
            "case_size": non_negative,
            "amount": amount,
            "taxes": taxes,
            "description": text,
        },
    ),
    min_size=1,
    max_size=4,
)
allowances_charges = st.lists(
    st.fixed_dictionaries(
        {"indicator": st.sampled_from(["allowance", "charge"]), "amount": non_negative},
        optional={"code": text, "description": text, "percent": non_negative},
    ),
    max_size=2,
)
terms = st.fixed_dictionaries(
    {},
    optional={
        "type_code": text,
        "description": text,
        "discount_percent": non_negative,
        "discount_days": st.integers(0, 365),
        "net_days": st.integers(0, 365),
        "due_date": dates,
    },
)
invoices = st.builds(
    _with_line_count,
    st.fixed_dictionaries(
        {
            "type": st.just("invoice"),
            "invoice_number": text,
            "invoice_date": dates,
            "po_number": text,
            "currency": currency,
            "lines": invoice_lines,
            "total": amount,
        },
        optional={
            **header,
            "kind": st.sampled_from(["invoice", "credit_note"]),
            "po_date": dates,
            "shipment_id": text,
            "vendor_code": text,
            "ship_to_location": text,
            "parties": parties,
            "allowances_charges": allowances_charges,
            "taxes": taxes,
            "terms": terms,
            "original_invoice_number": text,
            "return_authorization": text,
            "return_date": dates,
        },
    ),
    st.booleans(),
)
return_authorizations = st.fixed_dictionaries(
    {
        "type": st.just("return_authorization"),
        "rma_number": text,
        "lines": st.lists(
            st.fixed_dictionaries(
                {"item": items, "quantity": non_negative},
                optional={
                    "line_no": text,
                    "uom": text,
                    "reason": text,
                    "disposition": text,
                    "unit_credit": non_negative,
                },
            ),
            min_size=1,
            max_size=4,
        ),
    },
    optional={**header, "rma_date": dates, "po_number": text, "currency": currency, "parties": parties},
)
receipt_line = {"item": items, "quantity": non_negative}
receipt_line_optional = {k: text for k in ("line_no", "po_number", "uom", "condition")} | {
    "damaged": non_negative,
    "sscc": sscc,
}
receipts = st.builds(
    _with_line_count,
    st.fixed_dictionaries(
        {
            "type": st.just("receipt"),
            "receipt_id": text,
            "receipt_date": dates,
            "po_number": text,
            "lines": st.lists(
                st.fixed_dictionaries(receipt_line, optional=receipt_line_optional), min_size=1
            ),
        },
        optional={
            **header,
            "purpose": text,
            "shipment_id": text,
            "arn": text,
            "bol": text,
            "ship_to_location": text,
            "parties": parties,
        },
    ),
    st.booleans(),
)
cents = st.integers(-(10**9), 10**9).map(lambda c: Decimal(c).scaleb(-2))
adjustments = st.lists(
    st.fixed_dictionaries(
        {"amount": cents}, optional={"reason": text, "reference_qualifier": text, "reference": text}
    ),
    max_size=2,
)
remittance_lines = st.lists(
    st.fixed_dictionaries(
        {"reference": text, "amount_paid": cents},
        optional={
            "reference_qualifier": text,
            "invoice_amount": cents,
            "discount": cents,
            "reference_date": dates,
            "po_number": text,
            "adjustments": adjustments,
        },
    ),
    max_size=5,
)


def _settled(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the amount its lines and adjustments add up to, as a valid remittance has."""
    paid = sum((line["amount_paid"] for line in doc["lines"]), Decimal(0))
    settled = paid + sum((a["amount"] for a in doc["adjustments"]), Decimal(0))
    return {**doc, "amount": -settled if doc.get("credit_debit") == "debit" else settled}


remittances = st.builds(
    _settled,
    st.fixed_dictionaries(
        {
            "type": st.just("remittance"),
            "trace_number": text,
            "payment_date": dates,
            "currency": currency,
            "lines": remittance_lines,
            "adjustments": adjustments,
        },
        optional={
            **header,
            "handling": text,
            "credit_debit": st.sampled_from(["credit", "debit"]),
            "method": text,
            "vendor_code": text,
            "parties": st.lists(
                st.fixed_dictionaries(
                    {"role": st.sampled_from(["payer", "payee"])},
                    optional={"id": opt_text, "id_qualifier": opt_text, "name": opt_text},
                ),
                max_size=2,
            ),
        },
    ),
)
any_document = st.one_of(purchase_orders, shipments, invoices, return_authorizations, receipts, remittances)


@pytest.fixture(scope="session")
def document_dicts() -> st.SearchStrategy[dict[str, Any]]:
    """A strategy of valid document dicts of every type (each with its ``type`` key)."""
    return any_document


@pytest.fixture(scope="session")
def remittance_dicts() -> st.SearchStrategy[dict[str, Any]]:
    """A strategy of valid remittance dicts (amount = what the lines and adjustments settle)."""
    return remittances
