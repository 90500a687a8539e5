"""The canonical availability feed: what the vendor can ship, per item, as its ERP or warehouse says.

The vendor's ERP or warehouse drops a feed (CSV or the canonical XML form) listing, per item,
how many units are available now (``quantity_available``), at what cost, and from which date
more will be available (``available_on``, for a backorder). Two documents are built from it:
the PO acknowledgement's per-line decisions (855 / ORDRSP: accept, backorder with a date,
reject) and the inventory and cost feed sent to Amazon (846). The latest feed of a partner
is the one that counts; :meth:`Availability.by_item` indexes its lines by every id an item
carries so a PO line matches whichever id it names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from gateway.canonical.base import CanonicalDocument, CanonicalModel
from gateway.canonical.parties import ItemIds
from gateway.canonical.types import Currency, NonNegative, OptText, Text


class AvailabilityLine(CanonicalModel):
    """One item: units available now, its cost, and when more will be available."""

    item: ItemIds
    quantity_available: NonNegative
    uom: Text = "EA"
    cost: NonNegative | None = None  # the vendor's cost per ``uom``
    currency: Currency | None = None
    available_on: date | None = None  # the date more units will be available (a backorder's date)
    status: OptText = None  # e.g. "discontinued", "obsolete": the vendor will not supply it again


class Availability(CanonicalDocument):
    """A vendor's availability feed: one line per item, as of a moment."""

    type_key: ClassVar[str] = "availability"
    type: Literal["availability"] = "availability"
    feed_id: Text
    as_of: datetime
    warehouse: OptText = None
    #: the currency of every line's cost, when the feed states one for all (the 846's CUR)
    currency: Currency | None = None
    lines: list[AvailabilityLine] = Field(min_length=1)

    def by_item(self) -> dict[str, AvailabilityLine]:
        """The lines by each of their item ids (``"asin:B0..."``, ``"vendor_sku:SKU-1"``, ...)."""
        index: dict[str, AvailabilityLine] = {}
        for line in self.lines:
            for key in item_keys(line.item):
                index.setdefault(key, line)
        return index


def item_keys(item: ItemIds) -> list[str]:
    """The keys an item is found under: ``"<id kind>:<value>"`` for every id it carries."""
    kinds = ("asin", "ean", "upc", "vendor_sku", "buyer_sku")
    return [f"{kind}:{value}" for kind in kinds if (value := getattr(item, kind))]
