"""Building our invoices and credit notes from what shipped and what came back.

**Invoice per shipment and PO.** For each PO a shipment carries: the shipped eaches of each
PO line, invoiced in the PO's unit of measure (cases when the eaches make whole cases, else
eaches at the cost per each) at the PO's net unit cost, with the PO's item ids, the PO's
ship-to FC and currency; vendor code, remit-to, bill-to, terms and tax from the partner
profile (``invoice:``) of the PO's partner. The invoice date is today, never before the ship
date or the PO date. Shipped items that are not on the PO are not invoiced (reconciliation
files them as ``item_not_on_po``).

**Credit note per return authorization**, to the partner that authorised the return: each
returned item at the price of the invoice that billed it (the earliest live invoice of the
RMA's PO holding the item; without a PO number, the latest invoice holding it), referencing
that invoice, the RMA number and the return date.

Numbers come from the partner's ``invoice`` counter through its ``numbering`` pattern (credit
notes share the sequence: an invoice number is used once, whatever its kind). Building is
idempotent: a shipment and PO that already have an invoice (ours or our ERP's), or an RMA that
already has a credit note, get that document back instead of a second one; builders of the
same shipment in two workers are serialised by a lock.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, col, or_, select

from gateway.canonical import (
    Invoice,
    InvoiceLine,
    Party,
    PurchaseOrder,
    ReturnAuthorization,
    Shipment,
    Tax,
    Terms,
)
from gateway.config import PartnerDirectory, PartnerProfile, ProfileParty
from gateway.config.partners import InvoiceSettings
from gateway.reconcile_data import CASE_UOMS, Loaded, PoLines, item_keys, load_bundles, safe_load, shares_id
from gateway.reconcile_models import InvoiceCheck
from gateway.reconcile_sync import lock_scopes
from gateway.store.counters import INVOICE_NUMBER, next_value
from gateway.store.documents import save_document
from gateway.store.models import AuditEntry, Document, DocumentLine, utcnow

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


def _party(role: str, source: ProfileParty, default_id: str | None = None) -> Party:
    return Party.model_validate(
        {"role": role, "id": source.id or default_id, **source.model_dump(exclude={"id"}, exclude_none=True)}
    )


def _states_line_amounts(profile: PartnerProfile) -> bool:
    """EDIFACT INVOIC always states each line's net amount (MOA+203); X12 810 has no place for it."""
    settings = profile.invoice
    return (settings.format if settings and settings.format else profile.standard) == "edifact"


def _parties(settings: InvoiceSettings, fc: str | None, ship_from: Party | None) -> list[Party]:
    """Remit-to (the vendor code) and bill-to from the profile, the FC as ship-to, the ship-from."""
    parties = [
        _party("remit_to", settings.remit_to, settings.vendor_code),
        _party("bill_to", settings.bill_to),
    ]
    if fc:
        parties.append(Party(role="ship_to", id=fc, id_qualifier="92"))
    if ship_from is not None:
        parties.append(ship_from)
    return parties


def _terms(settings: InvoiceSettings, invoice_date: date) -> Terms | None:
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


def _line_taxes(settings: InvoiceSettings, amount: Decimal) -> list[Tax]:
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


def _summary_taxes(lines: list[InvoiceLine]) -> list[Tax]:
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


def _number(session: Session, profile: PartnerProfile, settings: InvoiceSettings, when: date) -> str:
    seq = next_value(session, profile.name, INVOICE_NUMBER)
    return settings.invoice_number(seq, when.year, when.month, when.day, profile.name)


def _finish(session: Session, partner: str, invoice: Invoice, actor: str, what: str) -> Document:
    row = save_document(session, partner, invoice, None, status="draft").document
    session.add(InvoiceCheck(document_id=row.id))  # type: ignore[arg-type]
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
    log.info("built %s %s for PO %s (%s)", what, invoice.invoice_number, invoice.po_number, partner)
    return row


# -- invoices -------------------------------------------------------------------------------------


def find_shipment(session: Session, shipment_id: str) -> Loaded[Shipment]:
    """The stored shipment ``shipment_id`` (the one revised last if partners clash)."""
    rows = session.exec(
        select(Document).where(Document.shipment_id == shipment_id)  # type filtered below: see _documents
    ).all()
    rows = [row for row in rows if row.type == "shipment"]
    loaded = [(row, safe_load(row)) for row in rows]
    found = [Loaded(row, doc) for row, doc in loaded if isinstance(doc, Shipment)]
    if not found:
        raise InvoicingError(f"no shipment {shipment_id!r} in the store")
    return max(found, key=lambda x: (x.row.updated_at, x.row.id or 0))


def build_invoices(
    session: Session,
    partners: PartnerDirectory,
    shipment_id: str,
    *,
    po_number: str | None = None,
    today: date | None = None,
    actor: str = "gateway",
) -> list[Document]:
    """The invoice of each PO of shipment ``shipment_id`` (only ``po_number`` when given), built or found.

    New invoices are ``draft``; the caller checks them (:func:`gateway.invoicing.check_invoice`)
    and commits. Raises :class:`InvoicingError` (unknown shipment, PO not stored, no invoice
    settings, nothing of the PO shipped).
    """
    today = today or utcnow().date()
    shipment = find_shipment(session, shipment_id)
    numbers = [o.po_number for o in shipment.doc.orders if po_number is None or o.po_number == po_number]
    if not numbers:
        raise InvoicingError(f"shipment {shipment_id} carries no PO {po_number}")
    rows = []
    for number in dict.fromkeys(numbers):
        lock_scopes(session, [f"invoice:{shipment_id}:{number}"])
        bundle = load_bundles(session, [number])[number]
        existing = [
            i for i in bundle.invoices if i.doc.kind == "invoice" and i.doc.shipment_id == shipment_id
        ]
        if existing:
            rows.append(existing[0].row)
            continue
        if bundle.po is None:
            raise InvoicingError(
                f"PO {number} of shipment {shipment_id} is not in the store: no cost to invoice at"
            )
        profile, settings = invoice_settings(partners, bundle.po.row.partner)
        invoice = make_invoice(session, profile, settings, bundle.po.doc, shipment, today)
        rows.append(_finish(session, profile.name, invoice, actor, "invoice"))
    return rows


def make_invoice(
    session: Session,
    profile: PartnerProfile,
    settings: InvoiceSettings,
    po: PurchaseOrder,
    shipment: Loaded[Shipment],
    today: date,
) -> Invoice:
    """The invoice of what ``shipment`` shipped of ``po`` (takes a number from the counter)."""
    lines = PoLines(po)
    shipped = [Decimal(0)] * len(lines)
    for order in shipment.doc.orders:
        if order.po_number != po.po_number:
            continue
        for ln in order.lines:
            i = lines.match(ln.item, ln.line_no)
            if i is not None:
                shipped[i] += lines.eaches(i, ln.quantity, ln.uom, ln.case_size)[0]
    body: list[InvoiceLine] = []
    for i, eaches in enumerate(shipped):
        if eaches <= 0:
            continue
        po_line = lines.lines[i]
        if po_line.unit_price is None:
            raise InvoicingError(f"PO {po.po_number} line {po_line.line_no} has no unit cost to invoice at")
        qty, uom, price, case = eaches, "EA", lines.each_cost(i) or po_line.unit_price, None
        size = po_line.case_size
        if (
            po_line.uom.upper() in CASE_UOMS
            and size
            and (eaches / size) == (eaches / size).to_integral_value()
        ):
            qty, uom, price, case = eaches / size, po_line.uom, po_line.unit_price, size
        elif po_line.uom.upper() not in CASE_UOMS:
            uom = po_line.uom
        amount = cents(qty * price)
        body.append(
            InvoiceLine(
                line_no=po_line.line_no,
                item=po_line.item,
                quantity=plain(qty),
                uom=uom,
                case_size=case,
                unit_price=plain(price),
                amount=amount if _states_line_amounts(profile) else None,
                taxes=_line_taxes(settings, amount),
                description=po_line.description,
            )
        )
    if not body:
        raise InvoicingError(
            f"shipment {shipment.doc.shipment_id} ships nothing of PO {po.po_number} to invoice"
        )
    when = max(today, shipment.doc.ship_date, po.order_date)
    po_ship_to = po.maybe_party("ship_to")
    fc = po.ship_to_location or (po_ship_to.id if po_ship_to else None)
    parties = _parties(settings, fc, shipment.doc.maybe_party("ship_from"))
    invoice = Invoice(
        invoice_number=_number(session, profile, settings, when),
        invoice_date=when,
        po_number=po.po_number,
        po_date=po.order_date,
        shipment_id=shipment.doc.shipment_id,
        currency=po.currency,
        vendor_code=settings.vendor_code,
        ship_to_location=fc,
        parties=parties,
        lines=body,
        taxes=_summary_taxes(body),
        terms=_terms(settings, when),
        total=Decimal(0),
        line_count=len(body),
    )
    invoice.total = cents(invoice.computed_total())
    return invoice


# -- credit notes ---------------------------------------------------------------------------------


def find_return(session: Session, rma_number: str, partner: str | None = None) -> Loaded[ReturnAuthorization]:
    query = select(Document).where(Document.rma_number == rma_number)
    if partner:
        query = query.where(Document.partner == partner)
    for row in session.exec(query.order_by(col(Document.updated_at).desc())).all():
        doc = safe_load(row)
        if isinstance(doc, ReturnAuthorization):
            return Loaded(row, doc)
    raise InvoicingError(f"no return authorization {rma_number!r} in the store")


def existing_credit_note(session: Session, rma_number: str) -> Document | None:
    """Our credit note for ``rma_number`` (any status but rejected), if one was built."""
    query = select(Document).where(
        Document.type == "invoice", Document.data["return_authorization"].as_string() == rma_number
    )
    for row in session.exec(query.order_by(col(Document.id))).all():
        if (row.data or {}).get("kind") == "credit_note":
            return row
    return None


def _invoices_holding(session: Session, ret: ReturnAuthorization) -> list[Loaded[Invoice]]:
    """Live invoices that billed the returned items: of the RMA's PO, else found by item id."""
    if ret.po_number:
        bundle = load_bundles(session, [ret.po_number])[ret.po_number]
        found = bundle.live_invoices("invoice")
        return sorted(found, key=lambda x: (x.doc.invoice_date, x.row.id or 0))
    ids = [(DocumentLine.asin, ln.item.asin) for ln in ret.lines if ln.item.asin]
    ids += [(DocumentLine.vendor_sku, ln.item.vendor_sku) for ln in ret.lines if ln.item.vendor_sku]
    ids += [(DocumentLine.ean, ln.item.ean) for ln in ret.lines if ln.item.ean]
    if not ids:
        return []
    query = (
        select(Document)
        .join(DocumentLine, col(DocumentLine.document_id) == Document.id)
        .where(Document.type == "invoice", or_(*[column == value for column, value in ids]))
        .order_by(col(Document.document_date).desc())
    )
    out = []
    for row in session.exec(query).unique().all():
        doc = safe_load(row)
        if (
            isinstance(doc, Invoice)
            and doc.kind == "invoice"
            and row.status not in ("draft", "blocked", "rejected")
        ):
            out.append(Loaded(row, doc))
    return out


def build_credit_note(
    session: Session,
    partners: PartnerDirectory,
    rma_number: str,
    *,
    partner: str | None = None,
    today: date | None = None,
    actor: str = "gateway",
) -> Document:
    """The credit note of return authorization ``rma_number``, built (``draft``) or found.

    Raises :class:`InvoicingError` (unknown RMA, no invoice that billed the items, no
    invoice settings for the RMA's partner). The caller checks and commits.
    """
    today = today or utcnow().date()
    ret = find_return(session, rma_number, partner)
    lock_scopes(session, [f"credit:{rma_number}"])
    found = existing_credit_note(session, rma_number)
    if found is not None:
        return found
    profile, settings = invoice_settings(partners, ret.row.partner)
    candidates = _invoices_holding(session, ret.doc)
    original: Loaded[Invoice] | None = None
    body: list[InvoiceLine] = []
    for ln in ret.doc.lines:
        keys = item_keys(ln.item)
        match = next(
            ((inv, il) for inv in candidates for il in inv.doc.lines if shares_id(item_keys(il.item), keys)),
            None,
        )
        if match is None:
            raise InvoicingError(
                f"RMA {rma_number}: no sent invoice billed {ln.item.asin or ln.item.vendor_sku}"
            )
        inv, billed = match
        original = original or inv
        if inv.doc.invoice_number != original.doc.invoice_number:
            log.info(
                "RMA %s spans invoices %s and %s: crediting against the first",
                rma_number,
                original.doc.invoice_number,
                inv.doc.invoice_number,
            )
        each = billed.unit_price
        if billed.uom.upper() in CASE_UOMS and billed.case_size:
            each = plain(billed.unit_price / billed.case_size)
        amount = cents(ln.quantity * each)
        body.append(
            InvoiceLine(
                line_no=str(len(body) + 1),
                item=billed.item,
                quantity=ln.quantity,
                uom="EA",
                unit_price=each,
                amount=amount if _states_line_amounts(profile) else None,
                taxes=_line_taxes(settings, amount),
            )
        )
    assert original is not None
    when = max(today, ret.doc.rma_date or today)
    note = Invoice(
        invoice_number=_number(session, profile, settings, when),
        invoice_date=when,
        kind="credit_note",
        po_number=original.doc.po_number,
        po_date=original.doc.po_date,
        currency=original.doc.currency,
        vendor_code=settings.vendor_code,
        ship_to_location=original.doc.ship_to_location,
        parties=_parties(settings, original.doc.ship_to_location, None),
        lines=body,
        taxes=_summary_taxes(body),
        terms=_terms(settings, when),
        total=Decimal(0),
        line_count=len(body),
        original_invoice_number=original.doc.invoice_number,
        return_authorization=rma_number,
        return_date=ret.doc.rma_date or when,
    )
    note.total = cents(note.computed_total())
    return _finish(session, profile.name, note, actor, "credit_note")
