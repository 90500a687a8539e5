"""Compliance pre-checks: every rule of AMAZON-RULES.md we can check before an invoice leaves.

:func:`compliance_reasons` returns *every* reason an invoice or credit note would be
rejected by Amazon or later claimed back, as :class:`Reason` (a code from
:data:`gateway.config.rules.InvoiceCheckCode` and a sentence naming the line and values). An
empty list means it may be sent. Each check can be switched off per partner with
``rules.invoice.skip``; its parameters (PO number pattern, allowed units, tolerances, EU tax
requirements) are in ``rules.invoice``.

What is checked (AMAZON-RULES.md, "810 invoice" and "Why Amazon rejects an invoice"): invoice
number present, not too long, never used by another invoice; PO known and well formed;
invoice date not before the PO date nor the ship date, not in the future; quantities and
costs above zero, in an allowed unit (cases with a case size); each line on the PO, with the
PO's item ids and the PO's cost; currency equal to the PO's (and the profile's); vendor code,
remit-to and bill-to present, ship-to equal to the PO's FC; tax registrations and per-line
tax where the partner requires them; not invoiced past what shipped (over all invoices of
the PO and for this invoice's ASN); the ASN known and not already invoiced; the total equal
to lines + charges - allowances + tax; credit notes naming their original invoice and, for
returns, the return authorization and date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from gateway.canonical import Invoice, InvoiceLine
from gateway.config import PartnerDirectory
from gateway.config.rules import InvoiceRules, PartnerRules
from gateway.orders.book import (
    CASE_UOMS,
    Loaded,
    PoBundle,
    PoLines,
    id_problems,
    item_keys,
    item_label,
    load_bundles,
    qty_text,
    shares_id,
)
from gateway.reconcile.doc_rules import use_of
from gateway.store.models import Document
from gateway.store.money import InvoiceNumberUse

#: half the last place of a unit cost as invoices write it (at most 4 decimals)
PRICE_ROUNDING = Decimal("0.00005")


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
    session: Session, partners: PartnerDirectory, row: Document, invoice: Invoice, *, today: date
) -> list[Reason]:
    """Every reason ``invoice`` (stored as ``row``) may not be sent; empty when it may."""
    profile = partners.get(row.partner) if row.partner in partners else None
    rules = (profile.rules if profile else PartnerRules()).invoice
    r = _Reasons(rules)
    settings = profile.invoice if profile else None
    _number(session, r, row, invoice)
    bundle = load_bundles(session, [invoice.po_number])[invoice.po_number]
    po = bundle.po
    if rules.po_number_pattern and not re.fullmatch(rules.po_number_pattern, invoice.po_number):
        r.add("po_number_format", f"PO number {invoice.po_number!r} does not match {rules.po_number_pattern}")
    if po is None:
        r.add("po_unknown", f"PO {invoice.po_number} is not in the store")
    elif invoice.invoice_date < po.doc.order_date:
        r.add(
            "date_before_po", f"invoice date {invoice.invoice_date} is before the PO date {po.doc.order_date}"
        )
    if invoice.invoice_date > today:
        r.add("date_in_future", f"invoice date {invoice.invoice_date} is after today ({today})")
    currencies = {po.doc.currency} if po else set()
    if settings and settings.currency:
        currencies.add(settings.currency)
    for currency in sorted(currencies - {invoice.currency}):
        r.add("currency_differs", f"currency {invoice.currency} differs from {currency}")
    expected_code = (po.doc.vendor_code if po else None) or (settings.vendor_code if settings else None)
    _parties(r, invoice, expected_code, po.doc.ship_to_location if po else None)
    _lines(r, invoice, PoLines(po.doc) if po else None)
    computed = invoice.computed_total()
    if abs(invoice.total - computed) > rules.total_tolerance:
        r.add(
            "total_mismatch",
            f"total {invoice.total} is not lines + charges - allowances + tax = {computed:.2f}",
        )
    if invoice.line_count is not None and invoice.line_count != len(invoice.lines):
        r.add("line_count", f"line count {invoice.line_count} but {len(invoice.lines)} lines")
    if invoice.kind == "credit_note":
        _credit(session, r, invoice)
        _credited_within_billed(r, row, invoice, bundle)
    else:
        _shipment(r, row, invoice, bundle, PoLines(po.doc) if po else None)
    return r.items


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
            "number_reused",
            f"invoice number {number} is already used by {other.partner}'s document {other.id}",
        )
    mine = use_of_row(row, invoice)
    ledger = session.exec(select(InvoiceNumberUse).where(InvoiceNumberUse.invoice_number == number)).all()
    for use in ledger:
        if use.document_id != row.id and use.fingerprint != mine:
            r.add(
                "number_reused",
                f"invoice number {number} was used for PO {use.po_number} on {use.invoice_date}",
            )


def use_of_row(row: Document, invoice: Invoice) -> str:
    return use_of(Loaded(row, invoice)).fingerprint


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


def _lines(r: _Reasons, invoice: Invoice, lines: PoLines | None) -> None:
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
        if lines is None:
            continue
        i = lines.match(ln.item, ln.line_no)
        if i is None:
            r.add("line_not_on_po", f"{where}: the item is not on PO {invoice.po_number}")
            continue
        if ln.uom.upper() in CASE_UOMS and not lines.case_size(i, ln.case_size):
            r.add("case_size_missing", f"{where}: {ln.uom} without a case size")
        problems = id_problems(lines.lines[i].item, ln.item, rules.item_ids)
        if problems:
            r.add(
                "item_ids_differ",
                f"{where}: item ids differ from PO line {lines.lines[i].line_no} "
                f"({item_label(lines.lines[i].item)}): {', '.join(problems)}",
            )
        cost = lines.each_cost(i, ln.case_size)
        price = lines.price_each(i, ln.unit_price, ln.uom, ln.case_size)
        # a cost per each written to 4 places (0.8333 for 10.00 a case of 12) is that cost
        tolerance = max(rules.price_tolerance, PRICE_ROUNDING)
        if invoice.kind == "invoice" and cost is not None and abs(price - cost) > tolerance:
            r.add("cost_differs_from_po", f"{where}: cost {price:.4f} per EA is not the PO cost {cost:.4f}")


def _shipment(r: _Reasons, row: Document, invoice: Invoice, bundle: PoBundle, lines: PoLines | None) -> None:
    ship = bundle.shipment(invoice.shipment_id) if invoice.shipment_id else None
    if ship is None:
        if r.rules.require_shipment:
            what = f"ASN {invoice.shipment_id} of PO {invoice.po_number}" if invoice.shipment_id else "an ASN"
            r.add("shipment_unknown", f"the invoice names {what}, which is not in the store")
    elif invoice.invoice_date < ship.doc.ship_date:
        r.add(
            "date_before_ship",
            f"invoice date {invoice.invoice_date} is before the ship date {ship.doc.ship_date}",
        )
    others = [x for x in bundle.live_invoices("invoice") if x.row.id != row.id]
    for other in others:
        if invoice.shipment_id and other.doc.shipment_id == invoice.shipment_id:
            r.add(
                "shipment_already_invoiced",
                f"ASN {invoice.shipment_id} is already invoiced by {other.doc.invoice_number}",
            )
    if lines is None:
        return
    n = len(lines)
    shipped, in_asn, before, mine = ([Decimal(0)] * n for _ in range(4))
    for s in bundle.shipments:
        for order in s.doc.orders:
            if order.po_number != invoice.po_number:
                continue
            for ln in order.lines:
                i = lines.match(ln.item, ln.line_no)
                if i is not None:
                    eaches = lines.eaches(i, ln.quantity, ln.uom, ln.case_size)[0]
                    shipped[i] += eaches
                    if ship is not None and s.doc.shipment_id == ship.doc.shipment_id:
                        in_asn[i] += eaches
    for other in others:
        for ln in other.doc.lines:
            i = lines.match(ln.item, ln.line_no)
            if i is not None:
                before[i] += lines.eaches(i, ln.quantity, ln.uom, ln.case_size)[0]
    for ln in invoice.lines:
        i = lines.match(ln.item, ln.line_no)
        if i is not None:
            mine[i] += lines.eaches(i, ln.quantity, ln.uom, ln.case_size)[0]
    for i in range(n):
        line_no = lines.lines[i].line_no
        ordered, known = lines.ordered(i)
        if mine[i] and known and before[i] + mine[i] > ordered:
            r.add(
                "invoiced_past_ordered",
                f"PO line {line_no}: {qty_text(before[i] + mine[i])} EA invoiced "
                f"in all, {qty_text(ordered)} EA ordered",
            )
        if mine[i] and before[i] + mine[i] > shipped[i]:
            r.add(
                "invoiced_past_shipped",
                f"PO line {line_no}: {qty_text(before[i] + mine[i])} EA invoiced "
                f"in all, {qty_text(shipped[i])} EA shipped",
            )
        if ship is not None and mine[i] > in_asn[i]:
            r.add(
                "invoiced_past_shipped",
                f"PO line {line_no}: {qty_text(mine[i])} EA invoiced, "
                f"{qty_text(in_asn[i])} EA in ASN {ship.doc.shipment_id}",
            )


def _eaches(line: InvoiceLine) -> Decimal:
    size = line.case_size if line.uom.upper() in CASE_UOMS and line.case_size else Decimal(1)
    return line.quantity * size


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

    def credited(docs: list[Invoice], keys: dict[str, set[str]]) -> Decimal:
        lines = [ln for doc in docs for ln in doc.lines if shares_id(item_keys(ln.item), keys)]
        return sum((_eaches(ln) for ln in lines), Decimal(0))

    for billed in originals[0].lines:
        keys = item_keys(billed.item)
        mine, before = credited([note], keys), credited(others, keys)
        if mine and before + mine > _eaches(billed):
            r.add(
                "credited_past_billed",
                f"{item_label(billed.item)}: {qty_text(before + mine)} EA credited in all, "
                f"{qty_text(_eaches(billed))} EA billed on {number}",
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
