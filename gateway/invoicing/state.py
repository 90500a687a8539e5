"""The states of our invoices and the moves between them: check, queue (send, approve), sent, acknowledged.

See :mod:`gateway.invoicing` for the state diagram. Every move is written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from gateway.canonical import Invoice
from gateway.config import PartnerDirectory
from gateway.invoicing.checks import Reason, compliance_reasons
from gateway.invoicing.parts import InvoicingError, invoice_settings
from gateway.invoicing.render import render_payload
from gateway.mapping.registry import MappingRegistry
from gateway.orders.book import safe_load
from gateway.outbound.outbox import queue_outbound
from gateway.outbound.render import mailbox_for
from gateway.reconcile import run_scopes, scopes_of
from gateway.store import messages
from gateway.store.archive import Archive
from gateway.store.models import AuditEntry, Document, DocumentMessage, Message, MessageState, utcnow
from gateway.store.money import InvoiceCheck

log = logging.getLogger(__name__)

STATES = ("draft", "blocked", "queued", "sent", "accepted", "rejected", "cancelled")
#: States from which an invoice may (after a passing check) be sent.
SENDABLE = frozenset({"draft", "blocked", "rejected"})


class InvoiceBlocked(InvoicingError):
    """An invoice that fails its compliance checks; ``reasons`` lists every one."""

    def __init__(self, number: str, reasons: list[Reason]) -> None:
        self.reasons = reasons
        listed = "".join(f"\n  - {r}" for r in reasons)
        super().__init__(f"invoice {number} is blocked ({len(reasons)} reason(s)):{listed}")


def _audit(
    session: Session, actor: str, action: str, row: Document, reason: str | None = None, **detail: Any
) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            target_type="document",
            target_id=str(row.id),
            reason=reason,
            detail={"invoice_number": row.invoice_number, **detail},
        )
    )


def _invoice_row(session: Session, document_id: int) -> tuple[Document, Invoice]:
    row = session.get(Document, document_id)
    if row is None or row.type != "invoice":
        raise InvoicingError(f"no invoice document {document_id}")
    doc = safe_load(row)
    if not isinstance(doc, Invoice):
        raise InvoicingError(f"invoice document {document_id} no longer loads")
    return row, doc


def _check_row(session: Session, document_id: int) -> InvoiceCheck:
    check = session.get(InvoiceCheck, document_id)
    if check is None:
        check = InvoiceCheck(document_id=document_id)
        session.add(check)
    return check


def record_reasons(session: Session, row: Document, reasons: list[Reason]) -> None:
    """Store ``reasons`` (empty: it passes) as the latest check of invoice ``row``; the caller commits."""
    check = _check_row(session, int(row.id or 0))
    check.reasons = [r.to_json() for r in reasons]
    check.checked_at = utcnow()
    session.add(check)


def _cancel_held(session: Session, document_id: int, actor: str) -> None:
    """Messages of ``document_id`` held at send (``blocked``) are cancelled: a new one replaces them."""
    query = (
        select(Message)
        .join(DocumentMessage, col(DocumentMessage.message_id) == Message.id)
        .where(DocumentMessage.document_id == document_id, DocumentMessage.role == "sent")
        .where(Message.state == MessageState.BLOCKED.value)
    )
    for held in session.exec(query).all():
        messages.move(session, held, MessageState.CANCELLED, "replaced by a new queued message", actor=actor)


def check_invoice(
    session: Session, partners: PartnerDirectory, document_id: int, *, today: date | None = None
) -> list[Reason]:
    """Run every compliance check on invoice ``document_id``, store the reasons, set draft/blocked.

    An invoice already queued, sent or accepted keeps its status (the reasons are stored).
    Raises :class:`InvoicingError` for an unknown document. The caller commits.
    """
    row, doc = _invoice_row(session, document_id)
    reasons = compliance_reasons(session, partners, row, doc, today=today or utcnow().date())
    record_reasons(session, row, reasons)
    if row.status in ("draft", "blocked"):
        status = "blocked" if reasons else "draft"
        if status != row.status:
            row.status = status
            row.updated_at = utcnow()
            session.add(row)
            _audit(session, "gateway", f"invoice.{status}", row, "; ".join(map(str, reasons)) or None)
    session.flush()
    return reasons


def queue_invoice(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    document_id: int,
    actor: str,
    *,
    today: date | None = None,
    checked: bool = False,
) -> Message:
    """Check, render and queue invoice ``document_id`` (status ``queued``); the caller commits.

    ``checked``: the caller ran :func:`check_invoice` on it a moment ago in this transaction, and
    it passed (it is ``draft``): it is not checked a second time. Raises :class:`InvoiceBlocked`
    (the blocked status and reasons are set in the session: commit them), or
    :class:`InvoicingError` (not sendable, not approved, cannot render).
    """
    row, doc = _invoice_row(session, document_id)
    if row.status not in SENDABLE:
        raise InvoicingError(f"invoice {doc.invoice_number} is {row.status}: it cannot be sent again")
    profile, settings = invoice_settings(partners, row.partner)
    was = row.status
    passed = checked and was == "draft"  # a check that fails leaves it blocked: never skipped then
    reasons = [] if passed else check_invoice(session, partners, document_id, today=today)
    if reasons:
        if was == "rejected":
            row.status = "blocked"
            session.add(row)
        raise InvoiceBlocked(doc.invoice_number, reasons)
    if settings.mode == "manual" and not _check_row(session, document_id).approved_by:
        raise InvoicingError(
            f"invoice {doc.invoice_number} waits for approval ({profile.name} invoices in manual mode)"
        )
    payload = render_payload(session, partners, mappings, row, doc)
    _cancel_held(session, document_id, actor)
    message = queue_outbound(
        session,
        archive,
        row.partner,
        mailbox_for(partners, row.partner),
        payload,
        document_ids=[document_id],
        actor=actor,
        note=f"{doc.kind} {doc.invoice_number}",
    )
    row.status = "queued"
    row.updated_at = utcnow()
    session.add(row)
    _audit(session, actor, "invoice.queued", row, None, message_id=message.id, filename=payload.filename)
    session.flush()
    run_scopes(session, partners, scopes_of([row]), today=today)  # it counts as invoiced from now on
    log.info("queued %s %s for %s as %s", doc.kind, doc.invoice_number, row.partner, payload.filename)
    return message


def approve_and_queue(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    document_id: int,
    actor: str,
    note: str | None = None,
    *,
    today: date | None = None,
) -> Message:
    """Approve invoice ``document_id`` (manual mode) and queue it; audited; the caller commits.

    Raises :class:`InvoiceBlocked` when it fails its checks (nothing is approved; the blocked
    status and reasons are in the session, for the caller to commit) or :class:`InvoicingError`.
    """
    row, doc = _invoice_row(session, document_id)
    if row.status not in SENDABLE:
        raise InvoicingError(f"invoice {doc.invoice_number} is {row.status}: nothing to approve")
    reasons = check_invoice(session, partners, document_id, today=today)
    if reasons:
        raise InvoiceBlocked(doc.invoice_number, reasons)
    check = _check_row(session, document_id)
    check.approved_by, check.approved_at = actor, utcnow()
    session.add(check)
    _audit(session, actor, "invoice.approved", row, note)
    return queue_invoice(session, partners, mappings, archive, document_id, actor, today=today, checked=True)


def _linked(session: Session, message_id: int) -> list[Document]:
    query = (
        select(Document)
        .join(DocumentMessage, col(DocumentMessage.document_id) == Document.id)
        .where(
            DocumentMessage.message_id == message_id,
            DocumentMessage.role == "sent",
            Document.type == "invoice",
        )
    )
    return list(session.exec(query).all())


#: what an outbound message of only these types carries is a functional or interchange
#: acknowledgement (``gateway.outbound.acks`` queues them, linked to no document and no record):
#: no invoice to re-check at send (:mod:`gateway.invoicing.at_send`) or to record as sent
UNCHECKED_TYPES = frozenset({"997", "999", "TA1", "CONTRL"})


def record_invoice_sent(
    session: Session, message_id: int, *, document_types: Sequence[str] | None = None
) -> list[Document]:
    """The invoices queued in outbound message ``message_id`` are now ``sent``; the caller commits.
    With the message's ``document_types``, an acknowledgement (:data:`UNCHECKED_TYPES`) is not
    looked up."""
    return record_invoices_sent(session, {message_id: document_types})


def record_invoices_sent(session: Session, sent: Mapping[int, Sequence[str] | None]) -> list[Document]:
    """:func:`record_invoice_sent` for each outbound message of ``sent`` (its id: its document types,
    or ``None``), with one query for them all; the caller commits."""
    ids = sorted(i for i, types in sent.items() if not (types and set(types) <= UNCHECKED_TYPES))
    if not ids:
        return []
    query = (
        select(DocumentMessage.message_id, Document)
        .join(DocumentMessage, col(DocumentMessage.document_id) == Document.id)
        .where(
            col(DocumentMessage.message_id).in_(ids),
            DocumentMessage.role == "sent",
            Document.type == "invoice",
        )
        .order_by(col(DocumentMessage.message_id), col(Document.id))
    )
    rows = []
    for message_id, row in session.exec(query).all():
        if row.status == "queued":
            row.status, row.updated_at = "sent", utcnow()
            session.add(row)
            _audit(session, "gateway", "invoice.sent", row, None, message_id=message_id)
            rows.append(row)
    session.flush()
    return rows


def record_invoice_ack(
    session: Session,
    message_id: int,
    accepted: bool,
    codes: Sequence[str] = (),
    partners: PartnerDirectory | None = None,
) -> list[Document]:
    """The partner's 997/CONTRL on outbound message ``message_id``: its invoices become
    ``accepted`` or ``rejected`` (with ``codes``); the caller commits. With ``partners``, the
    POs of rejected invoices are reconciled again (a rejected invoice no longer counts)."""
    status = "accepted" if accepted else "rejected"
    rows = []
    for row in _linked(session, message_id):
        if row.status in ("queued", "sent", "accepted", "rejected"):
            row.status, row.updated_at = status, utcnow()
            session.add(row)
            _audit(
                session,
                "partner",
                f"invoice.{status}",
                row,
                ", ".join(codes) or None,
                message_id=message_id,
                codes=list(codes),
            )
            rows.append(row)
    session.flush()
    if partners is not None and not accepted and rows:
        run_scopes(session, partners, scopes_of(rows))
    return rows
