"""Parts shared by the documents: item ids, parties, allowances and charges, taxes, terms."""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import Field, model_validator

from gateway.canonical.base import CanonicalModel
from gateway.canonical.types import Amount, NonNegative, OptText

PartyRole = Literal["buyer", "ship_to", "bill_to", "vendor", "remit_to", "ship_from", "supplier", "invoicee"]
PARTY_ROLES: tuple[str, ...] = PartyRole.__args__  # type: ignore[attr-defined]


class ItemIds(CanonicalModel):
    """The ids of one product. At least one must be present."""

    asin: OptText = None
    ean: OptText = None
    upc: OptText = None
    vendor_sku: OptText = None
    buyer_sku: OptText = None

    @model_validator(mode="after")
    def _one_id_at_least(self) -> Self:
        if not any((self.asin, self.ean, self.upc, self.vendor_sku, self.buyer_sku)):
            raise ValueError("an item needs at least one id: asin, ean, upc, vendor_sku or buyer_sku")
        return self


class Party(CanonicalModel):
    """A party of a document, by role (``ship_to`` carries the Amazon FC code in ``id``)."""

    role: PartyRole
    id: OptText = None
    id_qualifier: OptText = None
    name: OptText = None
    address1: OptText = None
    address2: OptText = None
    city: OptText = None
    state: OptText = None
    postal_code: OptText = None
    country: OptText = None
    tax_id: OptText = None


class AllowanceCharge(CanonicalModel):
    """An allowance (reduces the total) or a charge (adds to it), as an amount or a percent."""

    indicator: Literal["allowance", "charge"]
    code: OptText = None
    description: OptText = None
    amount: NonNegative | None = None
    percent: NonNegative | None = None

    @model_validator(mode="after")
    def _amount_or_percent(self) -> Self:
        if self.amount is None and self.percent is None:
            raise ValueError("an allowance or charge needs an amount or a percent")
        return self


class Tax(CanonicalModel):
    """A tax on a line or on the whole document (e.g. ``VA`` VAT at 20 %)."""

    type: OptText = None
    rate: NonNegative | None = None
    amount: Amount | None = None
    taxable_amount: Amount | None = None
    category: OptText = None


class Terms(CanonicalModel):
    """Payment terms."""

    type_code: OptText = None
    description: OptText = None
    discount_percent: NonNegative | None = None
    discount_days: int | None = Field(default=None, ge=0)
    net_days: int | None = Field(default=None, ge=0)
    due_date: date | None = None


def parties_of(parties: list[Party], role: str) -> list[Party]:
    """The parties of ``parties`` that have ``role``."""
    return [p for p in parties if p.role == role]
