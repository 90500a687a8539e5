"""The canonical receipt: what Amazon received, per PO line and per carton (X12 861, receiving reports).

A shortage claim is invoiced minus *received*, so this document is the other side of the
invoice: each line says how many units of an item of a PO were received (``quantity``) and,
when the source says so, how many of them were refused as damaged (``damaged``) and in which
carton (``sscc``) they arrived. A carton received with several items gives several lines with
the same SSCC, so a line is one item of one PO line in one carton at most. The PO number sits
on the line (a receiving report spans POs) or once on the document (an 861 names its PO in
PRF); every line must end up with one. The sums that reconciliation needs are
:meth:`Receipt.received_by_po_line` and :meth:`Receipt.received_by_sscc`: the same units are
never counted twice, whichever way they are added up.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gateway.canonical.base import CanonicalDocument, CanonicalModel, count_matches_lines
from gateway.canonical.parties import ItemIds, Party
from gateway.canonical.types import NonNegative, OptText, Sscc, Text


class ReceiptLine(CanonicalModel):
    """Units of one item received against one PO line, in one carton when ``sscc`` is given."""

    line_no: OptText = None
    po_number: OptText = None
    item: ItemIds
    quantity: NonNegative  # received and accepted
    uom: Text = "EA"
    damaged: NonNegative | None = None  # received but refused (damaged, wrong item...), not in quantity
    sscc: Sscc | None = None
    condition: OptText = None  # the receiving condition code as sent (861 RCD08)


class Receipt(CanonicalDocument):
    """A receiving advice: the units a fulfilment centre received from one delivery."""

    type_key: ClassVar[str] = "receipt"
    type: Literal["receipt"] = "receipt"
    receipt_id: Text
    receipt_date: date
    purpose: OptText = None
    po_number: OptText = None  # the PO of every line that does not name its own
    shipment_id: OptText = None
    arn: OptText = None
    bol: OptText = None
    ship_to_location: OptText = None
    parties: list[Party] = []
    lines: list[ReceiptLine] = Field(min_length=1)
    line_count: int | None = Field(default=None, ge=0)

    @field_validator("line_count")
    @classmethod
    def _line_count(cls, value: int | None, info: ValidationInfo) -> int | None:
        return count_matches_lines(value, info, "receipt")

    @model_validator(mode="after")
    def _every_line_has_a_po(self) -> Self:
        if self.po_number is None:
            missing = [i + 1 for i, line in enumerate(self.lines) if line.po_number is None]
            if missing:
                raise ValueError(f"receipt lines {missing} name no PO and the receipt has no po_number")
        return self

    def po_of(self, line: ReceiptLine) -> str:
        """The PO number of ``line``: its own, else the document's."""
        return line.po_number or self.po_number or ""

    def received_by_po_line(self) -> dict[tuple[str, str], Decimal]:
        """Accepted units per (PO number, line number or, without one, the item's first id)."""
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for line in self.lines:
            totals[(self.po_of(line), line.line_no or _item_key(line.item))] += line.quantity
        return dict(totals)

    def received_by_sscc(self) -> dict[str, Decimal]:
        """Accepted units per carton, for the lines that name one."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            if line.sscc is not None:
                totals[line.sscc] += line.quantity
        return dict(totals)


def _item_key(item: ItemIds) -> str:
    """The first id of ``item``, in the order reconciliation matches on."""
    return next(x for x in (item.asin, item.ean, item.upc, item.vendor_sku, item.buyer_sku) if x)
