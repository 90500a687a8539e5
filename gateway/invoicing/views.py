"""Listing invoices and credit notes with their state and blocked reasons (console and CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from gateway.store.models import Document
from gateway.store.money import InvoiceCheck

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class InvoiceView:
    """An invoice document with its state and blocked reasons, for lists."""

    row: Document
    reasons: list[dict[str, str]]
    approved_by: str | None

    @property
    def state(self) -> str:
        return self.row.status or "received"


def list_invoices(
    session: Session,
    *,
    partner: str | None = None,
    state: str | None = None,
    po_number: str | None = None,
    limit: int | None = None,
) -> list[InvoiceView]:
    """Invoice and credit-note documents, newest first (``received`` = not ours, from an ERP)."""
    query = (
        select(Document, InvoiceCheck)
        .join(InvoiceCheck, col(InvoiceCheck.document_id) == Document.id, isouter=True)
        .where(Document.type == "invoice")
    )
    if partner:
        query = query.where(Document.partner == partner)
    if state == "received":
        query = query.where(col(Document.status).is_(None))
    elif state:
        query = query.where(Document.status == state)
    if po_number:
        query = query.where(Document.po_number == po_number)
    query = query.order_by(col(Document.id).desc())
    if limit:
        query = query.limit(limit)
    return [
        InvoiceView(row, list(check.reasons) if check else [], check.approved_by if check else None)
        for row, check in session.exec(query).all()
    ]


def invoice_json(view: InvoiceView) -> dict[str, Any]:
    """An invoice for ``acorn invoices list --json`` and the console."""
    row = view.row
    return {
        "id": row.id,
        "partner": row.partner,
        "kind": (row.data or {}).get("kind", "invoice"),
        "invoice_number": row.invoice_number,
        "invoice_date": row.document_date.isoformat() if row.document_date else None,
        "po_number": row.po_number,
        "shipment_id": row.shipment_id,
        "state": view.state,
        "total": None if row.total is None else format(row.total.quantize(_CENT), "f"),
        "currency": row.currency,
        "blocked_reasons": view.reasons if view.state == "blocked" else [],
        "approved_by": view.approved_by,
    }
