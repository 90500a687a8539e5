"""Storing canonical documents idempotently by business key, with their flattened lines.

A document is unique per partner, type and business key (PO number, shipment id, invoice
number, RMA number). Saving the same document again (a replay) changes nothing but the link
to the message; saving a different version of it (a revised PO, a corrected ASN) replaces the
data and lines and bumps ``revision``: never a second row. Earlier source messages stay linked
with the role ``replaced`` so the console can show every message that touched a document.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, delete, select

from gateway.canonical import (
    CanonicalDocument,
    Invoice,
    ItemIds,
    PurchaseOrder,
    ReturnAuthorization,
    Shipment,
)
from gateway.store.models import Document, DocumentLine, DocumentMessage, utcnow

log = logging.getLogger(__name__)

#: The business-key field of each document type.
BUSINESS_KEYS: dict[str, str] = {
    "purchase_order": "po_number",
    "shipment": "shipment_id",
    "invoice": "invoice_number",
    "return_authorization": "rma_number",
    "receipt": "receipt_id",
    "remittance": "trace_number",
}


@dataclass(frozen=True, slots=True)
class SavedDocument:
    """What :func:`save_document` did: the row and its outcome (``created``, ``revised``, ``unchanged``,
    ``older``: the stored version came from a later message and stays)."""

    document: Document
    outcome: str


def business_key(doc: CanonicalDocument) -> str:
    """The value that identifies ``doc`` among the partner's documents of its type."""
    return str(getattr(doc, BUSINESS_KEYS[doc.type_key]))


def _stored_data(doc: CanonicalDocument) -> dict[str, Any]:
    data = doc.to_json_dict()
    data.pop("source_message_id", None)  # the link table says where it came from
    return data


def save_document(
    session: Session,
    partner: str,
    doc: CanonicalDocument,
    message_id: int | None = None,
    *,
    role: str = "source",
    status: str | None = None,
) -> SavedDocument:
    """Insert or revise ``doc`` for ``partner`` and link it to ``message_id``; the caller commits."""
    kind = doc.type_key
    key = business_key(doc)
    data = _stored_data(doc)
    row = session.exec(
        select(Document).where(
            Document.partner == partner, Document.type == kind, Document.business_key == key
        )
    ).first()
    if row is None:
        row = Document(partner=partner, type=kind, business_key=key, data=data, status=status)
        outcome = "created"
    elif row.data == data:
        outcome = "unchanged"
    elif message_id is not None and row.source_message_id is not None and row.source_message_id > message_id:
        # a replay of a message received before the one the stored version came from: the
        # partner's later version stands (message ids grow with receipt)
        log.warning(
            "%s %s/%s: message %s is older than message %s the stored version came from; kept that one",
            kind, partner, key, message_id, row.source_message_id,
        )  # fmt: skip
        _link(session, row, message_id, "replaced", replace_sources=False)
        session.flush()
        return SavedDocument(row, "older")
    else:
        row.data = data
        row.revision += 1
        row.updated_at = utcnow()
        outcome = "revised"
    if status is not None:
        row.status = status
    if outcome != "unchanged":
        _set_columns(row, doc)
        row.source_message_id = message_id if message_id is not None else row.source_message_id
    session.add(row)
    session.flush()
    if outcome != "unchanged":
        session.exec(delete(DocumentLine).where(col(DocumentLine.document_id) == row.id))
        for line in _lines(doc):
            line.document_id = int(row.id or 0)
            session.add(line)
    if message_id is not None:
        _link(session, row, message_id, role, replace_sources=outcome == "revised")
    session.flush()
    log.debug("%s %s %s/%s (revision %s)", outcome, kind, partner, key, row.revision)
    return SavedDocument(row, outcome)


def _link(session: Session, row: Document, message_id: int, role: str, replace_sources: bool) -> None:
    links = session.exec(select(DocumentMessage).where(DocumentMessage.document_id == row.id)).all()
    if replace_sources and role == "source":
        for link in links:
            if link.role == "source" and link.message_id != message_id:
                session.delete(link)
                session.flush()
                if not any(o.message_id == link.message_id and o.role == "replaced" for o in links):
                    old = link.message_id
                    replaced = DocumentMessage(document_id=int(row.id or 0), message_id=old, role="replaced")
                    session.add(replaced)
    if not any(link.message_id == message_id and link.role == role for link in links):
        session.add(DocumentMessage(document_id=int(row.id or 0), message_id=message_id, role=role))


def _set_columns(row: Document, doc: CanonicalDocument) -> None:
    row.po_number = getattr(doc, "po_number", None)
    row.shipment_id = getattr(doc, "shipment_id", None)
    row.invoice_number = getattr(doc, "invoice_number", None)
    row.rma_number = getattr(doc, "rma_number", None)
    row.currency = getattr(doc, "currency", None)
    row.document_date = _document_date(doc)
    row.delivery_date = _delivery_date(doc)
    row.total = doc.total if isinstance(doc, Invoice) else None
    if isinstance(doc, Shipment) and len(doc.orders) == 1:
        row.po_number = doc.orders[0].po_number


def _document_date(doc: CanonicalDocument) -> date | None:
    if isinstance(doc, PurchaseOrder):
        return doc.order_date
    if isinstance(doc, Shipment):
        return doc.ship_date
    if isinstance(doc, Invoice):
        return doc.invoice_date
    if isinstance(doc, ReturnAuthorization):
        return doc.rma_date
    return None


def _delivery_date(doc: CanonicalDocument) -> date | None:
    if isinstance(doc, PurchaseOrder):
        return doc.deliver_not_after
    if isinstance(doc, Shipment):
        return doc.expected_delivery
    return None


def _line(
    line_no: str | None,
    po_number: str | None,
    item: ItemIds,
    quantity: Decimal,
    uom: str,
    case_size: Decimal | None = None,
    unit_price: Decimal | None = None,
) -> DocumentLine:
    return DocumentLine(
        document_id=0,  # set when the document is saved
        line_no=line_no or "", po_number=po_number, asin=item.asin, ean=item.ean, upc=item.upc,
        vendor_sku=item.vendor_sku, buyer_sku=item.buyer_sku, quantity=quantity, uom=uom,
        case_size=case_size, unit_price=unit_price,
    )  # fmt: skip


def _lines(doc: CanonicalDocument) -> list[DocumentLine]:
    """The document's item lines, flattened (a shipment's order lines carry their PO number)."""
    if isinstance(doc, PurchaseOrder):
        return [
            _line(x.line_no, doc.po_number, x.item, x.quantity, x.uom, x.case_size, x.unit_price)
            for x in doc.lines
        ]
    if isinstance(doc, Shipment):
        return [
            _line(x.line_no, order.po_number, x.item, x.quantity, x.uom, x.case_size)
            for order in doc.orders
            for x in order.lines
        ]
    if isinstance(doc, Invoice):
        return [
            _line(x.line_no, doc.po_number, x.item, x.quantity, x.uom, x.case_size, x.unit_price)
            for x in doc.lines
        ]
    if isinstance(doc, ReturnAuthorization):
        return [
            _line(x.line_no, doc.po_number, x.item, x.quantity, x.uom, None, x.unit_credit) for x in doc.lines
        ]
    return []


def load_document(row: Document) -> CanonicalDocument:
    """The canonical document stored in ``row``."""
    from gateway.canonical import document_from_json

    return document_from_json(dict(row.data))
