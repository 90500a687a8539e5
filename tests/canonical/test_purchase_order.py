"""PurchaseOrder: validation of the header and lines."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from gateway.canonical import PurchaseOrder


def test_a_realistic_order_validates(samples) -> None:
    po = PurchaseOrder.model_validate(samples["purchase_order"])
    assert po.type == "purchase_order"
    assert po.lines[0].item.asin == "B07XJ8C8F5"
    assert po.lines[1].unit_price == Decimal("60.00")
    assert po.maybe_party("ship_to").id == po.ship_to_location
    assert po.maybe_party("remit_to") is None


def test_strings_are_stripped(samples) -> None:
    data = samples["purchase_order"]
    data["po_number"] = "  4Y7B2XQZ \t"
    data["lines"][0]["uom"] = " EA "
    po = PurchaseOrder.model_validate(data)
    assert (po.po_number, po.lines[0].uom) == ("4Y7B2XQZ", "EA")


def test_negative_quantity_names_the_line(samples) -> None:
    data = samples["purchase_order"]
    data["lines"][1]["quantity"] = Decimal("-1")
    with pytest.raises(ValidationError) as info:
        PurchaseOrder.model_validate(data)
    assert [e["loc"] for e in info.value.errors()] == [("lines", 1, "quantity")]


def test_negative_unit_price_is_refused(samples) -> None:
    data = samples["purchase_order"]
    data["lines"][0]["unit_price"] = "-12.50"
    with pytest.raises(ValidationError, match="unit_price"):
        PurchaseOrder.model_validate(data)


@pytest.mark.parametrize("currency", ["usd", "DOLLARS", "ZZZ", None])
def test_bad_currency(samples, currency) -> None:
    data = samples["purchase_order"]
    data["currency"] = currency
    with pytest.raises(ValidationError) as info:
        PurchaseOrder.model_validate(data)
    assert info.value.errors()[0]["loc"][0] == "currency"


@pytest.mark.parametrize(
    ("where", "key"), [((), "ship_to"), (("lines", 0), "tax_rate"), (("lines", 0, "item"), "isbn")]
)
def test_unknown_field_fails_loudly(samples, where, key) -> None:
    data = samples["purchase_order"]
    target = data
    for part in where:
        target = target[part]
    target[key] = "x"
    with pytest.raises(ValidationError) as info:
        PurchaseOrder.model_validate(data)
    error = info.value.errors()[0]
    assert error["type"] == "extra_forbidden"
    assert error["loc"] == (*where, key)


@pytest.mark.parametrize("missing", ["po_number", "order_date", "currency", "lines"])
def test_missing_required_field(samples, missing) -> None:
    data = samples["purchase_order"]
    del data[missing]
    with pytest.raises(ValidationError) as info:
        PurchaseOrder.model_validate(data)
    assert info.value.errors()[0]["loc"] == (missing,)


def test_an_order_needs_a_line(samples) -> None:
    data = samples["purchase_order"]
    data["lines"], data["line_count"] = [], None
    with pytest.raises(ValidationError, match="lines"):
        PurchaseOrder.model_validate(data)


@pytest.mark.parametrize("bad", ["2024-02-30", "20240115", "15/01/2024", "yesterday"])
def test_bad_date(samples, bad) -> None:
    data = samples["purchase_order"]
    data["order_date"] = bad
    with pytest.raises(ValidationError, match="order_date"):
        PurchaseOrder.model_validate(data)


def test_iso_date_text_is_read() -> None:
    po = PurchaseOrder.model_validate(
        {
            "po_number": "P",
            "order_date": "2024-02-29",
            "currency": "USD",
            "lines": [{"line_no": "1", "item": {"upc": "012345678905"}, "quantity": "1"}],
        }
    )
    assert po.order_date == date(2024, 2, 29)
    assert po.lines[0].uom == "EA"


def test_line_count_must_match_the_lines(samples) -> None:
    data = samples["purchase_order"]
    data["line_count"] = len(data["lines"]) + 1
    with pytest.raises(ValidationError, match="line_count"):
        PurchaseOrder.model_validate(data)


def test_delivery_window_must_not_be_reversed(samples) -> None:
    data = samples["purchase_order"]
    data["deliver_not_after"] = data["deliver_not_before"] - timedelta(days=1)
    with pytest.raises(ValidationError, match="deliver_not_before"):
        PurchaseOrder.model_validate(data)


def test_order_type_is_a_known_value(samples) -> None:
    data = samples["purchase_order"]
    data["order_type"] = "SA"
    with pytest.raises(ValidationError, match="order_type"):
        PurchaseOrder.model_validate(data)


def test_line_without_an_item_id_is_refused(samples) -> None:
    data = samples["purchase_order"]
    data["lines"][0]["item"] = {}
    with pytest.raises(ValidationError) as info:
        PurchaseOrder.model_validate(data)
    assert info.value.errors()[0]["loc"] == ("lines", 0, "item")


def test_assignment_is_validated(samples) -> None:
    po = PurchaseOrder.model_validate(samples["purchase_order"])
    with pytest.raises(ValidationError):
        po.currency = "dollars"
