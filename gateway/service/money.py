"""The money work that owns its transaction: send or approve an invoice, the periodic sender, aging.

:mod:`gateway.invoicing` and :mod:`gateway.reconcile` take a session and leave the commit to their
caller; this module is that caller for the console, the command line and the scheduler. An
invoice that fails its checks is ``blocked`` *and committed* before :class:`InvoiceBlocked`
reaches the caller, so the reasons are on record whatever the caller does next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from sqlmodel import Session

from gateway.inventory import review
from gateway.inventory.at_send import recheck as inventory_feed_recheck
from gateway.inventory.schedule import send_due_inventory_feeds
from gateway.inventory.send import InventoryFeedError
from gateway.inventory.send import Outcome as InventoryOutcome
from gateway.invoicing import (
    InvoiceBlocked,
    InvoicingError,
    Reason,
    approve_and_queue,
    check_invoice,
    invoiceable_drafts,
    queue_invoice,
    supersede,
)
from gateway.invoicing.at_send import RecordCheck, prepare_for_send
from gateway.invoicing.credit_job import CreditRun, build_due_credit_notes
from gateway.outbound.alerts import Alert
from gateway.reconcile import check_aging, run_scopes, scopes_of
from gateway.service.runtime import Runtime
from gateway.shipping import po_ack
from gateway.shipping.at_send import recheck as ship_notice_recheck
from gateway.shipping.po_ack import AcknowledgementError
from gateway.store import leases
from gateway.store.engine import session_scope
from gateway.store.models import Message, utcnow

log = logging.getLogger(__name__)


def _committed(runtime: Runtime, work: Callable[[Session], Message]) -> Message:
    """Run ``work`` in a transaction that is committed even when it raises :class:`InvoiceBlocked`."""
    blocked: InvoiceBlocked | None = None
    with session_scope(runtime.engine) as session:
        try:
            return work(session)
        except InvoiceBlocked as exc:
            blocked = exc  # commit the blocked status and the reasons, then raise
    raise blocked


def approve_acknowledgement(runtime: Runtime, partner: str, po_number: str, actor: str) -> None:
    """Approve and queue ``partner``'s held PO acknowledgement of ``po_number``; audited.

    Raises :class:`~gateway.shipping.po_ack.AcknowledgementError` (a ``ValueError``) when it is
    not held or its pre-check fails (the blocked status is committed)."""
    failed: AcknowledgementError | None = None
    with session_scope(runtime.engine) as session:
        try:
            po_ack.approve_acknowledgement(
                session, runtime.partners, runtime.mappings, runtime.archive, partner, po_number, actor=actor
            )
        except AcknowledgementError as exc:
            failed = exc  # commit the blocked status and its reasons, then raise
    if failed is not None:
        raise failed


def cancel_acknowledgement(runtime: Runtime, partner: str, po_number: str, actor: str) -> None:
    """Cancel ``partner``'s held PO acknowledgement of ``po_number``; audited."""
    with session_scope(runtime.engine) as session:
        po_ack.cancel_acknowledgement(session, partner, po_number, actor=actor)


def send_invoice(runtime: Runtime, document_id: int, actor: str, *, today: date | None = None) -> Message:
    """Check, render and queue invoice ``document_id`` in its own transaction.

    Raises :class:`InvoiceBlocked` (after saving the blocked status and its reasons) or
    :class:`InvoicingError`.
    """
    return _committed(
        runtime,
        lambda session: queue_invoice(
            session, runtime.partners, runtime.mappings, runtime.archive, document_id, actor, today=today
        ),
    )


def approve_invoice(
    runtime: Runtime, document_id: int, actor: str, note: str | None = None, *, today: date | None = None
) -> Message:
    """Approve invoice ``document_id`` (manual mode) and send it; audited.

    Raises :class:`InvoiceBlocked` when it fails its checks (nothing is approved) or
    :class:`InvoicingError`.
    """
    return _committed(
        runtime,
        lambda session: approve_and_queue(
            session,
            runtime.partners,
            runtime.mappings,
            runtime.archive,
            document_id,
            actor,
            note,
            today=today,
        ),
    )


def send_ready_invoices(
    runtime: Runtime, *, actor: str = "scheduler", today: date | None = None
) -> list[Message]:
    """Queue every draft or blocked invoice of automatic-mode partners that now passes its checks."""
    with session_scope(runtime.engine) as session:
        ids = invoiceable_drafts(session, runtime.partners)
    sent: list[Message] = []
    for document_id in ids:
        try:
            sent.append(send_invoice(runtime, document_id, actor, today=today))
        except InvoicingError as exc:
            log.debug("invoice document %s not sent: %s", document_id, exc)
    return sent


def cancel_invoice(runtime: Runtime, document_id: int, actor: str, reason: str) -> None:
    """Cancel an unsent invoice or credit note (and its unsent message) in its own transaction; audited.
    Raises :class:`InvoicingError` (unknown, already with the partner)."""
    with session_scope(runtime.engine) as session:
        row = supersede.cancel_invoice(session, document_id, actor, reason)
        run_scopes(session, runtime.partners, scopes_of([row]))


def recheck_invoice(runtime: Runtime, document_id: int, *, today: date | None = None) -> list[Reason]:
    """Run an invoice's checks again (its cause fixed) in its own transaction; the reasons left."""
    with session_scope(runtime.engine) as session:
        return check_invoice(session, runtime.partners, document_id, today=today)


#: the outbound records re-checked at send besides invoices and acknowledgements
AT_SEND_CHECKS: tuple[RecordCheck, ...] = (ship_notice_recheck, inventory_feed_recheck)


def blocked_at_send(runtime: Runtime, message_id: int, *, today: date | None = None) -> bool:
    """Re-check the invoices of outbound message ``message_id`` right before it is sent, in its own
    transaction (:func:`gateway.invoicing.at_send.prepare_for_send`); ``True``: held as ``blocked``."""
    with session_scope(runtime.engine) as session:
        check = prepare_for_send(
            session,
            runtime.partners,
            runtime.mappings,
            runtime.archive,
            message_id,
            today=today,
            record_checks=AT_SEND_CHECKS,
        )
        if check.blocked:
            message = session.get(Message, message_id)
            if message is not None:
                leases.release(message)
                session.add(message)
        return check.blocked


def build_credit_notes(runtime: Runtime, *, today: date | None = None) -> CreditRun:
    """The credit-note job in its own transaction, for the scheduler (:mod:`gateway.invoicing.credit_job`)."""
    with session_scope(runtime.engine) as session:
        return build_due_credit_notes(
            session, runtime.partners, runtime.mappings, runtime.archive, today=today
        )


def run_inventory_feeds(runtime: Runtime, *, now: datetime | None = None) -> list[InventoryOutcome]:
    """The 846 of every partner whose slot is due, in its own transaction
    (:mod:`gateway.inventory.schedule`)."""
    with session_scope(runtime.engine) as session:
        return send_due_inventory_feeds(
            session, runtime.partners, runtime.mappings, runtime.archive, now or utcnow()
        )


def approve_inventory_feed(runtime: Runtime, record_id: int, actor: str) -> InventoryOutcome:
    """Queue blocked inventory feed ``record_id`` if it passes now, in its own transaction
    (:mod:`gateway.inventory.review`); raises :class:`InventoryFeedError` (a ``ValueError``)
    after committing the reasons of now when it still fails."""
    failed: InventoryFeedError | None = None
    with session_scope(runtime.engine) as session:
        try:
            return review.approve_inventory_feed(
                session, runtime.partners, runtime.mappings, runtime.archive, record_id, actor=actor
            )
        except InventoryFeedError as exc:
            failed = exc  # commit the reasons of now and the refusal's audit entry, then raise
    assert failed is not None
    raise failed


def cancel_inventory_feed(runtime: Runtime, record_id: int, actor: str, reason: str) -> None:
    """Cancel blocked inventory feed ``record_id`` and its held message, in its own transaction."""
    with session_scope(runtime.engine) as session:
        review.cancel_inventory_feed(session, record_id, actor=actor, reason=reason)


def run_aging_checks(runtime: Runtime, *, today: date | None = None, notify: bool = True) -> list[Alert]:
    """The aging checks in their own transaction, for the scheduler (today by default)."""
    with session_scope(runtime.engine) as session:
        return check_aging(
            session, runtime.partners, runtime.settings, today or utcnow().date(), notify=notify
        )


def run_settlement(runtime: Runtime, *, today: date | None = None) -> dict[str, int]:
    """Reminders due today and pending ERP events, for the scheduler's hourly ``settlement`` job."""
    from gateway.settlement.hooks import hourly

    with Session(runtime.engine, expire_on_commit=False) as session:
        return hourly(session, runtime.partners, runtime.settings.alerts, today or utcnow().date())
