"""The canonical shipment notice (X12 856, EDIFACT DESADV): orders shipped and packages."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from gateway.canonical.base import CanonicalDocument, CanonicalModel
from gateway.canonical.parties import ItemIds, Party
from gateway.canonical.types import NonNegative, OptText, Sscc, Text


class ShipmentLine(CanonicalModel):
    """An order line as shipped."""

    line_no: OptText = None
    item: ItemIds
    quantity: NonNegative
    uom: Text = "EA"
    case_size: NonNegative | None = None


class ShipmentOrder(CanonicalModel):
    """One purchase order in the shipment."""

    po_number: Text
    lines: list[ShipmentLine] = []


class PackageContent(CanonicalModel):
    """What a package holds of one item."""

    po_number: OptText = None
    line_no: OptText = None
    item: ItemIds
    quantity: NonNegative
    uom: Text = "EA"


class Package(CanonicalModel):
    """A pallet or a carton, by SSCC; a carton on a pallet names it in ``parent_sscc``."""

    sscc: Sscc
    parent_sscc: Sscc | None = None
    level: Literal["pallet", "carton"] = "carton"
    contents: list[PackageContent] = []


class Shipment(CanonicalDocument):
    """An advance shipment notice."""

    type_key: ClassVar[str] = "shipment"
    type: Literal["shipment"] = "shipment"
    shipment_id: Text
    ship_date: date
    expected_delivery: date | None = None
    purpose: OptText = None
    carrier_scac: OptText = None
    bol: OptText = None
    pro_number: OptText = None
    arn: OptText = None
    ship_to_location: OptText = None
    parties: list[Party] = []
    orders: list[ShipmentOrder] = Field(min_length=1)
    packages: list[Package] = []
