"""An operator's word on a blocked inventory feed (846 / INVRPT): approve (send it now) or cancel.

A feed is blocked by its pre-check when it is built (:mod:`gateway.inventory.send`) or at the
moment it would be sent (:mod:`gateway.inventory.at_send`). :func:`approve_inventory_feed`
builds the slot's feed again from the availability that applies now and queues it when every
rule passes (a rule still broken keeps it blocked, with the reasons of now); the message held at
send, if any, is cancelled, replaced by the new one. :func:`cancel_inventory_feed` records that
the slot is not sent at all (the schedule leaves a cancelled slot alone) and cancels its held
message. Both audited, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from gateway.config import PartnerDirectory
from gateway.inventory.send import InventoryFeedError, Outcome, send_inventory_feed
from gateway.mapping.registry import MappingRegistry
from gateway.outbound.outbox import cancel_held
from gateway.store.archive import Archive
from gateway.store.models import AuditEntry, InventoryFeedRecord

BLOCKED = "blocked"


def _blocked(session: Session, record_id: int, verb: str) -> InventoryFeedRecord:
    record = session.get(InventoryFeedRecord, record_id)
    if record is None:
        raise InventoryFeedError(f"there is no inventory feed {record_id}")
    if record.status != BLOCKED:
        raise InventoryFeedError(
            f"inventory feed {record_id} ({record.partner}, slot {record.slot}) is {record.status}: "
            f"only a blocked one is {verb}"
        )
    return record


def _audit(
    session: Session, actor: str, action: str, record: InventoryFeedRecord, reason: str | None
) -> None:
    session.add(
        AuditEntry(
            actor=actor, action=action, target_type="inventory_feed", target_id=str(record.id),
            reason=reason, detail={"partner": record.partner, "slot": record.slot, "feed_id": record.feed_id},
        )
    )  # fmt: skip


def approve_inventory_feed(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    record_id: int,
    *,
    actor: str,
    now: datetime | None = None,
) -> Outcome:
    """Build blocked feed ``record_id`` again and queue it if it passes; raises
    :class:`InventoryFeedError` when it is not blocked or still breaks a rule (the reasons of
    now are kept on it: the caller commits them)."""
    record = _blocked(session, record_id, "approved")
    outcome = send_inventory_feed(
        session, partners, mappings, archive, record.partner, slot=record.slot, now=now, actor=actor
    )
    if not outcome.queued:
        text = "; ".join(map(str, outcome.reasons))
        _audit(session, actor, "inventory_feed.approve_refused", record, text)
        raise InventoryFeedError(f"inventory feed {record_id} still fails: {text}")
    _audit(session, actor, "inventory_feed.approved", record, None)
    session.flush()
    return outcome


def cancel_inventory_feed(
    session: Session, record_id: int, *, actor: str, reason: str
) -> InventoryFeedRecord:
    """Cancel blocked feed ``record_id`` (its slot is not sent) and its held message; audited."""
    if not reason.strip():
        raise InventoryFeedError("a cancel needs a reason (it goes to the audit log)")
    record = _blocked(session, record_id, "cancelled")
    record.status = "cancelled"
    session.add(record)
    cancel_held(session, record.message_id, actor, f"cancelled: {reason}")
    _audit(session, actor, "inventory_feed.cancelled", record, reason)
    session.flush()
    return record
