"""Compliance pre-checks: every rule of AMAZON-RULES.md we can check before an invoice leaves.

:func:`compliance_reasons` returns *every* reason an invoice or credit note would be
rejected by Amazon or later claimed back, as :class:`Reason` (a code and a sentence naming
the line and values). An empty list means it may be sent. It is two things:

- **the findings this draft would create**: the reconciliation rules of
  :mod:`gateway.reconcile.rules` run on the order book with the draft counted as live
  (:func:`~gateway.reconcile.rules.draft_findings`), with the same codes and tolerances
  (the PO partner's ``rules.reconcile``). So a draft that passes never raises one of those
  findings once it is sent: quantities past ordered or shipped (overall and for its ASN),
  a second invoice for the shipment, cost, unit and whole cases of each line, item ids,
  currency, total, dates, an ASN or a PO we do not have;
- **the rules only an invoice has**: its number (present, not too long, never used for
  another document or another use), the PO number's format, a date not in the future, the
  profile's currency when no PO is known, vendor code, remit-to, bill-to, ship-to FC, terms, tax registrations
  and per-line tax, quantities and costs above zero in an allowed unit, the line count,
  naming its ASN; credit notes name their original invoice and return, and credit no item
  past what the invoice billed;
- **the rules of its marketplace** (:mod:`gateway.invoicing.markets`): the ship-to FC belongs to
  one of the profile's marketplaces, whose currency, bill-to and tax rate per product tax
  category the invoice carries.

Each code can be switched off per partner with ``rules.invoice.skip`` (a reconciliation
kind skipped in ``rules.reconcile.skip`` is not found at all); the invoice-only parameters
(PO number pattern, allowed units, EU tax requirements) are in ``rules.invoice``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from gateway.canonical import Invoice
from gateway.config import PartnerDirectory
from gateway.config.partners import InvoiceSettings
from gateway.config.rules import InvoiceRules, PartnerRules
from gateway.invoicing.markets import marketplace_reasons
from gateway.orders.book import Loaded, PoBundle, item_keys, item_label, load_bundles, qty_text, shares_id
from gateway.orders.quantities import eaches
from gateway.reconcile import rules_for
from gateway.reconcile.doc_rules import NumberUse, number_findings, use_of
from gateway.reconcile.findings import Finding
from gateway.reconcile.rules import draft_findings
from gateway.store.models import Document
from gateway.store.money import InvoiceNumberUse


@dataclass(frozen=True)
class Reason:
    """Why an invoice is blocked."""

    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class _Reasons:
    def __init__(self, rules: InvoiceRules) -> None:
        self.rules = rules
        self.items: list[Reason] = []

    def add(self, code: str, message: str) -> None:
        if self.rules.on(code) and Reason(code, message) not in self.items:
            self.items.append(Reason(code, message))


def compliance_reasons(
    session: Session,
    partners: PartnerDirectory,
    row: Document,
    invoice: Invoice,
    *,
    today: date,
    bundle: PoBundle | None = None,
) -> list[Reason]:
    """Every reason ``invoice`` (stored as ``row``) may not be sent; empty when it may. ``bundle``:
    its PO's order book as the caller loaded it a moment ago in this transaction (else loaded here)."""
    profile = partners.get(row.partner) if row.partner in partners else None
    rules = (profile.rules if profile else PartnerRules()).invoice
    r = _Reasons(rules)
    if bundle is None:
        bundle = load_bundles(session, [invoice.po_number])[invoice.po_number]
    _number(session, r, row, invoice)
    markets = bool(profile and profile.marketplaces)
    _invoice_only(r, invoice, bundle, profile.invoice if profile else None, today, markets)
    for code, message in marketplace_reasons(profile, invoice):
        r.add(code, message)
    for finding in would_create(partners, bundle, row, invoice, rules):
        if finding.kind != "invoice_without_asn" or rules.require_shipment:
            r.add(finding.kind, sentence(finding))
    if invoice.kind == "credit_note":
        _credit(session, r, invoice)
        _credited_within_billed(r, row, invoice, bundle)
    return r.items


def would_create(
    partners: PartnerDirectory, bundle: PoBundle, row: Document, invoice: Invoice, rules: InvoiceRules
) -> list[Finding]:
    """The reconciliation findings ``invoice`` would create once live, under the PO partner's rules
    (item ids as strict as the invoice rules ask: ``all`` of the PO's ids for what we send)."""
    owner = bundle.po.row.partner if bundle.po else row.partner
    reconcile = rules_for(partners, owner).reconcile
    if rules.item_ids == "all":
        reconcile = reconcile.model_copy(update={"item_ids": "all"})
    return draft_findings(bundle, row, invoice, reconcile, owner)


def sentence(f: Finding) -> str:
    """A finding as a reason: ``PO line 1: 15 EA invoiced (expected <= 10 EA ordered)``."""
    where = f"PO line {f.line_no}: " if f.line_no else ""
    return f"{where}{f.actual} (expected {f.expected})"


def _invoice_only(
    r: _Reasons,
    invoice: Invoice,
    bundle: PoBundle,
    settings: InvoiceSettings | None,
    today: date,
    market: bool = False,
) -> None:
    """The rules only an invoice has (see the module docstring), but its number's and its marketplace's
    (``market``: the profile lists marketplaces, whose currencies replace the profile's)."""
    rules, po = r.rules, bundle.po
    if rules.po_number_pattern and not re.fullmatch(rules.po_number_pattern, invoice.po_number):
        r.add("po_number_format", f"PO number {invoice.po_number!r} does not match {rules.po_number_pattern}")
    if invoice.invoice_date > today:
        r.add("date_in_future", f"invoice date {invoice.invoice_date} is after today ({today})")
    if po is None and settings and settings.currency and settings.currency != invoice.currency and not market:
        # with a PO, its currency is the invoice's (the currency_mismatch finding)
        r.add(
            "currency_mismatch", f"currency {invoice.currency} differs from the profile's {settings.currency}"
        )
    expected_code = (po.doc.vendor_code if po else None) or (settings.vendor_code if settings else None)
    _parties(r, invoice, expected_code, po.doc.ship_to_location if po else None)
    _lines(r, invoice)
    if invoice.line_count is not None and invoice.line_count != len(invoice.lines):
        r.add("line_count", f"line count {invoice.line_count} but {len(invoice.lines)} lines")
    if invoice.kind == "invoice" and not invoice.shipment_id and rules.require_shipment:
        r.add("invoice_without_asn", "the invoice names no ASN")


def _number(session: Session, r: _Reasons, row: Document, invoice: Invoice) -> None:
    number = invoice.invoice_number
    if not number.strip():
        r.add("number_missing", "the invoice has no number")
        return
    if len(number) > r.rules.max_number_length:
        r.add(
            "number_too_long",
            f"invoice number {number} is longer than {r.rules.max_number_length} characters",
        )
    others = session.exec(
        select(Document).where(Document.invoice_number == number, col(Document.id) != row.id)
    ).all()
    for other in others:
        r.add(
            "invoice_number_reused",
            f"invoice number {number} is already used by {other.partner}'s document {other.id}",
        )
    ledger = session.exec(select(InvoiceNumberUse).where(InvoiceNumberUse.invoice_number == number)).all()
    uses = [
        NumberUse(u.partner, u.kind, u.po_number, u.shipment_id, u.invoice_date)
        for u in ledger
        if u.document_id != row.id
    ]
    mine = use_of(Loaded(row, invoice))
    for finding in number_findings(number, [*uses, mine], invoice.total, PartnerRules().reconcile):
        r.add(finding.kind, f"invoice number {number}: {finding.actual} (expected {finding.expected})")


def _parties(r: _Reasons, invoice: Invoice, vendor_code: str | None, fc: str | None) -> None:
    if not invoice.vendor_code:
        r.add("vendor_code", "the invoice has no vendor code")
    elif vendor_code and invoice.vendor_code != vendor_code:
        expected = f"{vendor_code} (the PO's, else the profile's)"
        r.add("vendor_code", f"vendor code {invoice.vendor_code} is not {expected}")
    remit, bill = invoice.maybe_party("remit_to"), invoice.maybe_party("bill_to")
    if remit is None or not remit.id:
        r.add("remit_to_missing", "no remit-to party with an id (the vendor code)")
    elif vendor_code and remit.id != vendor_code and remit.id_qualifier == "92":
        r.add("vendor_code", f"remit-to id {remit.id} is not the vendor code {vendor_code}")
    if bill is None or not (bill.id or bill.name):
        r.add("bill_to_missing", "no bill-to party")
    terms = invoice.terms
    if terms is None or not (terms.type_code or terms.net_days is not None or terms.due_date):
        r.add("terms_missing", "no payment terms (ITD / PAT is mandatory): give invoice.terms in the profile")
    party = invoice.maybe_party("ship_to")
    ship_to = invoice.ship_to_location or (party.id if party else None)
    if fc and invoice.kind == "invoice" and (ship_to or "").upper() != fc.upper():
        r.add("ship_to_differs", f"ship-to {ship_to or '(none)'} is not the PO's FC {fc}")
    if r.rules.require_tax_registration:
        for role, party in (("remit-to", remit), ("bill-to", bill)):
            if party is not None and not party.tax_id:
                r.add("tax_registration_missing", f"the {role} party has no tax registration (VAT) number")


def _lines(r: _Reasons, invoice: Invoice) -> None:
    rules = r.rules
    for ln in invoice.lines:
        where = f"line {ln.line_no} ({item_label(ln.item)})"
        if ln.quantity <= 0:
            r.add("quantity_not_positive", f"{where}: quantity {ln.quantity} is not above zero")
        if ln.unit_price <= 0:
            r.add("cost_not_positive", f"{where}: unit cost {ln.unit_price} is not above zero")
        if ln.uom.upper() not in {u.upper() for u in rules.allowed_uoms}:
            r.add("uom_not_allowed", f"{where}: unit {ln.uom} is not one of {', '.join(rules.allowed_uoms)}")
        if rules.require_line_tax and not any(t.rate is not None for t in ln.taxes):
            r.add("line_tax_missing", f"{where}: no tax rate on the line")


def _credited_within_billed(r: _Reasons, row: Document, note: Invoice, bundle: PoBundle) -> None:
    """A credit note, with the others against the same invoice, credits no item past what it billed."""
    number = note.original_invoice_number
    originals = [x.doc for x in bundle.invoices if x.doc.kind == "invoice" and x.doc.invoice_number == number]
    if not originals:
        return
    others = [
        x.doc
        for x in bundle.live_invoices("credit_note")
        if x.row.id != row.id and x.doc.original_invoice_number == number
    ]

    def credited(docs: list[Invoice], keys: dict[str, set[str]]) -> Decimal | None:
        lines = [ln for doc in docs for ln in doc.lines if shares_id(item_keys(ln.item), keys)]
        counted = [eaches(ln.quantity, ln.uom, ln.case_size) for ln in lines]
        return None if None in counted else sum((e for e in counted if e is not None), Decimal(0))

    for billed in originals[0].lines:
        keys = item_keys(billed.item)
        mine, before = credited([note], keys), credited(others, keys)
        had = eaches(billed.quantity, billed.uom, billed.case_size)
        if mine is None or before is None or had is None:
            r.add(
                "case_size_missing", f"{item_label(billed.item)}: cases with no case size, credited or billed"
            )
        elif mine and before + mine > had:
            r.add(
                "credited_past_billed",
                f"{item_label(billed.item)}: {qty_text(before + mine)} EA credited in all, "
                f"{qty_text(had)} EA billed on {number}",
            )


def _credit(session: Session, r: _Reasons, invoice: Invoice) -> None:
    original = invoice.original_invoice_number
    if not original:
        r.add("credit_note_original_missing", "the credit note names no original invoice")
    else:
        found = session.exec(select(Document.id).where(Document.invoice_number == original)).first()
        if found is None:
            r.add("credit_note_original_missing", f"original invoice {original} is not in the store")
    if r.rules.credit_note_requires_return:
        if not invoice.return_authorization:
            r.add("credit_note_return_missing", "the credit note names no return authorization")
        if invoice.return_date is None:
            r.add("credit_note_return_missing", "the credit note has no return date")
