"""Shipment: orders, packages and SSCCs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from gateway.canonical import Shipment


def test_a_realistic_shipment_validates(samples) -> None:
    asn = Shipment.model_validate(samples["shipment"])
    assert asn.orders[0].lines[0].quantity == 24
    pallet, carton = asn.packages
    assert (pallet.level, carton.level) == ("pallet", "carton")
    assert carton.parent_sscc == pallet.sscc
    assert carton.contents[0].po_number == asn.orders[0].po_number


def test_sscc_with_application_identifier_is_normalised(samples) -> None:
    data = samples["shipment"]
    plain = data["packages"][0]["sscc"]
    data["packages"][0]["sscc"] = "00" + plain
    assert Shipment.model_validate(data).packages[0].sscc == plain


def test_bad_sscc_names_the_package(samples) -> None:
    data = samples["shipment"]
    data["packages"][1]["sscc"] = "12345"
    with pytest.raises(ValidationError) as info:
        Shipment.model_validate(data)
    assert info.value.errors()[0]["loc"] == ("packages", 1, "sscc")


def test_package_level_is_pallet_or_carton(samples) -> None:
    data = samples["shipment"]
    data["packages"][0]["level"] = "tare"
    with pytest.raises(ValidationError, match="level"):
        Shipment.model_validate(data)


def test_a_shipment_needs_an_order(samples) -> None:
    data = samples["shipment"]
    data["orders"] = []
    with pytest.raises(ValidationError, match="orders"):
        Shipment.model_validate(data)


def test_shipped_quantity_is_not_negative(samples) -> None:
    data = samples["shipment"]
    data["packages"][1]["contents"][0]["quantity"] = Decimal("-24")
    with pytest.raises(ValidationError) as info:
        Shipment.model_validate(data)
    assert info.value.errors()[0]["loc"] == ("packages", 1, "contents", 0, "quantity")


@pytest.mark.parametrize("missing", ["shipment_id", "ship_date"])
def test_missing_required_field(samples, missing) -> None:
    data = samples["shipment"]
    del data[missing]
    with pytest.raises(ValidationError, match=missing):
        Shipment.model_validate(data)


def test_unknown_field_fails_loudly(samples) -> None:
    data = samples["shipment"]
    data["delivery_date"] = "2024-01-23"
    with pytest.raises(ValidationError, match="delivery_date"):
        Shipment.model_validate(data)
