"""The marketplace of an invoice: its bill-to, tax registration, tax rates, currency and language.

An invoice takes the marketplace of its PO's ship-to FC (``marketplaces:`` in the partner
profile, :mod:`gateway.config.marketplaces`): the Amazon entity billed there and its tax
registration, our tax registration there on the remit-to, each line's VAT/GST at the rate of
its product tax category. A profile without marketplaces keeps the ``invoice:`` settings alone.

The pre-check (:func:`marketplace_reasons`) holds an invoice to its marketplace:
``marketplace_unknown`` (the profile lists marketplaces, the ship-to FC is in none),
``marketplace_currency``, ``marketplace_bill_to``, ``marketplace_tax_rate``. Numbers and dates
are written in the marketplace's language by :func:`localised` (Babel).
"""

from __future__ import annotations

from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency

from gateway.canonical import Invoice, ItemIds, Party, Tax
from gateway.config import PartnerProfile
from gateway.config.marketplaces import Marketplace
from gateway.config.partners import InvoiceSettings
from gateway.invoicing.parts import cents, line_taxes, parties_for, party


def marketplace_of(profile: PartnerProfile | None, fc: str | None) -> Marketplace | None:
    return profile.marketplace(fc) if profile is not None else None


def market_parties(
    profile: PartnerProfile,
    settings: InvoiceSettings,
    fc: str | None,
    ship_from: Party | None,
    vendor_code: str | None,
) -> list[Party]:
    """:func:`~gateway.invoicing.parts.parties_for`, with the bill-to and tax registration of the
    FC's marketplace."""
    parties = parties_for(settings, fc, ship_from, vendor_code)
    market = marketplace_of(profile, fc)
    if market is None:
        return parties
    out = []
    for p in parties:
        if p.role == "bill_to":
            p = party("bill_to", market.bill_to)
        elif p.role == "remit_to" and market.tax_registration:
            p = p.model_copy(update={"tax_id": market.tax_registration})
        out.append(p)
    return out


def market_line_taxes(
    profile: PartnerProfile, settings: InvoiceSettings, fc: str | None, item: ItemIds, amount: Decimal
) -> list[Tax]:
    """The tax of one line: at the marketplace's rate for the item's category, else the profile's."""
    market = marketplace_of(profile, fc)
    if market is None or market.tax is None or not market.tax.rates:
        return line_taxes(settings, amount)
    tax = market.tax
    category = tax.category_of(item.asin, item.vendor_sku)
    rate = tax.rate(category) or Decimal(0)
    code = tax.category_codes.get(category) or ("Z" if rate == 0 else "S")
    return [
        Tax(
            type=tax.type,
            rate=rate,
            amount=cents(amount * rate / 100),
            taxable_amount=amount,
            category=code,
        )
    ]


def marketplace_reasons(profile: PartnerProfile | None, invoice: Invoice) -> list[tuple[str, str]]:
    """``(code, sentence)`` for every way ``invoice`` is not what its marketplace asks for."""
    if profile is None or not profile.marketplaces:
        return []
    ship_to = invoice.maybe_party("ship_to")
    fc = invoice.ship_to_location or (ship_to.id if ship_to else None)
    market = profile.marketplace(fc)
    if market is None:
        listed = ", ".join(m.code for m in profile.marketplaces)
        return [("marketplace_unknown", f"ship-to FC {fc or '(none)'} belongs to none of {listed}")]
    out = []
    if invoice.currency != market.currency:
        out.append(
            (
                "marketplace_currency",
                f"currency {invoice.currency} is not {market.currency} of marketplace {market.code}",
            )
        )
    bill = invoice.maybe_party("bill_to")
    if bill is None or (bill.id or "") != (market.bill_to.id or ""):
        out.append(
            (
                "marketplace_bill_to",
                f"bill-to {bill.id if bill else '(none)'} is not {market.bill_to.name or market.bill_to.id} "
                f"({market.bill_to.id}) of marketplace {market.code}",
            )
        )
    if market.tax is not None and market.tax.rates:
        for ln in invoice.lines:
            want = market.tax.rate(market.tax.category_of(ln.item.asin, ln.item.vendor_sku))
            rates = [t.rate for t in ln.taxes if t.type == market.tax.type]
            if want is not None and rates != [want]:
                have = ", ".join(str(r) for r in rates) or "none"
                out.append(
                    (
                        "marketplace_tax_rate",
                        f"line {ln.line_no}: {market.tax.type} rate {have} is not {want}% of marketplace "
                        f"{market.code}",
                    )
                )
    return out


def localised(market: Marketplace, invoice: Invoice) -> dict[str, str]:
    """The invoice's date and total written in the marketplace's language (Babel)."""
    return {
        "invoice_date": format_date(invoice.invoice_date, format="long", locale=market.language),
        "total": format_currency(invoice.total, invoice.currency, locale=market.language),
        "number": invoice.invoice_number,
    }
