"""The canonical PO acknowledgement (X12 855, EDIFACT ORDRSP): what the vendor confirms of a PO.

One line per PO line: the quantity ordered and its unit (echoed), the quantity confirmed,
the unit cost (echoed from the PO: Amazon rejects an acknowledgement whose cost differs),
and the line's status: ``accept`` (all confirmed), ``backorder`` (shipped later, from
``backorder_date``) or ``reject`` (nothing confirmed). ``reason`` is Amazon's reason code
for a backorder or a reject (e.g. ``temporarily_unavailable``, ``invalid_product_identifier``,
``obsolete_product``); the mappings turn it into each standard's code. A partial accept is
two lines with the same ``line_no``: the accepted part and the backordered part.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gateway.canonical.base import CanonicalDocument, CanonicalModel, count_matches_lines
from gateway.canonical.parties import ItemIds, Party
from gateway.canonical.types import Currency, NonNegative, OptText, Text

LineStatus = Literal["accept", "backorder", "reject"]
#: Amazon's reasons for a line not accepted as ordered (see docs/outbound.md).
AckReason = Literal[
    "temporarily_unavailable",
    "invalid_product_identifier",
    "obsolete_product",
    "discontinued",
    "other",
]


class AckLine(CanonicalModel):
    """One acknowledged PO line (or one part of it, for a partial accept)."""

    line_no: Text
    item: ItemIds
    ordered_quantity: NonNegative
    uom: Text = "EA"
    confirmed_quantity: NonNegative
    unit_price: NonNegative | None = None  # the PO's cost, echoed
    status: LineStatus
    reason: AckReason | None = None
    backorder_date: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AckLine:
        if self.status == "reject" and self.confirmed_quantity != Decimal(0):
            raise ValueError(f"line {self.line_no}: a rejected line confirms nothing")
        if self.status == "backorder" and self.backorder_date is None:
            raise ValueError(f"line {self.line_no}: a backordered line needs its backorder_date")
        if self.status != "accept" and self.reason is None:
            raise ValueError(f"line {self.line_no}: a {self.status} line needs its reason")
        return self


class PoAcknowledgement(CanonicalDocument):
    """A vendor's acknowledgement of a purchase order."""

    type_key: ClassVar[str] = "po_acknowledgement"
    type: Literal["po_acknowledgement"] = "po_acknowledgement"
    ack_number: Text  # our reference (BAK08 / BGM02); the PO number unless told otherwise
    po_number: Text
    ack_date: date
    order_date: date | None = None
    currency: Currency | None = None
    vendor_code: OptText = None
    ship_to_location: OptText = None
    parties: list[Party] = []
    lines: list[AckLine] = Field(min_length=1)
    line_count: int | None = Field(default=None, ge=0)

    @field_validator("line_count")
    @classmethod
    def _line_count(cls, value: int | None, info: ValidationInfo) -> int | None:
        return count_matches_lines(value, info, "acknowledgement")

    def confirmed_by_line(self) -> dict[str, Decimal]:
        """The quantity confirmed now (accepted lines; a backorder confirms later) per ``line_no``."""
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            if line.status != "reject":
                totals[line.line_no] = totals.get(line.line_no, Decimal(0)) + line.confirmed_quantity
        return totals
