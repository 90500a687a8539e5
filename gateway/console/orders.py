"""The console's reads about purchase orders: the paged PO list, and one PO with what followed it.

Thin queries only: the pages and the JSON API both call these; the order book's rules live in
:mod:`gateway.orders`.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from gateway.console.paging import Listing, keyset, where_equal
from gateway.store.models import Discrepancy, Document, DocumentLine

PO_TYPE = "purchase_order"
PO_FILTERS = {"partner": Document.partner, "status": Document.status}


def list_purchase_orders(session: Session, args: dict[str, str]) -> Listing:
    """A keyset page of purchase orders (newest first), filtered by partner, status and number prefix."""
    query = where_equal(select(Document).where(col(Document.type) == PO_TYPE), PO_FILTERS, args)
    number = args.get("po", "")
    if number:
        po_number = col(Document.po_number)
        query = query.where(po_number >= number, po_number < number + "\U0010ffff")
    return keyset(session, query, Document.id)


def documents_of_po(session: Session, po_number: str) -> dict[int, Document]:
    """Every document that names ``po_number`` in its header or on one of its lines, by id."""
    line_docs = select(DocumentLine.document_id).where(col(DocumentLine.po_number) == po_number).distinct()
    found = session.exec(
        select(Document).where((col(Document.po_number) == po_number) | col(Document.id).in_(line_docs))
    )
    return {doc.id: doc for doc in found if doc.id is not None}


def discrepancies_of_po(session: Session, po_number: str) -> list[Discrepancy]:
    query = select(Discrepancy).where(col(Discrepancy.po_number) == po_number)
    return list(session.exec(query.order_by(col(Discrepancy.id))))
