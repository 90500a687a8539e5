"""Automatic invoicing: what newly stored documents call for, built, checked and (automatic mode) queued.

An ASN gets an invoice per PO; a PO that arrives after its ASN gets its invoices; an RMA gets
its credit note, for partners with ``invoice:`` settings. ``mode: automatic`` partners have
a passing invoice queued at once; a failing one stays ``blocked`` for an operator, and
:func:`send_ready_invoices` (for the scheduler) queues those that pass later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from gateway.canonical import PurchaseOrder, ReturnAuthorization, Shipment
from gateway.config import PartnerDirectory
from gateway.invoicing.build import build_invoices
from gateway.invoicing.credit import build_credit_note
from gateway.invoicing.parts import InvoicingError
from gateway.invoicing.state import check_invoice, queue_invoice
from gateway.invoicing.supersede import supersede_queued
from gateway.mapping.registry import MappingRegistry
from gateway.orders.book import PoBundle, load_bundles, safe_load
from gateway.store.archive import Archive
from gateway.store.models import Document, utcnow

log = logging.getLogger(__name__)


def _build_for(
    session: Session, partners: PartnerDirectory, row: Document, today: date, pos: dict[str, PoBundle]
) -> list[Document]:
    doc = safe_load(row)
    built: list[Document] = []
    try:
        if isinstance(doc, Shipment):
            for order in doc.orders:
                if _wants_invoices(session, partners, order.po_number, pos):
                    built += build_invoices(
                        session, partners, doc.shipment_id, po_number=order.po_number, today=today
                    )
        elif isinstance(doc, PurchaseOrder) and _wants_invoices(session, partners, doc.po_number, pos):
            bundle = pos.get(doc.po_number) or load_bundles(session, [doc.po_number])[doc.po_number]
            for s in bundle.shipments:
                built += build_invoices(
                    session, partners, s.doc.shipment_id, po_number=doc.po_number, today=today
                )
        elif isinstance(doc, ReturnAuthorization) and _invoices(partners, row.partner):
            built.append(
                build_credit_note(session, partners, doc.rma_number, partner=row.partner, today=today)
            )
    except InvoicingError as exc:
        log.info("no invoice built for %s %s yet: %s", row.type, row.business_key, exc)
    return built


def _invoices(partners: PartnerDirectory, partner: str) -> bool:
    return partner in partners and partners.get(partner).invoice is not None


def _wants_invoices(
    session: Session, partners: PartnerDirectory, po_number: str, pos: dict[str, PoBundle]
) -> bool:
    """Whether the PO's partner is one we invoice (it has invoice settings)."""
    po = (pos.get(po_number) or load_bundles(session, [po_number])[po_number]).po
    return po is not None and _invoices(partners, po.row.partner)


def on_documents_stored(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    documents: Sequence[Document],
    *,
    today: date | None = None,
    actor: str = "gateway",
) -> list[Document]:
    """Build (and, in automatic mode, queue) the invoices and credit notes ``documents`` call for.

    For the pipeline, after storing an inbound message's documents: an ASN gets an invoice per
    PO, a PO that arrives after its ASN gets its invoices, an RMA gets its credit note; an
    inbound (ERP) invoice cancels our unsent one of the same shipment
    (:func:`~gateway.invoicing.supersede.supersede_queued`). Built
    documents are checked; for ``mode: automatic`` partners a passing one is queued, a failing
    one stays ``blocked`` for an operator. Returns the invoice documents built or found; never
    raises for a document that cannot be invoiced (it is logged). The caller commits.
    """
    today = today or utcnow().date()
    supersede_queued(session, partners, documents, today=today)  # an ERP invoice cancels our unsent one
    built: list[Document] = []
    # the POs among the documents, loaded in a few queries (a large file's batch holds hundreds)
    numbers = {r.po_number for r in documents if r.type == "purchase_order" and r.po_number}
    pos = load_bundles(session, numbers)
    for row in documents:
        for invoice_row in _build_for(session, partners, row, today, pos):
            if invoice_row in built:
                continue
            built.append(invoice_row)
            if invoice_row.status not in ("draft", "blocked"):
                continue
            # checked here, outside the savepoint: a blocked one keeps its reasons; queued on that check
            check_invoice(session, partners, int(invoice_row.id), today=today)  # type: ignore[arg-type]
            settings = partners.get(invoice_row.partner).invoice
            if settings is not None and settings.mode == "automatic" and invoice_row.status == "draft":
                try:
                    with session.begin_nested():
                        queue_invoice(
                            session,
                            partners,
                            mappings,
                            archive,
                            int(invoice_row.id),  # type: ignore[arg-type]
                            actor,
                            today=today,
                            checked=True,
                        )
                except InvoicingError as exc:
                    log.warning("invoice %s not sent: %s", invoice_row.invoice_number, exc)
    return built


def invoiceable_drafts(session: Session, partners: PartnerDirectory) -> list[int]:
    """The draft or blocked invoices of automatic-mode partners: what the periodic sender retries."""
    rows = session.exec(
        select(Document.id, Document.partner).where(
            Document.type == "invoice", col(Document.status).in_(["draft", "blocked"])
        )
    ).all()
    ids = []
    for document_id, partner in rows:
        settings = partners.get(partner).invoice if partner in partners else None
        if settings is not None and settings.mode == "automatic" and document_id is not None:
            ids.append(int(document_id))
    return ids
