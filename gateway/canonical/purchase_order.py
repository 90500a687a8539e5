"""The canonical purchase order (X12 850, EDIFACT ORDERS)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from gateway.canonical.base import CanonicalDocument, CanonicalModel, count_matches_lines
from gateway.canonical.parties import ItemIds, Party
from gateway.canonical.types import Currency, NonNegative, OptText, Text

OrderType = Literal["new", "consigned", "new_product", "rush", "other"]


class OrderLine(CanonicalModel):
    """One ordered item."""

    line_no: Text
    item: ItemIds
    quantity: NonNegative
    uom: Text = "EA"
    unit_price: NonNegative | None = None
    list_price: NonNegative | None = None
    case_size: NonNegative | None = None
    description: OptText = None


class PurchaseOrder(CanonicalDocument):
    """A purchase order from the buyer; ``ship_to_location`` is the FC code."""

    type_key: ClassVar[str] = "purchase_order"
    type: Literal["purchase_order"] = "purchase_order"
    po_number: Text
    order_date: date
    order_type: OrderType | None = None
    purpose: OptText = None
    currency: Currency
    vendor_code: OptText = None
    deliver_not_before: date | None = None
    deliver_not_after: date | None = None
    ship_to_location: OptText = None
    parties: list[Party] = []
    lines: list[OrderLine] = Field(min_length=1)
    line_count: int | None = Field(default=None, ge=0)

    @field_validator("line_count")
    @classmethod
    def _line_count(cls, value: int | None, info: ValidationInfo) -> int | None:
        return count_matches_lines(value, info, "order")

    @field_validator("deliver_not_after")
    @classmethod
    def _window(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("deliver_not_before")
        if start is not None and value is not None and start > value:
            raise ValueError(f"deliver_not_after ({value}) is before deliver_not_before ({start})")
        return value
