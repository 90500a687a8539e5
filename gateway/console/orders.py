"""The console's reads about purchase orders: the paged PO list, and one PO with what followed it
(its documents in one timeline: acknowledgement, ship notices, labels, invoices, credit notes).

Thin queries only: the pages and the JSON API both call these; the order book's rules live in
:mod:`gateway.orders`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from gateway.console.paging import Listing, keyset, where_equal
from gateway.store.models import Discrepancy, Document, DocumentLine, ShipNoticeRecord
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


#: what our own ship notice (a ``ship_notices`` row, not a document) is called on the timeline
OUR_SHIP_NOTICE = "our ship notice"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One document on a PO's timeline: what it is, when, where it stands, why it is held.

    Either a stored ``document`` or ``notice``, a ship notice we built for the partner (with its
    carton labels), which the store keeps in ``ship_notices``, not as a document."""

    document: Document | None
    kind: str
    when: date | None
    reasons: list[dict[str, Any]]
    notice: ShipNoticeRecord | None = None

    @property
    def status(self) -> str | None:
        if self.notice is not None:
            return self.notice.status
        return self.document.status if self.document is not None else None

    @property
    def held(self) -> bool:
        """Blocked (for an operator to approve, re-check or cancel)."""
        return self.status == "blocked"

    @property
    def order(self) -> tuple[bool, date, int, int]:
        """By date, then documents as they arrived, each ship notice of ours after its ASN."""
        ident = self.document.id if self.document is not None else None
        return (self.when is None, self.when or date.min, 1 if self.notice else 0, ident or 0)


def _kind(doc: Document) -> str:
    if doc.type == "invoice" and (doc.data or {}).get("kind") == "credit_note":
        return TIMELINE_KINDS["credit_note"]
    return TIMELINE_KINDS.get(doc.type, doc.type.replace("_", " "))


def timeline_of_po(
    session: Session, documents: list[Document], notices: Sequence[ShipNoticeRecord] = ()
) -> list[TimelineEntry]:
    """The PO's documents and our ship ``notices`` in one timeline (by date, then as they arrived;
    acknowledgements and label rows appear where the store holds them), with the stored reasons of
    every blocked one. Our ship notice is dated like the warehouse's ASN it was built from."""
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
    asn_dates = {
        e.document.business_key: e.when for e in entries if e.document and e.document.type == "shipment"
    }
    for n in notices:
        when = asn_dates.get(n.source_shipment_id) or (n.created_at.date() if n.created_at else None)
        held = list(n.reasons or []) if n.status == "blocked" else []
        entries.append(TimelineEntry(None, OUR_SHIP_NOTICE, when, held, notice=n))
    return sorted(entries, key=lambda e: e.order)
