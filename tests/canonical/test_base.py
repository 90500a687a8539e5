"""The JSON contract: shape of to_json_dict and the round trip through JSON text."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.canonical import DOCUMENT_TYPES, Invoice, PurchaseOrder

DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?")
DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")

# The fields issue 3 requires in the JSON of each document type.
CONTRACT = {
    "purchase_order": ["po_number", "order_date", "currency", "lines"],
    "shipment": ["shipment_id", "ship_date", "orders", "packages"],
    "invoice": ["invoice_number", "invoice_date", "kind", "po_number", "currency", "total", "lines"],
    "return_authorization": ["rma_number", "lines"],
    "receipt": ["receipt_id", "receipt_date", "po_number", "lines"],
    "remittance": ["trace_number", "payment_date", "amount", "currency", "parties", "lines", "adjustments"],
    "po_acknowledgement": ["ack_number", "po_number", "ack_date", "lines"],
    "availability": ["feed_id", "as_of", "lines"],
}
LINE_CONTRACT = {
    "purchase_order": ["line_no", "quantity", "uom", "unit_price", "item"],
    "invoice": ["quantity", "unit_price", "item"],
    "return_authorization": ["quantity", "item", "reason"],
    "receipt": ["po_number", "line_no", "quantity", "sscc", "item"],
    "po_acknowledgement": ["line_no", "ordered_quantity", "confirmed_quantity", "status", "reason", "item"],
}


@pytest.mark.parametrize("kind", sorted(DOCUMENT_TYPES))
def test_json_has_the_contract_fields_with_type_first(samples, kind) -> None:
    data = DOCUMENT_TYPES[kind].model_validate(samples[kind]).to_json_dict()
    assert next(iter(data)) == "type"
    assert data["type"] == kind
    assert set(CONTRACT[kind]) <= set(data)
    for line in data["lines"] if kind in LINE_CONTRACT else []:
        assert set(LINE_CONTRACT[kind]) <= set(line)
        assert set(line["item"]) >= {"asin", "ean", "upc", "vendor_sku"}
    json.dumps(data)  # plain JSON types only


def test_shipment_json_has_orders_lines_and_packages(samples) -> None:
    data = DOCUMENT_TYPES["shipment"].model_validate(samples["shipment"]).to_json_dict()
    assert {"po_number", "lines"} <= set(data["orders"][0])
    assert {"quantity", "item"} <= set(data["orders"][0]["lines"][0])
    assert all("sscc" in package for package in data["packages"])


def test_decimals_are_strings_that_keep_their_scale(samples) -> None:
    data = samples["purchase_order"]
    data["lines"][0]["unit_price"] = Decimal("12.50")
    data["lines"][1]["quantity"] = Decimal("6E+1")
    out = PurchaseOrder.model_validate(data).to_json_dict()
    assert out["lines"][0]["unit_price"] == "12.50"
    assert out["lines"][1]["quantity"] == "60"


def test_dates_are_iso_and_absent_values_are_null(samples) -> None:
    out = PurchaseOrder.model_validate(samples["purchase_order"]).to_json_dict()
    assert out["order_date"] == samples["purchase_order"]["order_date"].isoformat()
    assert out["purpose"] is None
    assert out["lines"][0]["description"] is None
    assert out["lines"][1]["item"]["asin"] is None


def _walk(value, path=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _walk(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _walk(inner, (*path, i))
    else:
        yield path, value


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=80)
@given(data=st.data())
def test_json_round_trip_of_generated_documents(document_dicts, data) -> None:
    raw = data.draw(document_dicts)
    doc = DOCUMENT_TYPES[raw["type"]].model_validate(raw)
    text = json.dumps(doc.to_json_dict())
    back = DOCUMENT_TYPES[raw["type"]].from_json_dict(json.loads(text))
    assert back == doc
    assert back.to_json_dict() == doc.to_json_dict()
    for path, value in _walk(doc.to_json_dict()):
        assert not isinstance(value, float), path
        if path[-1] in {"quantity", "unit_price", "total", "amount", "rate"} and value is not None:
            assert DECIMAL_TEXT.fullmatch(value), (path, value)
        if path[-1].endswith("_date") and value is not None:
            assert DATE_TEXT.fullmatch(value), (path, value)


def test_from_json_dict_refuses_the_wrong_type_key(samples) -> None:
    data = PurchaseOrder.model_validate(samples["purchase_order"]).to_json_dict()
    with pytest.raises(ValidationError, match="type"):
        Invoice.from_json_dict(data)
