"""An availability feed (CSV or canonical XML) through a warehouse's mailbox: archived, stored as
the partner's ``availability`` document, refused with the row and column at fault."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.canonical import Availability
from gateway.canonical.xml import to_xml
from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, DocumentMessage, Message
from tests.conftest import BACKENDS, pg_schema
from tests.pipeline.conftest import make_home

FEED = (
    b"ASIN,Vendor SKU,Quantity Available,Cost,Currency,Available On,Status\n"
    b"B07XJ8C8F5,SKU-1,120,4.75,USD,,\n"
    b"B08L5WHFT9,SKU-2,0,12.00,usd,2026-12-20,\n"
)


@pytest.fixture(params=BACKENDS)
def feed_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    if request.param == "sqlite":
        home = make_home(tmp_path / "gw")
        _accept(home.parent)
        rt = Runtime.open(home)
        yield rt
        rt.close()
        return
    with pg_schema("avail") as url:
        home = make_home(tmp_path / "gw", url)
        _accept(home.parent)
        rt = Runtime.open(home)
        yield rt
        rt.close()


def _accept(root: Path, line: str = "accept_xml: [availability]") -> None:
    """The XML form too (the shipped warehouse profile takes the CSV feed, accept_csv)."""
    profile = root / "partners" / "warehouse.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def _message(runtime: Runtime, message_id: int) -> Message:
    with session_scope(runtime.engine) as session:
        return session.get(Message, message_id)


def _stored(runtime: Runtime, feed_id: str) -> tuple[Availability, list[int]]:
    with session_scope(runtime.engine) as session:
        doc = session.exec(
            select(Document).where(Document.type == "availability", Document.business_key == feed_id)
        ).one()
        assert doc.partner == "warehouse"
        links = session.exec(select(DocumentMessage).where(DocumentMessage.document_id == doc.id)).all()
        return Availability.model_validate(doc.data), [link.message_id for link in links]


def test_a_csv_feed_is_stored_as_the_warehouses_availability(feed_runtime: Runtime) -> None:
    receipt = pipeline.ingest(feed_runtime, FEED, "stock-20261204.csv", partner="warehouse", mailbox="local")
    assert receipt.state == "done", receipt
    message = _message(feed_runtime, receipt.message_id)
    assert (message.standard, message.document_types) == ("csv", ["availability"])
    assert feed_runtime.archive.path_for(message.sha256).read_bytes() == FEED
    feed, links = _stored(feed_runtime, "stock-20261204")
    assert links == [message.id]
    by_item = feed.by_item()
    assert by_item["asin:B07XJ8C8F5"].quantity_available == Decimal(120)
    assert by_item["vendor_sku:SKU-2"].available_on.isoformat() == "2026-12-20"
    assert by_item["vendor_sku:SKU-2"].currency == "USD"
    assert by_item["asin:B07XJ8C8F5"].cost == Decimal("4.75")


def test_a_canonical_xml_feed_is_stored_too(feed_runtime: Runtime) -> None:
    feed = Availability.model_validate(
        {
            "feed_id": "XMLFEED1",
            "as_of": datetime(2026, 12, 4, 6, 0),
            "warehouse": "WH1",
            "lines": [
                {"item": {"asin": "B07XJ8C8F5"}, "quantity_available": 7, "cost": "4.75", "currency": "USD"}
            ],
        }
    )
    receipt = pipeline.ingest(feed_runtime, to_xml(feed), "feed.xml", partner="warehouse", mailbox="local")
    assert receipt.state == "done", receipt
    stored, _ = _stored(feed_runtime, "XMLFEED1")
    assert stored.lines == feed.lines
    assert stored.as_of == feed.as_of


def test_a_bad_feed_fails_the_message_naming_row_and_column(runtime: Runtime) -> None:
    bad = b"asin,quantity_available,cost\nB07XJ8C8F5,12,abc\n,5,1.00\nB08L5WHFT9,-3,1.00\n"
    receipt = pipeline.ingest(runtime, bad, "bad.csv", partner="warehouse", mailbox="local")
    message = _message(runtime, receipt.message_id)
    assert (receipt.state, message.error_code, message.error_stage) == ("failed", "CSV_INVALID", "parse")
    assert "bad.csv" in message.error_message
    assert "row 2: column cost: 'abc' is not a quantity" in message.error_message
    assert "row 3: no item id" in message.error_message
    assert "row 4: column quantity_available: '-3'" in message.error_message


def test_a_csv_from_a_partner_that_does_not_send_one_is_refused(runtime: Runtime) -> None:
    receipt = pipeline.ingest(runtime, FEED, "stock.csv", partner="amazon-us", mailbox="local")
    message = _message(runtime, receipt.message_id)
    assert (receipt.state, message.error_code) == ("failed", "CSV_NOT_ACCEPTED")
    assert "accept_csv" in message.error_message
