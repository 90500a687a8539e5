"""Outbound invoicing: build, check, approve, send; and what the partner's acknowledgement says.

States of an invoice or credit note we build (``Document.status``)::

    draft --check fails--> blocked --check passes--> draft
    draft --send (automatic, or approved in manual mode)--> queued --put in the mailbox--> sent
    queued|sent --997/CONTRL accepts--> accepted      queued|sent --rejects--> rejected --send--> queued

- :func:`check_invoice` runs every compliance pre-check (:mod:`gateway.invoicing_checks`)
  and stores the reasons (``invoice_checks`` table); a failing invoice is ``blocked`` and is
  never sent: :func:`send_invoice` re-checks right before rendering.
- :func:`send_invoice` renders through the partner's outbound mapping (X12 810 or EDIFACT
  INVOIC, per ``invoice.format`` or the partner's standard) or as canonical XML, wraps it in
  an interchange with the partner's control numbers and queues it in the outbox, linked to
  the invoice document (role ``sent``). Manual-mode partners need :func:`approve_invoice`.
- :func:`record_invoice_sent` and :func:`record_invoice_ack` are for the pipeline: the sender
  calls the first once the file is in the mailbox, the 997/CONTRL handler the second.
- :func:`on_documents_stored` is the automatic mode: after the pipeline stores an ASN (or a
  late PO, or an RMA) it builds the invoice (credit note) and, for ``mode: automatic``
  partners, sends it when it passes.

Functions taking a ``session`` leave the commit to the caller; those taking a
:class:`~gateway.runtime.Runtime` run their own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from gateway.canonical import Invoice, PurchaseOrder, ReturnAuthorization, Shipment
from gateway.canonical.xml import CanonicalXmlError, to_xml
from gateway.config import PartnerDirectory
from gateway.envelopes import build_interchange, next_transaction_control, outbound_filename, to_payload
from gateway.invoicing_build import (
    InvoicingError,
    build_credit_note,
    build_invoices,
    invoice_settings,
)
from gateway.invoicing_checks import Reason, compliance_reasons
from gateway.mapping.errors import TranslationError
from gateway.mapping.registry import MappingRegistry
from gateway.outbox import OutboundPayload, queue_outbound
from gateway.reconcile import run_scopes, scopes_of
from gateway.reconcile_data import load_bundles, safe_load
from gateway.reconcile_models import InvoiceCheck
from gateway.runtime import Runtime
from gateway.store.archive import Archive
from gateway.store.engine import session_scope
from gateway.store.models import AuditEntry, Document, DocumentMessage, Message, utcnow

log = logging.getLogger(__name__)

__all__ = [
    "STATES",
    "InvoiceBlocked",
    "InvoicingError",
    "Reason",
    "approve_invoice",
    "build_credit_note",
    "build_invoices",
    "check_invoice",
    "invoice_json",
    "list_invoices",
    "on_documents_stored",
    "record_invoice_ack",
    "record_invoice_sent",
    "send_invoice",
    "send_ready_invoices",
]

STATES = ("draft", "blocked", "queued", "sent", "accepted", "rejected")
#: States from which an invoice may (after a passing check) be sent.
SENDABLE = frozenset({"draft", "blocked", "rejected"})
_CENT = Decimal("0.01")


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


def check_invoice(
    session: Session, partners: PartnerDirectory, document_id: int, *, today: date | None = None
) -> list[Reason]:
    """Run every compliance check on invoice ``document_id``, store the reasons, set draft/blocked.

    An invoice already queued, sent or accepted keeps its status (the reasons are stored).
    Raises :class:`InvoicingError` for an unknown document. The caller commits.
    """
    row, doc = _invoice_row(session, document_id)
    reasons = compliance_reasons(session, partners, row, doc, today=today or utcnow().date())
    check = _check_row(session, document_id)
    check.reasons = [r.to_json() for r in reasons]
    check.checked_at = utcnow()
    session.add(check)
    if row.status in ("draft", "blocked"):
        status = "blocked" if reasons else "draft"
        if status != row.status:
            row.status = status
            row.updated_at = utcnow()
            session.add(row)
            _audit(session, "gateway", f"invoice.{status}", row, "; ".join(map(str, reasons)) or None)
    session.flush()
    return reasons


def _mailbox(partners: PartnerDirectory, partner: str) -> str | None:
    profile = partners.get(partner)
    boxes = [m.name for m in profile.mailboxes if m.enabled]
    return boxes[0] if boxes else None


def render_payload(
    session: Session, partners: PartnerDirectory, mappings: MappingRegistry, row: Document, doc: Invoice
) -> OutboundPayload:
    """The bytes of invoice ``doc`` for its partner, with control numbers taken from the counters."""
    profile, settings = invoice_settings(partners, row.partner)
    fmt = settings.format or profile.standard
    if fmt == "xml":
        try:
            data = to_xml(doc)
        except CanonicalXmlError as exc:
            raise InvoicingError(f"invoice {doc.invoice_number} cannot be written as XML: {exc}") from None
        stamp = utcnow().strftime("%Y%m%d%H%M%S")
        name = f"{profile.name}_{doc.kind}_{stamp}_{doc.invoice_number}.xml"
        return OutboundPayload(data=data, filename=name, standard="xml", document_types=["invoice"])
    if fmt != profile.standard:
        raise InvoicingError(
            f"partner {profile.name} trades {profile.standard}: invoice format {fmt} cannot be sent"
        )
    document, functional = ("810", "IN") if fmt == "x12" else ("INVOIC", "INVOIC")
    control = next_transaction_control(session, profile)
    try:
        body = mappings.render(doc, fmt, profile.version, document, control, profile.mappings)
    except TranslationError as exc:
        raise InvoicingError(
            f"invoice {doc.invoice_number} cannot be rendered as {document}: {exc}"
        ) from None
    interchange = build_interchange(session, profile, functional, [body])
    kind = "810" if fmt == "x12" else "invoic"
    return to_payload(interchange, fmt, outbound_filename(profile, kind, interchange.control_number))


def queue_invoice(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    document_id: int,
    actor: str,
    *,
    today: date | None = None,
) -> Message:
    """Check, render and queue invoice ``document_id`` (status ``queued``); the caller commits.

    Raises :class:`InvoiceBlocked` (the blocked status and reasons are set in the session:
    commit them), or :class:`InvoicingError` (not sendable, not approved, cannot render).
    """
    row, doc = _invoice_row(session, document_id)
    if row.status not in SENDABLE:
        raise InvoicingError(f"invoice {doc.invoice_number} is {row.status}: it cannot be sent again")
    profile, settings = invoice_settings(partners, row.partner)
    was = row.status
    reasons = check_invoice(session, partners, document_id, today=today)
    if reasons:
        if was == "rejected":
            row.status = "blocked"
            session.add(row)
        raise InvoiceBlocked(doc.invoice_number, reasons)
    check = _check_row(session, document_id)
    if settings.mode == "manual" and not check.approved_by:
        raise InvoicingError(
            f"invoice {doc.invoice_number} waits for approval ({profile.name} invoices in manual mode)"
        )
    payload = render_payload(session, partners, mappings, row, doc)
    message = queue_outbound(
        session,
        archive,
        row.partner,
        _mailbox(partners, row.partner),
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


def send_invoice(runtime: Runtime, document_id: int, actor: str, *, today: date | None = None) -> Message:
    """Check, render and queue invoice ``document_id`` in its own transaction.

    Raises :class:`InvoiceBlocked` (after saving the blocked status and its reasons) or
    :class:`InvoicingError`.
    """
    blocked: InvoiceBlocked | None = None
    with session_scope(runtime.engine) as session:
        try:
            return queue_invoice(
                session, runtime.partners, runtime.mappings, runtime.archive, document_id, actor, today=today
            )
        except InvoiceBlocked as exc:
            blocked = exc  # commit the blocked status and the reasons, then raise
    raise blocked


def approve_invoice(
    runtime: Runtime, document_id: int, actor: str, note: str | None = None, *, today: date | None = None
) -> Message:
    """Approve invoice ``document_id`` (manual mode) and send it; audited.

    Raises :class:`InvoiceBlocked` when it fails its checks (nothing is approved) or
    :class:`InvoicingError`.
    """
    blocked: InvoiceBlocked | None = None
    with session_scope(runtime.engine) as session:
        row, doc = _invoice_row(session, document_id)
        if row.status not in SENDABLE:
            raise InvoicingError(f"invoice {doc.invoice_number} is {row.status}: nothing to approve")
        reasons = check_invoice(session, runtime.partners, document_id, today=today)
        if reasons:
            blocked = InvoiceBlocked(doc.invoice_number, reasons)
        else:
            check = _check_row(session, document_id)
            check.approved_by, check.approved_at = actor, utcnow()
            session.add(check)
            _audit(session, actor, "invoice.approved", row, note)
            return queue_invoice(
                session, runtime.partners, runtime.mappings, runtime.archive, document_id, actor, today=today
            )
    assert blocked is not None
    raise blocked


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


def record_invoice_sent(session: Session, message_id: int) -> list[Document]:
    """The invoices queued in outbound message ``message_id`` are now ``sent``; the caller commits."""
    rows = []
    for row in _linked(session, message_id):
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


# -- listing --------------------------------------------------------------------------------------


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


# -- automatic mode -------------------------------------------------------------------------------


def _build_for(session: Session, partners: PartnerDirectory, row: Document, today: date) -> list[Document]:
    doc = safe_load(row)
    built: list[Document] = []
    try:
        if isinstance(doc, Shipment):
            for order in doc.orders:
                if _wants_invoices(session, partners, order.po_number):
                    built += build_invoices(
                        session, partners, doc.shipment_id, po_number=order.po_number, today=today
                    )
        elif isinstance(doc, PurchaseOrder) and _wants_invoices(session, partners, doc.po_number):
            bundle = load_bundles(session, [doc.po_number])[doc.po_number]
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


def _wants_invoices(session: Session, partners: PartnerDirectory, po_number: str) -> bool:
    """Whether the PO's partner is one we invoice (it has invoice settings)."""
    po = load_bundles(session, [po_number])[po_number].po
    return po is not None and _invoices(partners, po.row.partner)


def on_documents_stored(
    runtime: Runtime,
    session: Session,
    documents: Sequence[Document],
    *,
    today: date | None = None,
    actor: str = "gateway",
) -> list[Document]:
    """Build (and, in automatic mode, queue) the invoices and credit notes ``documents`` call for.

    For the pipeline, after storing an inbound message's documents: an ASN gets an invoice per
    PO, a PO that arrives after its ASN gets its invoices, an RMA gets its credit note. Built
    documents are checked; for ``mode: automatic`` partners a passing one is queued, a failing
    one stays ``blocked`` for an operator. Returns the invoice documents built or found; never
    raises for a document that cannot be invoiced (it is logged). The caller commits.
    """
    today = today or utcnow().date()
    partners = runtime.partners
    built: list[Document] = []
    for row in documents:
        for invoice_row in _build_for(session, partners, row, today):
            if invoice_row in built:
                continue
            built.append(invoice_row)
            if invoice_row.status not in ("draft", "blocked"):
                continue
            check_invoice(session, partners, int(invoice_row.id), today=today)  # type: ignore[arg-type]
            settings = partners.get(invoice_row.partner).invoice
            if settings is not None and settings.mode == "automatic" and invoice_row.status == "draft":
                try:
                    with session.begin_nested():
                        queue_invoice(
                            session,
                            partners,
                            runtime.mappings,
                            runtime.archive,
                            int(invoice_row.id),  # type: ignore[arg-type]
                            actor,
                            today=today,
                        )
                except InvoicingError as exc:
                    log.warning("invoice %s not sent: %s", invoice_row.invoice_number, exc)
    return built


def send_ready_invoices(
    runtime: Runtime, *, actor: str = "scheduler", today: date | None = None
) -> list[Message]:
    """Queue every draft or blocked invoice of automatic-mode partners that now passes its checks."""
    sent: list[Message] = []
    with session_scope(runtime.engine) as session:
        ids = session.exec(
            select(Document.id, Document.partner).where(
                Document.type == "invoice", col(Document.status).in_(["draft", "blocked"])
            )
        ).all()
    partners = runtime.partners
    for document_id, partner in ids:
        settings = partners.get(partner).invoice if partner in partners else None
        if settings is None or settings.mode != "automatic":
            continue
        try:
            sent.append(send_invoice(runtime, int(document_id), actor, today=today))  # type: ignore[arg-type]
        except InvoicingError as exc:
            log.debug("invoice document %s not sent: %s", document_id, exc)
    return sent
