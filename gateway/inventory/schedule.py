"""The 846 on a schedule: one per partner and slot, never twice.

A partner with ``rules.inventory_feed.enabled`` gets an 846 in every slot of ``every_hours``
hours (slots start at midnight UTC: every 24 hours is one a day, every 6 hours four). The
slot's name (``2026-12-04T06``) is the key of its :class:`~gateway.store.models.InventoryFeedRecord`,
unique per partner, so a restart, a second worker or a second run in the same slot queues nothing
new; a slot whose feed was blocked is checked again at the next run (a corrected feed goes).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from gateway.config import PartnerDirectory
from gateway.inventory.send import InventoryFeedError, Outcome, send_inventory_feed
from gateway.mapping.registry import MappingRegistry
from gateway.store.archive import Archive

log = logging.getLogger(__name__)


def slot_of(now: datetime, every_hours: int) -> str:
    """The name of the slot ``now`` falls in: its start, ``YYYY-MM-DDTHH`` (UTC). Slots are counted
    from the Unix epoch, so with hours that divide 24 they start at midnight UTC."""
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    length = every_hours * 3600
    start = datetime.fromtimestamp(int(moment.timestamp()) // length * length, UTC)
    return f"{start:%Y-%m-%dT%H}"


def send_due_inventory_feeds(
    session: Session, partners: PartnerDirectory, mappings: MappingRegistry, archive: Archive, now: datetime
) -> list[Outcome]:
    """The 846 of every enabled partner whose current slot has none queued; the caller commits."""
    done: list[Outcome] = []
    for profile in partners:
        rules = profile.rules.inventory_feed
        if not rules.enabled:
            continue
        slot = slot_of(now, rules.every_hours)
        try:
            with session.begin_nested():
                outcome = send_inventory_feed(
                    session, partners, mappings, archive, profile.name, slot=slot, now=now
                )
        except InventoryFeedError as exc:
            log.warning("846 for %s (slot %s) not sent: %s", profile.name, slot, exc)
            continue
        except IntegrityError:  # another worker took the slot first
            log.info("846 for %s (slot %s) already taken by another worker", profile.name, slot)
            continue
        if not outcome.already:
            done.append(outcome)
    return done
