"""The canonical business documents: standard-independent, typed, validated.

``PurchaseOrder``, ``Shipment``, ``Invoice`` (invoice or credit note), ``ReturnAuthorization``,
``Receipt``, ``Remittance``, ``PoAcknowledgement`` (855 / ORDRSP) and ``Availability`` (a vendor's
availability feed), built from nested
dicts with ``Model.model_validate(data)`` (unknown fields are refused), written in the JSON
contract with ``doc.to_json_dict()`` and read back with :func:`document_from_json`.
``DOCUMENT_TYPES`` maps each ``type`` key to its class. The XML form lives in
:mod:`gateway.canonical.xml`.
"""

from __future__ import annotations

from typing import Any

from gateway.canonical.availability import Availability, AvailabilityLine
from gateway.canonical.base import CanonicalDocument, CanonicalModel
from gateway.canonical.invoice import Invoice, InvoiceLine
from gateway.canonical.parties import PARTY_ROLES, AllowanceCharge, ItemIds, Party, Tax, Terms
from gateway.canonical.po_acknowledgement import AckLine, PoAcknowledgement
from gateway.canonical.purchase_order import OrderLine, PurchaseOrder
from gateway.canonical.receipt import Receipt, ReceiptLine
from gateway.canonical.remittance import Adjustment, Remittance, RemittanceLine, RemittanceParty
from gateway.canonical.return_authorization import ReturnAuthorization, ReturnLine
from gateway.canonical.shipment import Package, PackageContent, Shipment, ShipmentLine, ShipmentOrder

DOCUMENT_TYPES: dict[str, type[CanonicalDocument]] = {
    cls.type_key: cls
    for cls in (
        PurchaseOrder,
        Shipment,
        Invoice,
        ReturnAuthorization,
        Receipt,
        Remittance,
        PoAcknowledgement,
        Availability,
    )
}


def document_from_json(data: dict[str, Any]) -> CanonicalDocument:
    """The document of a JSON contract object, by its ``type`` key.

    Raises ``ValueError`` for a missing or unknown type, ``pydantic.ValidationError`` for
    a document that does not validate.
    """
    kind = data.get("type") if isinstance(data, dict) else None
    cls = DOCUMENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown document type {kind!r}; expected one of {', '.join(DOCUMENT_TYPES)}")
    return cls.from_json_dict(data)


__all__ = [
    "DOCUMENT_TYPES",
    "PARTY_ROLES",
    "AckLine",
    "Adjustment",
    "AllowanceCharge",
    "Availability",
    "AvailabilityLine",
    "CanonicalDocument",
    "CanonicalModel",
    "Invoice",
    "InvoiceLine",
    "ItemIds",
    "OrderLine",
    "Package",
    "PackageContent",
    "Party",
    "PoAcknowledgement",
    "PurchaseOrder",
    "Receipt",
    "ReceiptLine",
    "Remittance",
    "RemittanceLine",
    "RemittanceParty",
    "ReturnAuthorization",
    "ReturnLine",
    "Shipment",
    "ShipmentLine",
    "ShipmentOrder",
    "Tax",
    "Terms",
    "document_from_json",
]
