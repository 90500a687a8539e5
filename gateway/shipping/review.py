"""An operator's word on a blocked ship notice (856 / DESADV): approve (send it now) or cancel.

A ship notice is blocked by its pre-check when it is built (:mod:`gateway.shipping.send`) or at
the moment it would be sent (:mod:`gateway.shipping.at_send`). Its reasons are fixed where they
arise (the warehouse sends a corrected ASN, the PO is changed); :func:`approve_ship_notice` then
builds the notice again from the warehouse's ASN and the PO as stored now and queues it when
every rule passes. A rule still broken keeps it blocked with the reasons of now; the message
held at send, if any, is cancelled, replaced by the new one. :func:`cancel_ship_notice` records
that the notice is not sent at all and cancels its held message. Both audited, in the caller's
transaction, like the inventory feed's (:mod:`gateway.inventory.review`).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from gateway.config import PartnerDirectory
from gateway.mapping.registry import MappingRegistry
from gateway.outbound.outbox import cancel_held
from gateway.shipping.send import Outcome, ShipNoticeError, send_ship_notice
from gateway.store.archive import Archive
from gateway.store.models import AuditEntry, ShipNoticeRecord

BLOCKED = "blocked"


class ShipNoticeReviewError(ShipNoticeError, ValueError):
    """An operator's action the ship notice refuses (unknown, not blocked, still failing): why."""


def _blocked(session: Session, record_id: int, verb: str) -> ShipNoticeRecord:
    record = session.get(ShipNoticeRecord, record_id)
    if record is None:
        raise ShipNoticeReviewError(f"there is no ship notice {record_id}")
    if record.status != BLOCKED:
        raise ShipNoticeReviewError(
            f"ship notice {record_id} ({record.partner}, {record.shipment_id}) is {record.status}: "
            f"only a blocked one is {verb}"
        )
    return record


def _audit(session: Session, actor: str, action: str, record: ShipNoticeRecord, reason: str | None) -> None:
    session.add(
        AuditEntry(
            actor=actor, action=action, target_type="ship_notice", target_id=str(record.id), reason=reason,
            detail={
                "partner": record.partner, "shipment_id": record.shipment_id,
                "source_shipment_id": record.source_shipment_id, "po_numbers": list(record.po_numbers),
            },
        )
    )  # fmt: skip


def approve_ship_notice(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    record_id: int,
    *,
    actor: str,
    today: date | None = None,
) -> Outcome:
    """Build blocked ship notice ``record_id`` again and queue it if it passes; raises
    :class:`ShipNoticeReviewError` (a ``ValueError``) when it is not blocked or still breaks a
    rule (the reasons of now are kept on it: the caller commits them)."""
    record = _blocked(session, record_id, "approved")
    held = record.message_id
    try:
        outcome = send_ship_notice(
            session, partners, mappings, archive, record.source_shipment_id, today=today, actor=actor
        )
    except ShipNoticeError as exc:
        _audit(session, actor, "ship_notice.approve_refused", record, str(exc))
        raise ShipNoticeReviewError(f"ship notice {record_id}: {exc}") from None
    if not outcome.queued:
        text = "; ".join(map(str, outcome.reasons))
        _audit(session, actor, "ship_notice.approve_refused", record, text)
        raise ShipNoticeReviewError(f"ship notice {record_id} still fails: {text}")
    if held != outcome.record.message_id:
        cancel_held(session, held, actor, f"replaced by message {outcome.record.message_id} on approval")
    _audit(session, actor, "ship_notice.approved", outcome.record, None)
    session.flush()
    return outcome


def cancel_ship_notice(session: Session, record_id: int, *, actor: str, reason: str) -> ShipNoticeRecord:
    """Cancel blocked ship notice ``record_id`` (it is not sent) and its held message; audited."""
    if not reason.strip():
        raise ShipNoticeReviewError("a cancel needs a reason (it goes to the audit log)")
    record = _blocked(session, record_id, "cancelled")
    record.status = "cancelled"
    session.add(record)
    cancel_held(session, record.message_id, actor, f"cancelled: {reason}")
    _audit(session, actor, "ship_notice.cancelled", record, reason)
    session.flush()
    return record
