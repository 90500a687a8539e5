"""The outbound form of an inventory and cost feed (846): an availability as the 846 states it.

An X12 846 carries one currency for the whole feed (CUR*SE) and the feed's date in BIA04 (its
time in BIA05, for the reader's information); a line carries its item ids (LIN), its cost
(CTP*UCP), the units available (QTY*33, with their unit) and the date more are available
(DTM*018). It has no place for an item's status. :func:`as_sent` turns a feed into exactly
that, so what our 846 reader reads back equals it (the round trip), and the pre-check
(:mod:`gateway.inventory.checks`) judges the feed before it is reduced.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from gateway.canonical.availability import Availability


def feed_currency(feed: Availability) -> str | None:
    """The one currency of the feed's costs (its own, else its lines'); ``None`` if none or several."""
    found = {line.currency for line in feed.lines if line.currency} | ({feed.currency} - {None})
    return found.pop() if len(found) == 1 else None


def as_sent(feed: Availability, feed_id: str | None = None) -> Availability:
    """``feed`` as our 846 states it: one currency, the date of its moment (UTC), no status.

    ``feed_id`` names the 846 (BIA03) when it is not the feed's own (one 846 a slot).
    """
    moment = feed.as_of if feed.as_of.tzinfo is None else feed.as_of.astimezone(UTC).replace(tzinfo=None)
    lines = [line.model_copy(update={"currency": None, "status": None}) for line in feed.lines]
    return feed.model_copy(
        update={
            "feed_id": feed_id or feed.feed_id,
            "as_of": datetime.combine(moment.date(), time()),
            "currency": feed_currency(feed),
            "lines": lines,
            "partner": None,
            "source_message_id": None,
        }
    )
