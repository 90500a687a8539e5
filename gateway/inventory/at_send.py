"""The 846 re-checked at the moment it is sent: a feed replaced or now failing its rules is held.

An 846 is checked when it is queued (:mod:`gateway.inventory.send`); the outbox sends the bytes
archived then. :func:`recheck` is the inventory feed's record check for
:func:`gateway.invoicing.at_send.prepare_for_send`, run right before the message goes:

- ``feed_superseded``: a newer availability feed than the one the 846 was built from is stored
  (Amazon would be told stale quantities); the next run of the slot sends the newer one;
- every code of :func:`gateway.inventory.checks.inventory_feed_reasons` on the feed as stored now,
  at the moment of sending (``feed_stale`` among them).

With a reason, ``prepare_for_send`` moves the record and its message to ``blocked``, audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from gateway.canonical.availability import Availability
from gateway.config import PartnerDirectory
from gateway.inventory.checks import inventory_feed_reasons
from gateway.invoicing.at_send import HeldRecords
from gateway.invoicing.checks import Reason
from gateway.mapping.registry import MappingRegistry
from gateway.orders.availability import availability_source, latest_availability
from gateway.store.archive import Archive
from gateway.store.models import Document, InventoryFeedRecord, Message

SUPERSEDED = "feed_superseded"


def _feed(session: Session, source: str, feed_id: str | None) -> Availability | None:
    """The stored feed ``feed_id`` of ``source`` (the latest one of that id)."""
    rows = session.exec(
        select(Document)
        .where(Document.partner == source, Document.type == "availability")
        .order_by(Document.id.desc())  # type: ignore[union-attr]
    ).all()
    for row in rows:
        feed = Availability.model_validate(row.data)
        if feed.feed_id == feed_id:
            return feed
    return None


def recheck(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    message: Message,
    now: datetime,
) -> HeldRecords | None:
    """The reasons the 846 records ``message`` carries must not leave now (``None``: it carries none)."""
    records = list(
        session.exec(select(InventoryFeedRecord).where(InventoryFeedRecord.message_id == message.id)).all()
    )
    if not records:
        return None
    held = HeldRecords("inventory_feed", records)
    for record in records:
        if record.partner not in partners:
            held.reasons.append(Reason("partner_unknown", f"no partner profile {record.partner!r}"))
            continue
        profile = partners.get(record.partner)
        source = availability_source(profile)
        latest = latest_availability(session, record.partner, source)
        rules = profile.rules.inventory_feed
        if latest is not None and latest.feed_id != record.feed_id and SUPERSEDED not in rules.skip:
            held.reasons.append(
                Reason(
                    SUPERSEDED,
                    f"feed {record.feed_id} was replaced by {latest.feed_id} of "
                    f"{latest.as_of:%Y-%m-%d %H:%M}: the newer one is sent instead",
                )
            )
            continue
        feed = _feed(session, source, record.feed_id)
        if feed is None:
            held.reasons.append(Reason("document_unreadable", f"feed {record.feed_id} is no longer stored"))
            continue
        held.reasons += inventory_feed_reasons(feed, rules, now, profile.default_currency)
    return held
