"""Building our credit note per return authorization, against the invoice that billed the items.

To the partner that authorised the return: each returned item at the price of the invoice that
billed it (the earliest live invoice of the RMA's PO holding the item; without a PO number,
the latest invoice holding it), referencing that invoice, the RMA number and the return
date. Building is idempotent: an RMA that already has a credit note gets it back.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, or_, select

from gateway.canonical import (
    Invoice,
    InvoiceLine,
    ItemIds,
    ReturnAuthorization,
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
from gateway.orders.book import (
    Loaded,
    is_live,
    item_keys,
    item_label,
    load_bundles,
    safe_load,
    shares_id,
)
from gateway.orders.quantities import eaches, is_case
from gateway.reconcile.sync import lock_scopes
from gateway.store.models import Document, DocumentLine, utcnow

log = logging.getLogger(__name__)


def find_return(session: Session, rma_number: str, partner: str | None = None) -> Loaded[ReturnAuthorization]:
    """The stored return authorization ``rma_number`` (of ``partner``). Raises :class:`InvoicingError`."""
    query = select(Document).where(Document.rma_number == rma_number)
    if partner:
        query = query.where(Document.partner == partner)
    for row in session.exec(query.order_by(col(Document.updated_at).desc())).all():
        doc = safe_load(row)
        if isinstance(doc, ReturnAuthorization):
            return Loaded(row, doc)
    raise InvoicingError(f"no return authorization {rma_number!r} in the store")


def existing_credit_note(session: Session, rma_number: str) -> Document | None:
    """Our credit note for ``rma_number``, whatever its status, if one was built."""
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
        if isinstance(doc, Invoice) and doc.kind == "invoice" and is_live(row):
            out.append(Loaded(row, doc))
    return out


def _po_item(session: Session, invoice: Invoice, billed: InvoiceLine) -> ItemIds:
    """The item ids of the PO line ``billed`` invoiced (matched by PO line number, else by a shared
    id): an ERP's invoice may name an item by fewer ids than Amazon's PO, and the credit note
    carries the PO's (else the billed line's)."""
    po = load_bundles(session, [invoice.po_number])[invoice.po_number].po
    if po is None:
        return billed.item
    keys = item_keys(billed.item)
    sharing = [pl for pl in po.doc.lines if shares_id(item_keys(pl.item), keys)]
    same_line = [pl for pl in sharing if pl.line_no == billed.line_no]
    found = same_line or sharing
    return found[0].item if found else billed.item


def _credit_lines(
    session: Session,
    profile: PartnerProfile,
    settings: InvoiceSettings,
    ret: ReturnAuthorization,
    candidates: list[Loaded[Invoice]],
) -> tuple[Loaded[Invoice], list[InvoiceLine]]:
    """The invoice that billed the returned items, and the credit note's lines (whole cases of a
    case-billed line in cases at the case cost, else eaches), with the PO's item ids.

    Raises :class:`InvoicingError`: an item no invoice billed, items billed on two invoices,
    a quantity in cases of unknown size.
    """
    rma_number = ret.rma_number
    original: Loaded[Invoice] | None = None
    body: list[InvoiceLine] = []
    for ln in ret.lines:
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
            # a credit note names one original invoice (REF*OI, RFF+IV): never the wrong one
            raise InvoicingError(
                f"RMA {rma_number} returns items billed on invoices {original.doc.invoice_number} and "
                f"{inv.doc.invoice_number}: a credit note names one original invoice, so this one is "
                "not built automatically"
            )
        size = billed.case_size if is_case(billed.uom) else None
        credited = eaches(ln.quantity, ln.uom, size)  # returned in cases: eaches of the billed case
        if credited is None:
            raise InvoicingError(
                f"RMA {rma_number} returns {ln.quantity} {ln.uom} of {item_label(ln.item)}, and invoice "
                f"{inv.doc.invoice_number} billed it with no case size: the eaches are not known"
            )
        if size and credited % size == 0:  # whole cases are credited in cases, at the billed case cost
            quantity, uom, price, case = credited / size, billed.uom, billed.unit_price, size
        else:
            quantity, uom, case = credited, "EA", None
            price = plain(billed.unit_price / size) if size else billed.unit_price
        amount = cents(quantity * price)
        body.append(
            InvoiceLine(
                line_no=str(len(body) + 1),
                item=_po_item(session, inv.doc, billed),
                quantity=plain(quantity),
                uom=uom,
                case_size=case,
                unit_price=price,
                amount=amount if states_line_amounts(profile) else None,
                taxes=market_line_taxes(profile, settings, inv.doc.ship_to_location, billed.item, amount),
            )
        )
    if original is None:
        raise InvoicingError(f"RMA {rma_number} returns nothing to credit")
    return original, body


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
    original, body = _credit_lines(session, profile, settings, ret.doc, _invoices_holding(session, ret.doc))
    when = max(today, ret.doc.rma_date or today)
    note = Invoice(
        invoice_number=next_number(session, profile, settings, when),
        invoice_date=when,
        kind="credit_note",
        po_number=original.doc.po_number,
        po_date=original.doc.po_date,
        currency=original.doc.currency,
        vendor_code=vendor_code_for(settings, original.doc.vendor_code),  # the code the invoice was paid to
        ship_to_location=original.doc.ship_to_location,
        parties=market_parties(
            profile, settings, original.doc.ship_to_location, None, original.doc.vendor_code
        ),
        lines=body,
        taxes=summary_taxes(body),
        terms=terms_for(settings, when),
        total=Decimal(0),
        line_count=len(body),
        original_invoice_number=original.doc.invoice_number,
        return_authorization=rma_number,
        return_date=ret.doc.rma_date or when,
    )
    note.total = cents(note.computed_total())
    return store_built(session, profile.name, note, actor, "credit_note")
