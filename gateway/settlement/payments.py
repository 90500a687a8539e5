"""The payment state of each invoice, from every stored remittance: the one writer of that fact.

For an invoice of total ``T`` due on ``D`` (its terms' due date, else invoice date + net days: the
invoice's, the profile's invoice terms', else ``settlement.default_net_days``)::

    expected = T − discounts taken
    received = Σ amount paid on its payment lines + Σ deductions about it (-SC negative, -SCR positive)
    balance  = expected − received

- **paid**: balance within the tolerance (a cent);
- **short_paid**: a remittance settled it for less (a deduction about it, or a line whose invoice
  amount it paid short): the gap is what was deducted, and a claim says whether to dispute it;
- **partially_paid**: some payment, no deduction, a balance left;
- **open**: nothing paid yet; **overdue**: open or partially paid and more than
  ``settlement.payment_overdue_days`` (30) past ``D``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, select

from gateway.canonical import Invoice, Remittance
from gateway.config import PartnerDirectory
from gateway.config.partners import PartnerProfile
from gateway.config.settlement import SettlementSettings
from gateway.orders.book import is_live, safe_load
from gateway.settlement.deductions import Deduction, Payment, split
from gateway.store.models import Document

ZERO = Decimal(0)
STATES = ("open", "partially_paid", "paid", "short_paid", "overdue")


@dataclass
class PaymentStatus:
    """Where the money of one invoice stands."""

    invoice_number: str
    partner: str
    po_number: str | None
    currency: str
    total: Decimal
    due_date: date
    state: str = "open"
    paid: Decimal = ZERO
    discount: Decimal = ZERO
    deducted: Decimal = ZERO  # Σ deductions about it, negative when money was taken
    adjustments: Decimal = ZERO  # the payment lines' own adjustments
    balance: Decimal = ZERO
    traces: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        money = ("total", "paid", "discount", "deducted", "adjustments", "balance")
        out: dict[str, object] = {k: format(getattr(self, k), "f") for k in money}
        out.update(
            invoice_number=self.invoice_number,
            partner=self.partner,
            po_number=self.po_number,
            currency=self.currency,
            due_date=self.due_date.isoformat(),
            state=self.state,
            traces=self.traces,
        )
        return out


@dataclass
class Settled:
    """Every stored remittance split into payments and deductions, by invoice number."""

    payments: dict[str, list[tuple[str, Payment]]] = field(default_factory=lambda: defaultdict(list))
    deductions: dict[str, list[tuple[str, Deduction]]] = field(default_factory=lambda: defaultdict(list))


def profile_of(partners: PartnerDirectory, partner: str) -> PartnerProfile | None:
    """The profile of ``partner``, or ``None`` when there is none (a document of a removed partner)."""
    try:
        return partners.get(partner)
    except KeyError:
        return None


def settings_of(partners: PartnerDirectory, partner: str) -> SettlementSettings:
    """The partner's ``settlement:`` section (the defaults when it has no profile)."""
    profile = profile_of(partners, partner)
    return profile.settlement if profile is not None else SettlementSettings()


def settle(remittances: Iterable[tuple[Remittance, SettlementSettings]]) -> Settled:
    """What ``remittances`` (each with its partner's settings) paid and deducted, by invoice."""
    out = Settled()
    for doc, settings in remittances:
        parts = split(doc, settings)
        for payment in parts.payments:
            out.payments[payment.invoice_number].append((doc.trace_number, payment))
        for deduction in parts.deductions:
            if deduction.invoice_number:
                out.deductions[deduction.invoice_number].append((doc.trace_number, deduction))
    return out


def load_settled(session: Session, partners: PartnerDirectory) -> Settled:
    """What every stored remittance paid and deducted, keyed by the invoice it is about."""
    stored = []
    for row in session.exec(select(Document).where(Document.type == "remittance")).all():
        doc = safe_load(row)
        if isinstance(doc, Remittance):
            stored.append((doc, settings_of(partners, row.partner)))
    return settle(stored)


def due_date(invoice: Invoice, partners: PartnerDirectory, partner: str) -> date:
    """When ``invoice`` is due (see the module docstring)."""
    terms = invoice.terms
    if terms is not None and terms.due_date is not None:
        return terms.due_date
    days = terms.net_days if terms is not None else None
    profile = profile_of(partners, partner)
    if days is None and profile is not None and profile.invoice and profile.invoice.terms:
        days = profile.invoice.terms.net_days
    if days is None:
        days = settings_of(partners, partner).default_net_days
    return invoice.invoice_date + timedelta(days=days)


def status_of(
    invoice: Invoice, partner: str, settled: Settled, partners: PartnerDirectory, today: date
) -> PaymentStatus:
    """The payment state of ``invoice`` (stored for ``partner``) given what was ``settled``."""
    settings = settings_of(partners, partner)
    tolerance = Decimal(settings.tolerance)
    status = PaymentStatus(
        invoice.invoice_number,
        partner,
        invoice.po_number,
        invoice.currency,
        invoice.total,
        due_date(invoice, partners, partner),
    )
    paid_short = False
    for trace, payment in settled.payments.get(invoice.invoice_number, []):
        status.paid += payment.amount_paid
        status.discount += payment.discount
        status.adjustments += payment.adjustments
        status.traces.append(trace)
        if payment.invoice_amount is not None:
            stated = payment.invoice_amount - payment.discount - payment.amount_paid
            paid_short = paid_short or stated > 0
    for trace, deduction in settled.deductions.get(invoice.invoice_number, []):
        status.deducted += deduction.amount
        status.traces.append(trace)
    status.traces = list(dict.fromkeys(status.traces))
    status.balance = invoice.total - status.discount - status.paid - status.deducted
    if status.balance <= tolerance:
        status.state = "paid"
    elif status.deducted < 0 or paid_short:  # the balance is past the tolerance: say why
        status.state = "short_paid"
    elif status.paid > 0:
        status.state = "partially_paid"
    else:
        status.state = "open"
    late = today > status.due_date + timedelta(days=settings.payment_overdue_days)
    if status.state in ("open", "partially_paid") and late:
        status.state = "overdue"
    return status


def invoice_statuses(
    session: Session,
    partners: PartnerDirectory,
    today: date,
    *,
    invoice_numbers: set[str] | None = None,
    po_number: str | None = None,
) -> list[PaymentStatus]:
    """The payment state of every live invoice (or of the ones named), newest first."""
    query = select(Document).where(Document.type == "invoice")
    if po_number is not None:
        query = query.where(Document.po_number == po_number)
    settled = load_settled(session, partners)
    orders = select(Document.po_number, Document.partner).where(Document.type == "purchase_order")
    # an invoice is owed by whoever ordered: their terms and windows, even when our ERP sent the 810
    ordered_by = {po: partner for po, partner in session.exec(orders).all() if po}
    out = []
    for row in session.exec(query.order_by(Document.document_date.desc(), Document.id.desc())).all():  # type: ignore[union-attr]
        if invoice_numbers is not None and row.invoice_number not in invoice_numbers:
            continue
        doc = safe_load(row)
        if not isinstance(doc, Invoice) or doc.kind != "invoice" or not is_live(row):
            continue
        payer = ordered_by.get(doc.po_number, row.partner) if doc.po_number else row.partner
        out.append(status_of(doc, payer, settled, partners, today))
    return out
