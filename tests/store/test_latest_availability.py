"""latest_availability: the feed of the partner's source with the latest as_of, or none."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from gateway.canonical import Availability
from gateway.config.rules import PartnerRules
from gateway.orders.availability import latest_availability
from gateway.store import session_scope
from gateway.store.documents import save_document


def _feed(feed_id: str, as_of: datetime, qty: int) -> Availability:
    return Availability.model_validate(
        {"feed_id": feed_id, "as_of": as_of, "lines": [{"item": {"asin": "B0X"}, "quantity_available": qty}]}
    )


def test_the_latest_feed_of_the_source_counts(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert latest_availability(session, "amazon-us", "warehouse") is None
        save_document(session, "warehouse", _feed("late", datetime(2026, 12, 4, 8, tzinfo=UTC), 3))
        save_document(session, "warehouse", _feed("early", datetime(2026, 12, 3, 8), 9))  # naive: UTC
        save_document(session, "erp", _feed("other", datetime(2026, 12, 5, 8, tzinfo=UTC), 1))
    with session_scope(engine) as session:
        feed = latest_availability(session, "amazon-us", "warehouse")
        assert feed is not None and feed.feed_id == "late"
        assert latest_availability(session, "amazon-us") is None  # no source: its own feeds, none
        own = latest_availability(session, "erp")
        assert own is not None and own.feed_id == "other"


def test_the_profile_names_the_source() -> None:
    rules = PartnerRules.model_validate({"availability": {"source_partner": "warehouse"}})
    assert rules.availability.source_partner == "warehouse"
    assert PartnerRules().availability.source_partner is None
