"""Sending an inventory and cost feed (846): the latest availability, checked, rendered and queued.

:func:`send_inventory_feed` takes the availability feed that applies to the partner
(:func:`gateway.orders.availability.latest_availability`, whose source is
``rules.availability.source_partner``), runs the pre-check (:mod:`gateway.inventory.checks`) and,
with no reason, renders it through the partner's outbound mapping (X12 004010 846,
``mappings/x12-004010-846-out.yaml``, group IB; EDIFACT D96A INVRPT for an EDIFACT partner,
``mappings/edifact-d96a-invrpt-out.yaml``), wraps it in an interchange with the partner's
control numbers and queues it through its mailbox (:mod:`gateway.outbound.render`). Each send is an
:class:`~gateway.store.models.InventoryFeedRecord` for its slot (``queued`` or ``blocked`` with
its reasons), unique per partner and slot: a slot already queued is not sent again. All in the
caller's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from gateway.canonical.inventory_feed import as_sent
from gateway.config import PartnerDirectory
from gateway.inventory.checks import inventory_feed_reasons
from gateway.invoicing.checks import Reason
from gateway.mapping.registry import MappingRegistry
from gateway.orders.availability import availability_source, latest_availability
from gateway.outbound.envelopes import next_transaction_control
from gateway.outbound.outbox import cancel_held
from gateway.outbound.render import RenderError, render_and_queue
from gateway.store.archive import Archive
from gateway.store.models import InventoryFeedRecord, utcnow

log = logging.getLogger(__name__)


class InventoryFeedError(ValueError):
    """An 846 / INVRPT that cannot be built (no partner, no feed, no mapping) or an operator's action
    on one that cannot be taken: the message says why."""


@dataclass
class Outcome:
    """What became of one 846."""

    record: InventoryFeedRecord
    reasons: list[Reason] = field(default_factory=list)
    already: bool = False  # the slot had been sent before: nothing new was queued

    @property
    def queued(self) -> bool:
        return self.record.status == "queued"


def send_inventory_feed(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    partner: str,
    *,
    slot: str | None = None,
    now: datetime | None = None,
    actor: str = "gateway",
) -> Outcome:
    """Build, check and queue the 846 of ``partner`` for ``slot`` (default: one sent by hand now).

    Raises :class:`InventoryFeedError` for an unknown partner, no availability feed, or a feed
    that cannot be rendered.
    """
    now = now or utcnow()
    if partner not in partners:
        raise InventoryFeedError(f"no partner profile {partner!r}")
    profile = partners.get(partner)
    slot = slot or f"now-{now:%Y%m%dT%H%M%S}"
    record = session.exec(
        select(InventoryFeedRecord).where(
            InventoryFeedRecord.partner == partner, InventoryFeedRecord.slot == slot
        )
    ).first()
    if record is not None and record.status in ("queued", "cancelled"):  # sent, or an operator's no
        return Outcome(record, already=True)
    source = availability_source(profile)
    feed = latest_availability(session, partner, source)
    if feed is None:
        raise InventoryFeedError(f"{partner}: no availability feed from {source} is stored")
    record = record or InventoryFeedRecord(partner=partner, slot=slot)
    held = record.message_id  # a message held at send (blocked): replaced by the one queued now
    record.feed_id = feed.feed_id
    rules = profile.rules.inventory_feed
    reasons = inventory_feed_reasons(feed, rules, now, profile.default_currency)
    record.reasons = [r.to_json() for r in reasons]
    if reasons:
        record.status = "blocked"
        session.add(record)
        session.flush()
        log.info("846 for %s (slot %s) blocked: %s", partner, slot, "; ".join(map(str, reasons)))
        return Outcome(record, reasons)
    control = next_transaction_control(session, profile)
    document = as_sent(feed, f"{feed.feed_id}-{control}"[:30])
    try:
        message = render_and_queue(
            session, partners, mappings, archive, partner, document, "inventory_feed",
            version="004010" if profile.standard == "x12" else profile.version,
            document_types=["availability"], actor=actor,
            note=f"inventory feed {document.feed_id} (slot {slot})",
        )  # fmt: skip
    except RenderError as exc:
        name = "846" if profile.standard == "x12" else "INVRPT"
        raise InventoryFeedError(f"{name} of feed {feed.feed_id} {exc}") from None
    record.status = "queued"
    record.message_id = message.id
    cancel_held(session, held, actor, f"replaced by message {message.id}")
    session.add(record)
    session.flush()
    return Outcome(record, [])
