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

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: each name this package exports -> the module that defines it. A module is imported the first
#: time one of its names is asked for (PEP 562): building the pydantic models is most of what
#: importing them costs, and ``acorn translate`` of an 850 needs the purchase order's alone.
_HOMES: dict[str, str] = {
    **dict.fromkeys(("Availability", "AvailabilityLine"), "availability"),
    **dict.fromkeys(("CanonicalDocument", "CanonicalModel"), "base"),
    **dict.fromkeys(("Invoice", "InvoiceLine"), "invoice"),
    **dict.fromkeys(("PARTY_ROLES", "AllowanceCharge", "ItemIds", "Party", "Tax", "Terms"), "parties"),
    **dict.fromkeys(("AckLine", "PoAcknowledgement"), "po_acknowledgement"),
    **dict.fromkeys(("OrderLine", "PurchaseOrder"), "purchase_order"),
    **dict.fromkeys(("Receipt", "ReceiptLine"), "receipt"),
    **dict.fromkeys(("Adjustment", "Remittance", "RemittanceLine", "RemittanceParty"), "remittance"),
    **dict.fromkeys(("ReturnAuthorization", "ReturnLine"), "return_authorization"),
    **dict.fromkeys(("Package", "PackageContent", "Shipment", "ShipmentLine", "ShipmentOrder"), "shipment"),
}

#: each document ``type`` key -> the module and class of its document
_DOCUMENTS: dict[str, tuple[str, str]] = {
    "purchase_order": ("purchase_order", "PurchaseOrder"),
    "shipment": ("shipment", "Shipment"),
    "invoice": ("invoice", "Invoice"),
    "return_authorization": ("return_authorization", "ReturnAuthorization"),
    "receipt": ("receipt", "Receipt"),
    "remittance": ("remittance", "Remittance"),
    "po_acknowledgement": ("po_acknowledgement", "PoAcknowledgement"),
    "availability": ("availability", "Availability"),
}


def _load(module: str, name: str) -> Any:
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


class DocumentTypes(Mapping[str, "type[CanonicalDocument]"]):
    """Each document ``type`` key (``purchase_order``...) and its class, imported when asked for."""

    def __getitem__(self, key: str) -> type[CanonicalDocument]:
        module, name = _DOCUMENTS[key]
        cls: type[CanonicalDocument] = _load(module, name)
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(_DOCUMENTS)

    def __len__(self) -> int:
        return len(_DOCUMENTS)


DOCUMENT_TYPES: Mapping[str, type[CanonicalDocument]] = DocumentTypes()


def __getattr__(name: str) -> Any:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = _load(module, name)
    globals()[name] = value  # asked once
    return value


def document_from_json(data: dict[str, Any]) -> CanonicalDocument:
    """The document of a JSON contract object, by its ``type`` key.

    Raises ``ValueError`` for a missing or unknown type, ``pydantic.ValidationError`` for
    a document that does not validate.
    """
    kind = data.get("type") if isinstance(data, dict) else None
    if not isinstance(kind, str) or kind not in _DOCUMENTS:
        raise ValueError(f"unknown document type {kind!r}; expected one of {', '.join(DOCUMENT_TYPES)}")
    return DOCUMENT_TYPES[kind].from_json_dict(data)


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
