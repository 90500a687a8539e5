"""The credit-note job: every return authorization gets its credit note once it becomes creditable.

A return is *creditable* once a live invoice (ours or our ERP's) bills the returned items. The
RMA may arrive before that invoice (before the ASN, the PO or the ERP's 810): the pipeline's
hook then builds nothing, and this job, run by the scheduler, tries again each time until the
credit note is built. It is idempotent: a return that has a credit note (whatever its status)
is skipped, and :func:`~gateway.invoicing.credit.build_credit_note` itself returns the one
built. Built notes are checked; for ``mode: automatic`` partners a passing one is queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from gateway.config import PartnerDirectory
from gateway.invoicing.credit import build_credit_note, existing_credit_note
from gateway.invoicing.parts import InvoicingError
from gateway.invoicing.state import check_invoice, queue_invoice
from gateway.mapping.registry import MappingRegistry
from gateway.store.archive import Archive
from gateway.store.models import Document, utcnow

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CreditRun:
    """What one run of the job did: built (document ids), queued, and returns still waiting (why)."""

    built: list[int] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)
    waiting: dict[str, str] = field(default_factory=dict)


def returns_without_credit(session: Session, partners: PartnerDirectory) -> list[tuple[str, str]]:
    """``(partner, rma_number)`` of the stored returns of invoicing partners with no credit note yet."""
    rows = session.exec(
        select(Document.partner, Document.rma_number)
        .where(Document.type == "return_authorization", col(Document.rma_number).is_not(None))
        .order_by(col(Document.id))
    ).all()
    out = []
    for partner, rma_number in dict.fromkeys(rows):
        if partner not in partners or partners.get(partner).invoice is None or not rma_number:
            continue
        if existing_credit_note(session, rma_number) is None:
            out.append((partner, rma_number))
    return out


def build_due_credit_notes(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    *,
    today: date | None = None,
    actor: str = "scheduler",
) -> CreditRun:
    """Build, check and (automatic mode) queue the credit note of every return that now can have one.

    Each return is tried in a savepoint: one that cannot be credited yet (no invoice bills its
    items) waits for the next run. The caller commits.
    """
    today = today or utcnow().date()
    run = CreditRun()
    for partner, rma_number in returns_without_credit(session, partners):
        try:
            with session.begin_nested():
                row = build_credit_note(
                    session, partners, rma_number, partner=partner, today=today, actor=actor
                )
                document_id = int(row.id or 0)
                check_invoice(session, partners, document_id, today=today)
        except InvoicingError as exc:
            run.waiting[rma_number] = str(exc)
            log.debug("RMA %s not credited yet: %s", rma_number, exc)
            continue
        run.built.append(document_id)
        settings = partners.get(row.partner).invoice
        if settings is None or settings.mode != "automatic" or row.status != "draft":
            continue
        try:
            with session.begin_nested():
                queue_invoice(session, partners, mappings, archive, document_id, actor, today=today)
            run.queued.append(document_id)
        except InvoicingError as exc:
            log.warning("credit note %s not sent: %s", row.invoice_number, exc)
    return run
