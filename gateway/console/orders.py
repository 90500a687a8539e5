"""The console's reads about purchase orders: the paged PO list, and one PO with what followed it
(its documents in one timeline: acknowledgement, ship notices, labels, invoices, credit notes).

Thin queries only: the pages and the JSON API both call these; the order book's rules live in
:mod:`gateway.orders`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from gateway.console.paging import Listing, keyset, where_equal
from gateway.store.models import Discrepancy, Document, DocumentLine
from gateway.store.money import InvoiceCheck

PO_TYPE = "purchase_order"
PO_FILTERS = {"partner": Document.partner, "status": Document.status}


def purchase_order_query(args: dict[str, str]) -> Any:
    """Purchase orders filtered by partner, status and number prefix (unordered)."""
    query = where_equal(select(Document).where(col(Document.type) == PO_TYPE), PO_FILTERS, args)
    number = args.get("po", "")
    if number:
        po_number = col(Document.po_number)
        query = query.where(po_number >= number, po_number < number + "\U0010ffff")
    return query


def list_purchase_orders(session: Session, args: dict[str, str]) -> Listing:
    """A keyset page of purchase orders (newest first), filtered by partner, status and number prefix."""
    return keyset(session, purchase_order_query(args), Document.id)


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


#: what each document is called on a PO's timeline, in the order Amazon expects them
TIMELINE_KINDS = {
    "purchase_order": "purchase order",
    "po_acknowledgement": "acknowledgement",
    "shipment": "ship notice",
    "label": "carton labels",
    "invoice": "invoice",
    "credit_note": "credit note",
    "return_authorization": "return",
}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One document on a PO's timeline: what it is, when, where it stands, why it is held."""

    document: Document
    kind: str
    when: date | None
    reasons: list[dict[str, Any]]

    @property
    def held(self) -> bool:
        """Blocked (for an operator to approve, re-check or cancel)."""
        return self.document.status == "blocked"


def _kind(doc: Document) -> str:
    if doc.type == "invoice" and (doc.data or {}).get("kind") == "credit_note":
        return TIMELINE_KINDS["credit_note"]
    return TIMELINE_KINDS.get(doc.type, doc.type.replace("_", " "))


def timeline_of_po(session: Session, documents: list[Document]) -> list[TimelineEntry]:
    """The PO's documents in one timeline (by date, then as they arrived; acknowledgements and
    label rows appear where the store holds them), with the stored reasons of every blocked one."""
    ids = [d.id for d in documents if d.id is not None and d.status == "blocked"]
    checks = (
        session.exec(select(InvoiceCheck).where(col(InvoiceCheck.document_id).in_(ids))).all() if ids else []
    )
    reasons = {c.document_id: list(c.reasons or []) for c in checks}
    entries = [
        TimelineEntry(
            d,
            _kind(d),
            d.document_date or (d.created_at.date() if d.created_at else None),
            reasons.get(d.id or 0, []),
        )
        for d in documents
    ]
    return sorted(entries, key=lambda e: (e.when is None, e.when or date.min, e.document.id or 0))
