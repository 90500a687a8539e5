"""Archive retention: prune old payloads, never those a legal hold, an open discrepancy or an
unfinished message still needs.

The archive only knows bytes; this module asks the store which payloads must stay:

- messages on legal hold;
- messages that are not finished (received, parsed, translated, failed, queued): they may still
  be replayed or resent;
- every message behind a document that an open (or acknowledged, or disputed) discrepancy names,
  by PO, shipment, invoice or RMA number: the evidence of a claim.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.archive import PruneReport
from gateway.store.models import Discrepancy, Document, DocumentMessage, Message, MessageState

log = logging.getLogger(__name__)

FINISHED = (
    MessageState.DONE.value,
    MessageState.DUPLICATE.value,
    MessageState.ACKNOWLEDGED.value,
    MessageState.REJECTED.value,
    MessageState.SENT.value,
)
OPEN_DISCREPANCY = ("open", "acknowledged", "disputed")


def payloads_to_keep(session: Session) -> set[str]:
    """The sha256 of every payload still needed, whatever its age."""
    needed = or_(col(Message.legal_hold), col(Message.state).not_in(FINISHED))
    keep = set(session.exec(select(Message.sha256).where(needed)).all())
    discrepancies = session.exec(select(Discrepancy).where(Discrepancy.status.in_(OPEN_DISCREPANCY))).all()  # type: ignore[attr-defined]
    refs = {
        column: {getattr(d, column) for d in discrepancies if getattr(d, column)}
        for column in ("po_number", "shipment_id", "invoice_number", "rma_number")
    }
    conditions = [getattr(Document, column).in_(values) for column, values in refs.items() if values]
    if conditions:
        keep.update(
            session.exec(
                select(Message.sha256)
                .join(DocumentMessage, DocumentMessage.message_id == Message.id)  # type: ignore[arg-type]
                .join(Document, Document.id == DocumentMessage.document_id)  # type: ignore[arg-type]
                .where(or_(*conditions))
            ).all()
        )
    return keep


def prune_archive(runtime: Runtime, days: int | None = None) -> PruneReport | None:
    """Prune payloads older than ``days`` (default: the ``archive_retention_days`` setting);
    ``None`` when retention is off."""
    days = days if days is not None else runtime.settings.archive_retention_days
    if not days:
        return None
    with session_scope(runtime.engine) as session:
        keep = payloads_to_keep(session)
    report = runtime.archive.prune(timedelta(days=days), keep)
    log.info("retention %d days: %d payload(s) removed, %d kept", days, report.removed, report.kept)
    return report
