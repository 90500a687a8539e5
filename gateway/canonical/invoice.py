"""The canonical invoice or credit note (X12 810, EDIFACT INVOIC 380/381), with its arithmetic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from gateway.canonical.base import CanonicalDocument, CanonicalModel, count_matches_lines
from gateway.canonical.parties import AllowanceCharge, ItemIds, Party, Tax, Terms
from gateway.canonical.types import Amount, Currency, NonNegative, OptText, Text


class InvoiceLine(CanonicalModel):
    """One invoiced item; ``amount`` is the line's net amount when the message states it."""

    line_no: Text
    item: ItemIds
    quantity: NonNegative
    uom: Text = "EA"
    case_size: NonNegative | None = None
    unit_price: NonNegative
    amount: Amount | None = None
    taxes: list[Tax] = []
    description: OptText = None

    def net_amount(self) -> Decimal:
        """``amount`` when given, else quantity x unit price."""
        return self.amount if self.amount is not None else self.quantity * self.unit_price


class Invoice(CanonicalDocument):
    """An invoice or a credit note; a credit note names the invoice or return it credits."""

    type_key: ClassVar[str] = "invoice"
    type: Literal["invoice"] = "invoice"
    invoice_number: Text
    invoice_date: date
    kind: Literal["invoice", "credit_note"] = "invoice"
    po_number: Text
    po_date: date | None = None
    shipment_id: OptText = None
    currency: Currency
    vendor_code: OptText = None
    ship_to_location: OptText = None
    parties: list[Party] = []
    lines: list[InvoiceLine] = Field(min_length=1)
    allowances_charges: list[AllowanceCharge] = []
    taxes: list[Tax] = []
    terms: Terms | None = None
    total: Amount
    line_count: int | None = Field(default=None, ge=0)
    original_invoice_number: OptText = None
    return_authorization: OptText = None
    return_date: date | None = None

    @field_validator("line_count")
    @classmethod
    def _line_count(cls, value: int | None, info: ValidationInfo) -> int | None:
        return count_matches_lines(value, info, "invoice")

    def lines_total(self) -> Decimal:
        """The sum of the lines' net amounts."""
        return sum((line.net_amount() for line in self.lines), Decimal(0))

    def allowance_charge_amount(self, ac: AllowanceCharge) -> Decimal:
        """The amount of ``ac``: its amount, else its percent of the lines total."""
        if ac.amount is not None:
            return ac.amount
        return self.lines_total() * (ac.percent or Decimal(0)) / 100

    def tax_total(self) -> Decimal:
        """The document's tax summary when it has one, else the sum of the line taxes."""
        taxes = self.taxes or [tax for line in self.lines for tax in line.taxes]
        return sum((tax.amount or Decimal(0) for tax in taxes), Decimal(0))

    def computed_total(self) -> Decimal:
        """Lines + charges - allowances + tax: what ``total`` should be."""
        adjust = Decimal(0)
        for ac in self.allowances_charges:
            amount = self.allowance_charge_amount(ac)
            adjust += amount if ac.indicator == "charge" else -amount
        return self.lines_total() + adjust + self.tax_total()
