"""The 846 pre-check: each code raised by the feed that breaks it, and turned off by skip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.canonical import Availability
from gateway.config.rules import InventoryFeedRules
from gateway.inventory.checks import INVENTORY_CHECK_CODES, inventory_feed_reasons

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)


def _feed(*lines: dict, as_of: datetime = NOW, currency: str | None = None) -> Availability:
    return Availability.model_validate(
        {"feed_id": "F", "as_of": as_of, "currency": currency, "lines": list(lines)}
    )


GOOD = {"item": {"asin": "B0A"}, "quantity_available": 5, "cost": "1.00", "currency": "USD"}


@pytest.mark.parametrize(
    ("feed", "code"),
    [
        (
            _feed({"item": {"buyer_sku": "X"}, "quantity_available": 1, "cost": 1, "currency": "USD"}),
            "item_id_missing",
        ),
        (_feed({"item": {"asin": "B0A"}, "quantity_available": 1}), "cost_missing"),
        (_feed({"item": {"asin": "B0A"}, "quantity_available": 1, "cost": 1}), "currency_missing"),
        (_feed(GOOD, {**GOOD, "currency": "EUR"}), "currencies_differ"),
        (_feed({**GOOD, "currency": "EUR"}), "currency_not_partners"),
        (_feed({**GOOD, "quantity_available": "2.5"}), "quantity_not_whole"),
        (_feed(GOOD, as_of=NOW - timedelta(hours=49)), "feed_stale"),
    ],
)
def test_each_rule_blocks_and_can_be_skipped(feed: Availability, code: str) -> None:
    reasons = inventory_feed_reasons(feed, InventoryFeedRules(), NOW, "USD")
    assert [r.code for r in reasons] == [code]
    assert inventory_feed_reasons(feed, InventoryFeedRules(skip=[code]), NOW, "USD") == []


def test_a_good_feed_passes_and_every_code_is_configurable() -> None:
    assert inventory_feed_reasons(_feed(GOOD), InventoryFeedRules(), NOW, "USD") == []
    assert (
        inventory_feed_reasons(_feed({**GOOD, "currency": None}, currency="USD"), InventoryFeedRules(), NOW)
        == []
    )
    InventoryFeedRules(skip=list(INVENTORY_CHECK_CODES))  # every code is a skip-able name
