"""Marketplaces of an Amazon vendor account: currency, bill-to, tax, language and FCs of each.

One Amazon Vendor account trades in several marketplaces (US, CA, MX; DE, FR, IT, ES, UK, NL,
PL, SE; JP). Each has its own currency, Amazon entity to bill (and its tax registration), our
tax registration there, VAT/GST rates by product tax category, the language invoice numbers
and dates are written in, and the fulfilment centres (ship-to FC codes) that belong to it. A
partner profile lists them under ``marketplaces:``; an invoice takes the marketplace of its PO's
ship-to FC (:func:`marketplace_for`).

Example::

    marketplaces:
      - code: UK
        currency: GBP
        locale: en_GB
        bill_to: {id: "5450534000024", id_qualifier: "9", name: Amazon EU Sarl UK Branch,
                  country: GB, tax_id: GB727255821}
        tax_registration: GB123456789
        tax: {type: VAT, rates: {standard: 20, reduced: 5, zero: 0}}
        fulfilment_centres: [LTN1, BHX4, EDI4]
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from babel import Locale, UnknownLocaleError
from pydantic import Field, model_validator

from gateway.config.parties import Part, ProfileParty

MarketplaceCode = Literal["US", "CA", "MX", "DE", "FR", "IT", "ES", "UK", "NL", "PL", "SE", "JP"]

#: the currency Amazon invoices each marketplace in
CURRENCIES: dict[str, str] = {
    "US": "USD", "CA": "CAD", "MX": "MXN", "DE": "EUR", "FR": "EUR", "IT": "EUR", "ES": "EUR",
    "UK": "GBP", "NL": "EUR", "PL": "PLN", "SE": "SEK", "JP": "JPY",
}  # fmt: skip
#: the language invoices are written in unless the profile says otherwise
LOCALES: dict[str, str] = {
    "US": "en_US", "CA": "en_CA", "MX": "es_MX", "DE": "de_DE", "FR": "fr_FR", "IT": "it_IT",
    "ES": "es_ES", "UK": "en_GB", "NL": "nl_NL", "PL": "pl_PL", "SE": "sv_SE", "JP": "ja_JP",
}  # fmt: skip


class MarketplaceTax(Part):
    """VAT/GST (or sales tax) of a marketplace: its type and the rate of each product tax category."""

    type: str = "VAT"
    rates: dict[str, Decimal] = Field(default_factory=dict, description="percent by product tax category")
    default_category: str = "standard"
    #: the UN/EDIFACT duty category code printed with a rate (S standard, Z zero, E exempt)
    category_codes: dict[str, str] = Field(default_factory=dict)
    #: the product tax category of an item (ASIN or vendor SKU -> category); others: default_category
    items: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rates(self) -> MarketplaceTax:
        if self.rates and self.default_category not in self.rates:
            raise ValueError(f"default_category {self.default_category!r} has no rate in rates")
        if any(rate < 0 or rate > 100 for rate in self.rates.values()):
            raise ValueError("tax rates are percentages between 0 and 100")
        unknown = sorted(set(self.items.values()) - set(self.rates))
        if unknown:
            raise ValueError(f"item tax categories {unknown} have no rate in rates")
        return self

    def category_of(self, *ids: str | None) -> str:
        """The product tax category of the item known by ``ids`` (ASIN, vendor SKU)."""
        return next((self.items[i] for i in ids if i and i in self.items), self.default_category)

    def rate(self, category: str | None) -> Decimal | None:
        """The rate of ``category`` (the default category's when it is not given or not listed)."""
        if not self.rates:
            return None
        return self.rates.get(category or self.default_category, self.rates[self.default_category])


class Marketplace(Part):
    """One marketplace an account invoices (see the module docstring)."""

    code: MarketplaceCode
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    bill_to: ProfileParty
    #: our tax registration (VAT/GST number) in this marketplace, printed on the remit-to party
    tax_registration: str | None = None
    tax: MarketplaceTax | None = None
    #: the Babel locale invoice numbers and dates are written in (the marketplace's usual one)
    locale: str | None = None
    fulfilment_centres: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Marketplace:
        expected = CURRENCIES[self.code]
        if self.currency != expected:
            raise ValueError(f"marketplace {self.code} invoices in {expected}, not {self.currency}")
        if self.locale is not None:
            try:
                Locale.parse(self.locale)
            except (UnknownLocaleError, ValueError):
                raise ValueError(f"unknown locale {self.locale!r} (e.g. fr_FR, ja_JP)") from None
        return self

    @property
    def language(self) -> str:
        """The locale invoice numbers and dates are written in."""
        return self.locale or LOCALES[self.code]

    def belongs(self, fc: str) -> bool:
        return fc.upper() in {c.upper() for c in self.fulfilment_centres}


def marketplace_for(marketplaces: list[Marketplace], fc: str | None) -> Marketplace | None:
    """The marketplace among ``marketplaces`` that ship-to FC ``fc`` belongs to, if any."""
    if not fc:
        return None
    return next((m for m in marketplaces if m.belongs(fc)), None)
