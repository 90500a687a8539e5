"""The canonical purchase order (X12 850, EDIFACT ORDERS)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from gateway.canonical.base import CanonicalDocument, CanonicalModel
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

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.line_count is not None and self.line_count != len(self.lines):
            raise ValueError(f"line_count is {self.line_count} but the order has {len(self.lines)} lines")
        start, end = self.deliver_not_before, self.deliver_not_after
        if start is not None and end is not None and start > end:
            raise ValueError("deliver_not_before is after deliver_not_after")
        return self
