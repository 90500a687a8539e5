"""The console's actions, delegated to the modules that own them.

Replay and resend belong to :mod:`gateway.service.pipeline`, discrepancy status changes to
:mod:`gateway.reconcile`, invoice approval and sending to :mod:`gateway.service.money`. The
console never reimplements them: it calls them and turns their results into :class:`Outcome`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from gateway.reconcile import set_discrepancy_status
from gateway.service import money, pipeline
from gateway.service.runtime import Runtime
from gateway.store.models import Message

__all__ = [
    "Outcome",
    "approve_invoice",
    "failed_message_ids",
    "replay",
    "resend",
    "send_invoice",
    "set_discrepancy_status",
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


def send_invoice(runtime: Runtime, document_id: int, actor: str) -> Message:
    """Check and send an invoice in its own transaction; raises InvoicingError."""
    return money.send_invoice(runtime, document_id, actor)
