"""The 846 built from the latest availability, blocked by its pre-check, sent once per slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import select

from gateway.edi import parse
from gateway.inventory.schedule import slot_of
from gateway.inventory.send import send_inventory_feed
from gateway.mapping import MappingRegistry
from gateway.service import pipeline
from gateway.service.money import run_inventory_feeds
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import InventoryFeedRecord, Message

NOW = datetime.now(UTC).replace(microsecond=0)
FEED = b"asin,vendor_sku,quantity_available,cost,currency\nB07XJ8C8F5,SKU-1,120,4.75,USD\nB08L5WHFT9,SKU-2,0,12,USD\n"


def _setup(home: Path, schedule: bool = True) -> None:
    """The shipped profiles: the warehouse sends its feed as CSV, amazon-us takes its 846 from it."""
    us = home / "partners" / "amazon-us.yaml"
    text = us.read_text(encoding="utf-8")
    assert "availability: {source_partner: warehouse}" in text
    if not schedule:
        us.write_text(text.replace("enabled: true, every_hours: 24", "enabled: false"), encoding="utf-8")


def _records(runtime: Runtime) -> list[InventoryFeedRecord]:
    with session_scope(runtime.engine) as session:
        return list(session.exec(select(InventoryFeedRecord).order_by(InventoryFeedRecord.id)).all())


def test_the_846_is_queued_from_the_latest_feed(home: Path) -> None:
    _setup(home, schedule=False)
    runtime = Runtime.open(home / "config.yaml")
    try:
        assert (
            pipeline.ingest(runtime, FEED, "stock.csv", partner="warehouse", mailbox="local").state == "done"
        )
        with session_scope(runtime.engine) as session:
            outcome = send_inventory_feed(
                session, runtime.partners, runtime.mappings, runtime.archive, "amazon-us", now=NOW
            )
            assert outcome.queued, outcome.reasons
            message = session.get(Message, outcome.record.message_id)
            assert (message.partner, message.state, message.document_types) == (
                "amazon-us",
                "queued",
                ["availability"],
            )
            data = runtime.archive.path_for(message.sha256).read_bytes()
        parsed = parse(data)
        assert parsed.ok, parsed.errors
        (tx,) = parsed.transactions
        back = MappingRegistry().translate(tx)
        assert [(ln.item.asin, ln.quantity_available) for ln in back.lines] == [
            ("B07XJ8C8F5", 120),
            ("B08L5WHFT9", 0),
        ]
        assert b"GS*IB*" in data
    finally:
        runtime.close()


def test_a_feed_breaking_a_rule_is_blocked_with_its_reasons(home: Path) -> None:
    _setup(home, schedule=False)
    runtime = Runtime.open(home / "config.yaml")
    try:
        bad = b"asin,quantity_available,cost\nB07XJ8C8F5,1,4.75\n"  # no currency
        assert (
            pipeline.ingest(runtime, bad, "stock.csv", partner="warehouse", mailbox="local").state == "done"
        )
        with session_scope(runtime.engine) as session:
            outcome = send_inventory_feed(
                session, runtime.partners, runtime.mappings, runtime.archive, "amazon-us", now=NOW
            )
            assert (outcome.record.status, [r.code for r in outcome.reasons]) == (
                "blocked",
                ["currency_missing"],
            )
            assert outcome.record.message_id is None
            assert session.exec(select(Message).where(Message.direction == "outbound")).all() == []
    finally:
        runtime.close()


def test_the_schedule_sends_once_per_slot_even_after_a_restart(home: Path) -> None:
    _setup(home)
    runtime = Runtime.open(home / "config.yaml")
    try:
        assert run_inventory_feeds(runtime, now=NOW) == []  # no feed yet: nothing, no record
        pipeline.ingest(runtime, FEED, "stock.csv", partner="warehouse", mailbox="local")
        assert len(run_inventory_feeds(runtime, now=NOW)) == 1
        assert run_inventory_feeds(runtime, now=NOW) == []
    finally:
        runtime.close()
    runtime = Runtime.open(home / "config.yaml")  # a restart in the same slot
    try:
        assert run_inventory_feeds(runtime, now=NOW + timedelta(minutes=5)) == []
        assert [r.slot for r in _records(runtime)] == [slot_of(NOW, 24)]
        tomorrow = NOW + timedelta(days=1)
        pipeline.ingest(
            runtime, FEED.replace(b"120", b"80"), "stock2.csv", partner="warehouse", mailbox="local"
        )
        assert len(run_inventory_feeds(runtime, now=tomorrow)) == 1
        records = _records(runtime)
        assert [r.slot for r in records] == [slot_of(NOW, 24), slot_of(tomorrow, 24)]
        assert [r.feed_id for r in records] == ["stock", "stock2"]
    finally:
        runtime.close()


def test_slots() -> None:
    assert slot_of(datetime(2026, 12, 4, 13, 5, tzinfo=UTC), 24) == "2026-12-04T00"
    assert slot_of(datetime(2026, 12, 4, 13, 5, tzinfo=UTC), 6) == "2026-12-04T12"
    assert slot_of(datetime(2026, 12, 4, 5, 59, tzinfo=UTC), 6) == "2026-12-04T00"


def test_acorn_inventory_send_and_list(home: Path) -> None:
    from click.testing import CliRunner

    from gateway.cli import cli

    _setup(home, schedule=False)
    config = str(home / "config.yaml")

    def run(*args: str):
        return CliRunner().invoke(cli, ["--config", config, *args], obj={}, env={})

    result = run("inventory", "send", "--partner", "amazon-us")
    assert result.exit_code == 2 and "no availability feed from warehouse" in result.output
    runtime = Runtime.open(home / "config.yaml")
    try:
        pipeline.ingest(runtime, FEED, "stock.csv", partner="warehouse", mailbox="local")
    finally:
        runtime.close()
    result = run("inventory", "send", "--partner", "amazon-us")
    assert result.exit_code == 0, result.output
    assert "846 of feed stock queued for amazon-us" in result.output
    listed = run("inventory", "list")
    assert listed.exit_code == 0 and "amazon-us slot now-" in listed.output and "queued" in listed.output


EU_FEED = b"asin,vendor_sku,ean,quantity_available,cost,currency\nB0EULMP123,ACM-LAMP-EU,4012345000016,180,11.20,EUR\n"


def test_the_eu_profile_gets_an_invrpt_that_reads_back(home: Path) -> None:
    """amazon-eu trades EDIFACT: its feed (the EU warehouse's, in EUR) goes as a D96A INVRPT."""
    _setup(home, schedule=False)
    runtime = Runtime.open(home / "config.yaml")
    try:
        assert runtime.partners.get("amazon-eu").rules.availability.source_partner == "warehouse-eu"
        state = pipeline.ingest(
            runtime, EU_FEED, "stock-eu.csv", partner="warehouse-eu", mailbox="local"
        ).state
        assert state == "done"
        with session_scope(runtime.engine) as session:
            outcome = send_inventory_feed(
                session, runtime.partners, runtime.mappings, runtime.archive, "amazon-eu", now=NOW
            )
            assert outcome.queued, outcome.reasons
            message = session.get(Message, outcome.record.message_id)
            assert message.filename.startswith("amazon-eu_invrpt_") and message.standard == "edifact"
            data = runtime.archive.read(message.sha256)
        parsed = parse(data)
        assert parsed.ok, parsed.errors
        (tx,) = parsed.transactions
        assert tx.type == "INVRPT"
        back = MappingRegistry().translate(tx)
        assert [(ln.item.ean, ln.item.asin, ln.quantity_available, ln.cost) for ln in back.lines] == [
            ("4012345000016", "B0EULMP123", 180, Decimal("11.20"))
        ]
        assert back.currency == "EUR" and b"UNB+UNOA:3+4012345000009:14+5450534000000:14+" in data
    finally:
        runtime.close()
