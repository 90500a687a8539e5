"""Building our invoice per shipment and PO from what shipped, at the PO's cost.

For each PO a shipment carries: the shipped eaches of each PO line
(:mod:`gateway.orders.quantities`), invoiced in the PO's unit of measure at the PO's net
unit cost — a case-ordered line in cases, never in eaches at a cost per each: a part case is
billed as a fraction of a case, which the pre-check blocks as ``part_case`` for an operator
—, with the PO's item ids, the PO's ship-to FC and currency; vendor code, remit-to, bill-to,
terms and tax from the partner profile (``invoice:``) of the PO's partner, bill-to, tax
registration and tax rates from the marketplace of the PO's ship-to FC where the profile
lists ``marketplaces:`` (:mod:`gateway.invoicing.markets`). The invoice date
is today, never before the ship date or the PO date. Shipped items that are not on the PO
are not invoiced (reconciliation files them as ``item_not_on_po``); a shipped quantity in
cases of unknown size is not invoiced at all (``case_size_missing``). EDIFACT partners get
each line's net amount stated (INVOIC always carries MOA+203).

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
from gateway.invoicing.markets import market_line_taxes, market_parties
from gateway.invoicing.parts import (
    InvoicingError,
    cents,
    invoice_settings,
    next_number,
    plain,
    states_line_amounts,
    store_built,
    summary_taxes,
    terms_for,
    vendor_code_for,
)
from gateway.orders.book import Loaded, load_bundles, safe_load
from gateway.orders.quantities import PoLines, count, is_case, shipment_lines, unknown_text
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


def po_fc(po: PurchaseOrder) -> str | None:
    """The ship-to FC of ``po`` (it names the invoice's marketplace)."""
    ship_to = po.maybe_party("ship_to")
    return po.ship_to_location or (ship_to.id if ship_to else None)


def _lines(
    profile: PartnerProfile, settings: InvoiceSettings, po: PurchaseOrder, shipment: Loaded[Shipment]
) -> list[InvoiceLine]:
    """One line per PO line shipped: in the PO's unit at the PO's cost (see the module docstring).

    Raises :class:`InvoicingError` when a shipped quantity in cases has no known case size.
    """
    lines = PoLines(po)
    fc = po_fc(po)
    shipped = count(lines, shipment_lines(shipment.doc, po.po_number))
    if shipped.unknown:
        what = unknown_text(lines, shipped.unknown[0])
        raise InvoicingError(
            f"shipment {shipment.doc.shipment_id} ships {what}: the eaches shipped are not known "
            f"(reconciliation files it as case_size_missing)"
        )
    body: list[InvoiceLine] = []
    for i, each_count in enumerate(shipped.eaches):
        if each_count <= 0:
            continue
        po_line = lines.lines[i]
        units = lines.cases(i, each_count, shipped.case_sizes[i])
        if po_line.unit_price is None or units is None:
            why = (
                "no unit cost" if po_line.unit_price is None else f"a cost per {po_line.uom} and no case size"
            )
            raise InvoicingError(f"PO {po.po_number} line {po_line.line_no} has {why} to invoice at")
        # a case-ordered line is billed in cases, a part case as a fraction of one (found as part_case)
        case = (po_line.case_size or shipped.case_sizes[i]) if is_case(po_line.uom) else None
        amount = cents(units * po_line.unit_price)
        body.append(
            InvoiceLine(
                line_no=po_line.line_no,
                item=po_line.item,
                quantity=plain(units),
                uom=po_line.uom,
                case_size=case,
                unit_price=plain(po_line.unit_price),
                amount=amount if states_line_amounts(profile) else None,
                taxes=market_line_taxes(profile, settings, fc, po_line.item, amount),
                description=po_line.description,
            )
        )
    if not body:
        raise InvoicingError(
            f"shipment {shipment.doc.shipment_id} ships nothing of PO {po.po_number} to invoice"
        )
    return body


def make_invoice(
    session: Session,
    profile: PartnerProfile,
    settings: InvoiceSettings,
    po: PurchaseOrder,
    shipment: Loaded[Shipment],
    today: date,
) -> Invoice:
    """The invoice of what ``shipment`` shipped of ``po`` (takes a number from the counter)."""
    body = _lines(profile, settings, po, shipment)
    when = max(today, shipment.doc.ship_date, po.order_date)
    fc = po_fc(po)
    vendor_code = vendor_code_for(settings, po.vendor_code)
    parties = market_parties(profile, settings, fc, shipment.doc.maybe_party("ship_from"), vendor_code)
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
