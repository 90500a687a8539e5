"""The parts every invoice and credit note we build share: parties, terms, tax, numbers, storing.

Remit-to (its id the vendor code) and bill-to come from the partner profile's ``invoice:``
section, the FC from the PO as ship-to; terms are the profile's (basic, ``01``, unless it
says otherwise) with the due date = invoice date + net days; tax is the profile's rate per
line, rounded to the cent, and summed per type and rate. Numbers come from the partner's
``invoice`` counter through its ``numbering`` pattern (credit notes share the sequence: an
invoice number is used once, whatever its kind). A built document is stored ``draft`` with
an empty check row and an audit entry.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session

from gateway.canonical import (
    Invoice,
    InvoiceLine,
    Party,
    Tax,
    Terms,
)
from gateway.config import PartnerDirectory, PartnerProfile, ProfileParty
from gateway.config.partners import InvoiceSettings
from gateway.orders.book import writing_invoices
from gateway.store.counters import INVOICE_NUMBER, next_value
from gateway.store.documents import save_document
from gateway.store.models import AuditEntry, Document
from gateway.store.money import InvoiceCheck

log = logging.getLogger(__name__)

CENT = Decimal("0.01")


class InvoicingError(ValueError):
    """An invoice or credit note that cannot be built, checked or sent (the message says why)."""


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal, places: int = 4) -> Decimal:
    """``value`` without an exponent: whole numbers as integers, others to at most ``places`` decimals."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def invoice_settings(partners: PartnerDirectory, partner: str) -> tuple[PartnerProfile, InvoiceSettings]:
    """The profile of ``partner`` and its invoice settings. Raises :class:`InvoicingError`."""
    if partner not in partners:
        raise InvoicingError(f"no partner profile {partner!r}")
    profile = partners.get(partner)
    if profile.invoice is None:
        raise InvoicingError(
            f"partner {partner} has no invoice settings (invoice: in partners/{partner}.yaml)"
        )
    return profile, profile.invoice


def party(role: str, source: ProfileParty, default_id: str | None = None) -> Party:
    return Party.model_validate(
        {"role": role, "id": source.id or default_id, **source.model_dump(exclude={"id"}, exclude_none=True)}
    )


def states_line_amounts(profile: PartnerProfile) -> bool:
    """EDIFACT INVOIC always states each line's net amount (MOA+203); X12 810 has no place for it."""
    settings = profile.invoice
    return (settings.format if settings and settings.format else profile.standard) == "edifact"


def vendor_code_for(settings: InvoiceSettings, po_vendor_code: str | None) -> str:
    """The vendor code an invoice carries: the one Amazon's PO was issued to (its ``REF*IA`` /
    ``RFF+IA``) when it states one, else the profile's. A vendor with several codes is paid
    under the code of the order, and a code the PO does not name is a rejection."""
    return po_vendor_code or settings.vendor_code


def parties_for(
    settings: InvoiceSettings, fc: str | None, ship_from: Party | None, vendor_code: str | None = None
) -> list[Party]:
    """Remit-to (the vendor code) and bill-to from the profile, the FC as ship-to, the ship-from.

    The remit-to's id is ``vendor_code`` (the PO's) where the profile gives it as the vendor
    code (``92`` and the profile's code, or no id at all).
    """
    remit = party("remit_to", settings.remit_to, vendor_code or settings.vendor_code)
    if vendor_code and remit.id == settings.vendor_code and remit.id_qualifier in (None, "92"):
        remit.id = vendor_code
    parties = [
        remit,
        party("bill_to", settings.bill_to),
    ]
    if fc:
        parties.append(Party(role="ship_to", id=fc, id_qualifier="92"))
    if ship_from is not None:
        parties.append(ship_from)
    return parties


def terms_for(settings: InvoiceSettings, invoice_date: date) -> Terms | None:
    t = settings.terms
    if t is None:
        return None
    due = invoice_date + timedelta(days=t.net_days) if t.net_days is not None else None
    return Terms(
        type_code=t.type_code or "01",  # basic terms unless the profile says otherwise
        description=t.description,
        discount_percent=Decimal(str(t.discount_percent)) if t.discount_percent is not None else None,
        discount_days=t.discount_days,
        net_days=t.net_days,
        due_date=due,
    )


def line_taxes(settings: InvoiceSettings, amount: Decimal) -> list[Tax]:
    tax = settings.tax
    if tax is None:
        return []
    if tax.exempt:
        return [
            Tax(
                type=tax.type,
                rate=Decimal(0),
                amount=Decimal(0),
                taxable_amount=amount,
                category=tax.category or "E",
            )
        ]
    rate = Decimal(str(tax.rate_percent))
    return [
        Tax(
            type=tax.type,
            rate=rate,
            amount=cents(amount * rate / 100),
            taxable_amount=amount,
            category=tax.category,
        )
    ]


def summary_taxes(lines: list[InvoiceLine]) -> list[Tax]:
    groups: dict[tuple[str | None, Decimal | None, str | None], tuple[Decimal, Decimal]] = {}
    for line in lines:
        for tax in line.taxes:
            key = (tax.type, tax.rate, tax.category)
            amount, base = groups.get(key, (Decimal(0), Decimal(0)))
            groups[key] = (amount + (tax.amount or 0), base + (tax.taxable_amount or 0))
    return [
        Tax(type=t, rate=r, category=c, amount=cents(a), taxable_amount=cents(b))
        for (t, r, c), (a, b) in groups.items()
    ]


def next_number(session: Session, profile: PartnerProfile, settings: InvoiceSettings, when: date) -> str:
    seq = next_value(session, profile.name, INVOICE_NUMBER)
    return settings.invoice_number(seq, when.year, when.month, when.day, profile.name)


#: the row's SQLAlchemy instance-state ``info`` key that holds its :class:`InvoiceCheck` (see
#: :func:`store_built`)
CHECK = "gateway.invoicing.check"


def store_built(session: Session, partner: str, invoice: Invoice, actor: str, what: str) -> Document:
    """Store a built ``invoice`` (or credit note) as a ``draft`` with its empty check row, audited.

    The order books read so far in the transaction stay known, with this invoice among its PO's
    (:func:`~gateway.orders.book.writing_invoices`: the check that follows reads none again),
    and the row holds its check row (``info`` key :data:`CHECK`): the session's identity map
    keeps clean objects only weakly, and the check that follows would read it back otherwise.
    """
    with writing_invoices(session) as named:
        row = save_document(session, partner, invoice, None, status="draft").document
        check = InvoiceCheck(document_id=row.id)  # type: ignore[arg-type]
        session.add(check)
        session.add(
            AuditEntry(
                actor=actor,
                action=f"{what}.built",
                target_type="document",
                target_id=str(row.id),
                detail={"invoice_number": invoice.invoice_number, "po_number": invoice.po_number},
            )
        )
        session.flush()
        named(row, invoice)
    sa_inspect(row).info[CHECK] = check
    log.info("built %s %s for PO %s (%s)", what, invoice.invoice_number, invoice.po_number, partner)
    return row
