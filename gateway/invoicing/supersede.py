"""One invoice per shipment, whoever issued it: an ERP's invoice cancels our unsent one, visibly.

When an inbound invoice (our ERP's 810/INVOIC) is stored for a shipment and PO whose automatic
invoice we built but have not sent (``draft``, ``blocked`` or ``queued``), ours is cancelled:
its status becomes ``cancelled`` (it no longer counts as invoiced), its queued or held outbound
message moves to ``cancelled`` with an event on the message's timeline, and an audit entry
names the ERP invoice (reason ``duplicate_invoice``). One already sent cannot be taken back: the
ERP's then is the duplicate, and reconciliation files it as ``duplicate_invoice``.

:func:`cancel_invoice` is the same move for an operator (the console's cancel of a blocked
document).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from gateway.canonical import Invoice
from gateway.config import PartnerDirectory
from gateway.invoicing.parts import InvoicingError
from gateway.orders.book import load_bundles, safe_load
from gateway.reconcile import run_scopes, scopes_of
from gateway.store import messages
from gateway.store.models import AuditEntry, Document, DocumentMessage, Message, MessageState, utcnow

log = logging.getLogger(__name__)

#: our invoice statuses that are not yet with the partner (may still be cancelled)
CANCELLABLE = frozenset({"draft", "blocked", "queued"})
CHECK = "duplicate_invoice"


def _unsent_messages(session: Session, document_id: int) -> list[Message]:
    query = (
        select(Message)
        .join(DocumentMessage, col(DocumentMessage.message_id) == Message.id)
        .where(DocumentMessage.document_id == document_id, DocumentMessage.role == "sent")
        .where(col(Message.state).in_([MessageState.QUEUED.value, MessageState.BLOCKED.value]))
    )
    return list(session.exec(query).all())


def cancel_invoice(session: Session, document_id: int, actor: str, reason: str) -> Document:
    """Cancel our unsent invoice or credit note ``document_id`` and its unsent message; audited.

    Raises :class:`InvoicingError` for an unknown document or one already with the partner.
    The caller commits (and reconciles the PO again: see :func:`supersede_queued`).
    """
    row = session.get(Document, document_id)
    if row is None or row.type != "invoice":
        raise InvoicingError(f"no invoice document {document_id}")
    if row.status not in CANCELLABLE:
        raise InvoicingError(f"invoice {row.invoice_number} is {row.status}: it can no longer be cancelled")
    was = row.status
    row.status, row.updated_at = "cancelled", utcnow()
    session.add(row)
    cancelled = []
    for message in _unsent_messages(session, document_id):
        messages.move(session, message, MessageState.CANCELLED, f"cancelled: {reason}", actor=actor)
        cancelled.append(message.id)
    session.add(
        AuditEntry(
            actor=actor,
            action="invoice.cancelled",
            target_type="document",
            target_id=str(row.id),
            reason=reason,
            detail={"invoice_number": row.invoice_number, "was": was, "message_ids": cancelled},
        )
    )
    session.flush()
    log.info("cancelled invoice %s (%s): %s", row.invoice_number, was, reason)
    return row


def supersede_queued(
    session: Session, partners: PartnerDirectory, stored: Sequence[Document], *, today: date | None = None
) -> list[Document]:
    """Cancel our unsent invoices of the shipments the inbound invoices in ``stored`` bill.

    Returns the cancelled documents; the POs they belong to are reconciled again. The caller commits.
    """
    cancelled: list[Document] = []
    for row in stored:
        doc = safe_load(row)
        if not isinstance(doc, Invoice) or doc.kind != "invoice" or not doc.shipment_id:
            continue
        bundle = load_bundles(session, [doc.po_number])[doc.po_number]
        for ours in bundle.invoices:
            if (
                ours.row.id == row.id
                or ours.doc.kind != "invoice"
                or ours.doc.shipment_id != doc.shipment_id
                or ours.row.status not in CANCELLABLE
            ):
                continue
            why = (
                f"{CHECK}: {row.partner}'s invoice {doc.invoice_number} bills shipment {doc.shipment_id} "
                f"of PO {doc.po_number}; one invoice per shipment"
            )
            cancelled.append(cancel_invoice(session, int(ours.row.id or 0), "gateway", why))
    if cancelled:
        run_scopes(session, partners, scopes_of(cancelled), today=today)
    return cancelled
