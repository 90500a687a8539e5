"""Sending the PO acknowledgement (855 / ORDRSP): built when a PO is stored, held or queued, approved.

For the pipeline's hooks (:mod:`gateway.service.hooks`): a stored ``purchase_order`` of a
partner whose profile has ``rules.po_acknowledgement.enabled`` gets its acknowledgement,
decided line by line from the latest availability feed (:func:`gateway.orders.acknowledgement.decide`)
and stored as a ``po_acknowledgement`` document of that partner (business key: the PO number):

- ``automatic`` and no hold reason: pre-checked, rendered through the partner's outbound mapping
  (X12 855 004010, EDIFACT ORDRSP D96A), queued through the outbox (status ``queued``);
- otherwise ``held`` (approval required, no feed, an item not in the feed) or ``blocked`` (a
  pre-check fails: the cost echoed is not the PO's, more confirmed than ordered), with its
  reasons on the document's check row (the invoice's :class:`~gateway.store.money.InvoiceCheck`).

:func:`approve_acknowledgement` (console, CLI) re-runs the pre-check against the PO as stored
now and queues it; :func:`cancel_acknowledgement` cancels it. Every move is audited.
Idempotent: a PO stored again (a replay, a revision) finds its acknowledgement and leaves it.
The hook works per stored batch (:func:`on_documents_stored`): set-based reads and writes, and
the batch's queued acknowledgements in one interchange, an 855 / ORDRSP each (docs/outbound.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from sqlalchemy import insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from gateway.canonical import PoAcknowledgement, PurchaseOrder
from gateway.config import PartnerDirectory
from gateway.edi.model import OutboundTransaction
from gateway.invoicing.checks import Reason
from gateway.invoicing.state import record_reasons
from gateway.mapping.registry import MappingRegistry
from gateway.orders.acknowledgement import decide, precheck
from gateway.orders.availability import availability_source, latest_availability
from gateway.outbound.render import RenderError, queue_transactions, render_and_queue, render_transactions
from gateway.store.archive import Archive
from gateway.store.documents import DOCUMENTS, insert_new_documents, load_document, save_document
from gateway.store.models import AuditEntry, Document, utcnow
from gateway.store.money import InvoiceCheck

log = logging.getLogger(__name__)

KIND = "po_acknowledgement"
#: states in which the acknowledgement is settled: a second build leaves it alone
SETTLED = frozenset({"queued", "sent", "cancelled"})
#: states an operator may approve from
APPROVABLE = frozenset({"held", "blocked"})
#: pre-check codes that block an acknowledgement (the others hold it for an operator)
BLOCKING = frozenset({"cost_differs_from_po", "confirmed_over_ordered", "line_not_on_po"})


class AcknowledgementError(ValueError):
    """An acknowledgement that cannot be built, approved or rendered: the message says why."""


@dataclass
class AckOutcome:
    """What became of one PO's acknowledgement."""

    row: Document
    ack: PoAcknowledgement
    reasons: list[Reason] = field(default_factory=list)


def _reasons(texts: Sequence[str]) -> list[Reason]:
    out = []
    for text in texts:
        code, _, message = text.partition(": ")
        out.append(Reason(code, message or code))
    return out


def _audit(session: Session, actor: str, action: str, row: Document, reason: str | None = None) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            target_type="document",
            target_id=str(row.id),
            reason=reason,
            detail={"po_number": row.po_number, "partner": row.partner},
        )
    )


def find_acknowledgement(session: Session, partner: str, po_number: str) -> Document | None:
    """The stored acknowledgement of ``partner``'s PO ``po_number``, if any."""
    return session.exec(
        select(Document).where(
            Document.partner == partner, Document.type == KIND, Document.business_key == po_number
        )
    ).first()


def _po(session: Session, partner: str, po_number: str) -> PurchaseOrder:
    row = session.exec(
        select(Document).where(
            Document.partner == partner, Document.type == "purchase_order", Document.business_key == po_number
        )
    ).first()
    if row is None:
        raise AcknowledgementError(f"PO {po_number} of {partner} is not in the store")
    return PurchaseOrder.from_json_dict(dict(row.data))


def _queue(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    row: Document,
    ack: PoAcknowledgement,
    actor: str,
) -> None:
    version = _version(partners, row.partner)
    try:
        render_and_queue(
            session, partners, mappings, archive, row.partner, ack, "po_acknowledgement",
            version=version, document_types=[KIND], document_ids=[int(row.id or 0)], actor=actor,
            note=f"PO acknowledgement {ack.po_number}",
        )  # fmt: skip
    except RenderError as exc:
        raise AcknowledgementError(f"acknowledgement of PO {ack.po_number} {exc}") from None
    row.status, row.updated_at = "queued", utcnow()
    session.add(row)
    _audit(session, actor, "po_ack.queued", row)


def acknowledge_po(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    partner: str,
    po_number: str,
    *,
    today: date | None = None,
    actor: str = "gateway",
) -> AckOutcome:
    """Build, decide and hold or queue the acknowledgement of ``partner``'s PO; the caller commits."""
    today = today or utcnow().date()
    existing = find_acknowledgement(session, partner, po_number)
    if existing is not None and existing.status in SETTLED | APPROVABLE:
        return AckOutcome(existing, PoAcknowledgement.from_json_dict(dict(existing.data)))
    profile = partners.get(partner)
    rules = profile.rules.po_acknowledgement
    po = _po(session, partner, po_number)
    decision = decide(po, rules, latest_availability(session, partner, availability_source(profile)), today)
    reasons = _decided_reasons(decision.held, rules.automatic)
    status = _status(reasons)
    row = save_document(session, partner, decision.ack, status=status).document
    record_reasons(session, row, reasons)
    _audit(session, actor, f"po_ack.{status}", row, "; ".join(map(str, reasons)) or None)
    if status == "draft":
        _queue(session, partners, mappings, archive, row, decision.ack, actor)
    session.flush()
    return AckOutcome(row, decision.ack, reasons)


def _approvable(session: Session, partner: str, po_number: str, verb: str) -> Document:
    """The held or blocked acknowledgement of the PO, else :class:`AcknowledgementError`."""
    row = find_acknowledgement(session, partner, po_number)
    if row is None or row.status not in APPROVABLE:
        state = row.status if row is not None else "missing"
        raise AcknowledgementError(
            f"acknowledgement of PO {po_number} is {state}: only a held or blocked one is {verb}"
        )
    return row


def approve_acknowledgement(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    partner: str,
    po_number: str,
    *,
    actor: str,
) -> AckOutcome:
    """Queue a held or blocked acknowledgement after its pre-check passes against the PO as stored now."""
    row = _approvable(session, partner, po_number, "approved")
    ack = PoAcknowledgement.from_json_dict(dict(row.data))
    problems = _reasons(precheck(ack, _po(session, partner, po_number)))
    record_reasons(session, row, problems)
    if problems:
        row.status = "blocked"
        session.add(row)
        session.flush()
        raise AcknowledgementError(
            f"acknowledgement of PO {po_number} still fails: " + "; ".join(map(str, problems))
        )
    _audit(session, actor, "po_ack.approved", row)
    _queue(session, partners, mappings, archive, row, ack, actor)
    session.flush()
    return AckOutcome(row, ack)


def cancel_acknowledgement(session: Session, partner: str, po_number: str, *, actor: str) -> Document:
    """Cancel a held or blocked acknowledgement (nothing is sent); audited."""
    row = _approvable(session, partner, po_number, "cancelled")
    row.status, row.updated_at = "cancelled", utcnow()
    session.add(row)
    _audit(session, actor, "po_ack.cancelled", row)
    session.flush()
    return row


def on_documents_stored(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    documents: Sequence[Document],
    *,
    today: date | None = None,
    actor: str = "gateway",
) -> list[str]:
    """Acknowledge the POs among ``documents``; returns notes for the message's timeline.

    Set-based per partner (:func:`_acknowledge_batch`): one query for the acknowledgements
    already stored, one read of the availability feed, the new acknowledgements, their check
    rows and audit rows in bulk INSERTs; only those queued are rendered one by one. The outcome
    is what :func:`acknowledge_po` gives PO by PO (which a PO not fit for the bulk path takes).
    """
    today = today or utcnow().date()
    by_partner: dict[str, list[Document]] = {}
    for row in documents:
        if row.type != "purchase_order" or row.partner not in partners:
            continue
        if partners.get(row.partner).rules.po_acknowledgement.enabled:
            by_partner.setdefault(row.partner, []).append(row)
    notes: dict[tuple[str, str], str] = {}
    for partner, rows in by_partner.items():
        batch = _acknowledge_batch(session, partners, mappings, archive, partner, rows, today, actor)
        notes.update(((partner, key), note) for key, note in batch.items())
    return [
        notes[(row.partner, row.business_key)]
        for row in documents
        if (row.partner, row.business_key) in notes
    ]


def _acknowledge_batch(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    partner: str,
    rows: Sequence[Document],
    today: date,
    actor: str,
) -> dict[str, str]:
    """The acknowledgements of ``partner``'s stored PO ``rows`` (see :func:`on_documents_stored`):
    the timeline's note of each, by PO number."""
    profile = partners.get(partner)
    rules = profile.rules.po_acknowledgement
    existing = _existing(session, partner, [row.business_key for row in rows])
    feed = latest_availability(session, partner, availability_source(profile))
    index = feed.by_item() if feed is not None else {}  # once per batch, not per PO
    notes: dict[str, str] = {}
    fresh: list[tuple[Document, PoAcknowledgement, list[Reason], str]] = []
    for row in rows:
        key = row.business_key
        if key in notes:  # the same PO twice in one batch (revised in the file): acknowledged once
            continue
        if key in existing and existing[key] in SETTLED | APPROVABLE:
            notes[key] = f"PO acknowledgement {key} {existing[key]}"
            continue
        po = load_document(row)
        if key in existing or not isinstance(po, PurchaseOrder):
            notes[key] = _one_by_one(session, partners, mappings, archive, row, today, actor)
            continue
        decision = decide(po, rules, feed, today, index)
        reasons = _decided_reasons(decision.held, rules.automatic)
        status = _status(reasons)
        fresh.append((row, decision.ack, reasons, status))
        notes[key] = ""  # in file order; filled in below
    queued = _render_drafts(session, partners, mappings, partner, fresh, notes)
    fresh.sort(key=lambda f: f[3])  # one bulk INSERT per status (the notes keep the file order)
    ids: list[int] = []
    for status, group in groupby(fresh, key=lambda f: f[3]):
        acks = [ack for _row, ack, _r, _s in group]
        ids.extend(saved.id for saved in insert_new_documents(session, partner, acks, status=status))
    _bulk_rows(session, actor, partner, ids, fresh, utcnow())
    for row, _ack, reasons, status in fresh:
        text = "; ".join(str(r) for r in reasons)
        notes[row.business_key] = f"PO acknowledgement {row.business_key} {status}" + (
            f": {text}" if text else ""
        )
    sent = [(doc_id, f[1].po_number) for doc_id, f in zip(ids, fresh, strict=True) if f[3] == "queued"]
    if sent:
        numbers = [po for _id, po in sent]
        queue_transactions(
            session, partners, archive, partner, queued, "po_acknowledgement",
            version=_version(partners, partner), document_types=[KIND],
            document_ids=[doc_id for doc_id, _po in sent], actor=actor,
            note=f"PO acknowledgement {numbers[0]}" if len(numbers) == 1
            else f"{len(numbers)} PO acknowledgements ({numbers[0]} ... {numbers[-1]})",
        )  # fmt: skip
    session.flush()
    return notes


def _version(partners: PartnerDirectory, partner: str) -> str:
    profile = partners.get(partner)
    x12 = profile.standard == "x12"
    return profile.rules.po_acknowledgement.x12_version if x12 else profile.version


def _render_drafts(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    partner: str,
    fresh: list[tuple[Document, PoAcknowledgement, list[Reason], str]],
    notes: dict[str, str],
) -> list[OutboundTransaction]:
    """The transactions of the acknowledgements that passed (``draft``), in order; those become
    ``queued``. One that cannot be rendered is not built (dropped from ``fresh``, noted), as
    :func:`acknowledge_po` leaves it."""
    drafts = [i for i, f in enumerate(fresh) if f[3] == "draft"]
    rendered = render_transactions(
        session, mappings, partners.get(partner), [fresh[i][1] for i in drafts], "po_acknowledgement",
        _version(partners, partner),
    )  # fmt: skip
    dropped: set[int] = set()
    for n, i in enumerate(drafts):
        row, ack, reasons, _status = fresh[i]
        if n in rendered.failed:
            why = f"acknowledgement of PO {ack.po_number} {rendered.failed[n]}"
            log.warning("PO acknowledgement of %s not built: %s", ack.po_number, why)
            notes[row.business_key] = f"PO acknowledgement of {ack.po_number} not built: {why}"
            dropped.add(i)
        else:
            fresh[i] = (row, ack, reasons, "queued")
    fresh[:] = [f for i, f in enumerate(fresh) if i not in dropped]
    return rendered.transactions


def _decided_reasons(held: Sequence[str], automatic: bool) -> list[Reason]:
    reasons = _reasons(held)
    if not automatic:
        reasons.append(
            Reason("approval_required", "the partner's acknowledgements are approved by an operator")
        )
    return reasons


def _status(reasons: Sequence[Reason]) -> str:
    if any(r.code in BLOCKING for r in reasons):
        return "blocked"
    return "held" if reasons else "draft"


def _existing(session: Session, partner: str, keys: Sequence[str]) -> dict[str, str]:
    """Business key -> status of ``partner``'s stored acknowledgements among ``keys`` (Core, chunked)."""
    t = DOCUMENTS.c
    found: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        query = sa_select(t.business_key, t.status).where(
            t.partner == partner, t.type == KIND, t.business_key.in_(keys[start : start + 500])
        )
        found.update((key, status or "") for key, status in session.execute(query))
    return found


def _bulk_rows(
    session: Session,
    actor: str,
    partner: str,
    ids: Sequence[int],
    fresh: Sequence[tuple[Document, PoAcknowledgement, list[Reason], str]],
    now: datetime,
) -> None:
    """The new acknowledgements' check rows (their reasons) and audit rows, in bulk: what
    :func:`acknowledge_po` writes for a new one through ``record_reasons`` and :func:`_audit`."""
    if not ids:
        return
    checks = [
        {"document_id": i, "reasons": [r.to_json() for r in f[2]], "checked_at": now}
        for i, f in zip(ids, fresh, strict=True)
    ]
    session.execute(insert(InvoiceCheck.__table__), checks)  # type: ignore[attr-defined]
    audits = [
        {
            "at": now,
            "actor": actor,
            "action": f"po_ack.{action}",
            "target_type": "document",
            "target_id": str(i),
            "reason": ("; ".join(map(str, f[2])) or None) if action != "queued" else None,
            "detail": {"po_number": f[1].po_number, "partner": partner},
        }
        for i, f in zip(ids, fresh, strict=True)
        for action in (("draft", "queued") if f[3] == "queued" else (f[3],))
    ]
    session.execute(insert(AuditEntry.__table__), audits)  # type: ignore[attr-defined]


def _one_by_one(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    row: Document,
    today: date,
    actor: str,
) -> str:
    """:func:`acknowledge_po` for one PO in a savepoint; the note for the timeline."""
    try:
        with session.begin_nested():
            outcome = acknowledge_po(
                session, partners, mappings, archive, row.partner, row.business_key, today=today, actor=actor
            )
    except AcknowledgementError as exc:
        log.warning("PO acknowledgement of %s not built: %s", row.business_key, exc)
        return f"PO acknowledgement of {row.business_key} not built: {exc}"
    reasons = "; ".join(str(r) for r in outcome.reasons)
    return f"PO acknowledgement {row.business_key} {outcome.row.status}" + (f": {reasons}" if reasons else "")
