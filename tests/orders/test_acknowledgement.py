"""The PO acknowledgement's per-line decisions and its pre-check (gateway.orders.acknowledgement)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.canonical import PurchaseOrder
from gateway.canonical.availability import Availability
from gateway.config.rules import PoAcknowledgementRules
from gateway.orders.acknowledgement import decide, precheck

TODAY = date(2026, 12, 4)
RULES = PoAcknowledgementRules()


def _po(*lines: dict) -> PurchaseOrder:
    return PurchaseOrder.model_validate(
        {
            "po_number": "2LQ9Z8XA",
            "order_date": TODAY,
            "currency": "USD",
            "lines": [
                {
                    "line_no": str(n),
                    "quantity": Decimal(10),
                    "uom": "EA",
                    "unit_price": Decimal("4.75"),
                    **line,
                }
                for n, line in enumerate(lines, start=1)
            ],
        }
    )


def _feed(*lines: dict) -> Availability:
    return Availability.model_validate(
        {"feed_id": "F1", "as_of": datetime(2026, 12, 4, 6, tzinfo=UTC), "lines": list(lines)}
    )


def _summary(decision) -> list[tuple[str, str, Decimal, str | None]]:
    return [(x.line_no, x.status, x.confirmed_quantity, x.reason) for x in decision.ack.lines]


def test_enough_in_the_feed_is_accepted_at_the_po_cost_never_the_feeds() -> None:
    po = _po({"item": {"asin": "B01"}})
    feed = _feed({"item": {"asin": "B01"}, "quantity_available": "50", "cost": "3.10"})
    decision = decide(po, RULES, feed, TODAY)
    assert decision.held == []
    assert _summary(decision) == [("1", "accept", Decimal(10), None)]
    assert decision.ack.lines[0].unit_price == Decimal("4.75")


def test_short_with_a_date_in_time_is_split_into_accept_and_backorder() -> None:
    po = _po({"item": {"vendor_sku": "SKU-1", "asin": "B01"}})
    soon = TODAY + timedelta(days=5)
    feed = _feed({"item": {"vendor_sku": "SKU-1"}, "quantity_available": "4", "available_on": soon})
    decision = decide(po, RULES, feed, TODAY)
    assert _summary(decision) == [
        ("1", "accept", Decimal(4), None),
        ("1", "backorder", Decimal(6), "temporarily_unavailable"),
    ]
    assert decision.ack.lines[1].backorder_date == soon
    no_split = decide(po, PoAcknowledgementRules(split_partial=False), feed, TODAY)
    assert _summary(no_split) == [("1", "backorder", Decimal(10), "temporarily_unavailable")]


def test_short_with_a_date_too_late_rejects_the_rest() -> None:
    po = _po({"item": {"asin": "B01"}})
    late = TODAY + timedelta(days=RULES.backorder_max_days + 1)
    feed = _feed({"item": {"asin": "B01"}, "quantity_available": "0", "available_on": late})
    assert _summary(decide(po, RULES, feed, TODAY)) == [
        ("1", "reject", Decimal(0), "temporarily_unavailable")
    ]


def test_obsolete_unknown_and_no_feed() -> None:
    po = _po({"item": {"asin": "B01"}}, {"item": {"asin": "B02"}})
    feed = _feed({"item": {"asin": "B01"}, "quantity_available": "99", "status": "Obsolete"})
    decision = decide(po, RULES, feed, TODAY)
    assert _summary(decision) == [
        ("1", "reject", Decimal(0), "obsolete_product"),
        ("2", "reject", Decimal(0), "invalid_product_identifier"),
    ]
    assert decision.held == []
    held = decide(po, PoAcknowledgementRules(reject_unknown_items=False), feed, TODAY)
    assert [h.split(":")[0] for h in held.held] == ["item_not_in_feed"]
    none = decide(po, RULES, None, TODAY)
    assert [h.split(":")[0] for h in none.held] == ["availability_missing"]
    assert {x.status for x in none.ack.lines} == {"accept"}


def test_a_case_line_is_confirmed_in_whole_cases_of_the_feeds_eaches() -> None:
    po = _po({"item": {"asin": "B01"}, "uom": "CA", "case_size": Decimal(12), "unit_price": Decimal("57.00")})
    feed = _feed({"item": {"asin": "B01"}, "quantity_available": "100", "available_on": TODAY})
    assert _summary(decide(po, RULES, feed, TODAY))[0] == ("1", "accept", Decimal(8), None)


def test_precheck_refuses_a_cost_other_than_the_pos_and_over_confirmation() -> None:
    po = _po({"item": {"asin": "B01"}})
    ack = decide(po, RULES, _feed({"item": {"asin": "B01"}, "quantity_available": "50"}), TODAY).ack
    assert precheck(ack, po) == []
    bad = ack.model_copy(deep=True)
    bad.lines[0].unit_price = Decimal("3.10")
    bad.lines[0].confirmed_quantity = Decimal(11)
    assert [p.split(":")[0] for p in precheck(bad, po)] == ["cost_differs_from_po", "confirmed_over_ordered"]


@given(
    ordered=st.integers(1, 500),
    available=st.integers(0, 800),
    days=st.none() | st.integers(-3, 40),
    split=st.booleans(),
)
def test_decisions_never_confirm_more_than_available_or_ordered(ordered, available, days, split) -> None:
    rules = PoAcknowledgementRules(split_partial=split)
    po = _po({"item": {"asin": "B01"}, "quantity": Decimal(ordered)})
    on = TODAY + timedelta(days=days) if days is not None else None
    feed = _feed({"item": {"asin": "B01"}, "quantity_available": str(available), "available_on": on})
    decision = decide(po, rules, feed, TODAY)
    assert decision.held == []
    accepted = sum((x.confirmed_quantity for x in decision.ack.lines if x.status == "accept"), Decimal(0))
    backordered = sum(
        (x.confirmed_quantity for x in decision.ack.lines if x.status == "backorder"), Decimal(0)
    )
    assert accepted <= min(ordered, available)
    assert accepted + backordered <= ordered
    assert all(x.unit_price == Decimal("4.75") for x in decision.ack.lines)
    if available >= ordered:
        assert accepted == ordered
    elif days is not None and days <= rules.backorder_max_days:
        assert accepted + backordered == ordered
        assert accepted == (available if split else 0)
    else:
        assert backordered == 0 and decision.ack.lines[-1].status == "reject"


@pytest.mark.parametrize("bad", [{"deadline_hours": 0}, {"automatic": "maybe"}, {"unknown": 1}])
def test_the_policy_is_validated(bad) -> None:
    with pytest.raises(ValueError):
        PoAcknowledgementRules.model_validate(bad)


@given(ordered=st.integers(1, 500), available=st.integers(0, 800), days=st.none() | st.integers(-3, 40))
def test_a_batch_s_feed_index_decides_as_the_feed_itself(ordered, available, days) -> None:
    """The PO acknowledgement hook builds the feed's item index once per batch and hands it in:
    every PO is decided as from the feed alone (lines, hold reasons)."""
    po = _po({"item": {"asin": "B01"}, "quantity": Decimal(ordered)}, {"item": {"asin": "B99"}})
    on = TODAY + timedelta(days=days) if days is not None else None
    feed = _feed({"item": {"asin": "B01"}, "quantity_available": str(available), "available_on": on})
    alone = decide(po, RULES, feed, TODAY)
    batched = decide(po, RULES, feed, TODAY, feed.by_item())
    assert batched.ack == alone.ack and batched.held == alone.held
    assert _summary(batched)[-1][1] == "reject"  # B99 is not in the feed
