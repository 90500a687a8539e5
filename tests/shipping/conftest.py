"""Shared ship-notice fixtures: a warehouse shipment of PO 4TQ8ZK2M with a pallet and cartons."""

from __future__ import annotations

from datetime import date
from typing import Any

from gateway.canonical import Shipment
from gateway.canonical.gs1 import make_sscc

PO = "4TQ8ZK2M"
LAMP = {"asin": "B07XJ8C8F5", "ean": "0840006647121"}
BULB = {"asin": "B08L5WHFT9", "vendor_sku": "ACM-200"}


def sscc(serial: int) -> str:
    return make_sscc(0, "0840012345", serial)


def shipment(
    shipment_id: str = "ASN-OUT-1", *, ship_date: date = date(2026, 1, 15), **extra: Any
) -> Shipment:
    """A pallet with two lamp cartons, and a loose carton of bulbs in cases."""
    pallet, c1, c2, c3 = sscc(1), sscc(2), sscc(3), sscc(4)
    data: dict[str, Any] = {
        "shipment_id": shipment_id,
        "ship_date": ship_date,
        "expected_delivery": date(2026, 1, 19),
        "purpose": "original",
        "carrier_scac": "UPSN",
        "bol": "BOL778899",
        "pro_number": "PRO4455",
        "ship_to_location": "ABE8",
        "parties": [
            {
                "role": "ship_from",
                "id": "ACMEWH",
                "id_qualifier": "92",
                "name": "Acme Warehouse",
                "city": "Dover",
                "state": "DE",
                "postal_code": "19901",
                "country": "US",
            },
            {"role": "ship_to", "id": "ABE8", "id_qualifier": "92", "name": "Amazon.com ABE8"},
        ],
        "orders": [
            {
                "po_number": PO,
                "lines": [
                    {"line_no": "1", "item": LAMP, "quantity": 24, "uom": "EA"},
                    {"line_no": "2", "item": BULB, "quantity": 2, "uom": "CA", "case_size": 12},
                ],
            }
        ],
        "packages": [
            {"sscc": pallet, "level": "pallet"},
            {"sscc": c1, "parent_sscc": pallet, "contents": [{"line_no": "1", "item": LAMP, "quantity": 12}]},
            {"sscc": c2, "parent_sscc": pallet, "contents": [{"line_no": "1", "item": LAMP, "quantity": 12}]},
            {"sscc": c3, "contents": [{"line_no": "2", "item": BULB, "quantity": 2, "uom": "CA"}]},
        ],
        **extra,
    }
    return Shipment.model_validate(data)
