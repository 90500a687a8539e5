"""The pre-check of an inventory and cost feed (846): every reason it must not leave.

Run on the availability feed before it is reduced to the 846's form
(:func:`gateway.canonical.inventory_feed.as_sent`), so a line is named by its item:

- ``item_id_missing``: a line with no ASIN, EAN, UPC or vendor SKU (Amazon matches on those);
- ``cost_missing``: a line without a cost (``require_cost``, on by default);
- ``currency_missing``: a cost without a currency, on the line or the feed;
- ``currencies_differ``: costs in more than one currency (an 846 carries one, CUR*SE);
- ``currency_not_partners``: the currency is not the partner's ``default_currency`` (when set);
- ``quantity_not_whole``: a fraction of a unit available;
- ``feed_stale``: the feed is older than ``max_age_hours`` (48) when it would be sent.

Quantities and costs are never negative: the canonical model refuses them when the feed is read.
A partner's ``rules.inventory_feed.skip`` turns a code off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

from gateway.canonical.availability import Availability, AvailabilityLine
from gateway.config.rules import InventoryCheckCode, InventoryFeedRules
from gateway.invoicing.checks import Reason

#: every code of this pre-check (the names ``rules.inventory_feed.skip`` takes)
INVENTORY_CHECK_CODES: tuple[str, ...] = get_args(InventoryCheckCode)


def _name(line: AvailabilityLine) -> str:
    ids = line.item
    return ids.asin or ids.vendor_sku or ids.ean or ids.upc or ids.buyer_sku or "?"


def inventory_feed_reasons(
    feed: Availability, rules: InventoryFeedRules, now: datetime, partner_currency: str | None = None
) -> list[Reason]:
    """Every reason ``feed`` must not be sent as an 846 (empty: it may go)."""
    out: list[Reason] = []

    def add(code: str, message: str) -> None:
        if code not in rules.skip and Reason(code, message) not in out:
            out.append(Reason(code, message))

    currencies: set[str] = {feed.currency} if feed.currency else set()
    for line in feed.lines:
        item = _name(line)
        if not (line.item.asin or line.item.ean or line.item.upc or line.item.vendor_sku):
            add("item_id_missing", f"item {item}: no ASIN, EAN, UPC or vendor SKU")
        if line.cost is None and rules.require_cost:
            add("cost_missing", f"item {item}: no cost")
        currency = line.currency or feed.currency
        if line.cost is not None and currency is None:
            add("currency_missing", f"item {item}: cost {line.cost} without a currency")
        if line.currency:
            currencies.add(line.currency)
        if line.quantity_available != line.quantity_available.to_integral_value():
            add(
                "quantity_not_whole",
                f"item {item}: {line.quantity_available} {line.uom} is not a whole number",
            )
    if len(currencies) > 1:
        add("currencies_differ", f"costs in {', '.join(sorted(currencies))}; an 846 carries one currency")
    elif partner_currency and currencies and currencies != {partner_currency}:
        add(
            "currency_not_partners",
            f"costs in {currencies.pop()}, the partner's currency is {partner_currency}",
        )
    as_of = feed.as_of if feed.as_of.tzinfo else feed.as_of.replace(tzinfo=UTC)
    if now - as_of > timedelta(hours=rules.max_age_hours):
        add(
            "feed_stale",
            f"feed {feed.feed_id} of {as_of:%Y-%m-%d %H:%M} is older than {rules.max_age_hours} hours",
        )
    return out
