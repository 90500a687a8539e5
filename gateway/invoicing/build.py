"""Building our invoice per shipment and PO from what shipped, at the PO's cost.

For each PO a shipment carries: the shipped eaches of each PO line, invoiced in the PO's unit
of measure (cases when the eaches make whole cases, else eaches at the cost per each) at the
PO's net unit cost, with the PO's item ids, the PO's ship-to FC and currency; vendor code,
remit-to, bill-to, terms and tax from the partner profile (``invoice:``) of the PO's partner.
The invoice date is today, never before the ship date or the PO date. Shipped items that are
not on the PO are not invoiced (reconciliation files them as ``item_not_on_po``). EDIFACT
partners get each line's net amount stated (INVOIC always carries MOA+203).

Building is idempotent: a shipment and PO that already have an invoice (ours or our ERP's)
get that document back instead of a second one; builders of the same shipment in two
workers are serialised by a lock.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from gateway.canonical import (
    Invoice,
    InvoiceLine,
    PurchaseOrder,
    Shipment,
)
from gateway.config import PartnerDirectory, PartnerProfile
from gateway.config.partners import InvoiceSettings
from gateway.invoicing.parts import (
    InvoicingError,
    cents,
    invoice_settings,
    line_taxes,
    next_number,
    parties_for,
    plain,
    states_line_amounts,
    store_built,
    summary_taxes,
    terms_for,
    vendor_code_for,
)
from gateway.orders.book import CASE_UOMS, Loaded, PoLines, load_bundles, safe_load
from gateway.reconcile.sync import lock_scopes
from gateway.store.models import Document, utcnow

log = logging.getLogger(__name__)


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
        rows.append(store_built(session, profile.name, invoice, actor, "invoice"))
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
    shipped_case: list[Decimal | None] = [None] * len(lines)  # the case size the shipment states
    for order in shipment.doc.orders:
        if order.po_number != po.po_number:
            continue
        for ln in order.lines:
            i = lines.match(ln.item, ln.line_no)
            if i is None:
                continue
            eaches, known = lines.eaches(i, ln.quantity, ln.uom, ln.case_size)
            if not known:
                raise InvoicingError(
                    f"shipment {shipment.doc.shipment_id} ships {ln.quantity} {ln.uom} of PO {po.po_number} "
                    f"line {lines.lines[i].line_no} with no case size, on the ASN or the PO: "
                    "the eaches shipped are not known"
                )
            shipped[i] += eaches
            shipped_case[i] = shipped_case[i] or ln.case_size
    body: list[InvoiceLine] = []
    for i, eaches in enumerate(shipped):
        if eaches <= 0:
            continue
        po_line = lines.lines[i]
        if po_line.unit_price is None:
            raise InvoicingError(f"PO {po.po_number} line {po_line.line_no} has no unit cost to invoice at")
        qty, uom, price, case = eaches, po_line.uom, po_line.unit_price, None
        if po_line.uom.upper() in CASE_UOMS:
            # the PO's cost is per case: its case size (else the one the ASN states) prices an each
            size = po_line.case_size or shipped_case[i]
            if not size:
                raise InvoicingError(
                    f"PO {po.po_number} line {po_line.line_no} costs {po_line.unit_price} per "
                    f"{po_line.uom} with no case size, on the PO or the ASN: an each cannot be priced"
                )
            if eaches / size == (eaches / size).to_integral_value():
                qty, case = eaches / size, size
            else:
                qty, uom, price = eaches, "EA", po_line.unit_price / size
        amount = cents(qty * price)
        body.append(
            InvoiceLine(
                line_no=po_line.line_no,
                item=po_line.item,
                quantity=plain(qty),
                uom=uom,
                case_size=case,
                unit_price=plain(price),
                amount=amount if states_line_amounts(profile) else None,
                taxes=line_taxes(settings, amount),
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
    vendor_code = vendor_code_for(settings, po.vendor_code)
    parties = parties_for(settings, fc, shipment.doc.maybe_party("ship_from"), vendor_code)
    invoice = Invoice(
        invoice_number=next_number(session, profile, settings, when),
        invoice_date=when,
        po_number=po.po_number,
        po_date=po.order_date,
        shipment_id=shipment.doc.shipment_id,
        currency=po.currency,
        vendor_code=vendor_code,
        ship_to_location=fc,
        parties=parties,
        lines=body,
        taxes=summary_taxes(body),
        terms=terms_for(settings, when),
        total=Decimal(0),
        line_count=len(body),
    )
    invoice.total = cents(invoice.computed_total())
    return invoice
