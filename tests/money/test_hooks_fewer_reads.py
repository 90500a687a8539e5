"""The hooks read less and find the same: the reads each shorter path leaves out, and that what it
finds in hand is what the query found.

- the ship notice's own record, read once, is the "sent before" the 365-day check looks for: the
  same reason as the query's (queued within the window, queued before it, blocked, its own record
  at send);
- the SSCCs of a new notice are recorded in one ``INSERT`` without a lookup; a notice whose record
  existed (blocked, then approved) still records each SSCC once;
- the order book of a PO stays known across our own invoice's insert, with the invoice in it: the
  check that follows reads no document again and finds what a fresh load finds; and the check row
  built with the invoice is not read back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlmodel import Session, col, select

from gateway.invoicing import build_invoices, check_invoice
from gateway.orders import book
from gateway.orders.book import load_bundles, writing_invoices
from gateway.shipping.checks import Context, ship_notice_reasons
from gateway.shipping.send import draft_of, send_ship_notice
from gateway.store import session_scope
from gateway.store.models import ShipNoticeRecord, SsccUse
from tests.money.conftest import asn, po, store
from tests.money.test_ship_notice_send import sscc, warehouse_asn

US, WH = "amazon-us", "warehouse"
DAY = date(2026, 1, 16)


class Statements:
    """The SQL statements an engine runs while listening."""

    def __init__(self, session: Session) -> None:
        self.sql: list[str] = []
        self.engine = session.get_bind()
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.sql.append(" ".join(statement.split()))

    def matching(self, start: str) -> list[str]:
        return [s for s in self.sql if s.upper().startswith(start.upper())]

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.mark.parametrize(
    ("status", "age_days", "own"),
    [("queued", 10, False), ("queued", 400, False), ("blocked", 10, False), ("queued", 10, True)],
)
def test_the_record_in_hand_gives_the_reason_the_query_gives(runtime, status, age_days, own) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn())
        record = ShipNoticeRecord(partner=US, shipment_id="ASN-1", source_shipment_id="ASN-1", status=status)
        session.add(record)
        session.flush()
        when = datetime.now(UTC) - timedelta(days=age_days)
        session.exec(update(ShipNoticeRecord).values(created_at=when))  # type: ignore[call-overload]
        session.expire_all()
    with session_scope(runtime.engine) as session:
        drafted = draft_of(session, runtime.partners, "ASN-1")
        profile = runtime.partners.get(US)
        found = session.exec(select(ShipNoticeRecord)).one()  # read back: a time without a zone on SQLite
        ctx = Context(US, profile.rules, DAY, profile.standard, record_id=found.id if own else None)
        queried = ship_notice_reasons(session, drafted.notice, ctx, drafted.bundles)
        in_hand = ship_notice_reasons(session, drafted.notice, ctx, drafted.bundles, [found])
        assert in_hand == queried
        used_before = status == "queued" and age_days < 365 and not own
        assert ("shipment_id_used_before" in {r.code for r in in_hand}) is used_before


def test_a_new_notice_records_its_ssccs_in_one_insert_without_a_lookup(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn(serials=(1, 2)))
    with session_scope(runtime.engine) as session:
        seen = Statements(session)
        try:
            out = send_ship_notice(
                session, runtime.partners, runtime.mappings, runtime.archive, "ASN-1", today=DAY
            )
        finally:
            seen.close()
        assert out.queued
        assert seen.matching("SELECT sscc_uses.sscc ") == []  # no SSCC can be recorded for a new notice
        assert len(seen.matching("INSERT INTO sscc_uses")) == 1
        assert len(seen.matching("SELECT ship_notices")) == 1  # the record, read once
    with session_scope(runtime.engine) as session:
        uses = session.exec(select(SsccUse).order_by(col(SsccUse.id))).all()
        assert [(u.partner, u.sscc, u.shipment_id) for u in uses] == [(US, sscc(n), "ASN-1") for n in (1, 2)]
        assert all(u.created_at is not None for u in uses)


def test_a_notice_whose_record_existed_records_each_sscc_once(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn(serials=(1, 2), carrier_scac=None))  # blocked: no SCAC
        out = send_ship_notice(
            session, runtime.partners, runtime.mappings, runtime.archive, "ASN-1", today=DAY
        )
        assert out.record.status == "blocked" and session.exec(select(SsccUse)).all() == []
        session.add(SsccUse(partner=US, sscc=sscc(1), shipment_id="ASN-1"))  # recorded once already
    with session_scope(runtime.engine) as session:
        store(session, WH, warehouse_asn(serials=(1, 2)))  # the warehouse sends the SCAC
        seen = Statements(session)
        try:
            out = send_ship_notice(
                session, runtime.partners, runtime.mappings, runtime.archive, "ASN-1", today=DAY
            )
        finally:
            seen.close()
        assert out.queued
        assert len(seen.matching("SELECT sscc_uses.sscc ")) == 1  # the record existed: looked up
    with session_scope(runtime.engine) as session:
        uses = session.exec(select(SsccUse.sscc).order_by(col(SsccUse.id))).all()
        assert uses == [sscc(1), sscc(2)]


def test_the_order_book_stays_known_across_our_invoices_insert(runtime) -> None:
    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, asn("ASN-1", {"1": 24, "2": 48, "3": 5}))
    with session_scope(runtime.engine) as session:
        load_bundles(session, ["4TQ8ZK2M"])  # known now, as after the reconciliation hook
        (invoice,) = build_invoices(session, runtime.partners, "ASN-1", today=DAY)
        seen = Statements(session)
        try:
            kept = load_bundles(session, ["4TQ8ZK2M"])["4TQ8ZK2M"]
            reasons = check_invoice(session, runtime.partners, int(invoice.id or 0), today=DAY)
        finally:
            seen.close()
        # the order book and the invoice: nothing read again; only the invoice number's other uses
        reads = seen.matching("SELECT documents")
        assert len(reads) == 1 and reads[0].endswith(
            "WHERE documents.invoice_number = ? AND documents.id != ?"
        )
        assert seen.matching("SELECT invoice_checks") == []  # the check row built with it: in hand
        assert reasons == [] and invoice.status == "draft"
        session.connection().info.pop(book._IDS, None)  # forget: what a fresh load finds
        fresh = load_bundles(session, ["4TQ8ZK2M"])["4TQ8ZK2M"]
        assert [x.row.id for x in kept.invoices] == [x.row.id for x in fresh.invoices] == [invoice.id]
        assert [x.row.id for x in kept.shipments] == [x.row.id for x in fresh.shipments]
        assert [x.row.id for x in kept.pos] == [x.row.id for x in fresh.pos]


def test_a_write_of_another_document_in_the_block_is_not_hidden(runtime) -> None:
    """Pending writes are flushed before the block: a shipment pending then is found afterwards."""
    with session_scope(runtime.engine) as session:
        store(session, US, po())
    with session_scope(runtime.engine) as session:
        assert load_bundles(session, ["4TQ8ZK2M"])["4TQ8ZK2M"].shipments == []
        row = store(session, WH, asn("ASN-2", {"1": 12}))  # written: the ids kept are forgotten
        with writing_invoices(session):
            pass
        bundle = load_bundles(session, ["4TQ8ZK2M"])["4TQ8ZK2M"]
        assert [s.row.id for s in bundle.shipments] == [row.id]


def test_at_send_the_notices_own_record_is_read_once_and_it_still_goes(runtime) -> None:
    from gateway.shipping.at_send import recheck
    from gateway.store.models import Message

    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, warehouse_asn(serials=(1, 2)))
        out = send_ship_notice(
            session, runtime.partners, runtime.mappings, runtime.archive, "ASN-1", today=DAY
        )
        assert out.queued
        message_id = out.record.message_id
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        seen = Statements(session)
        try:
            held = recheck(
                session, runtime.partners, runtime.mappings, runtime.archive, message, datetime.now(UTC)
            )
        finally:
            seen.close()
        assert held is not None and held.reasons == [] and held.payload is None
        assert len(seen.matching("SELECT ship_notices")) == 1  # by message id; its own record in hand


def test_a_lock_in_the_block_keeps_nothing_from_before_it(runtime) -> None:
    """A lock (another worker's commit may be seen after it) in the block: the ids kept before are
    not kept again; the next order book reads the store."""
    from sqlalchemy import text

    with session_scope(runtime.engine) as session:
        store(session, US, po())
        store(session, WH, asn("ASN-1", {"1": 24}))
    with session_scope(runtime.engine) as session:
        load_bundles(session, ["4TQ8ZK2M"])
        with writing_invoices(session):
            session.execute(text("SELECT 1 /* pg_advisory_xact_lock stand-in */"))
        assert book._IDS not in session.connection().info and book._BLOCK not in session.connection().info
        load_bundles(session, ["4TQ8ZK2M"])
        with writing_invoices(session):
            pass  # nothing happened in it: what was known stays known
        assert "4TQ8ZK2M" in session.connection().info[book._IDS]
