"""The canonical return authorization (X12 180, EDIFACT RETANN)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from gateway.canonical.base import CanonicalDocument, CanonicalModel
from gateway.canonical.parties import ItemIds, Party
from gateway.canonical.types import Currency, NonNegative, OptText, Text


class ReturnLine(CanonicalModel):
    """One returned item, why, what becomes of it, and the credit per unit."""

    line_no: OptText = None
    item: ItemIds
    quantity: NonNegative
    uom: Text = "EA"
    reason: OptText = None
    disposition: OptText = None
    unit_credit: NonNegative | None = None


class ReturnAuthorization(CanonicalDocument):
    """A return authorization (RMA)."""

    type_key: ClassVar[str] = "return_authorization"
    type: Literal["return_authorization"] = "return_authorization"
    rma_number: Text
    rma_date: date | None = None
    po_number: OptText = None
    currency: Currency | None = None
    parties: list[Party] = []
    lines: list[ReturnLine] = Field(min_length=1)
