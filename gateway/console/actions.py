"""The console's actions, delegated to the modules that own them.

Replay, resend and the ways out of a failure (a corrected file, another partner, resolve or
ignore) belong to :mod:`gateway.service.pipeline`, discrepancy status changes to
:mod:`gateway.reconcile`, invoice approval and sending to :mod:`gateway.service.money`. The
console never reimplements them: it calls them and turns their results into :class:`Outcome`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from gateway.reconcile import set_discrepancy_status
from gateway.service import money, pipeline
from gateway.service.pipeline import suspects
from gateway.service.runtime import Runtime
from gateway.store.models import Message

Resolution = pipeline.Resolution
ResolveError = pipeline.ResolveError
correct = pipeline.correct
reassign = pipeline.reassign
settle = pipeline.settle
decide_suspect = suspects.decide
NotSuspect = suspects.NotSuspect

__all__ = [
    "NotSuspect",
    "Outcome",
    "Resolution",
    "ResolveError",
    "approve_acknowledgement",
    "approve_inventory_feed",
    "approve_invoice",
    "cancel_acknowledgement",
    "cancel_inventory_feed",
    "correct",
    "decide_suspect",
    "failed_message_ids",
    "reassign",
    "replay",
    "resend",
    "send_invoice",
    "set_discrepancy_status",
    "settle",
]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one message: its id, the state it reached, an error if any."""

    message_id: int
    state: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.state != "failed"


log = logging.getLogger(__name__)


def _outcomes(results: Sequence[pipeline.ReplayOutcome]) -> list[Outcome]:
    return [Outcome(int(item.message_id), str(item.state or ""), item.error) for item in results]


def replay(runtime: Runtime, message_ids: Sequence[int], *, actor: str, reason: str) -> list[Outcome]:
    """Re-run messages from their archived bytes (:func:`pipeline.replay`)."""
    return _outcomes(pipeline.replay(runtime, list(message_ids), actor=actor, reason=reason))


def resend(runtime: Runtime, message_ids: Sequence[int], *, actor: str, reason: str) -> list[Outcome]:
    """Send outbound messages again (:func:`pipeline.resend`)."""
    return _outcomes(pipeline.resend(runtime, list(message_ids), actor=actor, reason=reason))


def failed_message_ids(
    session: Session, partner: str | None = None, since: datetime | None = None
) -> list[int]:
    """The failed messages a bulk replay would take (:func:`pipeline.failed_message_ids`)."""
    return list(pipeline.failed_message_ids(session, partner=partner, since=since))


def approve_invoice(runtime: Runtime, document_id: int, actor: str) -> Message:
    """Approve (manual mode) and send an invoice in its own transaction; raises InvoicingError."""
    return money.approve_invoice(runtime, document_id, actor)


def approve_acknowledgement(runtime: Runtime, partner: str, po_number: str, actor: str) -> None:
    """Approve and queue a held PO acknowledgement in its own transaction; raises ValueError."""
    money.approve_acknowledgement(runtime, partner, po_number, actor)


def cancel_acknowledgement(runtime: Runtime, partner: str, po_number: str, actor: str) -> None:
    """Cancel a held PO acknowledgement in its own transaction; raises ValueError."""
    money.cancel_acknowledgement(runtime, partner, po_number, actor)


def approve_inventory_feed(runtime: Runtime, record_id: int, actor: str) -> None:
    """Queue a blocked inventory feed if it passes now, in its own transaction; raises ValueError."""
    money.approve_inventory_feed(runtime, record_id, actor)


def cancel_inventory_feed(runtime: Runtime, record_id: int, actor: str, reason: str) -> None:
    """Cancel a blocked inventory feed and its held message with the operator's reason; raises ValueError."""
    money.cancel_inventory_feed(runtime, record_id, actor, reason)


def send_invoice(runtime: Runtime, document_id: int, actor: str) -> Message:
    """Check and send an invoice in its own transaction; raises InvoicingError."""
    return money.send_invoice(runtime, document_id, actor)


def cancel_invoice(runtime: Runtime, document_id: int, actor: str, reason: str) -> None:
    """Cancel an unsent invoice (and its held message) with the operator's reason; raises InvoicingError."""
    money.cancel_invoice(runtime, document_id, actor, reason)


def recheck_invoice(runtime: Runtime, document_id: int, actor: str) -> None:
    """Check a blocked invoice again once its cause is fixed; raises InvoicingError."""
    reasons = money.recheck_invoice(runtime, document_id)
    log.info("%s re-checked invoice document %s: %d reason(s) left", actor, document_id, len(reasons))
