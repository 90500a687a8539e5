"""The check at the moment of sending: an outbound invoice is sent only if it would still be queued today.

An invoice or credit note is checked when it is queued, and the outbox sends the bytes archived
then. Between the two the store moves on: an ERP's invoice for the same shipment arrives, an
ASN is replaced, a return is credited twice. :func:`prepare_for_send` runs right before a queued
message goes to the mailbox, against what the store holds *now*:

1. every compliance pre-check (:func:`gateway.invoicing.checks.compliance_reasons`) of each
   invoice document the message carries, plus ``duplicate_invoice`` (another live invoice
   of the same shipment and PO, whoever issued it);
2. the queued bytes are read back with our reader and inbound mapping (or the XML reader)
   and compared with the stored document; when they differ (the document changed since it
   was queued) the document is rendered again, archived, and the message points at the new
   bytes, so what leaves is what the store holds.

A message whose document would now break a rule is not sent: the message moves to ``blocked``
(:mod:`gateway.store.messages`), the document goes back to ``blocked`` with its reasons on its
check row, and both are audited. :func:`gateway.invoicing.approve_and_queue` (or the periodic
sender once the cause is fixed) queues it again; the console can cancel it.

The same mechanism holds what the layers above build: a PO acknowledgement is pre-checked again
against its PO, and the callers pass ``record_checks`` for the ship notice
(:func:`gateway.shipping.at_send.recheck`) and the inventory feed
(:func:`gateway.inventory.at_send.recheck`), which live above this layer. Each returns the
records (:class:`~gateway.store.models.ShipNoticeRecord`, ``InventoryFeedRecord``) the message
carries with the reasons they now break; :func:`prepare_for_send` moves them and the message to
``blocked`` in the same way, audited (one writer of "blocked at send").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from gateway.canonical import Invoice, PoAcknowledgement
from gateway.canonical.xml import CanonicalXmlError, from_xml
from gateway.config import PartnerDirectory
from gateway.edi import parse
from gateway.invoicing.checks import Reason, compliance_reasons
from gateway.invoicing.render import render_payload
from gateway.invoicing.state import UNCHECKED_TYPES, record_reasons
from gateway.mapping.errors import TranslationError
from gateway.mapping.registry import MappingRegistry
from gateway.orders.acknowledgement import precheck
from gateway.orders.book import PoBundle, is_live, load_bundles, safe_load
from gateway.outbound.outbox import OutboundPayload
from gateway.reconcile import run_scopes, scopes_of
from gateway.store import messages
from gateway.store.archive import Archive
from gateway.store.models import (
    AuditEntry,
    Document,
    DocumentMessage,
    InventoryFeedRecord,
    Message,
    MessageState,
    ShipNoticeRecord,
    utcnow,
)

log = logging.getLogger(__name__)

DUPLICATE = "duplicate_invoice"


@dataclass(slots=True)
class SendCheck:
    """What :func:`prepare_for_send` found: the reasons that block the message (none: send it)."""

    reasons: list[Reason] = field(default_factory=list)
    rerendered: bool = False

    @property
    def blocked(self) -> bool:
        return bool(self.reasons)


@dataclass(slots=True)
class HeldRecords:
    """What a record check found on a message: the records it carries and the reasons they now break.

    ``kind`` names the audit action (``<kind>.blocked_at_send``); no reason: the message may go,
    with ``payload`` instead of the queued bytes when the document changed since it was queued.
    """

    kind: str
    records: Sequence[ShipNoticeRecord | InventoryFeedRecord]
    reasons: list[Reason] = field(default_factory=list)
    payload: OutboundPayload | None = None  # no reason, but the document changed: send these bytes
    note: str = ""  # what changed, for the message's timeline


#: a re-check of one kind of outbound record: ``None`` when the message carries none of that kind
RecordCheck = Callable[
    [Session, PartnerDirectory, MappingRegistry, Archive, Message, datetime], HeldRecords | None
]


def _carried(session: Session, message_id: int) -> tuple[list[Document], list[Document]]:
    """The invoices (and credit notes) and the PO acknowledgements outbound message ``message_id``
    carries, in id order: one query for both."""
    query = (
        select(Document)
        .join(DocumentMessage, col(DocumentMessage.document_id) == Document.id)
        .where(DocumentMessage.message_id == message_id, DocumentMessage.role == "sent")
        .where(col(Document.type).in_(("invoice", "po_acknowledgement")))
        .order_by(col(Document.id))
    )
    rows = list(session.exec(query).all())
    return [r for r in rows if r.type == "invoice"], [r for r in rows if r.type == "po_acknowledgement"]


def duplicate_reasons(
    session: Session, row: Document, doc: Invoice, bundle: PoBundle | None = None
) -> list[Reason]:
    """``duplicate_invoice``: another live invoice bills the same shipment of the same PO
    (``bundle``: the PO's order book, when the caller has it)."""
    if doc.kind != "invoice" or not doc.shipment_id:
        return []
    if bundle is None:
        bundle = load_bundles(session, [doc.po_number])[doc.po_number]
    others = [
        x
        for x in bundle.invoices
        if x.row.id != row.id
        and x.doc.kind == "invoice"
        and x.doc.shipment_id == doc.shipment_id
        and is_live(x.row)
    ]
    return [
        Reason(
            DUPLICATE,
            f"shipment {doc.shipment_id} of PO {doc.po_number} is already invoiced by "
            f"{x.row.partner}'s {x.doc.invoice_number}: one invoice per shipment",
        )
        for x in others
    ]


def _read_back(data: bytes, standard: str | None, mappings: MappingRegistry) -> Invoice | None:
    """The invoice the queued bytes hold, read with our own readers (``None``: unreadable)."""
    doc: object
    try:
        if standard == "xml":
            doc = from_xml(data)
        else:
            parsed = parse(data)
            if not parsed.ok or len(parsed.transactions) != 1:
                return None
            doc = mappings.translate(parsed.transactions[0])
    except (CanonicalXmlError, TranslationError, ValueError):
        return None
    return doc if isinstance(doc, Invoice) else None


def _rerender(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    message: Message,
    row: Document,
    doc: Invoice,
) -> None:
    """Point ``message`` at freshly rendered bytes of ``doc`` (the stored document changed)."""
    payload = render_payload(session, partners, mappings, row, doc)
    _repoint(session, archive, message, payload, f"{doc.kind} {doc.invoice_number} changed")


def _repoint(
    session: Session, archive: Archive, message: Message, payload: OutboundPayload, why: str
) -> None:
    """Point queued ``message`` at ``payload``'s bytes (archived now), noted on its timeline."""
    stored = archive.store(payload.data)
    message.sha256, message.archive_path, message.size = stored.sha256, stored.key, stored.size
    message.filename = payload.filename
    message.interchange_control = payload.interchange_control
    message.group_controls = list(payload.group_controls)
    message.transaction_controls = list(payload.transaction_controls)
    session.add(message)
    messages.note_event(session, message, f"re-rendered at send as {payload.filename}: {why}")


def prepare_for_send(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    message_id: int,
    *,
    today: date | None = None,
    now: datetime | None = None,
    record_checks: Sequence[RecordCheck] = (),
) -> SendCheck:
    """Re-check (and if need be re-render) the invoices queued message ``message_id`` carries.

    A message with no invoice has its PO acknowledgements re-checked, then each of
    ``record_checks`` in turn (the first that finds its records on the message decides). A
    message that carries none of these passes untouched. One that would now break a rule is
    moved to ``blocked`` with its documents or records; the caller commits and, when
    :attr:`SendCheck.blocked`, does not send it. A 997, 999, TA1 or CONTRL
    (:data:`UNCHECKED_TYPES`) passes without a statement.
    """
    result = SendCheck()
    message = session.get(Message, message_id)
    if message is None or message.state != MessageState.QUEUED.value:
        return result
    if message.document_types and set(message.document_types) <= UNCHECKED_TYPES:
        return result  # an acknowledgement: no invoice, PO acknowledgement or record to re-check
    now = now or utcnow()
    rows, acknowledgements = _carried(session, message_id)
    if not rows:
        if not _check_acknowledgements(session, message, acknowledgements, result):
            _check_records(session, partners, mappings, archive, message, now, record_checks, result)
        return result
    today = today or now.date()
    loaded: list[tuple[Document, Invoice]] = []
    for row in rows:
        doc = safe_load(row)
        if not isinstance(doc, Invoice):
            result.reasons.append(Reason("document_unreadable", f"document {row.id} no longer loads"))
            continue
        loaded.append((row, doc))
        bundle = load_bundles(session, [doc.po_number])[doc.po_number]  # the store as it is now
        reasons = compliance_reasons(session, partners, row, doc, today=today, bundle=bundle)
        rules = partners.get(row.partner).rules.invoice if row.partner in partners else None
        if (rules is None or rules.on(DUPLICATE)) and DUPLICATE not in {r.code for r in reasons}:
            # the finding's own sentence, if found, is kept
            reasons += duplicate_reasons(session, row, doc, bundle)
        result.reasons += reasons
    if result.blocked:
        _block(session, partners, message, [row for row, _ in loaded], result.reasons, today)
        return result
    if len(loaded) == 1:
        row, doc = loaded[0]
        if _read_back(archive.read(message.sha256), message.standard, mappings) != doc:
            _rerender(session, partners, mappings, archive, message, row, doc)
            result.rerendered = True
    return result


def _check_records(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    message: Message,
    now: datetime,
    checks: Sequence[RecordCheck],
    result: SendCheck,
) -> None:
    """The first of ``checks`` that finds its records on ``message`` decides: with reasons, the
    records go back to ``blocked`` with them (audited) and the message is held; without, the
    message points at the fresh bytes when the document changed."""
    for check in checks:
        held = check(session, partners, mappings, archive, message, now)
        if held is None:
            continue
        result.reasons += held.reasons
        if not result.blocked:
            if held.payload is not None:
                _repoint(session, archive, message, held.payload, held.note)
                result.rerendered = True
            return
        text = "; ".join(map(str, result.reasons))
        for record in held.records:
            record.status, record.reasons = "blocked", [r.to_json() for r in result.reasons]
            session.add(record)
            session.add(
                AuditEntry(
                    actor="gateway", action=f"{held.kind}.blocked_at_send", target_type=held.kind,
                    target_id=str(record.id), reason=text, detail={"message_id": message.id},
                )
            )  # fmt: skip
        _hold(session, message, result.reasons)
        return


def _hold(session: Session, message: Message, reasons: list[Reason]) -> None:
    """Move ``message`` to ``blocked`` with ``reasons`` (the one place a message is held at send)."""
    text = "; ".join(map(str, reasons))
    messages.move(
        session,
        message,
        MessageState.BLOCKED,
        f"not sent: re-checked at send, {len(reasons)} reason(s): {text}",
        detail={"reasons": [r.to_json() for r in reasons]},
    )
    session.flush()
    log.warning("message %s blocked at send: %s", message.id, text)


def _check_acknowledgements(
    session: Session, message: Message, rows: list[Document], result: SendCheck
) -> bool:
    """The PO acknowledgements ``message`` carries (``rows``), pre-checked again against their PO as
    stored now (:func:`gateway.orders.acknowledgement.precheck`: the cost echoed is the PO's, nothing
    confirmed past the ordered quantity); one that fails blocks the message and goes back to
    ``blocked``. ``False``: the message carries no acknowledgement."""
    for row in rows:
        ack = safe_load(row)
        po = load_bundles(session, [row.business_key])[row.business_key].po
        if not isinstance(ack, PoAcknowledgement) or po is None:
            result.reasons.append(
                Reason("document_unreadable", f"acknowledgement {row.id} or its PO no longer loads")
            )
            continue
        for text in precheck(ack, po.doc):
            code, _, why = text.partition(": ")  # several in one interchange: the reason names its PO
            result.reasons.append(Reason(code, f"PO {row.business_key}: {why}" if len(rows) > 1 else why))
    if not result.blocked:
        return bool(rows)
    text = "; ".join(map(str, result.reasons))
    for row in rows:
        record_reasons(session, row, result.reasons)
        row.status, row.updated_at = "blocked", utcnow()
        session.add(row)
        session.add(
            AuditEntry(
                actor="gateway", action="po_ack.blocked_at_send", target_type="document",
                target_id=str(row.id), reason=text,
                detail={"po_number": row.po_number, "message_id": message.id},
            )
        )  # fmt: skip
    _hold(session, message, result.reasons)
    return True


def _block(
    session: Session,
    partners: PartnerDirectory,
    message: Message,
    rows: list[Document],
    reasons: list[Reason],
    today: date,
) -> None:
    text = "; ".join(map(str, reasons))
    for row in rows:
        record_reasons(session, row, reasons)
        if row.status == "queued":
            row.status, row.updated_at = "blocked", utcnow()
            session.add(row)
        session.add(
            AuditEntry(
                actor="gateway",
                action="invoice.blocked_at_send",
                target_type="document",
                target_id=str(row.id),
                reason=text,
                detail={"invoice_number": row.invoice_number, "message_id": message.id},
            )
        )
    _hold(session, message, reasons)
    run_scopes(session, partners, scopes_of(rows), today=today)  # a blocked invoice no longer counts
